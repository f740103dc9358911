"""Poetry: `poetry sync --only main` of poetry.lock into the buildpack's virtual environment.

Checked by hand with Poetry 2.5.1 (installed in its own venv; the app's venv made with `python -m venv`, with or
without pip):

- With VIRTUAL_ENV naming the app's venv and POETRY_VIRTUALENVS_CREATE=false, Poetry installs into that venv and
  never makes its own (without VIRTUAL_ENV it would install into the Python running Poetry, its own tool venv).
- `poetry sync --only main` installs the main group only (a `dev` group with pytest is left out) and removes what the
  lock does not name (pip, which the venv was seeded with, is kept). Packages the buildpack adds itself (Gunicorn)
  must therefore be installed after it.
- The root project is installed, in editable mode (a .pth file pointing at the app's source), when the project is in
  package mode (Poetry's default); with `[tool.poetry] package-mode = false` it is not. A package-mode project without
  its package directory fails (exit 1) with "Error: The current project could not be installed: No file/folder found
  for package NAME" followed by Poetry's own fixes (`--no-root`, `package-mode = false`, `packages`).
- Poetry does not compile bytecode unless asked (`--compile`): no .pyc is written into the venv.
- A lock that does not match pyproject.toml: exit 1, "pyproject.toml changed significantly since poetry.lock was last
  generated. Run `poetry lock` to fix the lock file." (`poetry check --lock` says the same after "Error: "), before
  anything is installed, so no separate check command is needed.
- Configuration: POETRY_CONFIG_DIR names a directory that never exists, so no user or machine config.toml applies
  (the project's own poetry.toml still does; environment variables win over it). POETRY_CACHE_DIR holds the
  downloaded artifacts. Nothing is written to $HOME. POETRY_KEYRING_ENABLED=false keeps Poetry from probing a
  system keyring (credentials come from POETRY_HTTP_BASIC_<SOURCE>_USERNAME/_PASSWORD).
- Index settings: Poetry reads no PIP_* variable. Its sources come from pyproject.toml (`[[tool.poetry.source]]`),
  so PIP_INDEX_URL and PIP_EXTRA_INDEX_URL do not apply; the default PyPI source uses PyPI's JSON API.
  PIP_CERT becomes REQUESTS_CA_BUNDLE, which Poetry honours (it ignores SSL_CERT_FILE).
- Timings: a Flask app (7 packages plus the root project) in 1.3 to 1.8 s, most of it Poetry's own start-up.
"""

from __future__ import annotations

import re
from typing import Dict, Mapping, Sequence

from ._env import map_unless_set, without
from .base import InstallPaths, Manager, ToolCommand

__all__ = ["MANAGER", "tool_env", "commands", "lock_out_of_date"]

# Settings the buildpack decides: a user's value for any of them is dropped.
_OWNED = ("VIRTUAL_ENV", "POETRY_VIRTUALENVS_CREATE", "POETRY_CACHE_DIR", "POETRY_CONFIG_DIR", "POETRY_DATA_DIR",
          "POETRY_NO_INTERACTION", "POETRY_KEYRING_ENABLED", "POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON",
          "POETRY_VIRTUALENVS_USE_POETRY_PYTHON")

SYNC_ARGS = ("sync", "--only", "main", "--no-interaction", "--no-ansi")

_OUT_OF_DATE = re.compile(r"pyproject\.toml changed significantly since poetry\.lock", re.IGNORECASE)


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    result = without(env, _OWNED)
    result.update({
        "VIRTUAL_ENV": str(paths.venv_dir),
        "POETRY_VIRTUALENVS_CREATE": "false",
        "POETRY_CACHE_DIR": str(paths.cache_dir),
        "POETRY_CONFIG_DIR": str(paths.cache_dir / "no-user-config"),
        "POETRY_DATA_DIR": str(paths.cache_dir / "data"),
        "POETRY_NO_INTERACTION": "1",
        "POETRY_KEYRING_ENABLED": "false",
    })
    map_unless_set(result, "PIP_CERT", "REQUESTS_CA_BUNDLE")
    return result


def commands(paths: InstallPaths) -> Sequence[ToolCommand]:
    return (ToolCommand(argv=(str(paths.tool_bin / "poetry"), *SYNC_ARGS), shown=" ".join(("poetry", *SYNC_ARGS))),)


def lock_out_of_date(output: str) -> bool:
    return bool(_OUT_OF_DATE.search(" ".join(output.split())))


def failure_hint(output: str, env: Mapping[str, str]) -> str:
    if "No file/folder found for package" in output:
        return ("Poetry installs the project itself (package mode, Poetry's default), but the package directory\n"
                "it names is not in the app. If the app is not a package, set 'package-mode = false' under\n"
                "[tool.poetry] in pyproject.toml and run 'poetry lock'; otherwise add the package directory (or\n"
                "its 'packages' setting) to the app.")
    return ""


MANAGER = Manager(
    name="poetry",
    pin="poetry",
    lock_file="poetry.lock",
    lock_fix="poetry lock",
    # poetry.toml (project-level Poetry config) can change installer settings.
    reuse_files=("poetry.lock", "pyproject.toml", "poetry.toml"),
    # Sources live in pyproject.toml (a reuse file); Poetry reads no PIP_* index variable.
    index_settings=(),
    tool_env=tool_env,
    commands=commands,
    lock_out_of_date=lock_out_of_date,
    failure_hint=failure_hint,
)
