"""pip, the default installer: the build-only pip layer's pip installs into the app's environment
(`pip --python VENV/bin/python`), so pip never ships in the image. pip reads the user's PIP_* settings itself."""

from __future__ import annotations

from typing import Dict, List, Mapping, Sequence

from ..layers.pip_tool import pip_command
from .base import Installer, InstallerPaths, RequirementOption, ToolCommand

__all__ = ["INSTALLER"]


def _env(env: Mapping[str, str], paths: InstallerPaths) -> Dict[str, str]:
    return dict(env)


def _command(paths: InstallerPaths, args: Sequence[str]) -> ToolCommand:
    return ToolCommand(argv=(*pip_command(paths.pip_python, paths.venv_dir), *args), shown=" ".join(("pip", *args)))


def _install(paths: InstallerPaths, env: Mapping[str, str], args: Sequence[str]) -> ToolCommand:
    return _command(paths, ("install", "--no-compile", *args))


def _uninstall(paths: InstallerPaths, names: Sequence[str]) -> ToolCommand:
    return _command(paths, ("uninstall", "--yes", *names))



def _unsupported(options: Sequence[RequirementOption]) -> List[tuple[RequirementOption, str]]:
    return []  # pip checks its own files, with its own errors


def _ignored(env: Mapping[str, str]) -> List[str]:
    return []


INSTALLER = Installer(name="pip", pin="", env=_env, install=_install, uninstall=_uninstall,
                      unsupported=_unsupported, ignored_settings=_ignored)
