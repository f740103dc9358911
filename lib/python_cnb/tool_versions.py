"""Pinned tool versions, kept in requirements/*.txt so update bots can bump them."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["gunicorn_requirement", "read_pin", "uvicorn_worker_requirement"]

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[0-9][0-9A-Za-z.+-]*)$")
# A dependency the tool's pin holds back ('hishel[httpx2]==1.4.0'): an exact pin, extras allowed.
_HELD_BACK = re.compile(r"^[A-Za-z0-9_.-]+(?:\[[A-Za-z0-9_.,-]+\])?==[0-9][0-9A-Za-z.+-]*$")


def read_pin(buildpack_dir: Path, name: str) -> str:
    """The pin ('poetry==2.5.1'). A tool's file may hold back some of its dependencies on the lines after its own
    pin, one exact pin each (a release whose newest dependency breaks it); the result is then every requirement to
    install, space-separated, the tool's own first ('pdm==2.29.4 hishel[httpx2]==1.4.0'). Comments ('#') and blank
    lines are ignored."""
    text = (buildpack_dir / "requirements" / f"{name}.txt").read_text(encoding="utf-8")
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    match = _PIN.match(lines[0]) if lines else None
    if not match or match.group("name").lower() != name or not all(_HELD_BACK.match(line) for line in lines[1:]):
        raise ValueError(f"requirements/{name}.txt must hold one '{name}==X.Y.Z' line (then, optionally, exact pins "
                         f"of the dependencies it holds back), not {text.strip()!r}")
    return " ".join(lines)


def gunicorn_requirement(buildpack_dir: Path) -> str:
    return read_pin(buildpack_dir, "gunicorn")


def uvicorn_worker_requirement(buildpack_dir: Path) -> str:
    """Uvicorn's Gunicorn worker class, added for ASGI apps that do not list it."""
    return read_pin(buildpack_dir, "uvicorn-worker")
