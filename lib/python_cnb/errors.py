"""Every error and warning the buildpack reports to users, as data, and the functions that turn them into text.

Each message has the same anatomy: a short title, what was found, why it is a problem, how to fix it. The classes
carry data, not prose; this module holds all of the prose. `render_error` and `render_warning` are exhaustive over
the unions `UserError` and `BuildWarning`: mypy fails when a class has no branch (`assert_never`).
"""

from __future__ import annotations

import datetime
import re
import traceback
from dataclasses import dataclass
from typing import NoReturn, Optional, Sequence, Tuple, Union

__all__ = ["INTERNAL_ERROR_TITLE", "NO_WEB_PROCESS_BODY", "BuildWarning", "BuildpackError", "UserError",
           "render_error", "render_warning"]

ISSUES_URL = "https://github.com/python-cnb/python-buildpack/issues"


class BuildpackError(Exception):
    """Base class: an error whose cause is the app, its configuration or its environment."""


@dataclass(eq=False)
class FileReadError(BuildpackError):
    path: str
    reason: str


@dataclass(eq=False)
class PythonVersionMalformed(BuildpackError):
    source: str
    value: str


@dataclass(eq=False)
class PythonVersionEol(BuildpackError):
    source: str
    value: str
    supported: str


@dataclass(eq=False)
class PythonVersionUnknown(BuildpackError):
    source: str
    value: str
    supported: str
    known: Sequence[str]


@dataclass(eq=False)
class FreeThreadedUnavailable(BuildpackError):
    """A free-threaded version ('3.14t') the active manifest has no free-threaded build of."""

    source: str  # '.python-version', 'GOOGLE_PYTHON_VERSION'
    value: str  # '3.13t', as requested
    available: Sequence[str]  # the free-threaded builds it has ('3.14.10t'), maybe none
    default_build: bool  # it has the default build of that minor


@dataclass(eq=False)
class FreeThreadedWheelsMissing(BuildpackError):
    """Pinned distributions that have neither a wheel for the free-threaded ABI nor an sdist to build one from."""

    python: str  # '3.14.10'
    abi: str  # 'cp314t'
    platform: str  # 'linux x86_64'
    source: str  # the version file or variable that asked for free threading
    distributions: Sequence[Tuple[str, str, str]]  # (name, version, the file that pins it)


@dataclass(eq=False)
class PythonVersionConflict(BuildpackError):
    """An explicit version (runtime.txt, .python-version) outside a range another file declares."""

    source: str
    value: str
    version: str  # what the explicit request resolved to
    constraint_file: str
    constraint_key: str
    constraint_value: str
    satisfying: Sequence[str]  # the manifest's versions that satisfy every declared constraint


@dataclass(eq=False)
class PythonConstraintUnsatisfiable(BuildpackError):
    constraints: Sequence[str]  # "requires-python '>=3.15' in pyproject.toml"
    files: Sequence[str]
    available: Sequence[str]


@dataclass(eq=False)
class PythonConstraintInvalid(BuildpackError):
    file: str
    key: str
    value: str
    reason: str


@dataclass(eq=False)
class VersionFileUnusable(BuildpackError):
    """A file the Python version is read from exists but is not a readable file (dangling link, directory)."""

    path: str
    problem: str  # "a directory", "a symbolic link to '../x', which does not exist"


@dataclass(eq=False)
class InvalidTomlFile(BuildpackError):
    path: str
    line: Optional[int]
    column: Optional[int]
    reason: str


@dataclass(eq=False)
class ManifestError(BuildpackError):
    source: str
    reason: str


@dataclass(eq=False)
class NoInterpreterForArch(BuildpackError):
    arch: str
    version: str
    source: str


@dataclass(eq=False)
class DownloadFailed(BuildpackError):
    url: str
    reason: str


@dataclass(eq=False)
class ChecksumMismatch(BuildpackError):
    url: str
    expected: str
    actual: str


@dataclass(eq=False)
class ArchiveInvalid(BuildpackError):
    url: str
    reason: str


@dataclass(eq=False)
class CommandFailed(BuildpackError):
    command: str
    exit_code: int


@dataclass(eq=False)
class InstallFailed(BuildpackError):
    """pip (or uv pip) failed to install the app's requirements or what the web process needs."""

    command: str
    exit_code: int


@dataclass(eq=False)
class LockInstallFailed(BuildpackError):
    """A lockfile tool failed for a reason it does not explain better."""

    command: str
    exit_code: int
    lock_file: str


@dataclass(eq=False)
class LockAtBuildFailed(BuildpackError):
    """The tool could not lock a project that came without its lock (`poetry lock`, `pipenv lock` at build)."""

    command: str
    exit_code: int
    lock_file: str
    project_file: str
    fix: str  # what the user runs ('poetry lock')


@dataclass(eq=False)
class PoetryPackageMissing(BuildpackError):
    """Poetry installs the project itself (package mode), but the package its `packages` setting names is not in the
    app (a project without that setting and without a package is installed with --no-root instead)."""

    command: str
    exit_code: int


@dataclass(eq=False)
class ToolInstallFailed(BuildpackError):
    """The buildpack's pinned tool (uv, Poetry, Pipenv, PDM) could not be installed from the package index."""

    command: str
    exit_code: int


@dataclass(eq=False)
class CommandNotFound(BuildpackError):
    command: str
    reason: str


@dataclass(eq=False)
class CollectstaticFailed(BuildpackError):
    command: str
    exit_code: int
    static_root_unset: bool = False  # Django said STATIC_ROOT is not set
    settings_file: str = ""  # the settings module's file, relative to the app ("" when not known)


@dataclass(eq=False)
class HookFailed(BuildpackError):
    hook: str
    exit_code: int


@dataclass(eq=False)
class S2iEnvironmentInvalid(BuildpackError):
    line_number: int
    line: str


@dataclass(eq=False)
class S2iEnvironmentValueInvalid(BuildpackError):
    line_number: int
    name: str
    size: int = 0  # the variable's size with its name, when it is too long; 0 when it holds a NUL byte
    limit: int = 0  # the kernel's limit for one variable (MAX_ARG_STRLEN)


@dataclass(eq=False)
class InvalidUrl(BuildpackError):
    variable: str
    url: str
    reason: str


@dataclass(eq=False)
class ForbiddenEnvVars(BuildpackError):
    names: Sequence[str]


@dataclass(eq=False)
class GunicornConfigMissing(BuildpackError):
    path: str
    variable: str = "GUNICORN_CONFIG"  # or APP_CONFIG, the S2I image's name, when that gave the value


@dataclass(eq=False)
class AppHomeInvalid(BuildpackError):
    value: str
    problem: str


@dataclass(eq=False)
class StartFileMissing(BuildpackError):
    variable: str  # APP_SCRIPT or APP_FILE
    path: str


@dataclass(eq=False)
class InvalidEnvValue(BuildpackError):
    name: str
    value: str
    expected: str


@dataclass(eq=False)
class ProcfileInvalid(BuildpackError):
    line_number: int
    line: str
    reason: str


@dataclass(eq=False)
class EntryCallableMissing(BuildpackError):
    path: str
    names: Sequence[str]


@dataclass(eq=False)
class GunicornModuleMissing(BuildpackError):
    value: str
    module: str
    variable: str = "GUNICORN_APP_MODULE"  # or APP_MODULE, the S2I image's name, when that gave the value


@dataclass(eq=False)
class WebFrameworkMissing(BuildpackError):
    path: str  # the web process's file ('app.py')
    command: str  # what the web process runs ('gunicorn app:app')
    names: Tuple[str, ...]  # the frameworks the file imports that the install did not put into the environment
    files: Tuple[str, ...] = ()  # the dependency files the install read (none: the app has none)
    conda: bool = False  # an environment.yml (conda's file) is at the root


