"""PDM with its lock: `pdm lock --check` (the lock matches pyproject.toml, without the network), then `pdm sync --prod
--clean-unselected` of pdm.lock into the buildpack's virtual environment: the locked production set without the
development groups, and the project itself (editable) when PDM considers it a distribution (`[tool.pdm]
distribution`, true unless set). The sync removes whatever the selected groups do not name, so a changed lock updates
the restored environment in place. How each setting was checked against the pinned PDM: requirements/NOTES.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit, urlunsplit

from .base import DependencyInputs, InstallMethod, InstallPaths, InstallStep, Lock, ToolCommand, VersionSource
from .selection import NOTHING, Declared, Selection

if TYPE_CHECKING:
    from ..errors import BuildpackError
    from ..python_version import Constraint

__all__ = ["METHOD", "commands", "declared", "explain", "index_config", "lock_constraints", "tool_env"]

LOCK = Lock(file="pdm.lock", project_file="pyproject.toml", fix="pdm lock")
# pdm.toml (project-level PDM config) can declare sources and installer settings.
REUSE_FILES = ("pdm.lock", "pyproject.toml", "pdm.toml")

# Settings the buildpack decides: a user's value for any of them is dropped. They would point PDM at another
# interpreter, environment, project or lock (PDM_IGNORE_ACTIVE_VENV, PDM_IN_VENV, PDM_PROJECT, PDM_LOCKFILE), switch
# to PEP 582's __pypackages__ (PDM_USE_VENV), skip the check or the project (PDM_FROZEN_LOCKFILE, PDM_NO_SELF), or
# make PDM install with uv, which is not there (PDM_USE_UV).
_OWNED = ("VIRTUAL_ENV", "PDM_PYTHON", "PDM_IGNORE_SAVED_PYTHON", "PDM_IGNORE_ACTIVE_VENV", "PDM_USE_VENV",
          "PDM_IN_VENV", "PDM_PROJECT", "PDM_LOCKFILE", "PDM_FROZEN_LOCKFILE", "PDM_NO_LOCK", "PDM_NO_SELF",
          "PDM_NO_EDITABLE", "PDM_USE_UV", "PDM_CACHE_DIR", "PDM_LOG_DIR", "PDM_CONFIG_FILE", "PDM_CHECK_UPDATE",
          "PDM_NON_INTERACTIVE", "PDM_VENV_IN_PROJECT", "PDM_VENV_BACKEND", "PDM_PYTHON_VERSION",
          "PDM_USE_PYTHON_VERSION")

CHECK_ARGS = ("lock", "--check")
# --prod leaves out every development group ([dependency-groups], [tool.pdm.dev-dependencies]); --clean-unselected
# uninstalls what the selected groups do not name (an update in place ends as a fresh install does).
# BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS become `-G NAME` (see commands).
SYNC_ARGS = ("sync", "--prod", "--clean-unselected")
# The global config file the buildpack writes into the tool's cache layer on every build (extra indexes only, no
# secret): no user or machine config applies; the project's pdm.toml still does.
CONFIG_FILE = "buildpack-config.toml"
# PDM never uninstalls these when it syncs (its SEQUENTIAL_PACKAGES); an update removes them first.
_KEPT_BY_SYNC = ("pip", "setuptools", "wheel")

_OUT_OF_DATE = re.compile(r"Lockfile doesn't satisfy the project requirements|Lockfile is not compatible with PDM|"
                          r"Lockfile is out of date", re.IGNORECASE)


def _hosts(env: Mapping[str, str]) -> List[str]:
    return env.get("PIP_TRUSTED_HOST", "").split()


def _trusted(url: str, hosts: Sequence[str]) -> bool:
    parts = urlsplit(url)
    return bool(parts.hostname) and any(host in (parts.hostname, parts.netloc.rpartition("@")[2]) for host in hosts)


def index_config(env: Mapping[str, str]) -> Tuple[str, Dict[str, str]]:
    """PDM's global config for PIP_EXTRA_INDEX_URL (PDM reads no variable for extra indexes), and the variables it
    refers to: each index's credentials are `${VAR}` references that PDM expands, so the file holds no secret. Pure."""
    from ..cnb.toml_io import dumps

    sources: Dict[str, Dict[str, Any]] = {}
    variables: Dict[str, str] = {}
    for number, url in enumerate(env.get("PIP_EXTRA_INDEX_URL", "").split(), start=1):
        parts = urlsplit(url)
        user, _, host = parts.netloc.rpartition("@")
        netloc = host
        if user:
            name, has_password, password = user.partition(":")
            prefix = f"PDM_BUILDPACK_INDEX_{number}"
            variables[f"{prefix}_USER"] = unquote(name)
            netloc = f"${{{prefix}_USER}}"
            if has_password:
                variables[f"{prefix}_PASSWORD"] = unquote(password)
                netloc += f":${{{prefix}_PASSWORD}}"
            netloc += f"@{host}"
        source: Dict[str, Any] = {"url": urlunsplit(parts._replace(netloc=netloc))}
        if _trusted(url, _hosts(env)):
            source["verify_ssl"] = False
        sources[f"extra-index-{number}"] = source
    return (dumps({"pypi": sources}) if sources else ""), variables


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    from ._env import map_unless_set, without

    result = without(env, _OWNED)
    result.update({
        # PDM_PYTHON wins over a .pdm-python in the app; the venv is VIRTUAL_ENV's, and PDM installs into it.
        "VIRTUAL_ENV": str(paths.venv_dir),
        "PDM_PYTHON": str(paths.venv_dir / "bin" / "python"),
        # pdm.lock, also when the project's settings ask for pylock.toml (`lock.format`).
        "PDM_LOCKFILE": str(paths.app_dir / LOCK.file),
        "PDM_USE_VENV": "true",  # wins over `python.use_venv = false` in the project's pdm.toml (PEP 582 mode)
        "PDM_CACHE_DIR": str(paths.cache_dir),
        "PDM_LOG_DIR": str(paths.cache_dir / "log"),
        "PDM_CONFIG_FILE": str(paths.cache_dir / CONFIG_FILE),
        "PDM_CHECK_UPDATE": "false",
        "PDM_NON_INTERACTIVE": "1",
    })
    # PDM reads no PIP_* variable. The default source's URL is PDM_PYPI_URL; the certificate, REQUESTS_CA_BUNDLE.
    map_unless_set(result, "PIP_INDEX_URL", "PDM_PYPI_URL")
    map_unless_set(result, "PIP_CERT", "REQUESTS_CA_BUNDLE")
    if result.get("PDM_PYPI_URL") and "PDM_PYPI_VERIFY_SSL" not in result and \
            _trusted(result["PDM_PYPI_URL"], _hosts(result)):
        result["PDM_PYPI_VERIFY_SSL"] = "false"
    result.update(index_config(result)[1])
    return result


