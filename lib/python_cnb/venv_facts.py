"""What is installed in a virtual environment, read from its files in one pass (nothing is run): the site-packages
directory, every distribution (name, version, requirements, how it was installed) and the importable top-level
names. Read after each step that changes the environment; every later question is asked of this value. A
distribution whose files have not changed since an earlier read in the same build is not parsed again."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, List, Mapping, Optional, Tuple

from ._vendor.packaging.utils import canonicalize_name
from ._vendor.packaging.version import InvalidVersion, Version
from .venv_layout import site_packages_dirs

__all__ = ["Distribution", "VenvFacts"]


@dataclass(frozen=True)
class Distribution:
    name: str  # canonical
    requires: Tuple[str, ...] = ()  # Requires-Dist lines
    direct: bool = False  # installed from a path or URL (direct_url.json): the requirements named it, not a dependency
    version: str = ""  # as its METADATA says
    shown_name: str = ""  # the name as its METADATA spells it (the SBOM's), else the directory's
    dist_info: str = ""  # the *.dist-info directory's name
    # (inode, change time) of the *.dist-info directory: a distribution reinstalled at the same version counts as new
    stamp: Tuple[int, int] = (0, 0)

    def parsed_version(self) -> Optional[Version]:
        try:
            return Version(self.version)
        except InvalidVersion:
            return None


@dataclass(frozen=True)
class VenvFacts:
    venv_dir: Path
    site_packages: Optional[Path]  # lib/python3.X/site-packages (None before the environment exists)
    distributions: Mapping[str, Distribution] = field(default_factory=dict)  # by canonical name
    top_level: FrozenSet[str] = frozenset()  # names importable from site-packages (packages, modules, extensions)
    marker_env: Mapping[str, str] = field(default_factory=dict)  # python_version, python_full_version (pyvenv.cfg)

    def has(self, name: str) -> bool:
        return canonicalize_name(name) in self.distributions

    def new_since(self, before: VenvFacts) -> FrozenSet[str]:
        """The *.dist-info directories that are not in `before` (or were reinstalled since)."""
        old = {(d.dist_info, d.stamp) for d in before.distributions.values()}
        return frozenset(d.dist_info for d in self.distributions.values() if (d.dist_info, d.stamp) not in old)

    @classmethod
    def read(cls, venv_dir: Path) -> VenvFacts:
        sites = site_packages_dirs(venv_dir)
        if not sites:
            return cls(venv_dir, None, marker_env=_marker_env(venv_dir))
        site = sites[0]
        found: Dict[str, Distribution] = {}
        top: set[str] = set()
        try:
            entries = sorted(os.scandir(site), key=lambda entry: entry.name)
        except OSError:
            entries = []
        for entry in entries:
            if entry.name.endswith(".dist-info"):
                dist = _distribution(Path(entry.path)) if entry.is_dir() else None
                if dist is not None:
                    found.setdefault(dist.name, dist)
            elif entry.is_dir():
                top.add(entry.name)
            elif entry.name.endswith((".py", ".so")):
                top.add(entry.name.split(".", 1)[0])
        return cls(venv_dir, site, found, frozenset(top), _marker_env(venv_dir))


# What each *.dist-info directory was found to hold, by (path, the directory's and its METADATA's inode and times):
# the reads before and after an update in place parse only what the update wrote.
_READ: Dict[Tuple[str, int, int, int, int], Distribution] = {}
_WANTED = ("name", "version", "requires-dist")


def _distribution(info: Path) -> Optional[Distribution]:
    try:
        stat = info.stat()
    except OSError:
        return None
    try:
        meta = os.stat(info / "METADATA")
        key = (str(info), stat.st_ino, stat.st_ctime_ns, meta.st_ino, meta.st_mtime_ns)
    except OSError:
        key = (str(info), stat.st_ino, stat.st_ctime_ns, 0, 0)
    known = _READ.get(key)
    if known is None:
        known = _READ[key] = _parse(info, (stat.st_ino, stat.st_ctime_ns))
    return known


def _parse(info: Path, stamp: Tuple[int, int]) -> Distribution:
    stem_name, _, stem_version = info.name[: -len(".dist-info")].partition("-")
    try:
        fields = metadata_fields((info / "METADATA").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        fields = {}
    shown = (fields.get("name") or [""])[0] or stem_name
    version = (fields.get("version") or [""])[0]
    return Distribution(name=canonicalize_name(shown), requires=tuple(fields.get("requires-dist", ())),
                        direct=(info / "direct_url.json").is_file(), version=version or stem_version,
                        shown_name=shown, dist_info=info.name, stamp=stamp)


def metadata_fields(text: str) -> Dict[str, List[str]]:
    """Name, Version and Requires-Dist of a METADATA file's header (RFC 822 style: it ends at the first empty line, a
    line starting with white space continues the field before), by lower-cased field name, values stripped."""
    fields: Dict[str, List[str]] = {}
    last: Optional[List[str]] = None
    for line in text.split("\n\n", 1)[0].splitlines():
        if not line.strip():
            break
        if line[0] in " \t":
            if last:
                last[-1] = f"{last[-1]} {line.strip()}".strip()
            continue
        name, colon, value = line.partition(":")
        key = name.strip().lower()
        last = fields.setdefault(key, []) if colon and key in _WANTED else None
        if last is not None:
            last.append(value.strip())
    return fields


def _marker_env(venv_dir: Path) -> Dict[str, str]:
    """python_version and python_full_version of the venv's interpreter, from its pyvenv.cfg."""
    try:
        text = (venv_dir / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            full = value.strip()
            return {"python_full_version": full, "python_version": ".".join(full.split(".")[:2])}
    return {}
