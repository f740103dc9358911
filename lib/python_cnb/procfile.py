"""The root Procfile: `name: command` lines, each a process type of the image. Pure: text in, entries out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List

from .errors import ProcfileInvalid

__all__ = ["ProcfileEntry", "parse_procfile"]

# What the CNB launcher accepts as a process type (it becomes /cnb/process/<name>).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ProcfileEntry:
    name: str
    command: str
    line_number: int


def parse_procfile(contents: str) -> List[ProcfileEntry]:
    """One `name: command` per line. Blank lines and lines starting with # are skipped; the command is
    everything after the first colon (so `web: gunicorn a:b` keeps its colon). A line without a name, a colon or
    a command, or a name given twice, is an error naming the line."""
    entries: List[ProcfileEntry] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(contents.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        name, command = name.strip(), command.strip()
        if not sep:
            raise ProcfileInvalid(line_number=number, line=raw, reason="it has no ':' between name and command")
        if not _NAME.match(name):
            raise ProcfileInvalid(line_number=number, line=raw,
                                  reason="the process name must be letters, digits, '.', '_' or '-'")
        if not command:
            raise ProcfileInvalid(line_number=number, line=raw, reason=f"process '{name}' has no command")
        if name in seen:
            raise ProcfileInvalid(line_number=number, line=raw,
                                  reason=f"process '{name}' is already defined on line {seen[name]}")
        seen[name] = number
        entries.append(ProcfileEntry(name=name, command=command, line_number=number))
    return entries
