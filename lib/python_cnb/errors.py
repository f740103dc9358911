"""Every error the buildpack reports to users, as data, and the one function that turns them into text.

Each message has the same anatomy: a short title, what was found, why it is a problem, how to fix it.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple, Type

__all__ = ["BuildpackError", "render_error"]

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
    hint: str = ""


@dataclass(eq=False)
class CommandNotFound(BuildpackError):
    command: str
    reason: str


@dataclass(eq=False)
class CollectstaticFailed(BuildpackError):
    command: str
    exit_code: int


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
    reason: str
    fix: str


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
class LockWithoutProject(BuildpackError):
    lock_file: str
    project_file: str


@dataclass(eq=False)
class LockfileOutOfDate(BuildpackError):
    manager: str
    lock_file: str
    command: str
    fix: str
    note: str = ""


@dataclass(eq=False)
class EnvironmentCheckFailed(BuildpackError):
    problems: Sequence[str]  # pip check's lines ('flask 3.0.0 requires click, which is not installed.')


@dataclass(eq=False)
class RequirementOptionsUnsupported(BuildpackError):
    installer: str  # 'uv'
    options: Sequence[Tuple[str, int, str, str]]  # (file, line, option, fix)


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


def _malformed(e: PythonVersionMalformed) -> Tuple[str, str]:
    return ("Invalid Python version", f"The Python version in {e.source} is not valid: {_quote(e.value)}.\n\n"
            "Write a version like 'python-3.13' or 'python-3.13.5' in runtime.txt, or '3.13' in .python-version.\n"
            f"{_SUPPORTED_SOURCES}")


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


def _conflict(e: PythonVersionConflict) -> Tuple[str, str]:
    shown = e.value if e.value == e.version else f"{e.value} (Python {e.version})"
    if e.satisfying:
        example = ".".join(e.satisfying[-1].split(".")[:2])
        first = (f"1. Change {e.source} to a version that satisfies {_quote(e.constraint_value)}, for example "
                 f"{_quote(('python-' if e.source == 'runtime.txt' else '') + example)}\n"
                 f"   (this buildpack has {', '.join(e.satisfying)}), or delete {e.source} to get the newest one.")
    else:
        first = f"1. Change {e.source} to a version that satisfies {_quote(e.constraint_value)}."
    return ("Python version files disagree",
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
            "url and sha256. Fix the file, or unset BP_PYTHON_MANIFEST to use the built-in one.")


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


def _command(e: CommandFailed) -> Tuple[str, str]:
    body = f"The command '{e.command}' failed with exit status {e.exit_code}.\nSee the log output above for details."
    if e.hint:
        body += "\n\n" + e.hint
    return ("Command failed", body)


def _not_found(e: CommandNotFound) -> Tuple[str, str]:
    return ("Unable to run a command", f"The command '{e.command}' could not be started: {e.reason}.")


def _collectstatic(e: CollectstaticFailed) -> Tuple[str, str]:
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
    return ("Invalid value in .s2i/environment",
            f"The value of {e.name} on line {e.line_number} of .s2i/environment {e.reason}.\n\n{e.fix}")


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
WSGI_APPLICATION (manage.py and its settings), the project name in setup.py, and a main.py that
defines 'app' (FastAPI, Starlette, Flask ...).

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


def _lock_without_project(e: LockWithoutProject) -> Tuple[str, str]:
    return (f"{e.lock_file} without {e.project_file}",
            f"The app has {e.lock_file} but no {e.project_file}. The lockfile is checked against {e.project_file},\n"
            f"so both must be in the app.\n\nAdd {e.project_file} to the app (check .gitignore and .dockerignore), "
            f"or delete {e.lock_file}.")


def _lock_out_of_date(e: LockfileOutOfDate) -> Tuple[str, str]:
    project = "Pipfile" if e.manager == "pipenv" else "pyproject.toml"
    return (f"{e.lock_file} is out of date",
            f"'{e.command}' failed because {e.lock_file} does not match {project} (see the output above).\n\n"
            f"Run '{e.fix}' in the app, commit the updated {e.lock_file}, and build again."
            + (f"\n\n{e.note}" if e.note else ""))


def _options_unsupported(e: RequirementOptionsUnsupported) -> Tuple[str, str]:
    lines = "\n".join(f"  {file}, line {line}: {option}: {fix}" for file, line, option, fix in e.options)
    return (f"Requirements options that {e.installer} does not support",
            f"BP_PYTHON_INSTALLER is {e.installer}, but the requirements use options {e.installer} does not "
            f"support:\n{lines}\n\n{e.installer} would ignore them or fail on them, and install something else than "
            "pip does.\nDo as each line says, or unset BP_PYTHON_INSTALLER to install with pip.")


def _environment_check(e: EnvironmentCheckFailed) -> Tuple[str, str]:
    lines = "\n".join(f"  {problem}" for problem in e.problems)
    return ("The updated environment has broken requirements",
            "After updating the cached virtual environment in place, these requirements are not met (what\n"
            f"`pip check` reports):\n{lines}\n\nFix the versions in the requirements so they fit together, or "
            "rebuild from scratch with\n`pack build --clear-cache`.")


_RENDERERS: Dict[Type[BuildpackError], Callable[..., Tuple[str, str]]] = {
    FileReadError: _file_read,
    PythonVersionMalformed: _malformed,
    PythonVersionEol: _eol,
    PythonVersionUnknown: _unknown,
    PythonVersionConflict: _conflict,
    PythonConstraintUnsatisfiable: _unsatisfiable,
    PythonConstraintInvalid: _constraint_invalid,
    VersionFileUnusable: _version_file_unusable,
    InvalidTomlFile: _invalid_toml,
    ManifestError: _manifest,
    NoInterpreterForArch: _no_arch,
    DownloadFailed: _download,
    ChecksumMismatch: _checksum,
    ArchiveInvalid: _archive,
    CommandFailed: _command,
    CommandNotFound: _not_found,
    CollectstaticFailed: _collectstatic,
    HookFailed: _hook,
    S2iEnvironmentInvalid: _s2i_env,
    S2iEnvironmentValueInvalid: _s2i_value,
    InvalidUrl: _invalid_url,
    ForbiddenEnvVars: _forbidden,
    GunicornConfigMissing: _gunicorn_config,
    StartFileMissing: _start_file,
    AppHomeInvalid: _app_home,
    InvalidEnvValue: _env_value,
    NotAFile: _not_a_file,
    MisspelledFile: _misspelled,
    PackageManagerConflict: _pm_conflict,
    LockfileMissing: _lock_missing,
    LockWithoutProject: _lock_without_project,
    LockfileOutOfDate: _lock_out_of_date,
    RequirementOptionsUnsupported: _options_unsupported,
    EnvironmentCheckFailed: _environment_check,
    ProcfileInvalid: _procfile,
    EntryCallableMissing: _entry_callable,
    GunicornModuleMissing: _gunicorn_module,
}


def render_error(exc: BaseException) -> Tuple[str, str]:
    """(title, body) for any exception; unexpected ones are reported as a bug, with the traceback."""
    renderer = _RENDERERS.get(type(exc)) if isinstance(exc, BuildpackError) else None
    if renderer is not None:
        return renderer(exc)
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    return ("Internal buildpack error",
            "The Python buildpack hit an unexpected error. This is a bug in the buildpack, not in your app.\n"
            f"Please report it at {ISSUES_URL} with the build log.\n\nDetails:\n{details}")
