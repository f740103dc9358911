"""The installers of the pip paths (requirements.txt, `-e .`, and what the buildpack adds for the web process):
pip, the default, and uv with BP_PYTHON_INSTALLER=uv.

One module per installer, each exporting an `INSTALLER` built from the pieces in `base`. The modules are pure: they
say which program, which environment and which arguments; assemble.py runs them. The lockfile managers (uv sync,
poetry sync, pipenv) are `managers/`, not installers.
"""

from __future__ import annotations

import importlib
from typing import Mapping

from ..errors import InvalidEnvValue
from .base import Installer, InstallerPaths, RequirementOption

__all__ = ["INSTALLER_NAMES", "Installer", "InstallerPaths", "RequirementOption", "get_installer",
           "requested_installer"]

INSTALLER_NAMES = ("pip", "uv")


def get_installer(name: str) -> Installer:
    """The installer called `name` ('pip' or 'uv')."""
    if name not in INSTALLER_NAMES:
        raise KeyError(name)
    installer: Installer = importlib.import_module(f"{__name__}.{name}").INSTALLER
    return installer


def requested_installer(env: Mapping[str, str]) -> str:
    """BP_PYTHON_INSTALLER's value ('pip' when unset); anything else is an error naming the choices."""
    raw = env.get("BP_PYTHON_INSTALLER", "")
    value = raw.strip().lower()
    if not value:
        return "pip"
    if value not in INSTALLER_NAMES:
        raise InvalidEnvValue(name="BP_PYTHON_INSTALLER", value=raw, expected="one of " + ", ".join(INSTALLER_NAMES))
    return value
