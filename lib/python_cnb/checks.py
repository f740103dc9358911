"""Environment variables that would break the interpreter or the virtual environment: refused up front."""

from __future__ import annotations

from typing import List, Mapping

from .errors import InvalidEnvValue
from .launch_tuning import concurrency_problem

__all__ = ["check_web_concurrency", "forbidden_env_vars"]

# PYTHONHOME points every interpreter at another stdlib; the PIP_* ones send installs outside the venv.
_FORBIDDEN = ("PYTHONHOME", "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT")
_FORBIDDEN_IF_TRUE = ("PIP_USER",)


def forbidden_env_vars(env: Mapping[str, str]) -> List[str]:
    found = [name for name in _FORBIDDEN if env.get(name)]
    found += [name for name in _FORBIDDEN_IF_TRUE if env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}]
    return found


def check_web_concurrency(env: Mapping[str, str]) -> None:
    """A WEB_CONCURRENCY given at build becomes the image's default; refuse one Gunicorn cannot use."""
    value = env.get("WEB_CONCURRENCY", "")
    problem = concurrency_problem(value) if value.strip() else None
    if problem:
        raise InvalidEnvValue(name="WEB_CONCURRENCY", value=value, expected=problem)
