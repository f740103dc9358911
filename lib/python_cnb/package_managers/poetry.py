"""Poetry with its lock: `poetry sync --only main` of poetry.lock into the buildpack's virtual environment: the main
group only, and the project itself (editable) in package mode, Poetry's default. A changed lock rebuilds the
environment from scratch. How each setting was checked against the pinned Poetry: requirements/NOTES.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Mapping, Optional, Sequence

from .base import DependencyInputs, InstallMethod, InstallPaths, InstallStep, Lock, ToolCommand

if TYPE_CHECKING:
    from ..errors import BuildpackError

__all__ = ["METHOD", "commands", "explain", "tool_env"]

LOCK = Lock(file="poetry.lock", project_file="pyproject.toml", fix="poetry lock")
# poetry.toml (project-level Poetry config) can change installer settings.
REUSE_FILES = ("poetry.lock", "pyproject.toml", "poetry.toml")

# Settings the buildpack decides: a user's value for any of them is dropped.
_OWNED = ("VIRTUAL_ENV", "POETRY_VIRTUALENVS_CREATE", "POETRY_CACHE_DIR", "POETRY_CONFIG_DIR", "POETRY_DATA_DIR",
          "POETRY_NO_INTERACTION", "POETRY_KEYRING_ENABLED", "POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON",
          "POETRY_VIRTUALENVS_USE_POETRY_PYTHON")

SYNC_ARGS = ("sync", "--only", "main", "--no-interaction", "--no-ansi")

_OUT_OF_DATE = re.compile(r"pyproject\.toml changed significantly since poetry\.lock", re.IGNORECASE)


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    from ._env import map_unless_set, without

    result = without(env, _OWNED)
    result.update({
        "VIRTUAL_ENV": str(paths.venv_dir),
        "POETRY_VIRTUALENVS_CREATE": "false",
        "POETRY_CACHE_DIR": str(paths.cache_dir),
        # A directory that never exists: no user or machine config.toml applies (the project's poetry.toml does).
        "POETRY_CONFIG_DIR": str(paths.cache_dir / "no-user-config"),
        "POETRY_DATA_DIR": str(paths.cache_dir / "data"),
        "POETRY_NO_INTERACTION": "1",
        "POETRY_KEYRING_ENABLED": "false",
    })
    # Poetry reads no PIP_* variable (its sources are in pyproject.toml), but honours REQUESTS_CA_BUNDLE.
    map_unless_set(result, "PIP_CERT", "REQUESTS_CA_BUNDLE")
    return result


def commands(paths: InstallPaths) -> Sequence[ToolCommand]:
    return (ToolCommand(argv=(str(paths.tool_bin / "poetry"), *SYNC_ARGS), shown=" ".join(("poetry", *SYNC_ARGS))),)


def explain(output: str, env: Mapping[str, str], command: str, status: int) -> Optional[BuildpackError]:
    from ..errors import LockfileOutOfDate, PoetryPackageMissing

    if _OUT_OF_DATE.search(" ".join(output.split())):
        return LockfileOutOfDate(lock_file=LOCK.file, project_file=LOCK.project_file, command=command, fix=LOCK.fix)
    if "No file/folder found for package" in output:
        return PoetryPackageMissing(command=command, exit_code=status)
    return None


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from ._lock import lock_inputs

    return lock_inputs(app_dir, "POETRY", REUSE_FILES)


def _install(step: InstallStep) -> None:
    from ._lock import sync_lock

    sync_lock(step, LOCK, tool_env, commands(step.paths), explain)


METHOD = InstallMethod(
    name="poetry",
    manager="poetry",
    label="poetry sync (poetry.lock)",
    installing="Installing the dependencies locked in poetry.lock with Poetry",
    default_reason="poetry.lock found",
    files=("poetry.lock",),
    misspellings={"Poetry.lock": "poetry.lock", "poetry.lock.txt": "poetry.lock"},
    lock=LOCK,
    tool="poetry",
    read_inputs=_inputs,
    # Sources live in pyproject.toml (a reuse file); Poetry reads no PIP_* index variable.
    index_settings=(),
    install=_install,
    summary="`poetry sync --only main`: the main group, and the project itself (editable) in package mode",
)
