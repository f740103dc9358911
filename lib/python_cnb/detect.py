"""Is this a Python app? Generous, cheap and read-only: the build phase explains anything missing."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PYTHON_SIGNALS", "is_python_project"]

PYTHON_SIGNALS = (
    "requirements.txt",
    "requirements.in",
    "requirement.txt",
    "Requirements.txt",
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "runtime.txt",
    ".python-version",
    "app.py",
    "wsgi.py",
    "manage.py",
    ".s2i",
)


def is_python_project(app_dir: Path) -> bool:
    return any((app_dir / name).exists() for name in PYTHON_SIGNALS)
