"""What installs requirements with pip's semantics: pip (the default), or `uv pip` with BP_PYTHON_INSTALLER=uv. The
pip methods install the app with it; every method adds what the web process needs (Gunicorn) with it.

pip is the build-only pip layer's, run against the app's environment, so pip never ships in the image; it reads the
user's PIP_* settings itself. uv reads no PIP_* variable, so those are mapped (`_env.PIP_TO_UV`, and below). How the
two were checked against the pinned releases: requirements/NOTES.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Sequence

from ..errors import InstallFailed, InvalidEnvValue
from ..output import Output
from ..utils import is_truthy, run_streamed
from ..venv_layout import site_packages_dirs
from ._env import map_pip_settings_to_uv, without
from .base import Installer, InstallPaths, ToolCommand

__all__ = ["INSTALLERS", "get_installer", "pip_command", "requested_installer", "run_install"]


# ---- pip ------------------------------------------------------------------------------------------------------
def pip_command(pip_python: Path, venv_dir: Path) -> List[str]:
    """The argv prefix that runs the build-only pip against the app's environment.

    It is what `pip --python VENV/bin/python` does, without its first step: that starts pip in pip's own environment
    only to run the app's interpreter on pip's `__pip-runner__.py` (which imports exactly that copy of pip, and
    nothing else from pip's environment). Running the runner directly saves an interpreter start and half of pip's
    start-up, about 0.3 s per pip command. The runner ships with pip 22.3 and newer, as `--python` does."""
    runners = [site / "pip" / "__pip-runner__.py" for site in site_packages_dirs(pip_python.parent.parent)]
    runners = [runner for runner in runners if runner.is_file()]
    if runners:
        return [str(venv_dir / "bin" / "python"), str(runners[0])]
    return [str(pip_python), "-m", "pip", "--python", str(venv_dir / "bin" / "python")]


def _pip_command(paths: InstallPaths, args: Sequence[str]) -> ToolCommand:
    return ToolCommand(argv=(*pip_command(paths.pip_python, paths.venv_dir), *args), shown=" ".join(("pip", *args)))


def _vendor_args(paths: InstallPaths) -> List[str]:
    """Offline installs from the vendored wheels (GOOGLE_VENDOR_PIP_DEPENDENCIES): pip's and uv's flags alike."""
    return ["--no-index", "--find-links", str(paths.vendor_dir)] if paths.vendor_dir is not None else []


PIP = Installer(
    name="pip",
    pin="",
    env=lambda env, paths: dict(env),
    install=lambda paths, env, args: _pip_command(paths, ("install", "--no-compile", *_vendor_args(paths), *args)),
    uninstall=lambda paths, names: _pip_command(paths, ("uninstall", "--yes", *names)),
    unsupported=lambda options: [],  # pip checks its own files, with its own errors
    ignored_settings=lambda env: [],
)


# ---- uv pip ---------------------------------------------------------------------------------------------------
# Settings the buildpack decides: a user's value would send uv to another environment or into the cache layer.
_UV_OWNED = ("UV_PYTHON", "UV_PYTHON_DOWNLOADS", "UV_CACHE_DIR", "UV_LINK_MODE", "UV_COMPILE_BYTECODE",
             "UV_SYSTEM_PYTHON", "UV_BREAK_SYSTEM_PACKAGES", "UV_NO_CONFIG", "UV_CONFIG_FILE", "UV_PREFIX", "UV_TARGET")

# PIP_* settings mapped to uv, and those that change nothing uv does; any other PIP_* is reported as ignored.
_UV_MAPPED = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_FIND_LINKS", "PIP_CERT",
              "PIP_CLIENT_CERT", "PIP_PRE", "PIP_NO_INDEX", "PIP_NO_BINARY", "PIP_ONLY_BINARY")
_UV_HARMLESS = ("PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_INPUT",
                "PIP_PROGRESS_BAR", "PIP_DEFAULT_TIMEOUT", "PIP_TIMEOUT", "PIP_RETRIES", "PIP_QUIET", "PIP_VERBOSE",
                "PIP_ROOT_USER_ACTION", "PIP_NO_WARN_SCRIPT_LOCATION", "PIP_NO_COLOR", "PIP_UPGRADE")

# Requirement-file options uv honours as pip does (errors.py says what to do about the others).
_UV_SUPPORTED_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                         "--extra-index-url", "--no-index", "-f", "--find-links", "--no-binary", "--only-binary",
                         "--require-hashes", "--hash"}


def _uv_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    result = without(env, _UV_OWNED)
    result.update({
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_CACHE_DIR": str(paths.cache_dir),
        "UV_NO_PROGRESS": "1",
        # uv would also read [tool.uv.pip] in pyproject.toml, a uv.toml and the user's uv config; pip reads none.
        "UV_NO_CONFIG": "1",
    })
    map_pip_settings_to_uv(result)
    links = env.get("PIP_FIND_LINKS", "").split()
    if links and not env.get("UV_FIND_LINKS", "").strip():
        result["UV_FIND_LINKS"] = ",".join(links)
    if is_truthy(env.get("PIP_PRE", "")) and not env.get("UV_PRERELEASE", "").strip():
        result["UV_PRERELEASE"] = "allow"
    if is_truthy(env.get("PIP_NO_INDEX", "")) and not env.get("UV_NO_INDEX", "").strip():
        result["UV_NO_INDEX"] = "1"
    # pip looks for the best version across every index; uv by default stops at the first index that has it.
    result.setdefault("UV_INDEX_STRATEGY", "unsafe-best-match")
    return result


def _binary_args(env: Mapping[str, str]) -> List[str]:
    args: List[str] = []
    for variable, flag in (("PIP_NO_BINARY", "--no-binary"), ("PIP_ONLY_BINARY", "--only-binary")):
        for value in env.get(variable, "").replace(",", " ").split():
            args += [flag, value]
    return args


def _uv_command(paths: InstallPaths, verb: str, args: Sequence[str]) -> ToolCommand:
    argv = (str(paths.tool_bin / "uv"), "pip", verb, "--python", str(paths.venv_dir / "bin" / "python"), *args)
    return ToolCommand(argv=argv, shown=" ".join(("uv", "pip", verb, *args)))


UV = Installer(
    name="uv",
    pin="uv",
    env=_uv_env,
    install=lambda paths, env, args: _uv_command(paths, "install", ("--link-mode", paths.link_mode,
                                                                     *_binary_args(env), *_vendor_args(paths), *args)),
    uninstall=lambda paths, names: _uv_command(paths, "uninstall", names),
    unsupported=lambda options: [option for option in options if option.option not in _UV_SUPPORTED_OPTIONS],
    ignored_settings=lambda env: sorted(name for name, value in env.items() if name.startswith("PIP_")
                                        and value.strip() and name not in _UV_MAPPED and name not in _UV_HARMLESS),
    index_settings=("UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS",
                    "UV_NO_INDEX", "UV_INDEX_STRATEGY", "UV_INSECURE_HOST", "UV_PRERELEASE", "UV_NO_BINARY",
                    "UV_NO_BINARY_PACKAGE", "UV_NO_BUILD", "UV_NO_BUILD_PACKAGE", "UV_RESOLUTION", "UV_CONSTRAINT",
                    "UV_OVERRIDE", "UV_EXCLUDE_NEWER", "UV_TORCH_BACKEND", "UV_NO_BUILD_ISOLATION",
                    "UV_REQUIRE_HASHES", "UV_KEYRING_PROVIDER", "UV_NO_SOURCES"),
)

INSTALLERS: Mapping[str, Installer] = {installer.name: installer for installer in (PIP, UV)}


def get_installer(name: str) -> Installer:
    return INSTALLERS[name]


def requested_installer(env: Mapping[str, str]) -> Installer:
    """BP_PYTHON_INSTALLER's installer (pip when unset); anything else is an error naming the choices."""
    raw = env.get("BP_PYTHON_INSTALLER", "")
    value = raw.strip().lower()
    if not value:
        return PIP
    if value not in INSTALLERS:
        raise InvalidEnvValue(name="BP_PYTHON_INSTALLER", value=raw, expected="one of " + ", ".join(INSTALLERS))
    return INSTALLERS[value]


def run_install(out: Output, installer: Installer, paths: InstallPaths, env: Mapping[str, str],
                args: Sequence[str]) -> None:
    """`pip install` (or `uv pip install`) of args into the venv, streamed to the log; `env` is installer.env's."""
    command = installer.install(paths, env, args)
    status = run_streamed(out, command.argv, env=env, cwd=paths.app_dir, shown=command.shown)
    if status != 0:
        raise InstallFailed(command=command.shown, exit_code=status)