@dataclass(eq=False)
class NotAFile(BuildpackError):
    path: str
    kind: str  # 'directory', 'dangling symlink', 'special file'


@dataclass(eq=False)
class MisspelledFile(BuildpackError):
    found: str
    expected: str


@dataclass(eq=False)
class PackageManagerConflict(BuildpackError):
    managers: Sequence[str]
    files: Sequence[str]


@dataclass(eq=False)
class LockfileMissing(BuildpackError):
    manager: str
    lock_file: str
    found: str  # the project file that is there without its lock ('' if none)
    fix: str
    requested_by: str = ""  # the variable that asked for this manager, when not BP_PYTHON_PACKAGE_MANAGER


@dataclass(eq=False)
class ProjectFileMissing(BuildpackError):
    """A manager that can lock at build was asked for, but the app has neither its lock nor its project file."""

    manager: str
    project_file: str  # 'Pipfile'
    lock_file: str
    fix: str  # the command that writes the lock
    requested_by: str = ""  # the variable that asked for this manager, when not BP_PYTHON_PACKAGE_MANAGER
    imports: str = ""  # the file that would have done instead (requirements.txt for an S2I switch)


@dataclass(eq=False)
class UnknownDependencyGroup(BuildpackError):
    """BP_PYTHON_DEPENDENCY_GROUPS or BP_PYTHON_EXTRAS names something the project does not define."""

    variable: str
    name: str
    file: str  # where the project defines them ('pyproject.toml', 'Pipfile')
    word: str  # 'dependency groups', 'categories', 'extras'
    defined: Tuple[str, ...]


@dataclass(eq=False)
class DependencyGroupsUnsupported(BuildpackError):
    """BP_PYTHON_DEPENDENCY_GROUPS or BP_PYTHON_EXTRAS is set for an install method that has no such thing."""

    variable: str
    method: str  # the install method's label
    file: str  # its file that has none ('requirements.txt', 'Pipfile'; '' for an app with nothing to install)


@dataclass(eq=False)
class DependencyGroupInvalid(BuildpackError):
    """A selected PEP 735 group that cannot be expanded."""

    file: str
    group: str
    problem: str


@dataclass(eq=False)
class LocalPathOutsideSource(BuildpackError):
    """A path dependency or an included file that a relative path puts outside the app's source."""

    file: str  # where it is named
    spec: str  # as written
    path: str  # resolved


@dataclass(eq=False)
class BindingInvalid(BuildpackError):
    """A service binding of type pip or netrc whose file is missing or cannot be read."""

    name: str
    type: str
    file: str
    problem: str


@dataclass(eq=False)
class LockWithoutProject(BuildpackError):
    lock_file: str
    project_file: str


@dataclass(eq=False)
class LockfileOutOfDate(BuildpackError):
    lock_file: str
    project_file: str
    command: str
    fix: str
    index_variable: str = ""  # the setting the tool checked the lock's index URLs against (uv: PIP_INDEX_URL)


@dataclass(eq=False)
class LockFilesAmbiguous(BuildpackError):
    """Several files a method accepts (pylock.<name>.toml), none of them the default, and no variable naming one."""

    files: Sequence[str]  # ('pylock.dev.toml', 'pylock.prod.toml')
    variable: str  # 'BP_PYTHON_PYLOCK'
    default: str  # 'pylock.toml'


@dataclass(eq=False)
class ChosenFileInvalid(BuildpackError):
    """The variable that names the file a method installs (BP_PYTHON_PYLOCK) names none it can use."""

    variable: str
    value: str
    problem: str  # 'there is no such file at the app's root'
    accepted: Sequence[str]  # the files of the app it could name


@dataclass(eq=False)
class PylockVersionUnsupported(BuildpackError):
    lock_file: str
    version: str  # as written ('2.0'); '' when the key is missing or not a string


@dataclass(eq=False)
class PylockArtifactUnhashed(BuildpackError):
    """A wheel, sdist or archive in a pylock file without a hash (PEP 751 requires one; uv would not check it)."""

    lock_file: str
    package: str
    artifact: str  # its file name or URL


@dataclass(eq=False)
class PylockNoArtifact(BuildpackError):
    """The lock has no wheel or sdist of a package that this interpreter and platform can install."""

    lock_file: str
    package: str
    platform: str  # what uv said the build runs on ('Linux (`manylinux_2_36_x86_64`)'), '' when it did not say
    available: str  # the platforms the lock has wheels for, as uv said ('`win_amd64`'), '' when it did not say
    command: str


@dataclass(eq=False)
class PylockHashMismatch(BuildpackError):
    lock_file: str
    package: str  # 'werkzeug==3.1.9'
    command: str


@dataclass(eq=False)
class EnvironmentCheckFailed(BuildpackError):
    problems: Sequence[str]  # pip check's lines ('flask 3.0.0 requires click, which is not installed.')


@dataclass(eq=False)
class RequirementOptionsUnsupported(BuildpackError):
    installer: str  # 'uv'
    options: Sequence[Tuple[str, int, str]]  # (file, line, option)


@dataclass(eq=False)
class RequirementsFileInvalid(BuildpackError):
    """A requirements file the build env names (BP_PIP_REQUIREMENT) that the app does not have."""

    variable: str
    path: str
    problem: str  # 'there is no such file in the app'


@dataclass(eq=False)
class VendorDirectoryInvalid(BuildpackError):
    """The directory of vendored wheels (GOOGLE_VENDOR_PIP_DEPENDENCIES, BP_PIP_DEST_PATH) is not one."""

    variable: str
    path: str
    problem: str


# ---- warnings: what the build reports and goes on with ------------------------------------------------------
@dataclass(frozen=True)
class TwoVersionFiles:
    used_source: str  # 'runtime.txt'
    used_version: str  # '3.12'
    ignored_file: str


@dataclass(frozen=True)
class VersionFileOverridden:
    variable: str  # 'GOOGLE_PYTHON_VERSION'
    requested: str  # its value, '3.12'
    version: str  # what it resolved to, '3.12.1'
    file: str  # the version file that asks for another version
    file_value: str  # as written there


@dataclass(frozen=True)
class PastEndOfLife:
    version: str
    eol: datetime.date
    source: Optional[str]  # the file the version came from; None for the buildpack's default
    supported: str  # the minors of the manifest that are not past their end of life


@dataclass(frozen=True)
class InstallerIgnoresSettings:
    installer: str  # 'uv'
    names: Sequence[str]  # the PIP_* variables it does not read


@dataclass(frozen=True)
class BuildConfigNotAdapted:
    problems: Sequence[str]  # 'lib/python3.12/_sysconfigdata_x.py: <why>'


@dataclass(frozen=True)
class NoWebProcess:
    scripts: Sequence[str] = ()  # the project's scripts ([project.scripts]), of which none was chosen


@dataclass(frozen=True)
class LockedAtBuild:
    """A lockfile method's project without its lock: the build locked it."""

    lock_file: str  # 'poetry.lock'
    project_file: str  # 'pyproject.toml'
    fix: str  # 'poetry lock'
    reuse_files: Sequence[str]  # the files the reused environment's key covers: ('pyproject.toml', 'poetry.toml')


BuildWarning = Union[TwoVersionFiles, VersionFileOverridden, PastEndOfLife, InstallerIgnoresSettings,
                     BuildConfigNotAdapted, NoWebProcess, LockedAtBuild]


