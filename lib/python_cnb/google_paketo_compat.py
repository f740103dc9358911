"""The variables of Google's Python buildpack (GoogleCloudPlatform/buildpacks) and of Paketo's (cpython, pip-install,
pipenv-install, poetry), for apps that move here with their build settings.

Pure: `resolve_google_paketo_variables` takes the build environment (the S2I image's names already resolved) and
returns the environment every later decision reads, the settings that have no name of the reference builder's (the
Python version and the directory of vendored wheels, with the variable that gave each), and one log line per variable
that was set. Called once, before any decision. BP_PIP_REQUIREMENT keeps its own name: the pip method reads it
(package_managers/pip_requirements.py), since the reference builder has no such setting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from .s2i_compat import is_set, resolve_aliases

__all__ = ["ALIASES", "IGNORED", "IGNORED_PREFIXES", "LAUNCH_ALIASES", "VENDOR_VARIABLES", "VERSION_VARIABLES",
           "BuildpackVariables", "Setting", "resolve_google_paketo_variables"]

# (their name, the reference builder's name): the reference builder's name wins when both are set.
LAUNCH_ALIASES: Tuple[Tuple[str, str], ...] = (
    ("GOOGLE_ENTRYPOINT", "APP_RUN"),  # also at launch: the run stage resolves it (run_script.py)
)
ALIASES: Tuple[Tuple[str, str], ...] = LAUNCH_ALIASES

# Google's choice between pip and uv for requirements.txt (its default is uv from Python 3.14): BP_PYTHON_INSTALLER.
INSTALLER_VARIABLE = ("GOOGLE_PYTHON_PACKAGE_MANAGER", "BP_PYTHON_INSTALLER")
INSTALLERS = ("pip", "uv")

# The Python version, an explicit request like .python-version's: the first one set wins (Google's buildpack reads
# GOOGLE_PYTHON_VERSION before GOOGLE_RUNTIME_VERSION), and it wins over runtime.txt and .python-version, as in
# both buildpacks (python_version.requested_python).
VERSION_VARIABLES = ("GOOGLE_PYTHON_VERSION", "GOOGLE_RUNTIME_VERSION", "BP_CPYTHON_VERSION")

# A directory of wheels, relative to the app: every install into the app's environment uses it and no index
# (pip install --no-index --find-links DIR). Paketo's pip-install does the same with BP_PIP_DEST_PATH.
VENDOR_VARIABLES = ("GOOGLE_VENDOR_PIP_DEPENDENCIES", "BP_PIP_DEST_PATH")

# Paketo's pip-install: the requirements files (space-separated) the pip method installs instead of requirements.txt.
REQUIREMENTS_VARIABLE = "BP_PIP_REQUIREMENT"
# Paketo's pip-install: more --find-links locations, added to pip's own PIP_FIND_LINKS (pip-install joins the two).
FIND_LINKS_VARIABLE = ("BP_PIP_FIND_LINKS", "PIP_FIND_LINKS")

# Variables their docs describe that mean nothing here, with the reason the log gives.
IGNORED: Dict[str, str] = {
    "GOOGLE_RUNTIME": "this buildpack builds Python apps only, and detects them from their files",
    "GOOGLE_DEVMODE": "there is no development mode: every build makes the production image (rebuild to pick up "
                      "changes, or set APP_RUN to a development server that reloads itself)",
    "GOOGLE_DEBUG": "the log always shows every decision and the output of every command",
    "BP_LOG_LEVEL": "the log always shows every decision and the output of every command",
    "BP_LIVE_RELOAD_ENABLED": "the image has no watchexec to restart the app when its files change (rebuild the "
                              "image, or set APP_RUN to a development server that reloads itself)",
    "BP_CONDA_SOLVER": "this buildpack does not install conda environments (environment.yml, package-list.txt)",
    "BP_PIP_VERSION": "the dependencies are installed with the interpreter's bundled pip, which stays out of the "
                      "image; PIP_UPGRADE=TRUE upgrades it to the newest release first",
    "BP_PIPENV_VERSION": "Pipenv's version is pinned by the buildpack (requirements/pipenv.txt)",
    "BP_POETRY_VERSION": "Poetry's version is pinned by the buildpack (requirements/poetry.txt)",
    "BP_POETRY_INSTALL_ONLY": "Poetry installs the main group only (poetry sync --only main)",
    "BP_POETRY_RUN_TARGET": "Poetry is not in the image, but the environment's scripts are on PATH: set APP_RUN (or "
                            "GOOGLE_ENTRYPOINT) to the script's command",
}
# Families of them, for the names the table above does not list.
IGNORED_PREFIXES: Tuple[Tuple[str, str], ...] = (
    ("GOOGLE_FUNCTION_", "functions are not wrapped in Google's Functions Framework here: list functions-framework "
                         "in requirements.txt and set APP_RUN (or GOOGLE_ENTRYPOINT) to "
                         "'functions-framework --target=NAME'"),
    ("BP_PIPENV_", "the buildpack pins and runs Pipenv itself (requirements/pipenv.txt; pipenv verify + sync)"),
    ("BP_POETRY_", "the buildpack pins and runs Poetry itself (requirements/poetry.txt; poetry sync --only main)"),
)


@dataclass(frozen=True)
class Setting:
    """A setting the reference builder has no name for, and the variable that gave it (for the log and errors)."""

    variable: str
    value: str  # stripped


@dataclass(frozen=True)
class BuildpackVariables:
    env: Dict[str, str]  # the effective build environment: aliases resolved to the reference builder's names
    notes: Tuple[str, ...]  # one log line per variable of theirs that was set
    sources: Dict[str, str] = field(default_factory=dict)  # reference name -> the alias that gave its value
    python_version: Optional[Setting] = None
    vendor_dir: Optional[Setting] = None


def _whose(name: str) -> str:
    if name.startswith("GOOGLE_"):
        return "Google's buildpack"
    return "Paketo's cpython" if name.startswith("BP_CPYTHON_") else "Paketo's pip-install"


def _first_set(env: Mapping[str, str], names: Sequence[str]) -> Tuple[Optional[Setting], List[str]]:
    """The first of `names` that is set, and a note for each later one set to something else."""
    chosen: Optional[Setting] = None
    others: List[str] = []
    for name in names:
        if not is_set(env, name):
            continue
        value = env[name].strip()
        if chosen is None:
            chosen = Setting(name, value)
        elif value != chosen.value:
            others.append(f"{chosen.variable} and {name} are both set and differ: using "
                          f"{chosen.variable}={chosen.value} ({name}={value} is ignored)")
    return chosen, others


def _ignored(name: str) -> Optional[str]:
    if name in IGNORED:
        return IGNORED[name]
    return next((reason for prefix, reason in IGNORED_PREFIXES if name.startswith(prefix)), None)


def resolve_google_paketo_variables(env: Mapping[str, str]) -> BuildpackVariables:
    """GOOGLE_ENTRYPOINT as APP_RUN and GOOGLE_PYTHON_PACKAGE_MANAGER (pip or uv) as BP_PYTHON_INSTALLER (the
    reference builder's names win when set), BP_PIP_FIND_LINKS added to PIP_FIND_LINKS, the version and vendor
    settings, and a note for every variable that is accepted but ignored."""
    result = dict(env)
    notes: List[str] = []
    sources: Dict[str, str] = {}
    resolve_aliases(env, ALIASES, "Google's", result, notes, sources)

    alias, name = INSTALLER_VARIABLE
    if is_set(env, alias):
        if env[alias].strip().lower() in INSTALLERS:
            resolve_aliases(env, (INSTALLER_VARIABLE,), "Google's", result, notes, sources)
        else:
            notes.append(f"{alias}={env[alias].strip()} is ignored: here it chooses only what installs "
                         f"requirements.txt and setup.py or pyproject.toml apps ({' or '.join(INSTALLERS)}, as "
                         f"{name}); lockfiles choose their own tool")

    python_version, others = _first_set(env, VERSION_VARIABLES)
    if python_version is not None:
        notes.append(f"{python_version.variable} is set ({_whose(python_version.variable)}): requesting Python "
                     f"{python_version.value}, which wins over runtime.txt and .python-version")
        notes.extend(others)

    vendor_dir, others = _first_set(env, VENDOR_VARIABLES)
    if vendor_dir is not None:
        notes.append(f"{vendor_dir.variable} is set ({_whose(vendor_dir.variable)}): installing into the app's "
                     f"environment from the wheels in {vendor_dir.value} only, with no package index")
        notes.extend(others)

    if is_set(env, REQUIREMENTS_VARIABLE):
        files = " and ".join(env[REQUIREMENTS_VARIABLE].split())
        notes.append(f"{REQUIREMENTS_VARIABLE} is set (Paketo's pip-install): installing {files} instead of "
                     "requirements.txt")

    links, pip_links = FIND_LINKS_VARIABLE
    if is_set(env, links):
        result[pip_links] = " ".join(part for part in (env[links].strip(), env.get(pip_links, "").strip()) if part)
        notes.append(f"{links} is set (Paketo's pip-install): adding {env[links].strip()} to {pip_links}")

    for variable in sorted(env):
        reason = _ignored(variable)
        if reason is not None and is_set(env, variable):
            notes.append(f"{variable} is set, but ignored: {reason}")
    return BuildpackVariables(env=result, notes=tuple(notes), sources=sources, python_version=python_version,
                              vendor_dir=vendor_dir)