def commands(paths: InstallPaths, selection: Selection = NOTHING) -> Sequence[ToolCommand]:
    """Each selected group and extra is a `-G` (PDM's optional-dependencies are groups too). A selected development
    group drops --prod: PDM then installs the development groups named, and no other."""
    pdm = str(paths.tool_bin / "pdm")
    sync = tuple(arg for arg in SYNC_ARGS if arg != "--prod" or not selection.groups)
    sync += tuple(arg for name in (*selection.groups, *selection.extras) for arg in ("-G", name))
    return tuple(ToolCommand(argv=(pdm, *args), shown=" ".join(("pdm", *args))) for args in (CHECK_ARGS, sync))


def declared(pyproject: Dict[str, Any]) -> Declared:
    """PDM's development groups: PEP 735's and [tool.pdm.dev-dependencies]; its extras, PEP 621's."""
    from ..python_version import table
    from .selection import pyproject_declared

    return pyproject_declared(pyproject, more_groups=tuple(table(pyproject, "tool", "pdm", "dev-dependencies")))


def explain(output: str, env: Mapping[str, str], command: str, status: int) -> Optional[BuildpackError]:
    from ..errors import LockfileOutOfDate

    if _OUT_OF_DATE.search(output):
        return LockfileOutOfDate(lock_file=LOCK.file, project_file=LOCK.project_file, command=command, fix=LOCK.fix)
    return None


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from dataclasses import replace

    from ._lock import lock_inputs, read_project

    return replace(lock_inputs(app_dir, "PDM", REUSE_FILES),
                   declared=declared(read_project(app_dir, LOCK.project_file)))


