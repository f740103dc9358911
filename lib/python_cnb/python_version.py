"""Which Python the app asks for, and which build satisfies it. Pure functions only: the files come in as text.

Sources, first match wins: a version variable (GOOGLE_PYTHON_VERSION, BP_CPYTHON_VERSION: google_paketo_compat,
which wins over the files as in Google's and Paketo's buildpacks; a file that asks for another version is reported),
runtime.txt (the reference builder's), .python-version, then the constraints the
project declares (pyproject.toml `requires-python` and Poetry's `python` dependency, then the install methods' own
files, such as uv.lock's `requires-python` and the Pipfile's `[requires]`: `VersionSource`s the caller passes). An
explicit version must satisfy every declared constraint; without one, the newest version in the manifest that
satisfies all of them is used.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from ._vendor.packaging.specifiers import InvalidSpecifier, SpecifierSet
from ._vendor.packaging.version import Version
from .app_files import parse_toml
from .errors import (
    FreeThreadedUnavailable,
    PastEndOfLife,
    PythonConstraintInvalid,
    PythonConstraintUnsatisfiable,
    PythonVersionConflict,
    PythonVersionEol,
    PythonVersionMalformed,
    PythonVersionUnknown,
    TwoVersionFiles,
    VersionFileOverridden,
)

__all__ = [
    "DEFAULT_SOURCE",
    "EOL_DATES",
    "EXPLICIT_FILES",
    "MIN_SUPPORTED",
    "OverriddenFile",
    "PROJECT_FILE",
    "Constraint",
    "RequestedVersion",
    "Resolution",
    "VersionRequest",
    "VersionSource",
    "VersionWarning",
    "parse_python_version_file",
    "parse_runtime_txt",
    "parse_version_variable",
    "pep440_constraint",
    "pep440_specifiers",
    "requested_python",
    "resolve",
    "string_value",
    "supported_range",
    "table",
]

# Upstream end of life per minor version (https://devguide.python.org/versions/). The manifest decides what a
# release of this buildpack installs; a version in it that is past this date still builds, with a warning.
EOL_DATES: Dict[Tuple[int, int], datetime.date] = {
    (3, 11): datetime.date(2027, 10, 31),
    (3, 12): datetime.date(2028, 10, 31),
    (3, 13): datetime.date(2029, 10, 31),
    (3, 14): datetime.date(2030, 10, 31),
    (3, 15): datetime.date(2031, 10, 31),
}

# Older minors are refused even when a custom manifest (BP_PYTHON_MANIFEST) has them.
MIN_SUPPORTED: Tuple[int, int] = (3, 11)

DEFAULT_SOURCE = "the buildpack's default (the newest version it knows)"

# A trailing 't' asks for the free-threaded build (pyenv's spelling: '3.14t', '3.14.2t').
_VERSION = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?(?P<t>t)?$")


# The files that name one version, first match wins; and the project file whose ranges count for every app.
EXPLICIT_FILES = ("runtime.txt", ".python-version")
PROJECT_FILE = "pyproject.toml"


# ---- inputs ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestedVersion:
    """An explicit version: '3.12' or '3.12.7' from runtime.txt or .python-version; '3.14t' for free threading."""

    major: int
    minor: int
    patch: Optional[int]
    source: str  # the file that asked, for messages
    freethreaded: bool = False  # only an explicit version can ask for it: requires-python has no way to

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}"
        return (base if self.patch is None else f"{base}.{self.patch}") + ("t" if self.freethreaded else "")


@dataclass(frozen=True)
class Constraint:
    """A range of versions a project file declares, as written and as PEP 440 specifiers (any of them)."""

    file: str  # "pyproject.toml"
    key: str  # "requires-python", "[tool.poetry.dependencies] python", "[requires] python_version"
    value: str  # as written
    alternatives: Tuple[SpecifierSet, ...]

    def allows(self, version: str) -> bool:
        return any(spec.contains(Version(version)) for spec in self.alternatives)

    def __str__(self) -> str:
        return f"{self.key} '{self.value}' in {self.file}"


class VersionSource(Protocol):
    """A file beside pyproject.toml that can declare the Python versions the app supports (an install method's own:
    uv.lock, the Pipfile; package_managers.base.VersionSource)."""

    @property
    def file(self) -> str: ...

    @property
    def read(self) -> Callable[[str], Sequence[Constraint]]: ...  # the file's text -> its constraints


@dataclass(frozen=True)
class OverriddenFile:
    """A version file that lost to a version variable."""

    file: str
    value: str  # its version as written
    version: Optional[RequestedVersion]  # None when it is not a version (a pyenv environment's name, say)


@dataclass(frozen=True)
class VersionRequest:
    explicit: Optional[RequestedVersion] = None
    constraints: Tuple[Constraint, ...] = ()
    ignored_file: Optional[str] = None  # a second version file that lost to runtime.txt
    looked_in: Tuple[str, ...] = ()  # every file that could have named a version, for the log
    overridden: Tuple[OverriddenFile, ...] = ()  # the version files a version variable won over


# ---- outputs --------------------------------------------------------------------------------------------------
VersionWarning = Union[TwoVersionFiles, VersionFileOverridden, PastEndOfLife]


@dataclass(frozen=True)
class Resolution:
    version: str
    reason: Optional[str]  # "requested 3.12 in runtime.txt", "requires-python '>=3.11' in pyproject.toml"
    warnings: Tuple[VersionWarning, ...] = field(default=())
    looked_in: Tuple[str, ...] = ()
    freethreaded: bool = False  # the free-threaded build of `version`, which `requested_by` asked for
    requested_by: str = ""

    def summary(self) -> str:
        """The log line."""
        if self.reason is None:
            files = ", ".join(self.looked_in[:-1]) + f" or {self.looked_in[-1]}" if len(self.looked_in) > 1 else \
                "".join(self.looked_in)
            return f"No Python version requested in {files}; using {DEFAULT_SOURCE}: Python {self.version}"
        if self.freethreaded:
            return f"Using Python {self.version} (free-threaded), {self.reason}"
        return f"Using Python {self.version} ({self.reason})"


# ---- explicit versions ----------------------------------------------------------------------------------------
def _parse(value: str, source: str, raw: str) -> RequestedVersion:
    match = _VERSION.match(value)
    if not match:
        raise PythonVersionMalformed(source=source, value=raw)
    patch = match.group("patch")
    return RequestedVersion(int(match.group("major")), int(match.group("minor")),
                            int(patch) if patch is not None else None, source, match.group("t") is not None)


def _meaningful_lines(contents: str) -> List[str]:
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


def parse_version_variable(value: str, source: str) -> RequestedVersion:
    """A version variable's value: '3.13', '3.13.5', or Google's and Paketo's '3.13.x' and '3.13.*' (any 3.13);
    '3.14t' as in the files."""
    text = value.strip()
    return _parse(text[:-2] if text.endswith((".x", ".X", ".*")) else text, source, text)


def _overridden(file: str, text: str, parse: Callable[[str], RequestedVersion]) -> OverriddenFile:
    """A version file a variable won over: it is not used, so a text that is no version is only reported."""
    lines = _meaningful_lines(text)
    try:
        return OverriddenFile(file, lines[0] if lines else text.strip(), parse(text))
    except PythonVersionMalformed:
        return OverriddenFile(file, lines[0] if lines else text.strip(), None)


# ---- constraints ----------------------------------------------------------------------------------------------
def table(data: Dict[str, Any], *keys: str) -> Dict[str, Any]:
    """A nested table, or {} when any level is missing or not a table."""
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def string_value(value: object, file: str, key: str) -> str:
    if not isinstance(value, str):
        raise PythonConstraintInvalid(file=file, key=key, value=repr(value), reason="it must be a string")
    return value


def pep440_specifiers(value: str, file: str, key: str, text: Optional[str] = None) -> SpecifierSet:
    """`text` (else `value`, as written) as PEP 440 specifiers; PythonConstraintInvalid naming the file and key."""
    try:
        return SpecifierSet(value if text is None else text)
    except InvalidSpecifier as exc:
        raise PythonConstraintInvalid(file=file, key=key, value=value, reason=str(exc)) from None


def pep440_constraint(file: str, key: str, value: object) -> Constraint:
    """A `requires-python`-style range: a PEP 440 specifier set written as a string."""
    text = string_value(value, file, key)
    return Constraint(file, key, text, (pep440_specifiers(text, file, key),))


def _project_constraints(text: str) -> List[Constraint]:
    """pyproject.toml: PEP 621's `requires-python` (a tool's own key, such as Poetry's `python` dependency, is that
    install method's VersionSource)."""
    requires = table(parse_toml(text, PROJECT_FILE), "project").get("requires-python")
    return [] if requires is None else [pep440_constraint(PROJECT_FILE, "requires-python", requires)]


