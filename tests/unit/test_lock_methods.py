"""The lockfile methods (uv, Poetry, Pipenv): their commands, environments and failure explanations, on plain data.
The outputs below are what the pinned tools printed on this project's machines (requirements/NOTES.md)."""

import dataclasses
from pathlib import Path
from types import ModuleType

import pytest
from python_cnb import tool_versions
from python_cnb.errors import LockfileOutOfDate, PoetryPackageMissing
from python_cnb.package_managers import pipenv, poetry
from python_cnb.package_managers import uv_lock as uv
from python_cnb.package_managers.base import InstallPaths

REPO = Path(__file__).resolve().parents[2]
PATHS = InstallPaths(app_dir=Path("/workspace"), venv_dir=Path("/layers/python/venv"),
                     pip_python=Path("/layers/python/pip/venv/bin/python"), tool_bin=Path("/layers/python/tools/bin"),
                     cache_dir=Path("/layers/python/tool-cache"))
MODULES = [uv, poetry, pipenv]
IDS = lambda module: module.METHOD.name  # noqa: E731
USER_ENV = {"PATH": "/layers/python/venv/bin:/usr/bin:/bin", "VIRTUAL_ENV": "/layers/python/venv",
            "HOME": "/home/cnb", "PIP_CERT": "/etc/ssl/certs/ca.pem",
            "PIP_INDEX_URL": "https://builder:s3cret@mirror.example/simple",
            "PIP_EXTRA_INDEX_URL": "https://extra.example/simple https://other.example/simple"}

UV_STALE = ("Resolved 19 packages in 317ms\n"
            "error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided.\n\n"
            "hint: To update the lockfile, run `uv lock`.\n")
UV_TLS = ("error: Request failed after 3 retries\n  Caused by: invalid peer certificate: UnknownIssuer\n\n"
          "hint: Consider enabling use of system TLS certificates with the `--system-certs` command-line flag\n")
UV_PYTHON_MISMATCH = ("Using CPython 3.12.1 interpreter at: /layers/python/venv/bin/python\n"
                      "error: The requested interpreter resolved to Python 3.12.1, which is incompatible with the "
                      "project's Python requirement: `>=3.13` (from `project.requires-python`)\n")
POETRY_STALE = ("Installing dependencies from lock file\n\npyproject.toml changed significantly since poetry.lock was "
                "last generated. Run `poetry lock` to fix the lock file.\n")
POETRY_NO_PACKAGE = ("Installing the current project: poapp (0.1.0)\n\nError: The current project could not be "
                     "installed: No file/folder found for package poapp\n")
PIPENV_VERIFY_STALE = "Pipfile.lock is out-of-date. Run $ pipenv lock to update.\n"
PIPENV_DEPLOY_STALE = ("Your Pipfile.lock \n(9827590f62b4aff97ebd9a65df6041fc15286b2aefe3a612fe8aeaf6ff0d4b0d) is "
                       "out of \ndate. Expected: \n"
                       "(296dacc695d694f199afbc99f115ca691564edcad2c2d884d90a4c89db7c3864).\n")
PIPENV_PIP_FAILED = ("ERROR: Could not find a version that satisfies the requirement blinker==1.9.0 \n(from versions: "
                     "none)\nERROR: No matching distribution found for blinker==1.9.0\n")


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_each_pin_is_a_valid_requirements_file(module: ModuleType) -> None:
    pin = tool_versions.read_pin(REPO, module.METHOD.tool)
    assert pin.startswith(f"{module.METHOD.manager}==")


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_the_lock_file_and_its_fix_belong_to_the_tool(module: ModuleType) -> None:
    lock = module.METHOD.lock
    assert lock.file in module.REUSE_FILES and lock.file in module.METHOD.files
    assert lock.fix.split()[0] == module.METHOD.tool


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_commands_run_the_tool_from_its_own_bin_and_show_no_path(module: ModuleType) -> None:
    commands = module.commands(PATHS)
    assert commands
    for command in commands:
        assert command.argv[0] == str(PATHS.tool_bin / module.METHOD.tool)
        assert command.shown == " ".join((module.METHOD.tool, *command.argv[1:]))
        assert "/" not in command.shown


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_no_secret_in_any_command(module: ModuleType) -> None:
    env = module.tool_env(USER_ENV, PATHS)
    for command in module.commands(PATHS):
        assert not any("s3cret" in arg for arg in command.argv)
    assert "s3cret" in USER_ENV["PIP_INDEX_URL"] and env is not USER_ENV


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_tool_env_keeps_the_user_env_and_does_not_change_it(module: ModuleType) -> None:
    before = dict(USER_ENV)
    env = module.tool_env(USER_ENV, PATHS)
    assert USER_ENV == before
    assert env["PATH"] == USER_ENV["PATH"] and env["HOME"] == USER_ENV["HOME"]


