"""pip with requirements files: `pip install -r requirements.txt` (its -r/-c includes, `-e .` and local paths), the
reference builder's path. BP_PYTHON_INSTALLER=uv installs the same files with `uv pip install`. Paketo's
BP_PIP_REQUIREMENT names other files (separated by spaces) to install instead. When only the requirements changed,
the restored environment is updated in place; when only requirement lines changed (the same options, includes and
constraints), only those lines are installed."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .base import DependencyInputs, InstallMethod, InstallStep, LocalPath

__all__ = ["METHOD"]


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from . import method_files
    from .requirements_scan import scan_requirements

    files = method_files(METHOD, env)
    scan = scan_requirements(app_dir, env, files)
    return DependencyInputs(files=" and ".join(files), digest=scan.digest, scan=scan,
                            local_paths=tuple(LocalPath(*found) for found in scan.local_paths))


def _install(step: InstallStep) -> None:
    from ._pip import install_app

    install_app(step, tuple(arg for name in step.requirement_files for arg in ("-r", name)))


METHOD = InstallMethod(
    name="pip",
    manager="pip",
    label="pip install -r requirements.txt",
    installing="Installing dependencies from {files} with {installer}",
    default_reason="requirements.txt found",
    files=("requirements.txt",),
    files_variable="BP_PIP_REQUIREMENT",
    misspellings={
        "requirement.txt": "requirements.txt",
        "Requirements.txt": "requirements.txt",
        "REQUIREMENTS.txt": "requirements.txt",
        "requirements.text": "requirements.txt",
        "requirements.txt.txt": "requirements.txt",
        "requirements.in": "requirements.txt",  # a pip-tools input without its compiled requirements.txt
    },
    installer_option=True,
    read_inputs=_inputs,
    updates_in_place=True,
    install=_install,
    summary="`pip install -r requirements.txt` (its `-r`/`-c` includes, `-e .` and local paths): the reference "
            "builder's path; `uv pip install` with `BP_PYTHON_INSTALLER=uv`",
)