def _quote(value: str) -> str:
    """Show a user value safely: control and non-ASCII characters escaped, long values cut."""
    shown = value.encode("unicode_escape").decode("ascii")
    if len(shown) > 200:
        shown = shown[:200] + "..."
    return f"'{shown}'"


_SUPPORTED_SOURCES = (
    "The version can be set in runtime.txt (for example 'python-3.13') or .python-version (for example '3.13'),\n"
    "or as a range: requires-python in pyproject.toml (for example '>=3.12')."
)


def _file_read(e: FileReadError) -> Tuple[str, str]:
    return ("Unable to read a file", f"The file {e.path} could not be read: {e.reason}.\n"
            "Check that it is a readable regular file (not a broken symlink or a directory) and try again.")


def _is_variable(source: str) -> bool:
    """A version source that is a variable (GOOGLE_PYTHON_VERSION), not a file (runtime.txt)."""
    return re.fullmatch(r"[A-Z][A-Z0-9_]*", source) is not None


def _malformed(e: PythonVersionMalformed) -> Tuple[str, str]:
    if _is_variable(e.source):
        fix = (f"Set {e.source} to a version like '3.13', '3.13.5' or '3.13.x' (any 3.13), or unset it;\n"
               "a range (for example '>=3.12') goes in requires-python in pyproject.toml.")
    else:
        fix = ("Write a version like 'python-3.13' or 'python-3.13.5' in runtime.txt, or '3.13' in .python-version.\n"
               f"{_SUPPORTED_SOURCES}")
    return ("Invalid Python version", f"The Python version in {e.source} is not valid: {_quote(e.value)}.\n\n{fix}")


def _eol(e: PythonVersionEol) -> Tuple[str, str]:
    return ("Python version is no longer supported",
            f"{e.source} asks for Python {e.value}, which has reached its upstream end of life and no longer\n"
            "gets security fixes, so this buildpack does not install it.\n\n"
            f"Supported versions: {e.supported}.\n"
            f"Update {e.source} to a supported version (for example the newest, which this buildpack uses\n"
            "when no version is requested) and check that your app works on it.")


def _unknown(e: PythonVersionUnknown) -> Tuple[str, str]:
    return ("Requested Python version is not available",
            f"{e.source} asks for Python {_quote(e.value)}, which this buildpack does not know.\n\n"
            f"Supported versions: {e.supported}. Known releases: {', '.join(e.known)}.\n"
            f"Request one of those in {e.source}, or ask only for the minor version (for example '3.13')\n"
            "to get the newest patch release this buildpack knows.")


def _freethreaded_unavailable(e: FreeThreadedUnavailable) -> Tuple[str, str]:
    minor = e.value.rstrip("t")
    minor = ".".join(minor.split(".")[:2])
    have = ", ".join(e.available) if e.available else "none"
    steps = []
    if e.available:
        newest = ".".join(e.available[-1].split(".")[:2]) + "t"
        steps.append(f"Request a free-threaded version it has, for example {_quote(newest)}.")
    if e.default_build:
        steps.append(f"Request {_quote(minor)} (without the 't') for the default build, which it has.")
    steps.append("Or set BP_PYTHON_MANIFEST to a manifest of your own whose entry for it has freethreaded = true\n"
                 "   (see docs/python-version.md).")
    listed = "\n".join(f"{n}. {step}" for n, step in enumerate(steps, start=1))
    return ("Free-threaded Python build not available",
            f"{e.source} asks for Python {_quote(e.value)}, the free-threaded build of Python {minor}, but the\n"
            f"interpreter manifest has no free-threaded build of it. Free-threaded builds it has: {have}.\n\n"
            f"{listed}")


def _freethreaded_wheels(e: FreeThreadedWheelsMissing) -> Tuple[str, str]:
    names = "\n".join(f"  - {name} {version} (pinned in {file})" for name, version, file in e.distributions)
    minor = ".".join(e.python.split(".")[:2])
    default = ("write '" + ("python-" if e.source == "runtime.txt" else "") + minor + f"' in {e.source}"
               if not _is_variable(e.source) else f"set {e.source} to '{minor}'")
    return ("Dependencies without free-threaded wheels",
            f"The free-threaded Python {e.python} ({e.source}) installs only wheels built for its ABI ({e.abi}) or\n"
            f"distributions it can build from source. These have no {e.abi} wheel for {e.platform} and no sdist,\n"
            f"so installing them would fail:\n{names}\n\n"
            f"1. Use the default build of Python {minor}: {default} (without the 't').\n"
            f"2. Or pin releases of them that publish free-threaded wheels ({e.abi} in the wheel's name on the\n"
            "   package index), and update the lock or requirements file.")


def _conflict(e: PythonVersionConflict) -> Tuple[str, str]:
    shown = e.value if e.value == e.version else f"{e.value} (Python {e.version})"
    delete = "unset" if _is_variable(e.source) else "delete"
    if e.satisfying:
        example = ".".join(e.satisfying[-1].split(".")[:2])
        first = (f"1. Change {e.source} to a version that satisfies {_quote(e.constraint_value)}, for example "
                 f"{_quote(('python-' if e.source == 'runtime.txt' else '') + example)}\n"
                 f"   (this buildpack has {', '.join(e.satisfying)}), or {delete} {e.source} to get the newest one.")
    else:
        first = f"1. Change {e.source} to a version that satisfies {_quote(e.constraint_value)}."
    title = (f"{e.source} and {e.constraint_file} disagree" if _is_variable(e.source) else
             "Python version files disagree")
    return (title,
            f"{e.source} asks for Python {shown}, but {e.constraint_file} declares {e.constraint_key} "
            f"{_quote(e.constraint_value)},\nwhich that version does not satisfy.\n\n"
            f"{first}\n2. Or, if your app works on Python {e.value}, change {e.constraint_key} in "
            f"{e.constraint_file} to include it.")


def _unsatisfiable(e: PythonConstraintUnsatisfiable) -> Tuple[str, str]:
    available = ", ".join(e.available)
    if len(e.constraints) == 1:
        found = f"{e.constraints[0]} matches none of the Python versions this buildpack has: {available}."
        fix = f"Change it in {e.files[0]} to include one of them."
    else:
        found = ("No Python version this buildpack has satisfies all of:\n"
                 + "".join(f" - {c}\n" for c in e.constraints) + f"Available: {available}.")
        fix = f"Change them in {' and '.join(e.files)} so that together they include one of those versions."
    return ("No Python version matches the requirement", f"{found}\n\n{fix}")


def _constraint_invalid(e: PythonConstraintInvalid) -> Tuple[str, str]:
    return ("Invalid Python version requirement",
            f"{e.key} in {e.file} is not a valid version requirement: {_quote(e.value)} ({e.reason}).\n\n"
            "Write a range like '>=3.12' or '>=3.11,<3.14' (PEP 440; Poetry's ^3.12 and ~3.12 work in\n"
            "[tool.poetry.dependencies]; Pipfile's [requires] takes '3.13' or '3.13.5').")


def _version_file_unusable(e: VersionFileUnusable) -> Tuple[str, str]:
    return ("Unable to read a Python version file",
            f"{e.path} is {e.problem}, so the Python version it sets cannot be read.\n"
            "Building without it could install a different Python than the one you chose.\n\n"
            f"Replace {e.path} with a regular file in the app (a link must point to a file inside the app;\n"
            "files outside it are not part of the build), or delete it.")


def _invalid_toml(e: InvalidTomlFile) -> Tuple[str, str]:
    where = f" at line {e.line}, column {e.column}" if e.line is not None else ""
    return (f"Invalid {e.path}",
            f"{e.path} is not valid TOML{where}: {e.reason}.\n\n"
            f"Fix the file (a TOML checker or your editor shows the exact spot) and build again.")


