"""The app's root, read once at the start of detect and build: which names exist there and what they are, and the
texts of the files the build's decisions read (detect reads none). Also the one decoder of an app's text files.

The decisions (install method, Python version, web process) take it as plain data; the deeper reads are in
snapshot.py.
"""

from __future__ import annotations

import codecs
import enum
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional

from .cnb import toml_io
from .errors import FileReadError, InvalidTomlFile

__all__ = ["AppFiles", "Entry", "decode_text", "parse_toml", "read_app_files"]

MAX_TEXT_BYTES = 8 << 20  # a lockfile of a very large project is a few MB; refuse anything absurd


class Entry(enum.Enum):
    FILE = "file"
    DIRECTORY = "directory"
    DANGLING = "dangling symlink"  # a symlink whose target does not exist (a monorepo link to ../shared/...)
    OTHER = "special file"


@dataclass(frozen=True)
class AppFiles:
    entries: Mapping[str, Entry]  # every name at the app's root
    texts: Mapping[str, str] = field(default_factory=dict)  # the texts asked for, of those that are regular files
    link_targets: Mapping[str, str] = field(default_factory=dict)  # where each dangling symlink points

    def has(self, name: str) -> bool:
        """Something by this name is there, whatever it is (detect's question)."""
        return name in self.entries

    def is_file(self, name: str) -> bool:
        return self.entries.get(name) is Entry.FILE

    def text(self, name: str) -> Optional[str]:
        return self.texts.get(name)

    def toml(self, name: str) -> Optional[Dict[str, Any]]:
        """The parsed TOML file, None when absent; InvalidTomlFile naming the file, line and column if invalid."""
        text = self.texts.get(name)
        return None if text is None else parse_toml(text, name)

_TOML_POSITION = re.compile(r"\s*\(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)\s*$")


def parse_toml(text: str, file: str) -> Dict[str, Any]:
    """The parsed file; InvalidTomlFile with the line and column tomllib/tomli put in their message. Each text is
    parsed once per build (the version's choice, the method's and the reuse key all read pyproject.toml and the lock;
    a large uv.lock takes tens of milliseconds): the result is shared, and callers only read it."""
    try:
        return _parsed(text)
    except toml_io.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise InvalidTomlFile(path=file, line=None, column=None, reason=message) from None
        if position.group("line") is None:  # at the end of the document
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
        else:
            line, column = int(position.group("line")), int(position.group("column"))
        raise InvalidTomlFile(path=file, line=line, column=column, reason=message[:position.start()]) from None


@functools.lru_cache(maxsize=16)
def _parsed(text: str) -> Dict[str, Any]:
    return toml_io.loads(text)


def _entry(path: Path) -> Entry:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return Entry.DANGLING
    except OSError:
        return Entry.OTHER
    if stat.S_ISREG(mode):
        return Entry.FILE
    if stat.S_ISDIR(mode):
        return Entry.DIRECTORY
    return Entry.OTHER


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, shown: str) -> str:
    """The one way the buildpack reads an app's text file: UTF-8, or UTF-8/16/32 with a byte order mark (what
    PowerShell's `pip freeze > requirements.txt` writes, and what pip accepts). `shown` names the file in the
    FileReadError for anything else."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileReadError(path=shown, reason=f"it is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                            "save it as UTF-8") from None


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise FileReadError(path=path.name, reason=exc.strerror or str(exc)) from None
    if len(data) > MAX_TEXT_BYTES:
        raise FileReadError(path=path.name, reason=f"it is larger than {MAX_TEXT_BYTES >> 20} MB")
    return decode_text(data, path.name)


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def read_app_files(app_dir: Path, texts: Iterable[str] = (), patterns: Iterable[str] = ()) -> AppFiles:
    """The root's entries, and the texts of the regular files named in `texts` or whose whole name a regular
    expression in `patterns` matches (the build passes the ones its decisions read; detect passes none: it only asks
    what exists, and must not fail on contents)."""
    try:
        names = sorted(os.listdir(app_dir))
    except OSError as exc:
        raise FileReadError(path=str(app_dir), reason=exc.strerror or str(exc)) from None
    entries = {name: _entry(app_dir / name) for name in names}
    matched = [name for name in names if any(re.fullmatch(pattern, name) for pattern in patterns)]
    read = {name: _read(app_dir / name) for name in dict.fromkeys((*texts, *matched))
            if entries.get(name) is Entry.FILE}
    links = {name: _link_target(app_dir / name) for name, entry in entries.items() if entry is Entry.DANGLING}
    return AppFiles(entries, read, links)
