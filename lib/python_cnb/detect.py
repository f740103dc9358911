"""Is this a Python app? Generous, cheap and read-only: the build phase explains anything missing or wrong.

Detect passes on every file the package-manager decision reads, misspelled names included, so that a build of an app
with only a misspelled requirements file or half a lockfile pair fails with the fix instead of "not a Python app".
"""

from __future__ import annotations

from .app_files import AppFiles
from .package_manager import MANAGER_FILES, MISSPELLINGS

__all__ = ["PYTHON_SIGNALS", "is_python_project"]

_OTHER_SIGNALS = (
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "runtime.txt",
    ".python-version",
    "app.py",
    "wsgi.py",
    "asgi.py",
    "main.py",
    "manage.py",
    ".s2i",
)

PYTHON_SIGNALS = tuple(dict.fromkeys(
    [name for names in MANAGER_FILES.values() for name in names] + list(_OTHER_SIGNALS) + list(MISSPELLINGS)))


def is_python_project(files: AppFiles) -> bool:
    return any(files.has(name) for name in PYTHON_SIGNALS)