def _manifest(e: ManifestError) -> Tuple[str, str]:
    return ("Invalid Python interpreter manifest",
            f"The interpreter manifest from {e.source} cannot be used: {e.reason}.\n\n"
            "A manifest is a TOML file of [[python]] tables, each with version, arch (amd64 or arm64),\n"
            "url and sha256, and optionally freethreaded = true for a free-threaded build. Fix the file, or unset\n"
            "BP_PYTHON_MANIFEST to use the built-in one.")


def _no_arch(e: NoInterpreterForArch) -> Tuple[str, str]:
    return ("No Python build for this architecture",
            f"Python {e.version} was requested, but the manifest from {e.source} has no build for '{e.arch}'.\n"
            "Add a build for this architecture to your manifest (BP_PYTHON_MANIFEST) or pick another version.")


def _download(e: DownloadFailed) -> Tuple[str, str]:
    return ("Unable to download Python", f"Downloading {e.url} failed: {e.reason}.\n\n"
            "Check the network from the build and that the URL serves the file (a 404 or other 4xx answer is\n"
            "not retried; credentials go in the URL as https://user:token@host/...). Or point\n"
            "BP_PYTHON_MIRROR_URL at a mirror that serves the same files, or BP_PYTHON_MANIFEST at your own builds.")


def _checksum(e: ChecksumMismatch) -> Tuple[str, str]:
    return ("Python download failed its checksum", f"The file from {e.url} has sha256 {e.actual},\n"
            f"but the manifest pins {e.expected}. The file was not unpacked.\n\n"
            "A mirror or proxy served a different file. Check BP_PYTHON_MIRROR_URL / BP_PYTHON_MANIFEST.")


def _archive(e: ArchiveInvalid) -> Tuple[str, str]:
    return ("Python archive is not usable", f"The archive from {e.url} could not be unpacked: {e.reason}.\n"
            "It must be a python-build-standalone 'install_only' .tar.gz with a top-level python/ directory.")


def _failed(command: str, exit_code: int, hint: str = "") -> Tuple[str, str]:
    body = f"The command '{command}' failed with exit status {exit_code}.\nSee the log output above for details."
    return ("Command failed", body + (f"\n\n{hint}" if hint else ""))


def _command(e: CommandFailed) -> Tuple[str, str]:
    return _failed(e.command, e.exit_code)


def _install_failed(e: InstallFailed) -> Tuple[str, str]:
    return _failed(e.command, e.exit_code,
                   "Check that every requirement exists on the package index (PIP_INDEX_URL if you set one), that\n"
                   "version pins are compatible with each other and with the Python version, and that packages\n"
                   "which compile code have the system libraries they need. The same command should work locally.")


def _lock_install_failed(e: LockInstallFailed) -> Tuple[str, str]:
    return _failed(e.command, e.exit_code,
                   f"Check that every package in {e.lock_file} exists on the package index the lockfile names (or "
                   "the one\nyou configured), that the lockfile supports this Python version, and that packages "
                   "which compile\ncode have the system libraries they need. The same command should work locally.")


def _lock_at_build_failed(e: LockAtBuildFailed) -> Tuple[str, str]:
    return _failed(e.command, e.exit_code,
                   f"The app has {e.project_file} but no {e.lock_file}, so the buildpack tried to lock it. Check that "
                   f"the\ndependencies in {e.project_file} exist on the package index it names (or the one you "
                   "configured) and\nfit together and with this Python version. Run "
                   f"'{e.fix}' in the app: it fails the same way, and once it\nworks, commit "
                   f"{e.lock_file} so the build installs exactly what it pins.")


def _poetry_package_missing(e: PoetryPackageMissing) -> Tuple[str, str]:
    return _failed(e.command, e.exit_code,
                   "Poetry installs the project itself (package mode, Poetry's default), but the package directory\n"
                   "it names is not in the app. If the app is not a package, set 'package-mode = false' under\n"
                   "[tool.poetry] in pyproject.toml and run 'poetry lock'; otherwise add the package directory (or\n"
                   "its 'packages' setting) to the app.")


def _tool_install_failed(e: ToolInstallFailed) -> Tuple[str, str]:
    return _failed(e.command, e.exit_code,
                   "The buildpack installs its pinned tool from the package index (PIP_INDEX_URL if you set one).\n"
                   "Check that the index serves it.")


def _not_found(e: CommandNotFound) -> Tuple[str, str]:
    return ("Unable to run a command", f"The command '{e.command}' could not be started: {e.reason}.")


def _collectstatic(e: CollectstaticFailed) -> Tuple[str, str]:
    if e.static_root_unset:
        where = e.settings_file or "your Django settings"
        return ("Unable to generate Django static files",
                f"The '{e.command}' Django management command failed: STATIC_ROOT\n"
                f"is not set, so collectstatic has no directory to copy the static files to (see the\n"
                f"output above; a new `django-admin startproject` does not set it).\n\n"
                f"Add it to {where}, for example:\n"
                "    STATIC_ROOT = BASE_DIR / \"staticfiles\"\n"
                "and serve them with WhiteNoise (docs/web-process.md#django), or set DISABLE_COLLECTSTATIC=TRUE\n"
                "if the app needs no static files.")
    return ("Unable to generate Django static files",
            f"The 'python manage.py collectstatic --noinput' Django management command\n"
            f"failed with exit status {e.exit_code} (see the output above).\n\n"
            "Check the STATIC_ROOT and STATICFILES settings in your Django settings, and that\n"
            "collectstatic works locally. If your app does not need static files at build time,\n"
            "set DISABLE_COLLECTSTATIC=TRUE to skip this step.")


def _hook(e: HookFailed) -> Tuple[str, str]:
    return ("Build hook failed", f"Your {e.hook} exited with status {e.exit_code} (see the output above).\n"
            "Fix the script, or remove it to use the default build stage.")


def _s2i_env(e: S2iEnvironmentInvalid) -> Tuple[str, str]:
    return ("Invalid line in .s2i/environment", f"Line {e.line_number} of .s2i/environment is not KEY=VALUE: "
            f"{_quote(e.line)}.\n\nWrite one variable per line as KEY=VALUE (KEY made of letters, digits and _);\n"
            "lines starting with # are comments.")


def _s2i_value(e: S2iEnvironmentValueInvalid) -> Tuple[str, str]:
    if e.size:
        reason = (f"is {e.size} bytes long with its name, more than the {e.limit} bytes Linux allows for one "
                  "environment\nvariable (MAX_ARG_STRLEN)")
        fix = (f"No program could be started with it. Put the data in a file in the app and set {e.name} to its "
               "path,\nor shorten the value.")
    else:
        reason = "contains a NUL byte (\\0)"
        fix = ("Environment values cannot hold NUL bytes. Remove it (check the file's encoding: a UTF-16 file has "
               "one\nafter every ASCII character; save it as UTF-8).")
    return ("Invalid value in .s2i/environment",
            f"The value of {e.name} on line {e.line_number} of .s2i/environment {reason}.\n\n{fix}")


def _invalid_url(e: InvalidUrl) -> Tuple[str, str]:
    return ("Invalid URL", f"{e.variable} is set to {_quote(e.url)}, which is not a valid URL: {e.reason}.\n\n"
            "Write a full URL such as 'https://host.example:8443/path' (percent-encode spaces and other special\n"
            f"characters, put credentials as https://user:token@host/...), or unset {e.variable}.")


def _forbidden(e: ForbiddenEnvVars) -> Tuple[str, str]:
    names = ", ".join(e.names)
    return ("Unsafe environment variables found", f"These variables are set for the build: {names}.\n"
            "They change where Python and pip look for code and would break the interpreter or the\n"
            "virtual environment this buildpack installs. Unset them (pack --env, .s2i/environment or\n"
            "the platform's env) and build again.")


