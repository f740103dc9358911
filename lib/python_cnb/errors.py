"""Every error the buildpack reports to users, as data, and the one function that turns them into text.

Each message has the same anatomy: a short title, what was found, why it is a problem, how to fix it.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Callable, Dict, Sequence, Tuple, Type

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
class ForbiddenEnvVars(BuildpackError):
    names: Sequence[str]


@dataclass(eq=False)
class GunicornConfigMissing(BuildpackError):
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


def _quote(value: str) -> str:
    """Show a user value safely: control and non-ASCII characters escaped, long values cut."""
    shown = value.encode("unicode_escape").decode("ascii")
    if len(shown) > 200:
        shown = shown[:200] + "..."
    return f"'{shown}'"


_SUPPORTED_SOURCES = (
    "The version can be set in runtime.txt (for example 'python-3.13') or .python-version (for example '3.13')."
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
            "The build retried a few times. Check the network from the build, or point BP_PYTHON_MIRROR_URL at a\n"
            "mirror that serves the same files, or BP_PYTHON_MANIFEST at your own builds.")


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


def _forbidden(e: ForbiddenEnvVars) -> Tuple[str, str]:
    names = ", ".join(e.names)
    return ("Unsafe environment variables found", f"These variables are set for the build: {names}.\n"
            "They change where Python and pip look for code and would break the interpreter or the\n"
            "virtual environment this buildpack installs. Unset them (pack --env, .s2i/environment or\n"
            "the platform's env) and build again.")


def _gunicorn_config(e: GunicornConfigMissing) -> Tuple[str, str]:
    return ("Gunicorn config file not found", f"GUNICORN_CONFIG is set to {_quote(e.path)}, but there is no such file\n"
            "in the app. Set GUNICORN_CONFIG to a path relative to the app root (for example\n"
            "'config/gunicorn.conf.py'), or unset it to use the buildpack's default config.")


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
            f"GUNICORN_APP_MODULE is set to {_quote(e.value)}, but the module '{e.module}' is neither in the app\n"
            "nor among the installed packages.\n\n"
            "Set GUNICORN_APP_MODULE to 'module:callable' with the module's dotted path from the app root\n"
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


_RENDERERS: Dict[Type[BuildpackError], Callable[..., Tuple[str, str]]] = {
    FileReadError: _file_read,
    PythonVersionMalformed: _malformed,
    PythonVersionEol: _eol,
    PythonVersionUnknown: _unknown,
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
    ForbiddenEnvVars: _forbidden,
    GunicornConfigMissing: _gunicorn_config,
    InvalidEnvValue: _env_value,
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
