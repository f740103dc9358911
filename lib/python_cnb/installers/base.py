"""The interface every installer of the pip paths implements. Pure data and pure functions: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Sequence

from ..managers.base import ToolCommand

__all__ = ["Installer", "InstallerPaths", "RequirementOption", "ToolCommand"]


@dataclass(frozen=True)
class InstallerPaths:
    app_dir: Path  # the working directory of every command
    venv_dir: Path  # the app's virtual environment; the installer installs into it, it never runs from it
    pip_python: Path  # the python of the build-only pip layer (pip)
    tool_bin: Path  # the installer's own bin/ directory (uv; unused by pip)
    cache_dir: Path  # the installer's cache layer
    # How uv puts files from its cache into the venv: 'hardlink' when both are on one filesystem (uv's own default,
    # no copying), else 'copy' (a link across filesystems fails, and uv would warn before copying anyway).
    link_mode: str = "copy"


@dataclass(frozen=True)
class RequirementOption:
    """An option line of a requirements file ('--index-url', '--pre'), or an option after a requirement on its line
    ('--hash', '--config-settings'), as the requirements scan found it."""

    file: str  # relative to the app ('requirements.txt', 'requirements/base.txt')
    line: int  # the logical line's first physical line, from 1
    option: str  # the option's long name as written ('--pre', '-i' is reported as written)


@dataclass(frozen=True)
class Installer:
    name: str  # 'pip' or 'uv': the BP_PYTHON_INSTALLER value and the log's name for it
    pin: str  # requirements/<pin>.txt holds '<pin>==X.Y.Z'; '' for pip (the interpreter's bundled pip)
    # The environment for every command: the user's build env (already holding VIRTUAL_ENV, the venv's bin/ on PATH
    # and pip's cache settings) plus whatever the installer needs, PIP_* settings mapped to its own.
    env: Callable[[Mapping[str, str], InstallerPaths], Dict[str, str]]
    # `install` with the given requirement arguments (['-r', 'requirements.txt'], ['-e', '.'], ['gunicorn==23.0.0']).
    # Never compiles bytecode: the buildpack compiles the venv once afterwards, hash-based.
    install: Callable[[InstallerPaths, Mapping[str, str], Sequence[str]], ToolCommand]
    uninstall: Callable[[InstallerPaths, Sequence[str]], ToolCommand]
    # Requirement-file options the installer cannot honour, each with the way to do without it ([] when all are fine).
    unsupported: Callable[[Sequence[RequirementOption]], List[tuple[RequirementOption, str]]]
    # PIP_* variables the user set that the installer does not honour (for a warning).
    ignored_settings: Callable[[Mapping[str, str]], List[str]]
    # Build-environment variables besides PIP_* that change what gets installed: part of the reuse key.
    index_settings: Sequence[str] = ()