def _gunicorn_config(e: GunicornConfigMissing) -> Tuple[str, str]:
    return ("Gunicorn config file not found", f"{e.variable} is set to {_quote(e.path)}, but there is no such file\n"
            f"in the app. Set {e.variable} to a path relative to the app root (for example\n"
            "'config/gunicorn.conf.py'), or unset it to use the buildpack's default config.")


def _app_home(e: AppHomeInvalid) -> Tuple[str, str]:
    return ("Invalid APP_HOME", f"APP_HOME is set to {_quote(e.value)}, but {e.problem}.\n"
            "Set APP_HOME to the directory that holds the app (its requirements.txt, wsgi.py or manage.py),\n"
            "relative to the root of the source (for example 'src/site'), or unset it to build the root.")


def _start_file(e: StartFileMissing) -> Tuple[str, str]:
    what = "shell script" if e.variable == "APP_SCRIPT" else "Python file"
    return (f"{e.variable} file not found",
            f"{e.variable} is set to {_quote(e.path)}, but there is no such file in the app.\n"
            f"Set {e.variable} to the path of the {what} that starts the app, relative to the app root\n"
            f"(for example {'scripts/start.sh' if e.variable == 'APP_SCRIPT' else 'src/server.py'}), or unset it.")


def _env_value(e: InvalidEnvValue) -> Tuple[str, str]:
    return ("Invalid environment variable", f"{e.name} is set to {_quote(e.value)}, but it must be {e.expected}.\n"
            f"Fix or unset {e.name}.")


def _procfile(e: ProcfileInvalid) -> Tuple[str, str]:
    return ("Invalid line in Procfile", f"Line {e.line_number} of Procfile is not usable: {_quote(e.line)}:\n"
            f"{e.reason}.\n\nWrite one process per line as 'name: command' (for example 'web: gunicorn app:app'\n"
            "or 'worker: python worker.py'); lines starting with # are comments.")


def _entry_callable(e: EntryCallableMissing) -> Tuple[str, str]:
    names = " or ".join(repr(n) for n in e.names)
    return ("No application callable found", f"{e.path} defines neither {names} at the top level.\n\n"
            f"Gunicorn serves the callable named {names} of {e.path}. Name your WSGI or ASGI application\n"
            "'application' (or 'app'), or set GUNICORN_APP_MODULE to 'module:callable' (for example\n"
            "'wsgi:server').")


def _web_framework_missing(e: WebFrameworkMissing) -> Tuple[str, str]:
    names = " and ".join(e.names)
    listed = (f"{' and '.join(e.files)} {'does' if len(e.files) == 1 else 'do'} not bring "
              f"{'it' if len(e.names) == 1 else 'them'}" if e.files else
              "the app has no requirements.txt, pyproject.toml or lock file")
    fix = (f"Add {names} to the app's dependencies ({' or '.join(e.files)}) and build again." if e.files else
           f"Add a requirements.txt that lists {names} (and the app's other dependencies) and build again.")
    conda = ("\nenvironment.yml is conda's file, which this buildpack does not read: list the app's pip\n"
             "dependencies in requirements.txt." if e.conda else "")
    return ("The web process's framework is not installed",
            f"The web process ({e.command}) runs {e.path}, which imports {names}, but the install did not\n"
            f"put {'it' if len(e.names) == 1 else 'them'} into the environment: {listed}. The image would stop at "
            f"its first start.\n\n{fix}{conda}")


def _gunicorn_module(e: GunicornModuleMissing) -> Tuple[str, str]:
    return ("Gunicorn application module not found",
            f"{e.variable} is set to {_quote(e.value)}, but the module '{e.module}' is neither in the app\n"
            "nor among the installed packages.\n\n"
            f"Set {e.variable} to 'module:callable' with the module's dotted path from the app root\n"
            "(for example 'myproject.wsgi:application' for myproject/wsgi.py), or unset it to let the\n"
            "buildpack find the app.")


NO_WEB_PROCESS_BODY = """ERROR: don't know how to run your application.

The buildpack starts your web process only when one of these is true:
 - the environment variable APP_RUN holds the command (for example APP_RUN="python wsgi.py")
 - there is a valid wsgi.py for Gunicorn (or GUNICORN_APP_MODULE names the WSGI callable)
 - there is a valid app.py

It also finds: a Procfile with a 'web: command' line, a root asgi.py (ASGI), a Django project's
WSGI_APPLICATION (manage.py and its settings), the project name in setup.py, a main.py that
defines 'app' (FastAPI, Starlette, Flask ...), Streamlit and Gradio apps, a FastAPI app where
the fastapi command looks (app.py, api.py, app/main.py ...), the one entry of [project.scripts],
and a Flask application factory (create_app() in a package's __init__.py).

The easiest fix is to set APP_RUN (pack build --env APP_RUN=..., in .s2i/environment, or at launch
with docker run -e APP_RUN=...)."""

NO_WEB_PROCESS_WARNING = NO_WEB_PROCESS_BODY + """

The image is built anyway. Its web process runs APP_RUN when it is set at launch, and otherwise
prints this message and exits 1. A later buildpack's web process replaces it."""


def _not_a_file(e: NotAFile) -> Tuple[str, str]:
    fix = ("Replace the symlink with the file itself: the build sees only the app directory, so a link to a file\n"
           "outside it (for example ../shared/...) points at nothing here."
           if e.kind == "dangling symlink" else f"Make {e.path} a regular file (or remove it).")
    return (f"{e.path} is not a file",
            f"{e.path} in the app is a {e.kind}, not a regular file, so it cannot be read.\n\n{fix}")


def _misspelled(e: MisspelledFile) -> Tuple[str, str]:
    extra = ("\nIf it is a pip-tools input, compile it ('pip-compile requirements.in') and add the resulting\n"
             "requirements.txt to the app." if e.found == "requirements.in" else "")
    return (f"Found {e.found} instead of {e.expected}",
            f"The app has a file named {_quote(e.found)}, but the buildpack looks for {_quote(e.expected)}\n"
            f"(exact name, case-sensitive), so the dependencies in it would not be installed.\n\n"
            f"Rename {e.found} to {e.expected}.{extra}")


def _pm_conflict(e: PackageManagerConflict) -> Tuple[str, str]:
    files = "\n".join(f" - {name}" for name in e.files)
    return ("Multiple package manager files found",
            f"The app has files of more than one package manager ({', '.join(e.managers)}):\n{files}\n\n"
            "The buildpack cannot tell which one holds the real dependencies. Either:\n"
            "1. delete the files of the package manager you do not use, or\n"
            f"2. set BP_PYTHON_PACKAGE_MANAGER to the one to use ({' or '.join(e.managers)}), for example\n"
            f"   pack build --env BP_PYTHON_PACKAGE_MANAGER={e.managers[0]} ...")


def _lock_missing(e: LockfileMissing) -> Tuple[str, str]:
    if e.manager == "pip":
        return ("No requirements.txt found",
                "BP_PYTHON_PACKAGE_MANAGER is pip, but the app has no requirements.txt and is not installable\n"
                "itself (no setup.py, no pyproject.toml with [project] or [build-system]).\n\n"
                "Add a requirements.txt (for example 'pip freeze > requirements.txt'), or unset\n"
                "BP_PYTHON_PACKAGE_MANAGER so the buildpack picks the package manager from the app's files.")
    found = (f"The app has {e.found} but no {e.lock_file}" if e.found
             else f"{e.requested_by} is set (install with {e.manager}), but the app has no {e.lock_file}"
             if e.requested_by else f"BP_PYTHON_PACKAGE_MANAGER is {e.manager}, but the app has no {e.lock_file}")
    return (f"No {e.lock_file} found",
            f"{found}. The buildpack installs exactly what the lockfile pins, so it needs one.\n\n"
            f"Run '{e.fix}' in the app and commit {e.lock_file}, then build again.")


