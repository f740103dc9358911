"""Whether the pinned dependencies can be installed on a free-threaded interpreter ('3.14t'), checked before the
install so that a dependency without a build for it fails with its name and the fix, not with pip's or uv's
resolver message.

A free-threaded CPython loads only extension modules built for its own ABI: a wheel tagged `cp314t` (the stable
ABI's `abi3` does not apply to it; PEP 803's `abi3t` does, from 3.15), a pure-Python wheel (`none`), or one built
from the sdist. A distribution is a problem when it has wheels for this platform, none of them fits, and it has no
sdist. The distributions come from what pins them:
- lockfiles that list their artifacts (uv.lock, poetry.lock, pdm.lock, pylock.toml): a pure function over the
  lock's text;
- `name==version` lines of requirements.txt and Pipfile.lock's `==` versions: the file list of the index's
  simple-API page for the name (`wheel_fetch.project_files`), one request per pin.
Unpinned requirements and anything the index cannot answer for are not checked (best effort): the install then
tells. Lockfiles are universal, so a distribution with no wheel for this platform at all (a Windows-only one) is
left to the installer's markers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from ._vendor.packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from ._vendor.packaging.requirements import InvalidRequirement, Requirement
from ._vendor.packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from .app_files import parse_toml

__all__ = ["MACHINES", "Pinned", "fits", "lacking_builds", "pinned_in_lock", "pinned_in_pipfile_lock",
           "pinned_in_requirements", "abi_tag", "target_markers"]

# CNB_TARGET_ARCH -> the machine in wheel platform tags (manylinux_2_17_x86_64, linux_aarch64).
MACHINES: Dict[str, str] = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Pinned:
    """One distribution at one version, and its files when what pins it lists them (None: ask the index)."""

    name: str
    version: str
    file: str  # the file that pins it ('uv.lock', 'requirements.txt')
    files: Optional[Tuple[str, ...]] = None  # artifact file names ('numpy-2.3.0-cp314-cp314t-manylinux_...whl')


def abi_tag(version: str) -> str:
    """'cp314t' for Python 3.14.x."""
    major, minor = version.split(".")[:2]
    return f"cp{major}{minor}t"


def _platform_fits(platform: str, machine: str) -> bool:
    return platform == "any" or (platform.startswith(("manylinux", "linux_")) and platform.endswith("_" + machine))


def _for_platform(filename: str, machine: str) -> bool:
    """A wheel for this platform, whatever its ABI."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return False
    return any(_platform_fits(tag.platform, machine) for tag in tags)


def fits(filename: str, version: str, machine: str) -> bool:
    """Whether a wheel installs on the free-threaded Python `version` ('3.14.10') on `machine` ('x86_64')."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return False
    minor = int(version.split(".")[1])
    for tag in tags:
        if not _platform_fits(tag.platform, machine):
            continue
        if tag.abi == "none" or tag.abi == abi_tag(version):
            return True
        if tag.abi == "abi3t" and minor >= 15 and tag.interpreter.startswith("cp3") and \
                tag.interpreter[3:].isdigit() and int(tag.interpreter[3:]) <= minor:
            return True
    return False


def _is_sdist(filename: str) -> bool:
    try:
        parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return False
    return True


def lacking_builds(pins: Iterable[Pinned], version: str, arch: str) -> List[Pinned]:
    """The pins (with their files) that have wheels for this platform but none that fits, and no sdist."""
    machine = MACHINES.get(arch, arch)
    lacking = []
    for pin in pins:
        files = pin.files or ()
        if any(_is_sdist(name) for name in files) or any(fits(name, version, machine) for name in files):
            continue
        if any(_for_platform(name, machine) for name in files):
            lacking.append(pin)
    return lacking


def _filename(entry: object, *keys: str) -> Optional[str]:
    """An artifact's file name from a lock table: its `filename`/`name`/`file`, else the last part of its url."""
    if not isinstance(entry, dict):
        return None
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value:
            return value.rsplit("/", 1)[-1]
    url = entry.get("url")
    return url.rsplit("/", 1)[-1].split("#", 1)[0] if isinstance(url, str) and url else None


def _artifacts(package: Mapping[str, Any], wheels_key: str, sdist_key: Optional[str],
               keys: Tuple[str, ...]) -> Tuple[str, ...]:
    names = [_filename(entry, *keys) for entry in package.get(wheels_key) or () if isinstance(entry, dict)]
    if sdist_key is not None and package.get(sdist_key) is not None:
        names.append(_filename(package[sdist_key], *keys) or "sdist.tar.gz")
    return tuple(name for name in names if name)


def pinned_in_lock(file: str, text: str) -> List[Pinned]:
    """The registry distributions of uv.lock, poetry.lock, pdm.lock or pylock.toml, with their artifacts (typed
    errors for a file that is not TOML)."""
    data = parse_toml(text, file)
    pins: List[Pinned] = []
    if file == "uv.lock":
        main = _uv_main(data)
        for package in data.get("package") or ():
            if isinstance(package, dict) and ("wheels" in package or "sdist" in package) and \
                    (main is None or canonicalize_name(str(package.get("name"))) in main):
                pins.append(Pinned(str(package.get("name")), str(package.get("version")), file,
                                   _artifacts(package, "wheels", "sdist", ("filename",))))
    elif file in ("poetry.lock", "pdm.lock"):
        production = "main" if file == "poetry.lock" else "default"
        for package in data.get("package") or ():
            groups = package.get("groups") if isinstance(package, dict) else None
            if isinstance(groups, list) and production not in groups:
                continue  # a development group's (Poetry 2 and PDM record them; the install leaves them out)
            if isinstance(package, dict) and package.get("files"):
                pins.append(Pinned(str(package.get("name")), str(package.get("version")), file,
                                   _artifacts(package, "files", None, ("file",))))
    else:
        for package in data.get("packages") or ():
            if isinstance(package, dict) and ("wheels" in package or "sdist" in package):
                pins.append(Pinned(str(package.get("name")), str(package.get("version")), file,
                                   _artifacts(package, "wheels", "sdist", ("name",))))
    return pins


