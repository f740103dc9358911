"""Which Python the app asks for, and which build satisfies it. Pure functions only."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

from ._vendor.packaging.version import Version
from .errors import PythonVersionEol, PythonVersionMalformed, PythonVersionUnknown

__all__ = [
    "DEFAULT_SOURCE",
    "RequestedVersion",
    "SUPPORTED_MINORS",
    "parse_python_version_file",
    "parse_runtime_txt",
    "resolve",
    "supported_range",
]

# Upstream end-of-life per minor version (https://devguide.python.org/versions/). A version past its date is
# refused with an error, so a release of this buildpack stops installing it without a code change.
SUPPORTED_MINORS: Dict[Tuple[int, int], datetime.date] = {
    (3, 11): datetime.date(2027, 10, 31),
    (3, 12): datetime.date(2028, 10, 31),
    (3, 13): datetime.date(2029, 10, 31),
    (3, 14): datetime.date(2030, 10, 31),
    (3, 15): datetime.date(2031, 10, 31),
}

DEFAULT_SOURCE = "the buildpack's default (the newest version it knows)"

_VERSION = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?$")


@dataclass(frozen=True)
class RequestedVersion:
    major: int
    minor: int
    patch: Optional[int]
    source: str  # the file that asked, for messages

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}"
        return base if self.patch is None else f"{base}.{self.patch}"


def _parse(value: str, source: str, raw: str) -> RequestedVersion:
    match = _VERSION.match(value)
    if not match:
        raise PythonVersionMalformed(source=source, value=raw)
    patch = match.group("patch")
    return RequestedVersion(int(match.group("major")), int(match.group("minor")),
                            int(patch) if patch is not None else None, source)


def _meaningful_lines(contents: str) -> list[str]:
    lines = []
    for line in contents.lstrip("\ufeff").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def parse_runtime_txt(contents: str, source: str = "runtime.txt") -> RequestedVersion:
    """'python-3.12.7' or 'python-3.12' (a bare '3.12' is accepted too)."""
    lines = _meaningful_lines(contents)
    if len(lines) != 1:
        raise PythonVersionMalformed(source=source, value=contents.strip())
    value = lines[0]
    return _parse(value[len("python-"):] if value.startswith("python-") else value, source, value)


def parse_python_version_file(contents: str, source: str = ".python-version") -> RequestedVersion:
    """pyenv's format: the first non-comment line is the version, e.g. '3.13' or '3.13.5'."""
    lines = _meaningful_lines(contents)
    if not lines:
        raise PythonVersionMalformed(source=source, value=contents.strip())
    return _parse(lines[0], source, lines[0])


def supported_range(today: datetime.date, available: Optional[Sequence[str]] = None) -> str:
    """The minor versions users can get: supported upstream and, when given, present in the manifest."""
    minors = [(a, b) for (a, b), eol in sorted(SUPPORTED_MINORS.items()) if eol >= today]
    if available is not None:
        present = {_key(v)[:2] for v in available}
        minors = [m for m in minors if m in present]
    if not minors:
        return "none"
    first, last = (f"{a}.{b}" for a, b in (minors[0], minors[-1]))
    return first if first == last else f"{first} to {last}"


def _key(version: str) -> Tuple[int, ...]:
    return Version(version).release


def resolve(requested: Optional[RequestedVersion], available: Sequence[str], today: datetime.date) -> str:
    """The exact version to install, from the versions the active manifest has for this architecture."""
    usable = sorted((v for v in available if _usable(v, today)), key=_key)
    if requested is None:
        if not usable:
            raise PythonVersionUnknown(source="the interpreter manifest", value="(none)",
                                       supported=supported_range(today, usable), known=sorted(available, key=_key))
        return usable[-1]
    minor = (requested.major, requested.minor)
    eol = SUPPORTED_MINORS.get(minor)
    if (eol is None and minor < min(SUPPORTED_MINORS)) or (eol is not None and eol < today):
        raise PythonVersionEol(source=requested.source, value=str(requested),
                               supported=supported_range(today, usable))
    candidates = [v for v in usable if _key(v)[:2] == minor
                  and (requested.patch is None or _key(v)[2] == requested.patch)]
    if eol is None or not candidates:
        raise PythonVersionUnknown(source=requested.source, value=str(requested),
                                   supported=supported_range(today, usable), known=usable)
    return candidates[-1]


def _usable(version: str, today: datetime.date) -> bool:
    major, minor = _key(version)[:2]
    eol = SUPPORTED_MINORS.get((major, minor))
    return eol is not None and eol >= today