def _project_file_missing(e: ProjectFileMissing) -> Tuple[str, str]:
    who = (f"{e.requested_by} is set (install with {e.manager})" if e.requested_by
           else f"BP_PYTHON_PACKAGE_MANAGER is {e.manager}")
    missing = f"neither a {e.project_file} nor a {e.imports}" if e.imports else f"no {e.project_file}"
    instead = f", or a {e.imports}" if e.imports else ""
    return (f"No {e.project_file} found",
            f"{who}, but the app has {missing}, so {e.manager} has nothing to install.\n\n"
            f"Add a {e.project_file} that lists the app's dependencies, run '{e.fix}' and commit both files{instead};\n"
            f"or unset {e.requested_by or 'BP_PYTHON_PACKAGE_MANAGER'} so the buildpack picks the package manager "
            "from the app's files.")


def _unknown_group(e: UnknownDependencyGroup) -> Tuple[str, str]:
    what = "extra" if e.word == "extras" else e.word.rstrip("s").replace("categorie", "category")
    defined = (f"It defines these {e.word}: {', '.join(e.defined)}." if e.defined
               else f"It defines no {e.word}.")
    return (f"{e.variable}: no {what} {_quote(e.name)} in {e.file}",
            f"{e.variable} names {_quote(e.name)}, but {e.file} defines no {what} of that name. {defined}\n\n"
            f"Set {e.variable} to names {e.file} defines (comma-separated), add {_quote(e.name)} to {e.file}, or "
            f"unset {e.variable}.")


def _groups_unsupported(e: DependencyGroupsUnsupported) -> Tuple[str, str]:
    where = f"{e.file} has" if e.file else "the app has"
    return (f"{e.variable} does not apply to this app",
            f"{e.variable} is set, but this app installs with '{e.method}', and {where} no "
            f"{'optional dependencies (extras)' if e.variable.endswith('EXTRAS') else 'dependency groups'} to "
            f"select.\n\nList what the app needs in its dependency file, or unset {e.variable}. Groups and extras "
            "apply to pyproject.toml\nprojects (pip, uv, Poetry, PDM), Pipfile categories and pylock.toml.")


def _group_invalid(e: DependencyGroupInvalid) -> Tuple[str, str]:
    return (f"Dependency group {_quote(e.group)} in {e.file} cannot be read",
            f"[dependency-groups] in {e.file}: {e.problem}.\n\nFix the group in {e.file} (PEP 735: a list of "
            "requirement strings and {include-group = \"NAME\"} tables).")


def _local_path_outside(e: LocalPathOutsideSource) -> Tuple[str, str]:
    return (f"{e.file} names a path outside the app's source",
            f"{e.file} names {_quote(e.spec)}, which is {e.path}: outside the source the build was given, so it is "
            "not there\nto install (a build sees only the app's source directory).\n\n"
            f"Move that project into the source (for example libs/ beside the app, with APP_HOME naming the app's\n"
            f"directory), publish it to a package index, or change {_quote(e.spec)} in {e.file} to a path inside "
            "the source.")


def _binding_invalid(e: BindingInvalid) -> Tuple[str, str]:
    return (f"Service binding {e.name} cannot be used",
            f"The service binding {_quote(e.name)} has type {e.type}, so the build reads its {e.file}, but "
            f"{e.problem}.\n\nGive the binding a {e.file} (its secret's key must be named {e.file}), or change its "
            "type if it is not\nfor the package index. Its contents are never shown in the log.")


def _lock_without_project(e: LockWithoutProject) -> Tuple[str, str]:
    return (f"{e.lock_file} without {e.project_file}",
            f"The app has {e.lock_file} but no {e.project_file}. The lockfile is checked against {e.project_file},\n"
            f"so both must be in the app.\n\nAdd {e.project_file} to the app (check .gitignore and .dockerignore), "
            f"or delete {e.lock_file}.")


def _lock_out_of_date(e: LockfileOutOfDate) -> Tuple[str, str]:
    note = (f"\n\n{e.index_variable} is set, so uv checks {e.lock_file} against that index: 'uv sync --locked' "
            f"compares the\nindex URL recorded in {e.lock_file} with it, exactly. Lock against the same index\n"
            f"('uv lock --default-index URL'), or unset {e.index_variable} for this app." if e.index_variable else "")
    return (f"{e.lock_file} is out of date",
            f"'{e.command}' failed because {e.lock_file} does not match {e.project_file} (see the output above).\n\n"
            f"Run '{e.fix}' in the app, commit the updated {e.lock_file}, and build again.{note}")


def _lock_files_ambiguous(e: LockFilesAmbiguous) -> Tuple[str, str]:
    files = "\n".join(f" - {name}" for name in e.files)
    return ("Several lock files found",
            f"The app has several lock files and no {e.default}:\n{files}\n\n"
            "The buildpack cannot tell which one to install. Either:\n"
            f"1. set {e.variable} to the one to install, for example\n"
            f"   pack build --env {e.variable}={e.files[0]} ..., or\n"
            f"2. name the one to install {e.default} (the default), or delete the others.")


def _chosen_file_invalid(e: ChosenFileInvalid) -> Tuple[str, str]:
    accepted = (f"The app's lock files: {', '.join(e.accepted)}." if e.accepted else
                "The app has no lock file at its root.")
    return (f"{e.variable} names no usable lock file",
            f"{e.variable} is set to {_quote(e.value)}, but {e.problem}.\n{accepted}\n\n"
            f"Set {e.variable} to the name of one of them (at the app's root), or unset it.")


def _pylock_version(e: PylockVersionUnsupported) -> Tuple[str, str]:
    found = f"lock-version {_quote(e.version)}" if e.version else "no lock-version string"
    return (f"Unsupported lock-version in {e.lock_file}",
            f"{e.lock_file} has {found}. The buildpack installs PEP 751 lock files of lock-version 1.x\n"
            "(the only version defined so far), with uv.\n\n"
            f"Write the lock again with a tool that writes lock-version 1.0 (for example\n"
            f"'uv export --format pylock.toml -o {e.lock_file}' or 'pip lock -o {e.lock_file}'), commit it, and build "
            "again.")


def _pylock_unhashed(e: PylockArtifactUnhashed) -> Tuple[str, str]:
    return (f"An artifact in {e.lock_file} has no hash",
            f"{e.lock_file} lists {_quote(e.artifact)} for the package {_quote(e.package)} without a hash, so the\n"
            "download could not be checked. PEP 751 requires a hash for every wheel, sdist and archive.\n\n"
            f"Write the lock again with its tool (for example 'uv export --format pylock.toml -o {e.lock_file}'),\n"
            "which records the hashes, commit it, and build again.")


def _pylock_no_artifact(e: PylockNoArtifact) -> Tuple[str, str]:
    platform = f" ({e.platform})" if e.platform else ""
    available = f"\nThe lock has wheels of it only for: {e.available}." if e.available else ""
    return (f"{e.lock_file} has nothing of {e.package} for this platform",
            f"'{e.command}' failed: {e.lock_file} lists no wheel or sdist of the package {_quote(e.package)} that "
            f"this\nPython and platform{platform} can install.{available}\n\n"
            f"Lock for the platform the app is built on: with uv, export the lock of a project whose resolution\n"
            "covers Linux (uv lock is universal; see tool.uv.required-environments), or run 'pip lock' on Linux\n"
            f"with the same Python version; commit {e.lock_file} and build again.")


