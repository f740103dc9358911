"""Pipenv: `pipenv verify` then `pipenv sync` of Pipfile.lock into the buildpack's virtual environment.

Checked by hand with Pipenv 2026.10.3 (installed in its own venv; the app's venv made with `python -m venv`, with or
without pip). The three candidate ways to get `--deploy` semantics into an existing venv:

- `pipenv install --deploy` (with VIRTUAL_ENV) installs the right packages, but on a lock that does not match the
  Pipfile it prints a Python traceback (lines prefixed `[DeployException]:`) around its message "Your Pipfile.lock
  (...) is out of date. Expected: (...)" and "ERROR:: Aborting deploy": not something to show a user.
- `pipenv requirements` + `pip install -r`: the requirements start with Pipenv's `-i` for the Pipfile's source, so the
  index settings are the same as below, with one more moving part.
- `pipenv verify` + `pipenv sync`: chosen. `verify` only compares the Pipfile's hash with the lock (no network) and
  fails with exit 1 and "Pipfile.lock is out-of-date. Run $ pipenv lock to update." on stderr; `sync` installs
  exactly the lock's default packages (not [dev-packages]) without resolving, and does not check the hash by itself
  (it exits 0 on a stale lock), hence `verify` first. Neither writes into the app directory.

Pipenv runs its own vendored pip with the venv's python (`VENV/bin/python .../pipenv/patched/pip/__pip-runner__.py
install -i <source url> --no-input --no-deps -r <hashed requirements>`), with the environment it was given:

- VIRTUAL_ENV selects the venv (PIPENV_IGNORE_VIRTUALENVS would make Pipenv create its own, so it is dropped);
  PIPENV_PIPFILE names the app's Pipfile (no search in parent directories); PIPENV_DONT_LOAD_ENV=1 keeps Pipenv from
  loading the app's `.env` file into the install; PIPENV_VERBOSITY=-1 drops the "Courtesy Notice" about running inside
  a virtual environment (pip's errors still show); PIPENV_NOSPIN, PIPENV_YES and PIPENV_HIDE_EMOJIS keep the log plain.
- Bytecode: pip compiles by default, and PIP_NO_COMPILE=1 does NOT stop it (pip reads `no-compile` values inverted:
  PIP_NO_COMPILE=1 compiles, =0 does not). PIP_COMPILE=0 reads as meant, so it is set and PIP_NO_COMPILE dropped.
- Index settings: the `-i` Pipenv passes (the Pipfile's [[source]] url, as recorded in the lock) overrides
  PIP_INDEX_URL, which therefore has no effect by itself. PIPENV_PYPI_MIRROR replaces the PyPI source's URL, so
  PIP_INDEX_URL becomes PIPENV_PYPI_MIRROR (unless the user set it); a Pipfile source that is not PyPI is used as is.
  PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST and PIP_CERT reach pip unchanged.
- Timings: verify + sync of a Flask app (7 packages) about 4 s, mostly Pipenv's start-up and pip.
"""

from __future__ import annotations

import re
from typing import Dict, Mapping, Sequence

from ._env import map_unless_set, without
from .base import InstallPaths, Manager, ToolCommand

__all__ = ["MANAGER", "tool_env", "commands", "lock_out_of_date"]

# Settings the buildpack decides: a user's value for any of them is dropped. PIPENV_DEV/PIPENV_SYSTEM and the
# virtualenv-location ones would change what is installed, or where.
_OWNED = ("VIRTUAL_ENV", "PIPENV_IGNORE_VIRTUALENVS", "PIPENV_VENV_IN_PROJECT", "PIPENV_CUSTOM_VENV_NAME",
          "PIPENV_PYTHON", "PIPENV_DEFAULT_PYTHON_VERSION", "PIPENV_SYSTEM", "PIPENV_DEV", "PIPENV_PIPFILE",
          "PIPENV_DONT_LOAD_ENV", "PIPENV_CACHE_DIR", "PIPENV_VERBOSITY", "PIPENV_NOSPIN", "PIPENV_YES",
          "PIPENV_HIDE_EMOJIS", "PIP_CACHE_DIR", "PIP_COMPILE", "PIP_NO_COMPILE")

_OUT_OF_DATE = re.compile(r"Pipfile\.lock\b.{0,120}?\bis out[- ]of[- ]date", re.IGNORECASE)


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    result = without(env, _OWNED)
    result.update({
        "VIRTUAL_ENV": str(paths.venv_dir),
        "PIPENV_PIPFILE": str(paths.app_dir / "Pipfile"),
        "PIPENV_DONT_LOAD_ENV": "1",
        "PIPENV_CACHE_DIR": str(paths.cache_dir / "pipenv"),
        "PIP_CACHE_DIR": str(paths.cache_dir / "pip"),
        "PIP_COMPILE": "0",
        "PIPENV_VERBOSITY": "-1",
        "PIPENV_NOSPIN": "1",
        "PIPENV_YES": "1",
        "PIPENV_HIDE_EMOJIS": "1",
    })
    map_unless_set(result, "PIP_INDEX_URL", "PIPENV_PYPI_MIRROR")
    return result


def commands(paths: InstallPaths) -> Sequence[ToolCommand]:
    pipenv = str(paths.tool_bin / "pipenv")
    return (ToolCommand(argv=(pipenv, "verify"), shown="pipenv verify"),
            ToolCommand(argv=(pipenv, "sync"), shown="pipenv sync"))


def lock_out_of_date(output: str) -> bool:
    # Pipenv's console wraps long lines at 80 columns ("is out of \ndate"): match on whitespace-joined text.
    return bool(_OUT_OF_DATE.search(" ".join(output.split())))


MANAGER = Manager(
    name="pipenv",
    pin="pipenv",
    lock_file="Pipfile.lock",
    lock_fix="pipenv lock",
    reuse_files=("Pipfile.lock", "Pipfile"),
    index_settings=("PIP_INDEX_URL", "PIPENV_PYPI_MIRROR", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS",
                    "PIP_TRUSTED_HOST", "PIP_NO_INDEX"),
    tool_env=tool_env,
    commands=commands,
    lock_out_of_date=lock_out_of_date,
)
