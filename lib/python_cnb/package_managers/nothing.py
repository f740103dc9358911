"""An app with nothing to install: no requirements.txt, lockfile, setup.py or installable pyproject.toml. The
environment gets only what the web process needs (Gunicorn), with the installer BP_PYTHON_INSTALLER names."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Mapping

from .base import DependencyInputs, InstallMethod

__all__ = ["METHOD"]


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    return DependencyInputs(files="none", digest=hashlib.sha256(b"NONE").hexdigest())


METHOD = InstallMethod(
    name="none",
    manager="pip",
    label="nothing to install",
    installing="No requirements.txt, lockfile, setup.py or installable pyproject.toml: no dependencies to install",
    default_reason="no requirements.txt, lockfile, setup.py or installable pyproject.toml",
    applies=lambda files: True,
    installer_option=True,
    read_inputs=_inputs,
    installs_nothing=True,
    summary="nothing is installed (only what the web process needs, such as Gunicorn)",
    selected_by="none of these",
)
