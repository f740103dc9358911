"""uv as the installer of the pip paths (BP_PYTHON_INSTALLER=uv): `uv pip install` into the app's environment, with
the semantics the pip path has.

Checked by hand with uv 0.13.9 (a pyenv CPython 3.12 venv made with `python -m venv --without-pip`):

- `--python VENV/bin/python` installs into that venv (no pip needed in it); UV_PYTHON_DOWNLOADS=never. uv does not
  compile bytecode unless asked. `--link-mode hardlink` (uv's default on Linux) links each file of the venv to
  its copy in the cache layer, which a lifecycle exports as an ordinary file (its tar writer keeps no links);
  across filesystems uv cannot link and would warn, so there `--link-mode copy`. Installing the heavy benchmark
  app's 29 distributions took 0.9-1.6 s copying and 0.25-0.5 s linking.
- uv reads no PIP_* variable, so the PIP_* settings are mapped: PIP_INDEX_URL to UV_INDEX_URL, PIP_EXTRA_INDEX_URL
  to UV_EXTRA_INDEX_URL (both space-separated), PIP_TRUSTED_HOST to UV_INSECURE_HOST, PIP_FIND_LINKS (space-separated)
  to UV_FIND_LINKS (comma-separated), PIP_CERT to SSL_CERT_FILE (uv's TLS ignores the system store otherwise),
  PIP_CLIENT_CERT to SSL_CLIENT_CERT, PIP_PRE to UV_PRERELEASE=allow, PIP_NO_INDEX to UV_NO_INDEX, and PIP_NO_BINARY /
  PIP_ONLY_BINARY (comma-separated names or :all: / :none:) to --no-binary / --only-binary arguments. uv's own
  variable wins when the user set both.
- pip looks for the best version across every index; uv by default stops at the first index that has the package.
  UV_INDEX_STRATEGY=unsafe-best-match gives pip's behaviour (unless the user chose a strategy).
- uv would also read `[tool.uv.pip]` in pyproject.toml, a uv.toml and the user's uv config; pip reads none of them,
  so UV_NO_CONFIG=1.
- In requirements files uv understands -r, -c, -e, -i/--index-url, --extra-index-url, --no-index, -f/--find-links,
  --no-binary, --only-binary, --require-hashes and a requirement's --hash. It ignores --pre, --trusted-host,
  --prefer-binary and --use-feature with only a warning ("Ignoring unsupported option"), and fails to parse others
  (--config-settings, --global-option, --use-pep517: "Unexpected '-'"). The buildpack checks first and names them.
- `uv pip uninstall` takes `--python` too, and removes the uninstalled modules' `__pycache__` entries.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Sequence

from ..managers._env import map_unless_set, without
from ..utils import is_truthy
from .base import Installer, InstallerPaths, RequirementOption, ToolCommand

__all__ = ["INSTALLER"]

# Settings the buildpack decides: a user's value would send uv to another environment or into the cache layer.
_OWNED = ("UV_PYTHON", "UV_PYTHON_DOWNLOADS", "UV_CACHE_DIR", "UV_LINK_MODE", "UV_COMPILE_BYTECODE", "UV_SYSTEM_PYTHON",
          "UV_BREAK_SYSTEM_PACKAGES", "UV_NO_CONFIG", "UV_CONFIG_FILE", "UV_PREFIX", "UV_TARGET")

# PIP_* settings mapped to uv (above), and those that change nothing uv does; any other PIP_* is reported as ignored.
_MAPPED = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_FIND_LINKS", "PIP_CERT", "PIP_CLIENT_CERT",
           "PIP_PRE", "PIP_NO_INDEX", "PIP_NO_BINARY", "PIP_ONLY_BINARY")
_HARMLESS = ("PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_INPUT", "PIP_PROGRESS_BAR",
             "PIP_DEFAULT_TIMEOUT", "PIP_TIMEOUT", "PIP_RETRIES", "PIP_QUIET", "PIP_VERBOSE", "PIP_ROOT_USER_ACTION",
             "PIP_NO_WARN_SCRIPT_LOCATION", "PIP_NO_COLOR", "PIP_UPGRADE")

# Requirement-file options uv honours as pip does.
_SUPPORTED_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                      "--extra-index-url", "--no-index", "-f", "--find-links", "--no-binary", "--only-binary",
                      "--require-hashes", "--hash"}
_DROP_OR_PIP = "remove it, or build with pip (unset BP_PYTHON_INSTALLER)"
_FIXES = {
    "--pre": "remove it and set PIP_PRE=1 (passed to uv as UV_PRERELEASE=allow)",
    "--trusted-host": "remove it and set PIP_TRUSTED_HOST (passed to uv as UV_INSECURE_HOST)",
}


def _env(env: Mapping[str, str], paths: InstallerPaths) -> Dict[str, str]:
    result = without(env, _OWNED)
    result.update({
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_CACHE_DIR": str(paths.cache_dir),
        "UV_NO_PROGRESS": "1",
        "UV_NO_CONFIG": "1",
    })
    map_unless_set(result, "PIP_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX")
    map_unless_set(result, "PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX")
    map_unless_set(result, "PIP_TRUSTED_HOST", "UV_INSECURE_HOST")
    map_unless_set(result, "PIP_CERT", "SSL_CERT_FILE")
    map_unless_set(result, "PIP_CLIENT_CERT", "SSL_CLIENT_CERT")
    links = env.get("PIP_FIND_LINKS", "").split()
    if links and not env.get("UV_FIND_LINKS", "").strip():
        result["UV_FIND_LINKS"] = ",".join(links)
    if is_truthy(env.get("PIP_PRE", "")) and not env.get("UV_PRERELEASE", "").strip():
        result["UV_PRERELEASE"] = "allow"
    if is_truthy(env.get("PIP_NO_INDEX", "")) and not env.get("UV_NO_INDEX", "").strip():
        result["UV_NO_INDEX"] = "1"
    result.setdefault("UV_INDEX_STRATEGY", "unsafe-best-match")
    return result


def _binary_args(env: Mapping[str, str]) -> List[str]:
    args: List[str] = []
    for variable, flag in (("PIP_NO_BINARY", "--no-binary"), ("PIP_ONLY_BINARY", "--only-binary")):
        for value in env.get(variable, "").replace(",", " ").split():
            args += [flag, value]
    return args


def _command(paths: InstallerPaths, verb: str, args: Sequence[str]) -> ToolCommand:
    argv = (str(paths.tool_bin / "uv"), "pip", verb, "--python", str(paths.venv_dir / "bin" / "python"), *args)
    return ToolCommand(argv=argv, shown=" ".join(("uv", "pip", verb, *args)))


def _install(paths: InstallerPaths, env: Mapping[str, str], args: Sequence[str]) -> ToolCommand:
    return _command(paths, "install", ("--link-mode", paths.link_mode, *_binary_args(env), *args))


def _uninstall(paths: InstallerPaths, names: Sequence[str]) -> ToolCommand:
    return _command(paths, "uninstall", names)



def _unsupported(options: Sequence[RequirementOption]) -> List[tuple[RequirementOption, str]]:
    return [(option, _FIXES.get(option.option, _DROP_OR_PIP)) for option in options
            if option.option not in _SUPPORTED_OPTIONS]


def _ignored(env: Mapping[str, str]) -> List[str]:
    return sorted(name for name, value in env.items()
                  if name.startswith("PIP_") and value.strip() and name not in _MAPPED and name not in _HARMLESS)


INSTALLER = Installer(
    name="uv",
    pin="uv",
    env=_env,
    install=_install,
    uninstall=_uninstall,
    unsupported=_unsupported,
    ignored_settings=_ignored,
    index_settings=("UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS",
                    "UV_NO_INDEX", "UV_INDEX_STRATEGY", "UV_INSECURE_HOST", "UV_PRERELEASE", "UV_NO_BINARY",
                    "UV_NO_BINARY_PACKAGE", "UV_NO_BUILD", "UV_NO_BUILD_PACKAGE", "UV_RESOLUTION", "UV_CONSTRAINT",
                    "UV_OVERRIDE", "UV_EXCLUDE_NEWER", "UV_TORCH_BACKEND", "UV_NO_BUILD_ISOLATION",
                    "UV_REQUIRE_HASHES", "UV_KEYRING_PROVIDER", "UV_NO_SOURCES"),
)