def _uv_main(data: Mapping[str, Any]) -> Optional[Set[str]]:
    """The names uv.lock's projects reach through their main dependencies (and the extras asked for on the way), not
    their development groups; None when the lock names no project (then every package counts)."""
    packages = {canonicalize_name(str(p.get("name"))): p for p in data.get("package") or () if isinstance(p, dict)}
    roots = [p for p in packages.values() if isinstance(p.get("source"), dict) and
             any(key in p["source"] for key in ("editable", "virtual"))]
    if not roots:
        return None
    reached: Set[str] = set()
    todo = [dep for root in roots for dep in root.get("dependencies") or ()]
    while todo:
        dep = todo.pop()
        if not isinstance(dep, dict):
            continue
        name = canonicalize_name(str(dep.get("name")))
        package = packages.get(name)
        if package is None:
            continue
        optional = package.get("optional-dependencies") or {}
        todo.extend(d for extra in dep.get("extra") or () for d in optional.get(extra) or ())
        if name not in reached:
            reached.add(name)
            todo.extend(package.get("dependencies") or ())
    return reached


def target_markers(version: str, arch: str) -> Dict[str, str]:
    """The marker environment of the app's interpreter (the buildpack runs on another)."""
    return {"python_version": ".".join(version.split(".")[:2]), "python_full_version": version,
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "os_name": "posix",
            "sys_platform": "linux", "platform_system": "Linux", "platform_machine": MACHINES.get(arch, arch),
            "implementation_version": version, "platform_release": "", "platform_version": "", "extra": ""}


def _exact(requirement: str, markers: Mapping[str, str]) -> Optional[Tuple[str, str]]:
    """(name, version) of a 'name==version' requirement that applies here; None for anything else."""
    try:
        parsed = Requirement(requirement)
        applies = parsed.marker is None or parsed.marker.evaluate(dict(markers))
    except (InvalidRequirement, InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return None
    specifiers = list(parsed.specifier)
    if parsed.url or not applies or len(specifiers) != 1:
        return None
    spec = specifiers[0]
    if spec.operator not in ("==", "===") or "*" in spec.version:
        return None
    return parsed.name, spec.version


def pinned_in_requirements(lines: Sequence[str], file: str, markers: Mapping[str, str]) -> List[Pinned]:
    """The `name==version` requirements among requirements.txt's lines (options after them left off)."""
    pins = []
    for line in lines:
        requirement = line.split(" --", 1)[0].split("\t--", 1)[0].strip()
        found = _exact(requirement, markers)
        if found is not None:
            pins.append(Pinned(found[0], found[1], file))
    return pins


def pinned_in_pipfile_lock(text: str, markers: Mapping[str, str]) -> List[Pinned]:
    """Pipfile.lock's `default` section: the entries with an '==' version (JSON that does not parse: none)."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    pins = []
    for name, entry in (data.get("default") or {}).items() if isinstance(data, dict) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
            continue
        marker = entry.get("markers")
        found = _exact(f"{name}{entry['version']}" + (f"; {marker}" if isinstance(marker, str) else ""), markers)
        if found is not None:
            pins.append(Pinned(found[0], found[1], "Pipfile.lock"))
    return pins


def with_index_files(pins: Iterable[Pinned], lookup: Callable[[str], Optional[Sequence[str]]]) -> List[Pinned]:
    """The pins without files, given the files of their version from `lookup(name)` (the index page's file names;
    None when it could not answer: such a pin is not checked)."""
    result = []
    pages: Dict[str, Optional[Sequence[str]]] = {}
    for pin in pins:
        if pin.files is not None:
            result.append(pin)
            continue
        key = canonicalize_name(pin.name)
        if key not in pages:
            pages[key] = lookup(pin.name)
        names = pages[key]
        if names is not None:
            result.append(Pinned(pin.name, pin.version, pin.file,
                                 tuple(name for name in names if _version_of(name, key) == pin.version)))
    return result


def _version_of(filename: str, name: str) -> Optional[str]:
    try:
        if filename.endswith(".whl"):
            parsed_name, version = parse_wheel_filename(filename)[:2]
        else:
            parsed_name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(version) if parsed_name == name else None


def read_pins(app_dir: Path, lock_file: Optional[str], requirements: Sequence[str], requirements_file: str,
              markers: Mapping[str, str]) -> List[Pinned]:
    """What pins the app's dependencies: its lock (read here), else requirements.txt's lines."""
    if lock_file is not None:
        path = app_dir / lock_file
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []  # the install reads it again and reports it
        if lock_file == "Pipfile.lock":
            return pinned_in_pipfile_lock(text, markers)
        if lock_file in ("uv.lock", "poetry.lock", "pdm.lock") or lock_file.startswith("pylock."):
            return pinned_in_lock(lock_file, text)
        return []
    return pinned_in_requirements(requirements, requirements_file, markers)
