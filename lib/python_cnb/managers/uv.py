"""uv: `uv sync --locked` of uv.lock into the buildpack's virtual environment.

Checked by hand with uv 0.13.9 (a pyenv CPython 3.12 venv made with `python -m venv`, uv in a separate venv):

- UV_PROJECT_ENVIRONMENT makes uv install into the existing venv instead of `.venv`; UV_PYTHON pointing at that
  venv's python keeps it (it wins over a `.python-version` in the app) and UV_PYTHON_DOWNLOADS=never means uv never
  fetches an interpreter. When the venv's Python does not satisfy `requires-python`, uv exits 2 with "The requested
  interpreter resolved to Python 3.12.1, which is incompatible with the project's Python requirement: `>=3.13`"
  and leaves the venv untouched.
- `--no-default-groups` leaves out every default dependency group (`dev`, and whatever `[tool.uv] default-groups`
  adds): only `[project] dependencies` are installed.
- The project itself is installed exactly when uv considers it a package (a `[build-system]`, unless
  `[tool.uv] package = false`), in editable mode (a .pth file pointing at the app's source). Editable on purpose:
  the venv is reused while the lock is unchanged, so a non-editable copy of the project would go stale when only the
  app's code changes; the app sits at the same path at build and launch, like the pip path's `pip install -e .`.
- The sync is exact: anything in the venv that the lock does not name is uninstalled (pip, which the venv was seeded
  with, is kept). So packages the buildpack adds itself (Gunicorn) must be installed after the sync.
- `--no-compile-bytecode` (accepted though not in --help) wins over `compile-bytecode = true` in the project's
  `[tool.uv]`, whereas UV_COMPILE_BYTECODE=0 does not. `--link-mode` likewise (hardlink when the cache layer and
  the venv share a filesystem, else copy; see installers/uv.py); never symlink, the cache is not in the image.
- A lock that does not match pyproject.toml: exit 1, "error: The lockfile at `uv.lock` needs to be updated, but
  `--locked` was provided." then "hint: To update the lockfile, run `uv lock`." Checking that needs the index (uv
  resolves again). Network and TLS failures exit 2.
- Index settings: uv records each package's index URL in uv.lock and `--locked` compares them with the configured
  default index **exactly**: a lock made against https://pypi.org/simple fails as out of date with
  UV_DEFAULT_INDEX=https://pypi.org/simple/ (trailing slash) or a mirror's URL. An extra index (UV_INDEX) does not
  invalidate the lock. Files are downloaded from the URLs recorded in the lock.
  So PIP_INDEX_URL becomes UV_DEFAULT_INDEX and PIP_EXTRA_INDEX_URL becomes UV_INDEX (both space-separated lists),
  unless the user set uv's own variables. PIP_CERT becomes SSL_CERT_FILE (uv's default TLS ignores the system store;
  without the CA it fails with "invalid peer certificate: UnknownIssuer"). PIP_TRUSTED_HOST becomes
  UV_INSECURE_HOST. Not mapped: PIP_FIND_LINKS and the other PIP_* options (uv reads no PIP_* variable).
- Timings: a Flask app (7 packages) synced in 0.1 to 0.2 s with a warm cache, under a second cold.
"""

from __future__ import annotations

import re
from typing import Dict, Mapping, Sequence

from ._env import map_unless_set, without
from .base import InstallPaths, Manager, ToolCommand

__all__ = ["MANAGER", "tool_env", "commands", "lock_out_of_date"]

# Settings the buildpack decides: a user's value for any of them is dropped. UV_FROZEN and UV_NO_SYNC would
# contradict --locked or skip the install; UV_SYSTEM_PYTHON and UV_PROJECT would point uv elsewhere.
_OWNED = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON", "UV_PYTHON_DOWNLOADS", "UV_CACHE_DIR", "UV_LINK_MODE",
          "UV_COMPILE_BYTECODE", "UV_FROZEN", "UV_LOCKED", "UV_NO_SYNC", "UV_SYSTEM_PYTHON", "UV_PROJECT")

SYNC_ARGS = ("sync", "--locked", "--no-default-groups", "--no-compile-bytecode")

_OUT_OF_DATE = re.compile(r"lockfile at `?uv\.lock`? needs to be updated", re.IGNORECASE)


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    result = without(env, _OWNED)
    result.update({
        # VIRTUAL_ENV too: uv warns when it names another environment than UV_PROJECT_ENVIRONMENT.
        "VIRTUAL_ENV": str(paths.venv_dir),
        "UV_PROJECT_ENVIRONMENT": str(paths.venv_dir),
        "UV_PYTHON": str(paths.venv_dir / "bin" / "python"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_CACHE_DIR": str(paths.cache_dir),
        "UV_NO_PROGRESS": "1",
    })
    map_unless_set(result, "PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL")
    map_unless_set(result, "PIP_EXTRA_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL")
    map_unless_set(result, "PIP_TRUSTED_HOST", "UV_INSECURE_HOST")
    map_unless_set(result, "PIP_CERT", "SSL_CERT_FILE")
    return result


def commands(paths: InstallPaths) -> Sequence[ToolCommand]:
    args = (*SYNC_ARGS, "--link-mode", paths.link_mode)
    return (ToolCommand(argv=(str(paths.tool_bin / "uv"), *args), shown=" ".join(("uv", *args))),)


def lock_out_of_date(output: str) -> bool:
    return bool(_OUT_OF_DATE.search(output))


def failure_hint(output: str, env: Mapping[str, str]) -> str:
    if lock_out_of_date(output) and env.get("UV_DEFAULT_INDEX") and env.get("PIP_INDEX_URL"):
        return ("PIP_INDEX_URL is set, so uv checks uv.lock against that index: 'uv sync --locked' compares the\n"
                "index URL recorded in uv.lock with it, exactly. Lock against the same index\n"
                "('uv lock --default-index URL'), or unset PIP_INDEX_URL for this app.")
    return ""


MANAGER = Manager(
    name="uv",
    pin="uv",
    lock_file="uv.lock",
    lock_fix="uv lock",
    # uv.toml can declare indexes and sources that the lock is checked against.
    reuse_files=("uv.lock", "pyproject.toml", "uv.toml"),
    index_settings=("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "UV_DEFAULT_INDEX", "UV_INDEX_URL",
                    "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_INSECURE_HOST", "UV_FIND_LINKS", "UV_NO_INDEX",
                    "UV_INDEX_STRATEGY"),
    tool_env=tool_env,
    commands=commands,
    lock_out_of_date=lock_out_of_date,
    failure_hint=failure_hint,
)