def _pylock_hash_mismatch(e: PylockHashMismatch) -> Tuple[str, str]:
    return (f"A download does not match {e.lock_file}",
            f"'{e.command}' failed: the file downloaded for {_quote(e.package)} does not have the hash {e.lock_file}\n"
            "records (see the output above), so it was not installed.\n\n"
            "If the lock was edited by hand, write it again with its tool. If the package index serves another file\n"
            "under the same name, check the index (a mirror out of step with PyPI, say) before you trust it.")


# What to do instead of a requirements-file option uv does not honour.
_UV_OPTION_FIXES = {
    "--pre": "remove it and set PIP_PRE=1 (passed to uv as UV_PRERELEASE=allow)",
    "--trusted-host": "remove it and set PIP_TRUSTED_HOST (passed to uv as UV_INSECURE_HOST)",
}
_UV_OPTION_FIX = "remove it, or build with pip (unset BP_PYTHON_INSTALLER)"


def _options_unsupported(e: RequirementOptionsUnsupported) -> Tuple[str, str]:
    lines = "\n".join(f"  {file}, line {line}: {option}: {_UV_OPTION_FIXES.get(option, _UV_OPTION_FIX)}"
                      for file, line, option in e.options)
    return (f"Requirements options that {e.installer} does not support",
            f"BP_PYTHON_INSTALLER is {e.installer}, but the requirements use options {e.installer} does not "
            f"support:\n{lines}\n\n{e.installer} would ignore them or fail on them, and install something else than "
            "pip does.\nDo as each line says, or unset BP_PYTHON_INSTALLER to install with pip.")


def _requirements_file(e: RequirementsFileInvalid) -> Tuple[str, str]:
    return ("Requirements file not found",
            f"{e.variable} names {_quote(e.path)}, but {e.problem}.\n\n"
            f"Set {e.variable} to the requirements files to install, relative to the app and separated by spaces\n"
            f"(for example 'requirements/prod.txt'), or unset it to install requirements.txt.")


def _vendor_directory(e: VendorDirectoryInvalid) -> Tuple[str, str]:
    return ("Vendored wheels directory not found",
            f"{e.variable} is set to {_quote(e.path)}, but {e.problem}.\n\n"
            "The app's requirements are installed from the wheels in that directory only, with no package index\n"
            f"(pip install --no-index --find-links DIR). Set {e.variable} to a directory of the app that holds\n"
            "them (fill it with 'pip download -r requirements.txt -d vendor'), or unset it to install from the index.")


def _environment_check(e: EnvironmentCheckFailed) -> Tuple[str, str]:
    lines = "\n".join(f"  {problem}" for problem in e.problems)
    return ("The updated environment has broken requirements",
            "After updating the cached virtual environment in place, these requirements are not met (what\n"
            f"`pip check` reports):\n{lines}\n\nFix the versions in the requirements so they fit together, or "
            "rebuild from scratch with\n`pack build --clear-cache`.")


UserError = Union[
    FileReadError, PythonVersionMalformed, PythonVersionEol, PythonVersionUnknown, FreeThreadedUnavailable,
    FreeThreadedWheelsMissing, PythonVersionConflict,
    PythonConstraintUnsatisfiable, PythonConstraintInvalid, VersionFileUnusable, InvalidTomlFile, ManifestError,
    NoInterpreterForArch, DownloadFailed, ChecksumMismatch, ArchiveInvalid, CommandFailed, InstallFailed,
    LockInstallFailed, LockAtBuildFailed, PoetryPackageMissing, ToolInstallFailed, CommandNotFound,
    CollectstaticFailed, HookFailed, S2iEnvironmentInvalid, S2iEnvironmentValueInvalid, InvalidUrl, ForbiddenEnvVars,
    GunicornConfigMissing, StartFileMissing, AppHomeInvalid, InvalidEnvValue, NotAFile, MisspelledFile,
    PackageManagerConflict, LockfileMissing, ProjectFileMissing, LockWithoutProject, LockfileOutOfDate,
    UnknownDependencyGroup, DependencyGroupsUnsupported, DependencyGroupInvalid, LocalPathOutsideSource,
    BindingInvalid, WebFrameworkMissing,
    RequirementOptionsUnsupported, EnvironmentCheckFailed, ProcfileInvalid, EntryCallableMissing,
    GunicornModuleMissing, RequirementsFileInvalid, VendorDirectoryInvalid, LockFilesAmbiguous, ChosenFileInvalid,
    PylockVersionUnsupported, PylockArtifactUnhashed, PylockNoArtifact, PylockHashMismatch,
]
USER_ERRORS: Tuple[type, ...] = UserError.__args__  # type: ignore[attr-defined]


def assert_never(value: NoReturn) -> NoReturn:
    raise AssertionError(f"no branch for {type(value).__name__}")


def _render(e: UserError) -> Tuple[str, str]:  # noqa: C901 - one branch per class, by design
    if isinstance(e, FileReadError):
        return _file_read(e)
    if isinstance(e, PythonVersionMalformed):
        return _malformed(e)
    if isinstance(e, PythonVersionEol):
        return _eol(e)
    if isinstance(e, PythonVersionUnknown):
        return _unknown(e)
    if isinstance(e, FreeThreadedUnavailable):
        return _freethreaded_unavailable(e)
    if isinstance(e, FreeThreadedWheelsMissing):
        return _freethreaded_wheels(e)
    if isinstance(e, PythonVersionConflict):
        return _conflict(e)
    if isinstance(e, PythonConstraintUnsatisfiable):
        return _unsatisfiable(e)
    if isinstance(e, PythonConstraintInvalid):
        return _constraint_invalid(e)
    if isinstance(e, VersionFileUnusable):
        return _version_file_unusable(e)
    if isinstance(e, InvalidTomlFile):
        return _invalid_toml(e)
    if isinstance(e, ManifestError):
        return _manifest(e)
    if isinstance(e, NoInterpreterForArch):
        return _no_arch(e)
    if isinstance(e, DownloadFailed):
        return _download(e)
    if isinstance(e, ChecksumMismatch):
        return _checksum(e)
    if isinstance(e, ArchiveInvalid):
        return _archive(e)
    if isinstance(e, CommandFailed):
        return _command(e)
    if isinstance(e, InstallFailed):
        return _install_failed(e)
    if isinstance(e, LockInstallFailed):
        return _lock_install_failed(e)
    if isinstance(e, LockAtBuildFailed):
        return _lock_at_build_failed(e)
    if isinstance(e, PoetryPackageMissing):
        return _poetry_package_missing(e)
    if isinstance(e, ToolInstallFailed):
        return _tool_install_failed(e)
    if isinstance(e, CommandNotFound):
        return _not_found(e)
    if isinstance(e, CollectstaticFailed):
        return _collectstatic(e)
    if isinstance(e, HookFailed):
        return _hook(e)
    if isinstance(e, S2iEnvironmentInvalid):
        return _s2i_env(e)
    if isinstance(e, S2iEnvironmentValueInvalid):
        return _s2i_value(e)
    if isinstance(e, InvalidUrl):
        return _invalid_url(e)
    if isinstance(e, ForbiddenEnvVars):
        return _forbidden(e)
    if isinstance(e, GunicornConfigMissing):
        return _gunicorn_config(e)
    if isinstance(e, StartFileMissing):
        return _start_file(e)
    if isinstance(e, AppHomeInvalid):
        return _app_home(e)
    if isinstance(e, InvalidEnvValue):
        return _env_value(e)
    if isinstance(e, NotAFile):
        return _not_a_file(e)
    if isinstance(e, MisspelledFile):
        return _misspelled(e)
    if isinstance(e, PackageManagerConflict):
        return _pm_conflict(e)
    if isinstance(e, LockfileMissing):
        return _lock_missing(e)
    if isinstance(e, ProjectFileMissing):
        return _project_file_missing(e)
    if isinstance(e, LockWithoutProject):
        return _lock_without_project(e)
    if isinstance(e, UnknownDependencyGroup):
        return _unknown_group(e)
    if isinstance(e, LocalPathOutsideSource):
        return _local_path_outside(e)
    if isinstance(e, BindingInvalid):
        return _binding_invalid(e)
    if isinstance(e, DependencyGroupsUnsupported):
        return _groups_unsupported(e)
    if isinstance(e, DependencyGroupInvalid):
        return _group_invalid(e)
    if isinstance(e, LockfileOutOfDate):
        return _lock_out_of_date(e)
    if isinstance(e, RequirementOptionsUnsupported):
        return _options_unsupported(e)
    if isinstance(e, EnvironmentCheckFailed):
        return _environment_check(e)
    if isinstance(e, ProcfileInvalid):
        return _procfile(e)
    if isinstance(e, EntryCallableMissing):
        return _entry_callable(e)
    if isinstance(e, GunicornModuleMissing):
        return _gunicorn_module(e)
    if isinstance(e, WebFrameworkMissing):
        return _web_framework_missing(e)
    if isinstance(e, RequirementsFileInvalid):
        return _requirements_file(e)
    if isinstance(e, VendorDirectoryInvalid):
        return _vendor_directory(e)
    if isinstance(e, LockFilesAmbiguous):
        return _lock_files_ambiguous(e)
    if isinstance(e, ChosenFileInvalid):
        return _chosen_file_invalid(e)
    if isinstance(e, PylockVersionUnsupported):
        return _pylock_version(e)
    if isinstance(e, PylockArtifactUnhashed):
        return _pylock_unhashed(e)
    if isinstance(e, PylockNoArtifact):
        return _pylock_no_artifact(e)
    if isinstance(e, PylockHashMismatch):
        return _pylock_hash_mismatch(e)
    assert_never(e)


