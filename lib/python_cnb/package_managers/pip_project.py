"""pip with the project itself: `pip install -e .` for an app with a setup.py, or a pyproject.toml with [project] or
[build-system], and no requirements.txt or lockfile: the modern form of the reference builder's
`python setup.py develop` (editable, so the app stays where it is). BP_PYTHON_INSTALLER=uv installs it with
`uv pip install -e .`."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..app_files import AppFiles
from .base import DependencyInputs, InstallMethod, InstallStep

__all__ = ["METHOD", "installable_project"]


def installable_project(files: AppFiles) -> bool:
    """pip can install the app itself: a setup.py, or a pyproject.toml with [project] or [build-system]."""
    if files.is_file("setup.py"):
        return True
    pyproject = files.toml("pyproject.toml")
    return pyproject is not None and ("project" in pyproject or "build-system" in pyproject)


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from .requirements_scan import project_digest

    return DependencyInputs(files="setup.py, setup.cfg and pyproject.toml", digest=project_digest(app_dir, env))


def _install(step: InstallStep) -> None:
    from ._pip import install_app

    install_app(step, ("-e", "."))


METHOD = InstallMethod(
    name="pip-project",
    manager="pip",
    label="pip install -e .",
    installing="No requirements.txt or lockfile, but the app is installable: installing it in editable mode with "
               "{installer} (the modern 'python setup.py develop')",
    default_reason="no requirements.txt or lockfile, but the app is installable: installing it in editable mode "
                   "(the modern 'python setup.py develop')",
    applies=installable_project,
    installer_option=True,
    read_inputs=_inputs,
    updates_in_place=True,
    install=_install,
    summary="`pip install -e .`, the modern form of `python setup.py develop`; `uv pip install -e .` with "
            "`BP_PYTHON_INSTALLER=uv`",
    selected_by="`setup.py`, or a `pyproject.toml` with `[project]` or `[build-system]`, and no other file here",
)
