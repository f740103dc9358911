"""What is installed in a virtual environment, read from its files in one pass (nothing is run): the site-packages
directory, every distribution (name, version, requirements, how it was installed) and the importable top-level
names. Read after each step that changes the environment; every later question is asked of this value."""

from __future__ import annotations

import email.parser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Mapping, Optional, Tuple

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


_PARSER = email.parser.Parser()


def _distribution(info: Path) -> Optional[Distribution]:
    try:
        stat = info.stat()
    except OSError:
        return None
    stem_name, _, stem_version = info.name[: -len(".dist-info")].partition("-")
    try:
        headers = _PARSER.parsestr((info / "METADATA").read_text(encoding="utf-8", errors="replace"),
                                   headersonly=True)
        shown, version = (headers.get("Name") or "").strip(), (headers.get("Version") or "").strip()
        requires = tuple(headers.get_all("Requires-Dist") or ())
    except (OSError, ValueError):
        shown, version, requires = "", "", ()
    shown = shown or stem_name
    return Distribution(name=canonicalize_name(shown), requires=requires,
                        direct=(info / "direct_url.json").is_file(), version=version or stem_version,
                        shown_name=shown, dist_info=info.name, stamp=(stat.st_ino, stat.st_ctime_ns))


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
