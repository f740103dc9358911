"""Pipenv with its lock: `pipenv verify` (the lock matches the Pipfile, `--deploy`'s check, without a traceback),
then `pipenv sync` of Pipfile.lock's [packages] into the buildpack's virtual environment. A changed lock rebuilds the
environment from scratch. How each setting was checked against the pinned Pipenv: requirements/NOTES.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence

from .base import DependencyInputs, InstallMethod, InstallPaths, InstallStep, Lock, ToolCommand, VersionSource

if TYPE_CHECKING:
    from .._vendor.packaging.specifiers import SpecifierSet
    from ..errors import BuildpackError
    from ..python_version import Constraint

__all__ = ["METHOD", "commands", "explain", "tool_env"]

LOCK = Lock(file="Pipfile.lock", project_file="Pipfile", fix="pipenv lock")
REUSE_FILES = ("Pipfile.lock", "Pipfile")

# Settings the buildpack decides: a user's value for any of them is dropped. PIPENV_DEV/PIPENV_SYSTEM and the
# virtualenv-location ones would change what is installed, or where.
_OWNED = ("VIRTUAL_ENV", "PIPENV_IGNORE_VIRTUALENVS", "PIPENV_VENV_IN_PROJECT", "PIPENV_CUSTOM_VENV_NAME",
          "PIPENV_PYTHON", "PIPENV_DEFAULT_PYTHON_VERSION", "PIPENV_SYSTEM", "PIPENV_DEV", "PIPENV_PIPFILE",
          "PIPENV_DONT_LOAD_ENV", "PIPENV_CACHE_DIR", "PIPENV_VERBOSITY", "PIPENV_NOSPIN", "PIPENV_YES",
          "PIPENV_HIDE_EMOJIS", "PIP_CACHE_DIR", "PIP_COMPILE", "PIP_NO_COMPILE")

_OUT_OF_DATE = re.compile(r"Pipfile\.lock\b.{0,120}?\bis out[- ]of[- ]date", re.IGNORECASE)
_RELEASE = re.compile(r"^\d+(?:\.\d+)*$")


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    from ._env import map_unless_set, without

    result = without(env, _OWNED)
    result.update({
        "VIRTUAL_ENV": str(paths.venv_dir),
        "PIPENV_PIPFILE": str(paths.app_dir / "Pipfile"),  # no search in parent directories
        "PIPENV_DONT_LOAD_ENV": "1",  # the app's .env file is not loaded into the install
        "PIPENV_CACHE_DIR": str(paths.cache_dir / "pipenv"),
        "PIP_CACHE_DIR": str(paths.cache_dir / "pip"),
        # pip reads no-compile inverted (PIP_NO_COMPILE=1 compiles); PIP_COMPILE=0 reads as meant.
        "PIP_COMPILE": "0",
        "PIPENV_VERBOSITY": "-1",  # no "Courtesy Notice" about running inside a virtual environment
        "PIPENV_NOSPIN": "1",
        "PIPENV_YES": "1",
        "PIPENV_HIDE_EMOJIS": "1",
    })
    # The -i Pipenv passes (the Pipfile's source) overrides PIP_INDEX_URL; PIPENV_PYPI_MIRROR replaces PyPI's URL.
    map_unless_set(result, "PIP_INDEX_URL", "PIPENV_PYPI_MIRROR")
    return result


def commands(paths: InstallPaths) -> Sequence[ToolCommand]:
    pipenv = str(paths.tool_bin / "pipenv")
    return (ToolCommand(argv=(pipenv, "verify"), shown="pipenv verify"),
            ToolCommand(argv=(pipenv, "sync"), shown="pipenv sync"))


def explain(output: str, env: Mapping[str, str], command: str, status: int) -> Optional[BuildpackError]:
    from ..errors import LockfileOutOfDate

    # Pipenv's console wraps long lines at 80 columns ("is out of \ndate"): match on whitespace-joined text.
    if _OUT_OF_DATE.search(" ".join(output.split())):
        return LockfileOutOfDate(lock_file=LOCK.file, project_file=LOCK.project_file, command=command, fix=LOCK.fix)
    return None


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from ._lock import lock_inputs

    return lock_inputs(app_dir, "PIPENV", REUSE_FILES)


def _install(step: InstallStep) -> None:
    from ._lock import sync_lock

    sync_lock(step, LOCK, tool_env, commands(step.paths), explain)


def _specifier(value: str, key: str) -> SpecifierSet:
    """python_version '3.12' means any 3.12; python_full_version '3.12.1' exactly that one."""
    from .._vendor.packaging.specifiers import SpecifierSet
    from ..errors import PythonConstraintInvalid

    version = value.strip()
    if version == "*":
        return SpecifierSet()
    if not _RELEASE.match(version):
        raise PythonConstraintInvalid(file="Pipfile", key=key, value=value,
                                      reason="it must be a version like '3.13' (python_version) or '3.13.5' "
                                             "(python_full_version)")
    return SpecifierSet(f"=={version}" if version.count(".") >= 2 else f"=={version}.*")


def _requires_python(text: str) -> List[Constraint]:
    from ..app_files import parse_toml
    from ..python_version import Constraint, string_value, table

    requires = table(parse_toml(text, LOCK.project_file), "requires")
    found = []
    for name in ("python_full_version", "python_version"):
        if requires.get(name) is not None:
            key = f"[requires] {name}"
            value = string_value(requires[name], LOCK.project_file, key)
            found.append(Constraint(LOCK.project_file, key, value, (_specifier(value, key),)))
    return found


METHOD = InstallMethod(
    name="pipenv",
    manager="pipenv",
    label="pipenv verify + sync (Pipfile.lock)",
    installing="Installing the dependencies locked in Pipfile.lock with Pipenv",
    default_reason="Pipfile.lock found",
    files=("Pipfile", "Pipfile.lock"),
    misspellings={"pipfile": "Pipfile", "Pipfile.txt": "Pipfile", "pipfile.lock": "Pipfile.lock"},
    lock=LOCK,
    tool="pipenv",
    read_inputs=_inputs,
    index_settings=("PIP_INDEX_URL", "PIPENV_PYPI_MIRROR", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS",
                    "PIP_TRUSTED_HOST", "PIP_NO_INDEX"),
    install=_install,
    version_sources=(VersionSource(LOCK.project_file, _requires_python),),
    summary="`pipenv verify`, then `pipenv sync`: the `[packages]` of the lock, failing when the lock does not match "
            "the Pipfile (`--deploy` semantics)",
)