def _remove_what_sync_keeps(step: InstallStep) -> None:
    """PDM's sync never uninstalls pip, setuptools or wheel: an update removes them first, and the sync installs them
    again when the lock selects them, as a fresh install would."""
    from ..errors import CommandFailed
    from ..utils import run_streamed
    from ..venv_facts import VenvFacts

    present = [name for name in _KEPT_BY_SYNC if VenvFacts.read(step.paths.venv_dir).has(name)]
    if not present:
        return
    command = step.installer.uninstall(step.paths, present)
    status = run_streamed(step.out, command.argv, env=step.installer_env, cwd=step.paths.app_dir, shown=command.shown)
    if status != 0:
        raise CommandFailed(command=command.shown, exit_code=status)


def _install(step: InstallStep) -> None:
    from ..cnb.toml_io import write_atomic
    from ._lock import sync_lock

    write_atomic(step.paths.cache_dir / CONFIG_FILE, index_config(step.env)[0])
    if step.update:
        _remove_what_sync_keeps(step)
    sync_lock(step, LOCK, tool_env, commands(step.paths, step.selection), explain)


def lock_constraints(lock: Dict[str, Any]) -> List[Constraint]:
    """The Python versions pdm.lock was made for: `[metadata] requires_python`, and its lock targets'
    (`[[metadata.targets]] requires_python`, any one of them; a target without one allows any version). Pure."""
    from ..python_version import Constraint, pep440_specifiers, string_value, table

    metadata = table(lock, "metadata")
    found: List[Constraint] = []
    if metadata.get("requires_python") is not None:
        key = "[metadata] requires_python"
        value = string_value(metadata["requires_python"], LOCK.file, key)
        found.append(Constraint(LOCK.file, key, value, (pep440_specifiers(value, LOCK.file, key),)))
    targets = metadata.get("targets")
    if isinstance(targets, list) and targets and all(isinstance(t, dict) for t in targets):
        key = "[[metadata.targets]] requires_python"
        values = [t.get("requires_python") for t in targets]
        if all(v is not None for v in values):
            texts = [string_value(v, LOCK.file, key) for v in values]
            found.append(Constraint(LOCK.file, key, " or ".join(texts),
                                    tuple(pep440_specifiers(text, LOCK.file, key) for text in texts)))
    return found


def _requires_python(text: str) -> List[Constraint]:
    from ..app_files import parse_toml

    return lock_constraints(parse_toml(text, LOCK.file))


METHOD = InstallMethod(
    name="pdm",
    manager="pdm",
    label="pdm sync (pdm.lock)",
    installing="Installing the dependencies locked in pdm.lock with PDM",
    default_reason="pdm.lock found",
    files=("pdm.lock",),
    misspellings={"PDM.lock": "pdm.lock", "pdm.lock.txt": "pdm.lock"},
    lock=LOCK,
    tool="pdm",
    read_inputs=_inputs,
    index_settings=("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PDM_PYPI_URL", "PDM_PYPI_USERNAME",
                    "PDM_PYPI_PASSWORD", "PDM_PYPI_VERIFY_SSL", "PDM_IGNORE_STORED_INDEX"),
    updates_in_place=True,
    install=_install,
    version_sources=(VersionSource(LOCK.file, _requires_python),),
    groups_option="`-G NAME` (without `--prod`)",
    extras_option="`-G NAME`",
    summary="`pdm lock --check`, then `pdm sync --prod --clean-unselected`: the locked production set without "
            "development groups, and the project itself (editable) when it is a distribution",
)