def test_uv_installs_into_the_venv_with_its_python_and_never_downloads_one() -> None:
    env = uv.tool_env({**USER_ENV, "VIRTUAL_ENV": "/elsewhere"}, PATHS)
    assert env["UV_PROJECT_ENVIRONMENT"] == env["VIRTUAL_ENV"] == "/layers/python/venv"
    assert env["UV_PYTHON"] == "/layers/python/venv/bin/python"
    assert env["UV_PYTHON_DOWNLOADS"] == "never"
    assert env["UV_CACHE_DIR"] == "/layers/python/tool-cache"


def test_uv_syncs_the_locked_main_dependencies_without_bytecode_by_the_link_mode_chosen() -> None:
    (command,) = uv.commands(PATHS)
    assert command.argv[1:] == ("sync", "--locked", "--no-default-groups", "--no-compile-bytecode",
                                "--link-mode", "copy")
    (linked,) = uv.commands(dataclasses.replace(PATHS, link_mode="hardlink"))
    assert linked.shown == "uv sync --locked --no-default-groups --no-compile-bytecode --link-mode hardlink"


def test_uv_maps_pip_index_settings() -> None:
    env = uv.tool_env({**USER_ENV, "PIP_TRUSTED_HOST": "mirror.example"}, PATHS)
    assert env["UV_DEFAULT_INDEX"] == USER_ENV["PIP_INDEX_URL"]
    assert env["UV_INDEX"] == USER_ENV["PIP_EXTRA_INDEX_URL"]
    assert env["UV_INSECURE_HOST"] == "mirror.example"
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca.pem"


@pytest.mark.parametrize(("user", "expected"), [
    ({"UV_DEFAULT_INDEX": "https://uv.example/simple"}, "https://uv.example/simple"),
    ({"UV_INDEX_URL": "https://legacy.example/simple"}, None),
])
def test_uv_own_index_settings_win(user: dict, expected: object) -> None:
    env = uv.tool_env({**USER_ENV, **user}, PATHS)
    assert env.get("UV_DEFAULT_INDEX") == expected
    assert {k: env[k] for k in user} == user


def test_uv_keeps_the_users_certificate_file() -> None:
    env = uv.tool_env({**USER_ENV, "SSL_CERT_FILE": "/mine.pem"}, PATHS)
    assert env["SSL_CERT_FILE"] == "/mine.pem"


def test_uv_without_pip_settings_sets_no_index() -> None:
    env = uv.tool_env({"PATH": "/usr/bin"}, PATHS)
    assert not {"UV_DEFAULT_INDEX", "UV_INDEX", "UV_INSECURE_HOST", "SSL_CERT_FILE"} & set(env)


@pytest.mark.parametrize("name", ["UV_FROZEN", "UV_NO_SYNC", "UV_SYSTEM_PYTHON", "UV_COMPILE_BYTECODE",
                                  "UV_LINK_MODE", "UV_PROJECT"])
def test_uv_drops_user_settings_that_would_change_the_install(name: str) -> None:
    assert name not in uv.tool_env({**USER_ENV, name: "1"}, PATHS)


def test_poetry_installs_into_the_venv_and_never_creates_one() -> None:
    env = poetry.tool_env({**USER_ENV, "VIRTUAL_ENV": "/elsewhere", "POETRY_VIRTUALENVS_CREATE": "true"}, PATHS)
    assert env["VIRTUAL_ENV"] == "/layers/python/venv"
    assert env["POETRY_VIRTUALENVS_CREATE"] == "false"
    assert env["POETRY_CACHE_DIR"] == "/layers/python/tool-cache"
    assert env["POETRY_CONFIG_DIR"].startswith("/layers/python/tool-cache/")
    assert env["POETRY_NO_INTERACTION"] == "1"


def test_poetry_syncs_the_main_group_only() -> None:
    (command,) = poetry.commands(PATHS)
    assert command.argv[1:] == ("sync", "--only", "main", "--no-interaction", "--no-ansi")


def test_poetry_reads_no_pip_index_settings_but_gets_the_certificate() -> None:
    env = poetry.tool_env(USER_ENV, PATHS)
    assert poetry.METHOD.index_settings == ()
    assert env["REQUESTS_CA_BUNDLE"] == "/etc/ssl/certs/ca.pem"
    assert not any(name.startswith("POETRY_REPOSITORIES") for name in env)


def test_pipenv_verifies_then_syncs_into_the_venv() -> None:
    commands = pipenv.commands(PATHS)
    assert [c.shown for c in commands] == ["pipenv verify", "pipenv sync"]
    env = pipenv.tool_env({**USER_ENV, "PIPENV_IGNORE_VIRTUALENVS": "1", "PIPENV_DEV": "1"}, PATHS)
    assert env["VIRTUAL_ENV"] == "/layers/python/venv"
    assert env["PIPENV_PIPFILE"] == "/workspace/Pipfile"
    assert env["PIPENV_DONT_LOAD_ENV"] == "1"
    assert "PIPENV_IGNORE_VIRTUALENVS" not in env and "PIPENV_DEV" not in env


def test_pipenv_turns_off_pip_compilation_the_way_pip_reads_it() -> None:
    env = pipenv.tool_env({**USER_ENV, "PIP_NO_COMPILE": "1"}, PATHS)
    assert env["PIP_COMPILE"] == "0"
    assert "PIP_NO_COMPILE" not in env


