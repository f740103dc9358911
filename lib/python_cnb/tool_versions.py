"""Pinned tool versions, kept in requirements/*.txt so update bots can bump them."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["gunicorn_requirement", "uvicorn_worker_requirement"]

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[0-9][0-9A-Za-z.+-]*)$")


def read_pin(buildpack_dir: Path, name: str) -> str:
    text = (buildpack_dir / "requirements" / f"{name}.txt").read_text(encoding="utf-8").strip()
    match = _PIN.match(text)
    if not match or match.group("name").lower() != name:
        raise ValueError(f"requirements/{name}.txt must hold exactly one '{name}==X.Y.Z' line, not {text!r}")
    return text


def gunicorn_requirement(buildpack_dir: Path) -> str:
    return read_pin(buildpack_dir, "gunicorn")


def uvicorn_worker_requirement(buildpack_dir: Path) -> str:
    """Uvicorn's Gunicorn worker class, added for ASGI apps that do not list it."""
    return read_pin(buildpack_dir, "uvicorn-worker")