def requested_python(texts: Mapping[str, Optional[str]], sources: Sequence[VersionSource] = (),
                     variable: Optional[Tuple[str, str]] = None) -> VersionRequest:
    """What the app asks for, from the texts of EXPLICIT_FILES, PROJECT_FILE and each source's file (None: absent),
    and a version variable (name, value), which wins over EXPLICIT_FILES. Raises typed errors for malformed
    versions, constraints and TOML files."""
    explicit: Optional[RequestedVersion] = None
    ignored: Optional[str] = None
    overridden: Tuple[OverriddenFile, ...] = ()
    runtime_txt, python_version = (texts.get(name) for name in EXPLICIT_FILES)
    if variable is not None:
        explicit = parse_version_variable(variable[1], variable[0])
        parsers = (parse_runtime_txt, parse_python_version_file)
        overridden = tuple(_overridden(name, text, parse) for name, text, parse in
                           zip(EXPLICIT_FILES, (runtime_txt, python_version), parsers) if text is not None)
    elif runtime_txt is not None:
        explicit = parse_runtime_txt(runtime_txt)
        if python_version is not None:
            ignored = ".python-version"
    elif python_version is not None:
        explicit = parse_python_version_file(python_version)
    project = texts.get(PROJECT_FILE)
    constraints = _project_constraints(project) if project is not None else []
    for source in sources:
        text = texts.get(source.file)
        if text is not None:
            constraints.extend(source.read(text))
    looked_in = tuple(dict.fromkeys((*EXPLICIT_FILES, PROJECT_FILE, *(source.file for source in sources))))
    return VersionRequest(explicit, tuple(constraints), ignored, looked_in, overridden)


