"""Read TOML with tomllib (or the vendored tomli) and write the small subset the CNB files need."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

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


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("NaN and infinity are not written")
        return repr(value)
    if isinstance(value, str):
        # A JSON string with ensure_ascii is a valid TOML basic string.
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key):
        return key
    return json.dumps(key)


def _is_table_array(value: object) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _emit_table(lines: list[str], prefix: str, table: Mapping[str, Any]) -> None:
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_table_array(value):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in nested:
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, Mapping):
            lines.append("")
            lines.append(f"[{name}]")
            _emit_table(lines, name, value)
        else:
            for item in value:
                lines.append("")
                lines.append(f"[[{name}]]")
                _emit_table(lines, name, item)


def dumps(data: Mapping[str, Any]) -> str:
    """Write tables, arrays of tables, strings, bools, ints, floats and flat arrays. None values are left out."""
    lines: list[str] = []
    _emit_table(lines, "", data)
    return "\n".join(lines).lstrip("\n") + "\n"


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
