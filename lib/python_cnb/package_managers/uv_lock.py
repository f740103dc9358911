"""uv with its lock: `uv sync --locked` of uv.lock into the buildpack's virtual environment: the locked dependencies
without the development groups, and the project itself (editable) when uv considers it a package. The sync is exact
(it uninstalls whatever the lock does not name), so a changed lock updates the restored environment in place.
How each switch was checked against the pinned uv: requirements/NOTES.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from .base import (
    DependencyInputs,
    InstallMethod,
    InstallPaths,
    InstallStep,
    LocalPath,
    Lock,
    ToolCommand,
    VersionSource,
    Workspace,
)
from .selection import NOTHING, Selection

if TYPE_CHECKING:
    from ..errors import BuildpackError
    from ..python_version import Constraint

__all__ = ["METHOD", "commands", "explain", "tool_env", "workspace"]



def workspace(root: Path, app_dir: Path) -> Optional[Workspace]:
    """The uv workspace above the app's directory, up to the source's root, that has uv.lock and whose members
    (`[tool.uv.workspace] members`, less `exclude`) include the app: its lock installs the app (uv does the same when
    `uv sync` runs in a member's directory)."""
    import os

    from ..python_version import table
    from ._lock import read_project

    name = table(read_project(app_dir, "pyproject.toml"), "project").get("name")
    if not isinstance(name, str) or app_dir == root:
        return None
    here = app_dir.resolve()
    for current in app_dir.parents:
        if (current / "uv.lock").is_file() and (current / "pyproject.toml").is_file():
            settings = table(read_project(current, "pyproject.toml"), "tool", "uv", "workspace")
            if _listed(current, settings.get("members"), here) and not _listed(current, settings.get("exclude"), here):
                return Workspace(root=os.path.relpath(current, app_dir), member=name)
        if current == root or root not in current.parents:
            return None
    return None


def _listed(workspace_dir: Path, patterns: object, member: Path) -> bool:
    """One of the glob patterns (relative to the workspace's directory) names the member's directory."""
    return isinstance(patterns, list) and any(
        isinstance(pattern, str) and any(path.resolve() == member for path in workspace_dir.glob(pattern))
        for pattern in patterns)


LOCK = Lock(file="uv.lock", project_file="pyproject.toml", fix="uv lock", workspace=workspace)
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


def commands(paths: InstallPaths, selection: Selection = NOTHING, member: str = "") -> Sequence[ToolCommand]:
    """`member`: the workspace member to install (APP_HOME's package), with the workspace's lock."""
    chosen = [arg for group in selection.groups for arg in ("--group", group)] + \
        [arg for extra in selection.extras for arg in ("--extra", extra)] + (["--package", member] if member else [])
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
    inputs = lock_inputs(app_dir, "UV", REUSE_FILES)
    local = _local_sources(app_dir)
    if local:
        # Workspace members and path dependencies: their packaging files (editable) or whole trees count too.
        import hashlib

        digest = hashlib.sha256(inputs.digest.encode())
        for kind, found, shown in local:
            digest.update(f"{kind}:{shown}:{_source_digest(kind, found.path)}\n".encode())
        inputs = replace(inputs, digest=digest.hexdigest(), local_paths=tuple(found for _, found, _ in local))
    return replace(inputs, declared=pyproject_declared(pyproject, more_groups=legacy))


# uv.lock's local source kinds: an editable or virtual project is used where it is (its packaging files decide the
# install); a directory is built and installed, a path is a wheel or sdist file (their contents decide it).
_LOCAL_KINDS = ("editable", "virtual", "directory", "path")


def _local_sources(lock_dir: Path) -> List[Tuple[str, LocalPath, str]]:
    """(kind, LocalPath, path as written) for each local source uv.lock names besides the project itself."""
    from ..app_files import parse_toml
    from ..utils import read_optional_text

    text = read_optional_text(lock_dir / LOCK.file, shown=LOCK.file)
    packages = parse_toml(text, LOCK.file).get("package", []) if text is not None else []
    found = []
    for package in packages if isinstance(packages, list) else []:
        source = package.get("source") if isinstance(package, dict) else None
        for kind in _LOCAL_KINDS:
            value = source.get(kind) if isinstance(source, dict) else None
            if isinstance(value, str) and value not in (".", ""):
                found.append((kind, LocalPath(LOCK.file, value, (lock_dir / value).resolve()), value))
    return found


def _source_digest(kind: str, path: Path) -> str:
    from .requirements_scan import project_files_digest, tree_digest

    return project_files_digest(path) if kind in ("editable", "virtual") else tree_digest(path)


def _install(step: InstallStep) -> None:
    from ._lock import sync_lock

    member = step.workspace.member if step.workspace is not None else ""
    sync_lock(step, LOCK, tool_env, commands(step.paths, step.selection, member), explain)


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
