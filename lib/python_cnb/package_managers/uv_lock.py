"""uv with its lock: `uv sync --locked` of uv.lock into the buildpack's virtual environment: the locked dependencies
without the development groups, and the project itself (editable) when uv considers it a package. The sync is exact
(it uninstalls whatever the lock does not name), so a changed lock updates the restored environment in place.
How each switch was checked against the pinned uv: requirements/NOTES.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence

from .base import DependencyInputs, InstallMethod, InstallPaths, InstallStep, Lock, ToolCommand, VersionSource
from .selection import NOTHING, Selection

if TYPE_CHECKING:
    from ..errors import BuildpackError
    from ..python_version import Constraint

__all__ = ["METHOD", "commands", "explain", "tool_env"]

LOCK = Lock(file="uv.lock", project_file="pyproject.toml", fix="uv lock")
# uv.toml can declare indexes and sources that the lock is checked against.
REUSE_FILES = ("uv.lock", "pyproject.toml", "uv.toml")

# Settings the buildpack decides: a user's value for any of them is dropped. UV_FROZEN and UV_NO_SYNC would
# contradict --locked or skip the install; UV_SYSTEM_PYTHON and UV_PROJECT would point uv elsewhere.
_OWNED = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON", "UV_PYTHON_DOWNLOADS", "UV_CACHE_DIR", "UV_LINK_MODE",
          "UV_COMPILE_BYTECODE", "UV_FROZEN", "UV_LOCKED", "UV_NO_SYNC", "UV_SYSTEM_PYTHON", "UV_PROJECT")

# --no-compile-bytecode wins over `compile-bytecode = true` in the project's [tool.uv] (UV_COMPILE_BYTECODE=0 does not).
SYNC_ARGS = ("sync", "--locked", "--no-default-groups", "--no-compile-bytecode")

_OUT_OF_DATE = re.compile(r"lockfile at `?uv\.lock`? needs to be updated", re.IGNORECASE)


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    from ._env import map_pip_settings_to_uv, without

    result = without(env, _OWNED)
    result.update({
        # VIRTUAL_ENV too: uv warns when it names another environment than UV_PROJECT_ENVIRONMENT.
        "VIRTUAL_ENV": str(paths.venv_dir),
        "UV_PROJECT_ENVIRONMENT": str(paths.venv_dir),
        "UV_PYTHON": str(paths.venv_dir / "bin" / "python"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_CACHE_DIR": str(paths.cache_dir),
        "UV_NO_PROGRESS": "1",
    })
    map_pip_settings_to_uv(result)
    return result


def commands(paths: InstallPaths, selection: Selection = NOTHING) -> Sequence[ToolCommand]:
    chosen = [arg for group in selection.groups for arg in ("--group", group)] + \
        [arg for extra in selection.extras for arg in ("--extra", extra)]
    args = (*SYNC_ARGS, *chosen, "--link-mode", paths.link_mode)
    return (ToolCommand(argv=(str(paths.tool_bin / "uv"), *args), shown=" ".join(("uv", *args))),)


def explain(output: str, env: Mapping[str, str], command: str, status: int) -> Optional[BuildpackError]:
    from ..errors import LockfileOutOfDate

    if not _OUT_OF_DATE.search(output):
        return None
    # `uv sync --locked` compares the index URL recorded in the lock with the configured default index, exactly.
    mapped = bool(env.get("UV_DEFAULT_INDEX") and env.get("PIP_INDEX_URL"))
    return LockfileOutOfDate(lock_file=LOCK.file, project_file=LOCK.project_file, command=command, fix=LOCK.fix,
                             index_variable="PIP_INDEX_URL" if mapped else "")


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from dataclasses import replace

    from ..python_version import table
    from ._lock import lock_inputs, read_project
    from .selection import pyproject_declared

    pyproject = read_project(app_dir, LOCK.project_file)
    # [tool.uv] dev-dependencies is uv's older spelling of the `dev` group.
    legacy = ("dev",) if "dev-dependencies" in table(pyproject, "tool", "uv") else ()
    return replace(lock_inputs(app_dir, "UV", REUSE_FILES), declared=pyproject_declared(pyproject, more_groups=legacy))


def _install(step: InstallStep) -> None:
    from ._lock import sync_lock

    sync_lock(step, LOCK, tool_env, commands(step.paths, step.selection), explain)


def _requires_python(text: str) -> List[Constraint]:
    from ..app_files import parse_toml
    from ..python_version import pep440_constraint

    requires = parse_toml(text, LOCK.file).get("requires-python")
    return [] if requires is None else [pep440_constraint(LOCK.file, "requires-python", requires)]


METHOD = InstallMethod(
    name="uv",
    manager="uv",
    label="uv sync (uv.lock)",
    installing="Installing the dependencies locked in uv.lock with uv",
    default_reason="uv.lock found",
    files=("uv.lock",),
    misspellings={"UV.lock": "uv.lock", "uv.lock.txt": "uv.lock"},
    lock=LOCK,
    tool="uv",
    read_inputs=_inputs,
    index_settings=("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "UV_DEFAULT_INDEX", "UV_INDEX_URL",
                    "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_INSECURE_HOST", "UV_FIND_LINKS", "UV_NO_INDEX",
                    "UV_INDEX_STRATEGY"),
    updates_in_place=True,
    install=_install,
    version_sources=(VersionSource(LOCK.file, _requires_python),),
    groups_option="`--group NAME`",
    extras_option="`--extra NAME`",
    summary="`uv sync --locked --no-default-groups`: the locked dependencies without development groups, and the "
            "project itself (editable) when it is a package",
)
