"""The variables of OpenShift's S2I Python image (sclorg's s2i-python-container), which the reference builder forked.

Pure: `resolve_s2i_variables` takes the build environment and returns the environment every later decision reads
(the reference builder's names only) and the lines the log shows about them. Called once, before any decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Sequence, Tuple

from .utils import is_truthy

__all__ = ["ALIASES", "IGNORED", "S2iVariables", "is_set", "resolve_aliases", "resolve_s2i_variables"]

# (the S2I image's name, the reference builder's name): the reference builder's name wins when both are set.
ALIASES: Tuple[Tuple[str, str], ...] = (
    ("APP_MODULE", "GUNICORN_APP_MODULE"),
    ("APP_CONFIG", "GUNICORN_CONFIG"),
    ("UPGRADE_PIP_TO_LATEST", "PIP_UPGRADE"),
)

# Variables the S2I image documents that mean nothing here, with the reason the log gives.
IGNORED: Dict[str, str] = {
    "ENABLE_INIT_WRAPPER": "every process of the image already runs under the buildpack's init "
                           "(python-buildpack-init), which passes signals on and reaps zombie processes",
    "DISABLE_SETUP_PY_PROCESSING": "the buildpack installs setup.py itself only when there is no requirements.txt "
                                   "or lockfile, and then in editable mode (pip install -e .), which leaves the "
                                   "app where it is; list '-e .' in requirements.txt to install it otherwise",
    "PIN_PIPENV_VERSION": "Pipenv's version is pinned by the buildpack (requirements/pipenv.txt)",
}

# Set to any of these (any case), ENABLE_PIPENV and ENABLE_MICROPIPENV choose Pipenv.
PIPENV_SWITCHES = ("ENABLE_PIPENV", "ENABLE_MICROPIPENV")


@dataclass(frozen=True)
class S2iVariables:
    env: Dict[str, str]  # the effective build environment: aliases resolved to the reference builder's names
    notes: Tuple[str, ...]  # one log line per S2I variable that was set
    sources: Dict[str, str] = field(default_factory=dict)  # reference name -> the alias that gave its value

    def named(self, name: str) -> str:
        """The variable the user set for `name` (its S2I alias when that gave the value), for error messages."""
        return self.sources.get(name, name)


def is_set(env: Mapping[str, str], name: str) -> bool:
    """Set and not blank: a blank value counts as unset, here and in the run stage."""
    return bool(env.get(name, "").strip())


def resolve_aliases(env: Mapping[str, str], aliases: Sequence[Tuple[str, str]], whose: str, result: Dict[str, str],
                    notes: List[str], sources: Dict[str, str]) -> None:
    """Each (alias, name): the alias's value copied to the reference builder's name, which wins when both are set
    (the note says so when they differ). `whose` names the alias's owner in the note ("the S2I image's")."""
    for alias, name in aliases:
        if not is_set(env, alias):
            continue
        value = env[alias]
        if not is_set(env, name):
            result[name] = value
            sources[name] = alias
            notes.append(f"{alias} is set ({whose} name for {name}): using it as {name}={value}")
        elif env[name].strip() != value.strip():
            notes.append(f"{name} and {alias} are both set and differ: using {name}={env[name]} "
                         f"(the reference builder's name wins; {alias}={value} is ignored)")


def resolve_s2i_variables(env: Mapping[str, str]) -> S2iVariables:
    """Aliases copied to the reference builder's names (which win when both are set; the note says so when they
    differ), ENABLE_PIPENV/ENABLE_MICROPIPENV as BP_PYTHON_PACKAGE_MANAGER=pipenv (which wins when set), and a
    note for every variable that is accepted but ignored."""
    result = dict(env)
    notes: List[str] = []
    sources: Dict[str, str] = {}
    resolve_aliases(env, ALIASES, "the S2I image's", result, notes, sources)
    for switch in PIPENV_SWITCHES:
        if not is_set(env, switch):
            continue
        if not is_truthy(env[switch]):
            notes.append(f"{switch}={env[switch]} is not true (1, true, yes, on): ignored")
            continue
        requested = env.get("BP_PYTHON_PACKAGE_MANAGER", "").strip()
        if requested and requested.lower() != "pipenv":
            notes.append(f"{switch} is set, but BP_PYTHON_PACKAGE_MANAGER={requested} wins")
        elif not requested:
            result["BP_PYTHON_PACKAGE_MANAGER"] = "pipenv"
            sources["BP_PYTHON_PACKAGE_MANAGER"] = switch
            notes.append(f"{switch} is set: installing with Pipenv, as BP_PYTHON_PACKAGE_MANAGER=pipenv would"
                         + (" (micropipenv itself is not used: Pipenv installs Pipfile.lock)"
                            if switch == "ENABLE_MICROPIPENV" else ""))
    for name, reason in IGNORED.items():
        if is_set(env, name):
            notes.append(f"{name} is set, but ignored: {reason}")
    if is_set(env, "APP_HOME"):
        notes.append(f"APP_HOME is set: building the app in {env['APP_HOME'].strip()} (its version files, dependency "
                     "files, collectstatic, web process and working directory); the rest of the source is in the "
                     "image too, and .s2i/ stays at the root")
    if is_set(env, "DISABLE_MIGRATE"):
        notes.append("DISABLE_MIGRATE is set: nothing to disable, since migrations do not run on start unless "
                     "MIGRATE_ON_START=true asks for them (the image has a 'migrate' process type for Django apps)")
    return S2iVariables(env=result, notes=tuple(notes), sources=sources)