INTERNAL_ERROR_TITLE = "Internal buildpack error"


# Commands the build runs in the app directory, which may write there: a read-only app directory explains their failure.
_WRITES_IN_APP: Tuple[type, ...] = (CollectstaticFailed, HookFailed, InstallFailed, LockInstallFailed,
                                    LockAtBuildFailed, CommandFailed, PoetryPackageMissing)


def _read_only_app(app_dir: str) -> str:
    return (f"\n\nThe app directory {app_dir} is read-only in this build, and this step may write into it\n"
            "(collectstatic's STATIC_ROOT, a hook's files, a project built from its own source). Mount the app's\n"
            "volume writable for the build (kpack, Tekton and Shipwright do unless their volume says readOnly),\n"
            "or make the step write outside the app directory.")


def render_error(exc: BaseException, read_only_app: str = "") -> Tuple[str, str]:
    """(title, body) for any exception; unexpected ones are reported as a bug, with the traceback. `read_only_app`:
    the app directory when the build cannot write to it."""
    if isinstance(exc, USER_ERRORS):
        title, body = _render(exc)  # type: ignore[arg-type]
        if read_only_app and isinstance(exc, _WRITES_IN_APP):
            body += _read_only_app(read_only_app)
        return title, body
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    return (INTERNAL_ERROR_TITLE,
            "The Python buildpack hit an unexpected error. This is a bug in the buildpack, not in your app.\n"
            f"Please report it at {ISSUES_URL} with the build log.\n\nDetails:\n{details}")


# ---- warnings -----------------------------------------------------------------------------------------------
def _two_version_files(w: TwoVersionFiles) -> Tuple[str, str]:
    return ("Two Python version files",
            f"Both {w.used_source} and {w.ignored_file} are present; {w.used_source} wins (Python {w.used_version})."
            "\nDelete the one you do not use, so they cannot disagree.")


def _version_file_overridden(w: VersionFileOverridden) -> Tuple[str, str]:
    return (f"{w.variable} overrides {w.file}",
            f"{w.variable} asks for Python {w.requested} and {w.file} for {_quote(w.file_value)}; the variable wins "
            f"(Python {w.version}),\nas in Google's and Paketo's buildpacks. Change {w.file} to match, or unset "
            f"{w.variable}, so they cannot disagree.")


def _past_end_of_life(w: PastEndOfLife) -> Tuple[str, str]:
    minor = ".".join(w.version.split(".")[:2])
    newer = f"Versions that still get fixes: {w.supported}.\n" if w.supported != "none" else ""
    fix = (f"Move to a newer version in {w.source} and check that your app works on it."
           if w.source is not None else "Use a newer release of this buildpack.")
    return (f"Python {minor} has reached its end of life",
            f"Python {w.version} reached its upstream end of life on {w.eol.isoformat()} and no longer gets "
            "security fixes.\nThis buildpack release still installs it, but a coming release will "
            f"remove it.\n\n{newer}{fix}")


def _installer_ignores(w: InstallerIgnoresSettings) -> Tuple[str, str]:
    one = len(w.names) == 1
    return (f"{w.installer} ignores some pip settings",
            f"{', '.join(w.names)} {'is' if one else 'are'} set, but {w.installer} does not read "
            f"{'it' if one else 'them'} and the buildpack has no {w.installer} equivalent.\nUnset "
            f"{'it' if one else 'them'}, set {w.installer}'s own variable, or unset BP_PYTHON_INSTALLER to install "
            "with pip.")


def _build_config(w: BuildConfigNotAdapted) -> Tuple[str, str]:
    return ("Could not adapt the interpreter's build configuration",
            "\n".join(w.problems) + "\nPackages built from source (C extensions) may not find the compiler or "
            "Python's headers.")


def _locked_at_build(w: LockedAtBuild) -> Tuple[str, str]:
    files = " and ".join(w.reuse_files) if len(w.reuse_files) < 3 else \
        ", ".join(w.reuse_files[:-1]) + " and " + w.reuse_files[-1]
    return (f"No {w.lock_file}: this build is not reproducible",
            f"The app has {w.project_file} but no {w.lock_file}, so the buildpack locked its dependencies at build "
            f"time\n('{w.fix}'). A fresh build may get newer versions than the ones you tested; a reused environment\n"
            f"keeps the versions of its first lock while {files} {'stays' if len(w.reuse_files) == 1 else 'stay'} "
            "the same.\n\n"
            f"Run '{w.fix}' in the app and commit {w.lock_file}: the build then installs exactly what it pins.")


def render_warning(w: BuildWarning) -> Tuple[str, str]:
    if isinstance(w, TwoVersionFiles):
        return _two_version_files(w)
    if isinstance(w, VersionFileOverridden):
        return _version_file_overridden(w)
    if isinstance(w, PastEndOfLife):
        return _past_end_of_life(w)
    if isinstance(w, InstallerIgnoresSettings):
        return _installer_ignores(w)
    if isinstance(w, BuildConfigNotAdapted):
        return _build_config(w)
    if isinstance(w, NoWebProcess):
        scripts = (f"\n\nThe project declares the scripts {', '.join(w.scripts)}: if one starts the web server, set "
                   f"APP_RUN to it\n(for example APP_RUN={w.scripts[0]})." if w.scripts else "")
        return ("No web process found", NO_WEB_PROCESS_WARNING + scripts)
    if isinstance(w, LockedAtBuild):
        return _locked_at_build(w)
    assert_never(w)
