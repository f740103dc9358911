"""Read TOML with tomllib (or the vendored tomli) and write it with the vendored tomli-w."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

from .._vendor import tomli_w

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10 build images
    from .._vendor import tomli as tomllib

__all__ = ["TOMLDecodeError", "dumps", "loads", "read", "write_atomic"]

TOMLDecodeError = tomllib.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def read(path: Path) -> dict[str, Any]:
    """Parse a TOML file. Raises OSError or TOMLDecodeError (also for invalid UTF-8)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TOMLDecodeError(f"invalid UTF-8: {exc}") from None
    return tomllib.loads(text)


def _without_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_without_none(v) for v in value]
    return value


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text for `data` (tables, arrays, strings, numbers, bools), written by the vendored tomli-w, which
    escapes only what TOML requires and writes every other character (emoji included) as UTF-8.
    None values are left out. Raises TypeError for a value TOML cannot hold."""
    return tomli_w.dumps(_without_none(data))


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write a file so that readers see either the old or the whole new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