# ---- resolution -----------------------------------------------------------------------------------------------
def _key(version: str) -> Tuple[int, ...]:
    return Version(version).release


def _minor(version: str) -> Tuple[int, int]:
    release = _key(version)
    return release[0], release[1]


def _asks_for(request: RequestedVersion, version: str, freethreaded: bool) -> bool:
    """The request is satisfied by this exact version (and build)."""
    return (_minor(version) == (request.major, request.minor) and request.patch in (None, _key(version)[2])
            and request.freethreaded == freethreaded)


def _past_eol(minor: Tuple[int, int], today: datetime.date) -> bool:
    eol = EOL_DATES.get(minor)
    return minor < MIN_SUPPORTED or (eol is not None and eol < today)


def supported_range(available: Sequence[str], today: Optional[datetime.date] = None) -> str:
    """The minor versions of the manifest users can get ('3.11 to 3.14'); with today, only those not past EOL."""
    minors = sorted({_minor(v) for v in available if _minor(v) >= MIN_SUPPORTED})
    if today is not None:
        minors = [m for m in minors if not _past_eol(m, today)]
    if not minors:
        return "none"
    first, last = (f"{a}.{b}" for a, b in (minors[0], minors[-1]))
    return first if first == last else f"{first} to {last}"


def resolve(request: VersionRequest, available: Sequence[str], today: datetime.date,
            freethreaded: Sequence[str] = ()) -> Resolution:
    """The exact version to install, from the versions the active manifest has for this architecture: `available`
    (the default builds) and `freethreaded` (the free-threaded ones, which only an explicit '3.14t' selects)."""
    explicit = request.explicit
    threaded = explicit is not None and explicit.freethreaded
    usable = sorted((v for v in (freethreaded if threaded else available) if _minor(v) >= MIN_SUPPORTED), key=_key)
    supported = supported_range(usable)
    if explicit is not None and threaded:
        minor = (explicit.major, explicit.minor)
        if not any(_minor(v) == minor for v in usable) and not _past_eol(minor, today):
            raise FreeThreadedUnavailable(source=explicit.source, value=str(explicit),
                                          available=[f"{v}t" for v in usable],
                                          default_build=any(_minor(v) == minor for v in available))
    if not usable and not threaded:
        raise PythonVersionUnknown(source="the interpreter manifest", value="(none)", supported=supported,
                                   known=sorted(available, key=_key))
    constraints = request.constraints
    if explicit is not None:
        minor = (explicit.major, explicit.minor)
        same_minor = [v for v in usable if _minor(v) == minor]
        if not same_minor and _past_eol(minor, today):
            raise PythonVersionEol(source=explicit.source, value=str(explicit), supported=supported)
        candidates = [v for v in same_minor if explicit.patch is None or _key(v)[2] == explicit.patch]
        if not candidates:
            raise PythonVersionUnknown(source=explicit.source, value=str(explicit), supported=supported,
                                       known=[v + ("t" if threaded else "") for v in usable])
        version = candidates[-1]
        for constraint in constraints:
            if not constraint.allows(version):
                raise PythonVersionConflict(
                    source=explicit.source, value=str(explicit), version=version, constraint_file=constraint.file,
                    constraint_key=constraint.key, constraint_value=constraint.value,
                    satisfying=[v for v in usable if all(c.allows(v) for c in constraints)])
        reason: Optional[str] = f"requested {explicit} in {explicit.source}"
        source: Optional[str] = explicit.source
    elif constraints:
        matching = [v for v in usable if all(c.allows(v) for c in constraints)]
        if not matching:
            raise PythonConstraintUnsatisfiable(constraints=[str(c) for c in constraints],
                                                files=sorted({c.file for c in constraints}), available=usable)
        version = matching[-1]
        reason = ", ".join(str(c) for c in constraints)
        source = constraints[0].file
    else:
        version, reason, source = usable[-1], None, None

    warnings: List[VersionWarning] = []
    if explicit is not None and request.ignored_file is not None:
        warnings.append(TwoVersionFiles(explicit.source, str(explicit), request.ignored_file))
    if explicit is not None:
        warnings.extend(VersionFileOverridden(explicit.source, str(explicit), version, lost.file, lost.value)
                        for lost in request.overridden
                        if lost.version is None or not _asks_for(lost.version, version, explicit.freethreaded))
    eol = EOL_DATES.get(_minor(version))
    if eol is not None and eol < today:
        warnings.append(PastEndOfLife(version, eol, source, supported_range(usable, today)))
    return Resolution(version, reason, tuple(warnings), request.looked_in, threaded,
                      explicit.source if threaded and explicit is not None else "")