def test_pipenv_maps_the_index_to_its_pypi_mirror_and_passes_pip_settings() -> None:
    env = pipenv.tool_env(USER_ENV, PATHS)
    assert env["PIPENV_PYPI_MIRROR"] == USER_ENV["PIP_INDEX_URL"]
    assert env["PIP_EXTRA_INDEX_URL"] == USER_ENV["PIP_EXTRA_INDEX_URL"]
    assert env["PIP_CERT"] == USER_ENV["PIP_CERT"]
    mine = pipenv.tool_env({**USER_ENV, "PIPENV_PYPI_MIRROR": "https://mine.example/simple"}, PATHS)
    assert mine["PIPENV_PYPI_MIRROR"] == "https://mine.example/simple"


@pytest.mark.parametrize(("module", "output", "expected"), [
    (uv, UV_STALE, LockfileOutOfDate),
    (uv, UV_TLS, None),
    (uv, UV_PYTHON_MISMATCH, None),
    (poetry, POETRY_STALE, LockfileOutOfDate),
    (poetry, "Error: " + POETRY_STALE.split("\n\n")[1], LockfileOutOfDate),
    (poetry, POETRY_NO_PACKAGE, PoetryPackageMissing),
    (pipenv, PIPENV_VERIFY_STALE, LockfileOutOfDate),
    (pipenv, PIPENV_DEPLOY_STALE, LockfileOutOfDate),
    (pipenv, PIPENV_PIP_FAILED, None),
    (pipenv, "Pipfile.lock is up-to-date.\n", None),
])
def test_failures_are_explained_from_the_tools_output(module: ModuleType, output: str, expected: object) -> None:
    error = module.explain(output, {}, "tool sync", 1)
    assert type(error) is expected if expected is not None else error is None
    if isinstance(error, LockfileOutOfDate):
        assert (error.lock_file, error.fix, error.command) == (module.LOCK.file, module.LOCK.fix, "tool sync")
        assert error.project_file == module.LOCK.project_file and error.index_variable == ""


def test_uv_says_when_the_lock_was_checked_against_a_mapped_pip_index() -> None:
    env = uv.tool_env(USER_ENV, PATHS)
    error = uv.explain(UV_STALE, env, "uv sync --locked", 1)
    assert isinstance(error, LockfileOutOfDate) and error.index_variable == "PIP_INDEX_URL"


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_index_settings_are_variable_names(module: ModuleType) -> None:
    assert all(name.isupper() and " " not in name for name in module.METHOD.index_settings)


# ---- tests/support/lock_apps.locked_versions, on small hand-written lockfiles ----

UV_LOCK = '''version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "Flask" }, { name = "pywin32", marker = "sys_platform == 'win32'" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "flask"
version = "3.0.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "click" }, { name = "werkzeug", extra = ["watchdog"] }]

[[package]]
name = "click"
version = "8.5.1"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "colorama", marker = "sys_platform == 'win32'" }]

[[package]]
name = "werkzeug"
version = "3.1.9"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
watchdog = [{ name = "watchdog" }]

[[package]]
name = "watchdog"
version = "6.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pywin32"
version = "311"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "9.2.0"
source = { registry = "https://pypi.org/simple" }
'''

POETRY_LOCK = '''[[package]]
name = "Flask"
version = "3.0.3"
groups = ["main"]

[[package]]
name = "colorama"
version = "0.4.6"
groups = ["main", "dev"]
markers = {main = "platform_system == \\"Windows\\"", dev = "sys_platform == \\"win32\\""}

[[package]]
name = "pytest"
version = "9.2.0"
groups = ["dev"]

[metadata]
lock-version = "2.1"
'''

PIPFILE_LOCK = '''{"_meta": {}, "default": {"flask": {"version": "==3.0.3", "markers": "python_version >= '3.8'"},
 "pywin32": {"version": "==311", "markers": "sys_platform == 'win32'"}, "local": {"editable": true, "path": "."}},
 "develop": {"pytest": {"version": "==9.2.0"}}}'''


@pytest.mark.parametrize(("name", "text", "main", "everything"), [
    ("uv.lock", UV_LOCK, {"flask": "3.0.3", "click": "8.5.1", "werkzeug": "3.1.9", "watchdog": "6.0.0"},
     {"flask", "click", "werkzeug", "watchdog", "colorama", "pywin32", "pytest"}),
    ("poetry.lock", POETRY_LOCK, {"flask": "3.0.3"}, {"flask", "colorama", "pytest"}),
    ("Pipfile.lock", PIPFILE_LOCK, {"flask": "3.0.3"}, {"flask", "pywin32", "pytest"}),
])
def test_locked_versions_follows_the_main_group_on_this_platform(tmp_path: Path, name: str, text: str,
                                                                  main: dict, everything: set) -> None:
    from support import lock_apps

    (tmp_path / name).write_text(text)
    assert lock_apps.locked_versions(tmp_path) == main
    assert set(lock_apps.locked_versions(tmp_path, main_only=False)) == everything
    assert "pytest" in lock_apps.dev_only(tmp_path)
