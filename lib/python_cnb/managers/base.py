"""The interface every lockfile package manager implements. Pure data and pure functions: no I/O here.

The buildpack, not the tool, owns the environment: it creates the virtual environment (the venv layer) with the
app's interpreter, installs the tool from its pin (requirements/<pin>.txt) into a separate build-only layer, gives the
tool a cache-only layer, then runs `commands(paths)` with `tool_env(env, paths)` and streams their output to the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Mapping, Sequence, Tuple

__all__ = ["InstallPaths", "Manager", "ToolCommand"]


@dataclass(frozen=True)
class InstallPaths:
    app_dir: Path  # the app (the working directory of every command)
    venv_dir: Path  # the app's virtual environment, already created; its python is venv_dir/bin/python
    tool_bin: Path  # the directory holding the tool's executables (a separate venv's bin/, never on the app's PATH)
    cache_dir: Path  # the tool's own cache directory (a cache-only layer, kept across builds, never in the image)
    link_mode: str = "copy"  # how uv puts files from its cache into the venv (see installers.base.InstallerPaths)


@dataclass(frozen=True)
class ToolCommand:
    argv: Tuple[str, ...]  # absolute program path first
    shown: str  # how the log shows it ('uv sync --locked --no-dev'); never holds a secret


@dataclass(frozen=True)
class Manager:
    name: str  # 'uv', 'poetry', 'pipenv': the BP_PYTHON_PACKAGE_MANAGER value and the log's name for it
    pin: str  # requirements/<pin>.txt holds '<pin>==X.Y.Z'
    lock_file: str  # the file that selects this manager ('uv.lock')
    lock_fix: str  # the command that brings an out-of-date lock up to date ('uv lock')
    # App files (relative to the app) whose contents decide the environment: the venv is reused while they,
    # the interpreter, the tool version and the index settings are unchanged.
    reuse_files: Tuple[str, ...]
    # Build-environment variables the tool honours for where it finds packages (after mapping): part of the reuse key
    # (hashed without URL credentials) and listed in the README.
    index_settings: Tuple[str, ...]
    # The full environment for the tool's commands: the user's build env (already holding VIRTUAL_ENV and the venv's
    # bin/ first on PATH) plus whatever the tool needs: its cache dir, non-interactive switches, PIP_* mapped to
    # its own variables, the target environment.
    tool_env: Callable[[Mapping[str, str], InstallPaths], Dict[str, str]]
    # The commands that make the venv match the lock (only the main/default dependencies, the project itself when it is
    # a package); run in order, stop at the first failure.
    commands: Callable[[InstallPaths], Sequence[ToolCommand]]
    # True when a failed command's combined output says the lock does not match the project files.
    lock_out_of_date: Callable[[str], bool]
    # Advice for a failure the tool explains poorly, from its output and the environment it ran with ("" for none).
    failure_hint: Callable[[str, Mapping[str, str]], str] = lambda output, env: ""
