"""pip with the project itself: `pip install -e .` for an app with a setup.py, or a pyproject.toml with [project] or
[build-system], and no requirements.txt or lockfile: the modern form of the reference builder's
`python setup.py develop` (editable, so the app stays where it is). BP_PYTHON_INSTALLER=uv installs it with
`uv pip install -e .`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

from ..app_files import AppFiles
from .base import DependencyInputs, InstallMethod, InstallStep
from .selection import Declared, Selection

__all__ = ["METHOD", "declared", "install_args", "installable_project"]


def installable_project(files: AppFiles) -> bool:
    """pip can install the app itself: a setup.py, or a pyproject.toml with [project] or [build-system]."""
    if files.is_file("setup.py"):
        return True
    pyproject = files.toml("pyproject.toml")
    return pyproject is not None and ("project" in pyproject or "build-system" in pyproject)


def _pyproject(app_dir: Path) -> Dict[str, Any]:
    from ._lock import read_project

    return read_project(app_dir, "pyproject.toml")


def declared(pyproject: Mapping[str, Any]) -> Declared:
    """What the project defines: PEP 735 groups and PEP 621 extras; a project without a static [project] table
    (setup.py's extras_require) has extras that cannot be read, passed on to pip unchecked."""
    from .selection import pyproject_declared

    found = pyproject_declared(pyproject)
    return found if "project" in pyproject else replace(found, file="setup.py and pyproject.toml", extras_unknown=True)


def install_args(pyproject: Mapping[str, Any], selection: Selection) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(pip's arguments, the group requirements among them): `-e .` or `-e .[EXTRAS]`, then the requirement strings
    of the selected PEP 735 groups, expanded here (pip reads --group only from 25.1 on)."""
    from .selection import group_requirements

    target = f".[{','.join(selection.extras)}]" if selection.extras else "."
    groups = tuple(group_requirements(pyproject, selection.groups))
    return ("-e", target, *groups), groups


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from .requirements_scan import project_digest

    return DependencyInputs(files="setup.py, setup.cfg and pyproject.toml", digest=project_digest(app_dir, env),
                            declared=declared(_pyproject(app_dir)))


def _install(step: InstallStep) -> None:
    from ._pip import install_app

    args, groups = install_args(_pyproject(step.paths.app_dir) if step.selection.groups else {}, step.selection)
    # The groups' requirements are roots of the environment, as requirements.txt's lines are.
    install_app(replace(step, requirements=(*step.requirements, *groups)), args)


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
    groups_option="the group's requirements from `[dependency-groups]`, as pip's `--group` reads them",
    extras_option="`-e .[EXTRA,...]`",
    summary="`pip install -e .`, the modern form of `python setup.py develop`; `uv pip install -e .` with "
            "`BP_PYTHON_INSTALLER=uv`",
    selected_by="`setup.py`, or a `pyproject.toml` with `[project]` or `[build-system]`, and no other file here",
)
