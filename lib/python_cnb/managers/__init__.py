"""How each lockfile package manager installs an app's dependencies into the buildpack's virtual environment.

One module per tool (uv, Poetry, Pipenv), each exporting a `MANAGER` built from the pieces in `base`. The modules are
pure: they say which tool, which files, which environment and which commands; the venv layer runs them.
"""

from __future__ import annotations

import importlib

from .base import Manager

__all__ = ["Manager", "get_manager"]

_MODULES = ("uv", "poetry", "pipenv")


def get_manager(name: str) -> Manager:
    """The lockfile manager called `name` ('uv', 'poetry', 'pipenv')."""
    if name not in _MODULES:
        raise KeyError(name)
    manager: Manager = importlib.import_module(f"{__name__}.{name}").MANAGER
    return manager
