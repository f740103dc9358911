"""The lockfile methods (uv, Poetry, Pipenv, PDM): their commands, environments and failure explanations, on plain data.
The outputs below are what the pinned tools printed on this project's machines (requirements/NOTES.md)."""

import dataclasses
from pathlib import Path
from types import ModuleType

import pytest
from python_cnb import tool_versions
from python_cnb.errors import LockfileOutOfDate, PoetryPackageMissing, PythonConstraintInvalid
from python_cnb.package_managers import pdm, pipenv, poetry
from python_cnb.package_managers import uv_lock as uv
from python_cnb.package_managers.base import InstallPaths

REPO = Path(__file__).resolve().parents[2]
PATHS = InstallPaths(app_dir=Path("/workspace"), venv_dir=Path("/layers/python/venv"),
                     pip_python=Path("/layers/python/pip/venv/bin/python"), tool_bin=Path("/layers/python/tools/bin"),
                     cache_dir=Path("/layers/python/tool-cache"))
MODULES = [uv, poetry, pipenv, pdm]
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
PDM_STALE = "WARNING: Lockfile doesn't satisfy the project requirements, packages may be outdated\n"
PDM_INCOMPATIBLE = "WARNING: Lockfile is not compatible with PDM\n"
PDM_NOT_FOUND = ("[PackageNotFoundError]: No matching distribution found for blinker==1.9.0\n"
                 "WARNING: Add '-v' to see the detailed traceback\n")
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
    (pdm, PDM_STALE, LockfileOutOfDate),
    (pdm, PDM_INCOMPATIBLE, LockfileOutOfDate),
    (pdm, PDM_NOT_FOUND, None),
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


PDM_LOCK = '''[metadata]
groups = ["default", "test"]
lock_version = "4.5.1"

[[package]]
name = "flask"
version = "3.0.3"
groups = ["default"]

[[package]]
name = "pywin32"
version = "311"
groups = ["default"]
marker = "sys_platform == \\"win32\\""

[[package]]
name = "pytest"
version = "9.2.0"
groups = ["test"]
'''


@pytest.mark.parametrize(("name", "text", "main", "everything"), [
    ("uv.lock", UV_LOCK, {"flask": "3.0.3", "click": "8.5.1", "werkzeug": "3.1.9", "watchdog": "6.0.0"},
     {"flask", "click", "werkzeug", "watchdog", "colorama", "pywin32", "pytest"}),
    ("poetry.lock", POETRY_LOCK, {"flask": "3.0.3"}, {"flask", "colorama", "pytest"}),
    ("Pipfile.lock", PIPFILE_LOCK, {"flask": "3.0.3"}, {"flask", "pywin32", "pytest"}),
    ("pdm.lock", PDM_LOCK, {"flask": "3.0.3"}, {"flask", "pywin32", "pytest"}),
])
def test_locked_versions_follows_the_main_group_on_this_platform(tmp_path: Path, name: str, text: str,
                                                                  main: dict, everything: set) -> None:
    from support import lock_apps

    (tmp_path / name).write_text(text)
    assert lock_apps.locked_versions(tmp_path) == main
    assert set(lock_apps.locked_versions(tmp_path, main_only=False)) == everything
    assert "pytest" in lock_apps.dev_only(tmp_path)


# ---- Poetry's project itself: installed only when Poetry finds its package ----

@pytest.mark.parametrize(("pyproject", "present", "expected"), [
    # Poetry 1's `poetry init` in an app's directory: package mode, no package named after the project.
    ({"tool": {"poetry": {"name": "Hello.Poetry", "version": "0.1.0"}}}, set(), "Hello.Poetry"),
    ({"tool": {"poetry": {"name": "hello-poetry"}}}, {"hello_poetry/"}, None),
    ({"tool": {"poetry": {"name": "hello-poetry"}}}, {"hello_poetry.py"}, None),
    ({"tool": {"poetry": {"name": "hello-poetry"}}}, {"src/hello_poetry/"}, None),
    ({"tool": {"poetry": {"name": "hello-poetry"}}}, {"src/hello_poetry.py"}, None),
    ({"tool": {"poetry": {"name": "hello-poetry"}}}, {"hello-poetry/", "app/"}, "hello-poetry"),
    # Poetry 2: [project] names it; [tool.poetry] may switch package mode off or name the packages.
    ({"project": {"name": "web_app"}}, set(), "web_app"),
    ({"project": {"name": "web-app"}, "tool": {"poetry": {"name": "other"}}}, {"web_app/"}, None),
    ({"project": {"name": "web-app"}, "tool": {"poetry": {"package-mode": False}}}, set(), None),
    ({"project": {"name": "web-app"}, "tool": {"poetry": {"packages": [{"include": "x"}]}}}, set(), None),
    ({"tool": {"poetry": {"package-mode": False}}}, set(), None),
    ({}, set(), None),
])
def test_poetry_installs_the_project_only_when_it_finds_its_package(pyproject, present, expected) -> None:
    missing = poetry.missing_root_package(pyproject, lambda path: path in present)
    assert (missing[0] if missing else None) == expected
    if missing:
        module = expected.lower().replace("-", "_").replace(".", "_")
        assert missing[1] == (f"{module}/", f"{module}.py", f"src/{module}/", f"src/{module}.py")


def test_poetry_without_the_project_adds_no_root() -> None:
    (command,) = poetry.commands(PATHS, root=False)
    assert command.shown == "poetry sync --only main --no-interaction --no-ansi --no-root"


def test_poetry_locks_with_its_own_command() -> None:
    command = poetry.LOCK.generate_command(PATHS.tool_bin)
    assert command.argv == ("/layers/python/tools/bin/poetry", "lock", "--no-interaction", "--no-ansi")
    assert command.shown == "poetry lock --no-interaction --no-ansi"
    assert pipenv.LOCK.generate_command(PATHS.tool_bin).shown == "pipenv lock"


@pytest.mark.parametrize("output", ["\n/workspace/missing does not contain any element\n",
                                    "Error: The current project could not be installed: [Errno 2] build.py\n"])
def test_poetry_package_it_cannot_build_is_explained(output: str) -> None:
    assert isinstance(poetry.explain(output, {}, "poetry sync", 1), PoetryPackageMissing)


# ---- Pipenv: is a lock that verify calls out of date really stale? ----

PIPFILE = {"source": [{"url": "https://pypi.org/simple", "verify_ssl": True, "name": "pypi"}],
           "packages": {"Flask": "==3.0.3", "gunicorn": "*", "Requests": {"version": ">=2", "extras": ["socks"]},
                        "my_lib": {"path": ".", "editable": True}},
           "dev-packages": {"pytest": "*"}, "requires": {"python_version": "3.11"}}
PIPFILE_LOCK_OLD = {
    "_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {"python_version": "3.11"},
              "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]},
    "default": {"flask": {"version": "==3.0.3", "index": "pypi"}, "gunicorn": {"version": "==23.0.0"},
                "requests": {"version": "==2.32.3", "extras": ["socks"]}, "werkzeug": {"version": "==3.1.9"},
                "my-lib": {"path": ".", "editable": True}},
    "develop": {}}


def _with(data: dict, path: str, value: object) -> dict:
    import copy

    result = copy.deepcopy(data)
    *parents, last = path.split(".")
    target = result
    for key in parents:
        target = target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return result


@pytest.mark.parametrize(("pipfile", "lock", "problem"), [
    (PIPFILE, PIPFILE_LOCK_OLD, ""),
    # What the buildpack does not install does not count.
    (_with(PIPFILE, "dev-packages.coverage", "*"), PIPFILE_LOCK_OLD, ""),
    # A bare version is ==; "*" and a missing version allow any.
    (_with(PIPFILE, "packages.Flask", "3.0.3"), PIPFILE_LOCK_OLD, ""),
    (_with(PIPFILE, "packages.Flask", {"version": "*"}), PIPFILE_LOCK_OLD, ""),
    (_with(PIPFILE, "packages.Flask", "==3.1.0"), PIPFILE_LOCK_OLD,
     "Flask: the Pipfile asks for ==3.1.0, the lock has 3.0.3"),
    (_with(PIPFILE, "packages.Flask", ">=3.0,<3.0.3"), PIPFILE_LOCK_OLD,
     "Flask: the Pipfile asks for >=3.0,<3.0.3, the lock has 3.0.3"),
    (_with(PIPFILE, "packages.Flask", "=== nonsense ("), PIPFILE_LOCK_OLD,
     "Flask: '=== nonsense (' or the locked '==3.0.3' is not a valid version"),
    (_with(PIPFILE, "packages.click", "*"), PIPFILE_LOCK_OLD,
     "click is in the Pipfile's [packages] but not in the lock"),
    (_with(PIPFILE, "packages.Requests", {"version": ">=2", "extras": ["socks", "security"]}), PIPFILE_LOCK_OLD,
     "Requests: the Pipfile's extras are ['socks', 'security'], the lock's ['socks']"),
    (_with(PIPFILE, "packages.Requests", {"version": ">=2", "extras": [{"not": "a name"}]}), PIPFILE_LOCK_OLD,
     "Requests: the Pipfile's extras are [{'not': 'a name'}], the lock's ['socks']"),
    (_with(PIPFILE, "packages.my_lib", {"path": "./lib", "editable": True}), PIPFILE_LOCK_OLD,
     "my_lib: the Pipfile's path is './lib', the lock's '.'"),
    (_with(PIPFILE, "packages.gunicorn", {"git": "https://example.com/g.git"}), PIPFILE_LOCK_OLD,
     "gunicorn: the Pipfile's git is 'https://example.com/g.git', the lock's None"),
    (_with(PIPFILE, "source", [{"url": "https://mirror.example/simple"}]), PIPFILE_LOCK_OLD,
     "the Pipfile's sources are https://mirror.example/simple, the lock's https://pypi.org/simple"),
    # No [[source]]: PyPI's, as Pipenv records it.
    (_with(PIPFILE, "source", None), PIPFILE_LOCK_OLD, ""),
    (_with(PIPFILE, "requires.python_version", "3.12"), PIPFILE_LOCK_OLD,
     "the Pipfile's [requires] is not the one the lock was made with"),
    (PIPFILE, _with(PIPFILE_LOCK_OLD, "default.flask", {"git": "https://example.com/flask.git"}),
     "Flask: the Pipfile asks for '==3.0.3', the lock has None"),
    (PIPFILE, {}, "the Pipfile's sources are https://pypi.org/simple, the lock's none"),
])
def test_pipenv_lock_matches_the_pipfile_for_what_is_installed(pipfile: dict, lock: dict, problem: str) -> None:
    assert pipenv.lock_mismatch(pipfile, lock) == problem



def test_pipenv_update_removes_what_the_locks_default_section_does_not_install() -> None:
    """After `pipenv sync` into the restored environment: what a fresh sync would not have. `pipenv clean` would keep
    a package the lock has only among its development packages, and setuptools."""
    lock = {"_meta": {}, "default": {"Flask": {"version": "==3.0.3"}, "six": {"version": "==1.17.0"},
                                     "colorama": {"version": "==0.4.6", "markers": "sys_platform == 'win32'"},
                                     "tomli": {"version": "==2.0.1", "markers": "python_version < '3.11'"},
                                     "odd": {"version": "==1", "markers": "not a marker"}},
            "develop": {"pytest": {"version": "==8.0.0"}}}
    installed = ["flask", "six", "colorama", "tomli", "odd", "pytest", "setuptools", "gunicorn"]
    assert pipenv.unlocked(installed, lock, {"python_version": "3.12", "python_full_version": "3.12.1"}) == [
        "colorama", "gunicorn", "pytest", "setuptools", "tomli"]
    assert pipenv.unlocked(["tomli"], lock, {"python_version": "3.10", "python_full_version": "3.10.1"}) == []
    assert pipenv.unlocked(["flask"], {}, {}) == ["flask"]


# ---- the commands a lockfile method runs, and what it gets past (the tools' outputs as seen by hand) ----

class _Runs:
    """Stands in for run_streamed: each command's output and exit status, by how the log shows it."""

    def __init__(self, results: dict) -> None:
        self.results, self.shown = results, []

    def __call__(self, out, argv, *, env, cwd, shown, capture) -> int:
        self.shown.append(shown)
        output, status = self.results.get(shown, ("", 0))
        capture.append(output)
        return status


def _step(tmp_path: Path, lock_at_build: bool = False):
    import io

    from python_cnb.output import Output
    from python_cnb.package_managers.base import InstallStep
    from python_cnb.package_managers.installers import PIP

    log = io.StringIO()
    paths = dataclasses.replace(PATHS, app_dir=tmp_path)
    return InstallStep(out=Output(out=log, err=log), paths=paths, env={"PATH": "/usr/bin"}, installer=PIP,
                       installer_env={}, update=False, lock_at_build=lock_at_build), log


POETRY_SYNC = "poetry sync --only main --no-interaction --no-ansi"


def _poetry_app(tmp_path: Path, package: bool) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.poetry]\nname = 'hello-poetry'\n")
    if package:
        (tmp_path / "hello_poetry").mkdir()


@pytest.mark.parametrize("lock_at_build", [False, True])
def test_poetry_without_its_package_installs_with_no_root_decided_from_the_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock_at_build: bool) -> None:
    from python_cnb.package_managers import _lock

    _poetry_app(tmp_path, package=False)
    runs = _Runs({})
    monkeypatch.setattr(_lock, "run_streamed", runs)
    step, log = _step(tmp_path, lock_at_build)
    poetry.METHOD.install(step)
    assert runs.shown == [*(["poetry lock --no-interaction --no-ansi"] if lock_at_build else []),
                          f"{POETRY_SYNC} --no-root"]
    assert ("The project hello-poetry is in Poetry's package mode, but the app has none of hello_poetry/, "
            "hello_poetry.py, src/hello_poetry/, src/hello_poetry.py and no `packages` setting: installing its "
            "dependencies without the project itself (--no-root)") in log.getvalue()


def test_poetry_retries_with_no_root_when_it_finds_no_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files said there is a package, Poetry says there is none: its own message decides."""
    from python_cnb.package_managers import _lock

    _poetry_app(tmp_path, package=True)
    runs = _Runs({POETRY_SYNC: (POETRY_NO_PACKAGE, 1)})
    monkeypatch.setattr(_lock, "run_streamed", runs)
    step, log = _step(tmp_path)
    poetry.METHOD.install(step)
    assert runs.shown == [POETRY_SYNC, f"{POETRY_SYNC} --no-root"]
    assert "Poetry found no package for the project: installing its dependencies without the project itself" in \
        log.getvalue()


def test_poetry_with_its_package_installs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from python_cnb.package_managers import _lock

    _poetry_app(tmp_path, package=True)
    runs = _Runs({})
    monkeypatch.setattr(_lock, "run_streamed", runs)
    poetry.METHOD.install(_step(tmp_path)[0])
    assert runs.shown == [POETRY_SYNC]


def test_a_failed_lock_at_build_names_the_project_file_and_the_fix(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from python_cnb.errors import LockAtBuildFailed, render_error
    from python_cnb.package_managers import _lock

    _poetry_app(tmp_path, package=True)
    runs = _Runs({"poetry lock --no-interaction --no-ansi": ("version solving failed.\n", 1)})
    monkeypatch.setattr(_lock, "run_streamed", runs)
    with pytest.raises(LockAtBuildFailed) as info:
        poetry.METHOD.install(_step(tmp_path, lock_at_build=True)[0])
    assert runs.shown == ["poetry lock --no-interaction --no-ansi"]
    _, body = render_error(info.value)
    assert "The app has pyproject.toml but no poetry.lock, so the buildpack tried to lock it" in body
    assert "Run 'poetry lock' in the app" in body


def _pipenv_app(tmp_path: Path, pipfile: dict, lock: dict) -> None:
    import json

    from python_cnb.cnb import toml_io

    (tmp_path / "Pipfile").write_text(toml_io.dumps(pipfile))
    (tmp_path / "Pipfile.lock").write_text(json.dumps(lock))


def test_pipenv_installs_a_lock_of_an_older_pipenv_whose_packages_match(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from python_cnb.package_managers import _lock

    _pipenv_app(tmp_path, PIPFILE, PIPFILE_LOCK_OLD)
    runs = _Runs({"pipenv verify": (PIPENV_VERIFY_STALE, 1)})
    monkeypatch.setattr(_lock, "run_streamed", runs)
    step, log = _step(tmp_path)
    pipenv.METHOD.install(step)
    assert runs.shown == ["pipenv verify", "pipenv sync"]
    assert ("Pipfile.lock's hash of the Pipfile differs from the one this Pipenv computes (a lock written by an older "
            "Pipenv), but its packages match the Pipfile's [packages]: installing it") in log.getvalue()


@pytest.mark.parametrize(("pipfile", "lock_text", "reason"), [
    (_with(PIPFILE, "packages.click", "*"), None, "click is in the Pipfile's [packages] but not in the lock"),
    (PIPFILE, "{not json", "it cannot be read"),
])
def test_pipenv_keeps_failing_on_a_stale_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipfile: dict,
                                              lock_text: object, reason: str) -> None:
    from python_cnb.package_managers import _lock

    _pipenv_app(tmp_path, pipfile, PIPFILE_LOCK_OLD)
    if lock_text is not None:
        (tmp_path / "Pipfile.lock").write_text(lock_text)
    runs = _Runs({"pipenv verify": (PIPENV_VERIFY_STALE, 1)})
    monkeypatch.setattr(_lock, "run_streamed", runs)
    step, log = _step(tmp_path)
    with pytest.raises(LockfileOutOfDate):
        pipenv.METHOD.install(step)
    assert runs.shown == ["pipenv verify"]
    assert f"Pipfile.lock does not match the Pipfile: {reason}" in log.getvalue()


def test_pipenv_locks_at_build_then_verifies_and_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from python_cnb.package_managers import _lock

    runs = _Runs({})
    monkeypatch.setattr(_lock, "run_streamed", runs)
    pipenv.METHOD.install(_step(tmp_path, lock_at_build=True)[0])
    assert runs.shown == ["pipenv lock", "pipenv verify", "pipenv sync"]


# ---- PDM ----

def test_pdm_installs_into_the_venv_with_its_python() -> None:
    env = pdm.tool_env({**USER_ENV, "VIRTUAL_ENV": "/elsewhere", "PDM_USE_VENV": "false", "PDM_IGNORE_ACTIVE_VENV": "1",
                        "PDM_PYTHON": "/usr/bin/python3", "PDM_LOCKFILE": "other.lock", "PDM_USE_UV": "1"}, PATHS)
    assert env["VIRTUAL_ENV"] == "/layers/python/venv"
    assert env["PDM_PYTHON"] == "/layers/python/venv/bin/python"
    assert env["PDM_USE_VENV"] == "true"
    assert not {"PDM_IGNORE_ACTIVE_VENV", "PDM_USE_UV"} & set(env)
    assert env["PDM_LOCKFILE"] == "/workspace/pdm.lock"
    assert env["PDM_CACHE_DIR"] == "/layers/python/tool-cache"
    assert env["PDM_CONFIG_FILE"] == "/layers/python/tool-cache/buildpack-config.toml"
    assert env["PDM_LOG_DIR"].startswith("/layers/python/tool-cache/")
    assert env["PDM_CHECK_UPDATE"] == "false"


def test_pdm_checks_the_lock_then_syncs_the_production_set_exactly() -> None:
    check, sync = pdm.commands(PATHS)
    assert check.shown == "pdm lock --check"
    assert sync.shown == "pdm sync --prod --clean-unselected"


def test_pdm_maps_pip_index_settings() -> None:
    env = pdm.tool_env({**USER_ENV, "PIP_TRUSTED_HOST": "mirror.example"}, PATHS)
    assert env["PDM_PYPI_URL"] == USER_ENV["PIP_INDEX_URL"]
    assert env["PDM_PYPI_VERIFY_SSL"] == "false"
    assert env["REQUESTS_CA_BUNDLE"] == "/etc/ssl/certs/ca.pem"
    assert "PDM_PYPI_VERIFY_SSL" not in pdm.tool_env(USER_ENV, PATHS)
    mine = pdm.tool_env({**USER_ENV, "PDM_PYPI_URL": "https://mine.example/simple"}, PATHS)
    assert mine["PDM_PYPI_URL"] == "https://mine.example/simple"
    assert not {"PDM_PYPI_URL", "REQUESTS_CA_BUNDLE"} & set(pdm.tool_env({"PATH": "/usr/bin"}, PATHS))


def test_pdm_extra_indexes_go_to_its_config_without_their_secrets() -> None:
    text, variables = pdm.index_config({
        "PIP_EXTRA_INDEX_URL": "https://us%40er:s3cret%3A1@extra.example/simple https://other.example:8443/simple "
                               "https://token@third.example/simple",
        "PIP_TRUSTED_HOST": "other.example:8443"})
    assert "s3cret" not in text and "token" not in text
    assert text == (
        '[pypi.extra-index-1]\n'
        'url = "https://${PDM_BUILDPACK_INDEX_1_USER}:${PDM_BUILDPACK_INDEX_1_PASSWORD}@extra.example/simple"\n\n'
        '[pypi.extra-index-2]\nurl = "https://other.example:8443/simple"\nverify_ssl = false\n\n'
        '[pypi.extra-index-3]\nurl = "https://${PDM_BUILDPACK_INDEX_3_USER}@third.example/simple"\n')
    # PDM quotes each value again when it expands the reference.
    assert variables == {"PDM_BUILDPACK_INDEX_1_USER": "us@er", "PDM_BUILDPACK_INDEX_1_PASSWORD": "s3cret:1",
                         "PDM_BUILDPACK_INDEX_3_USER": "token"}
    env = pdm.tool_env({**USER_ENV, "PIP_EXTRA_INDEX_URL": "https://u:s3cret@extra.example/simple"}, PATHS)
    assert env["PDM_BUILDPACK_INDEX_1_PASSWORD"] == "s3cret"
    assert pdm.index_config({"PIP_INDEX_URL": "https://mirror.example/simple"}) == ("", {})


def test_pdm_index_settings_are_part_of_the_reuse_key() -> None:
    assert {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PDM_PYPI_URL"} <= \
        set(pdm.METHOD.index_settings)


@pytest.mark.parametrize(("lock", "expected"), [
    ({"metadata": {"targets": [{"requires_python": "==3.11.*"}]}}, [("[[metadata.targets]] requires_python",
                                                                      "==3.11.*", ["3.11.7"])]),
    # Any one target: `pdm lock --append --python ...` adds one.
    ({"metadata": {"targets": [{"requires_python": "==3.11.*"}, {"requires_python": ">=3.13", "platform": "linux"}]}},
     [("[[metadata.targets]] requires_python", "==3.11.* or >=3.13", ["3.11.7", "3.13.0"])]),
    ({"metadata": {"targets": [{"requires_python": "==3.11.*"}, {"platform": "linux"}]}}, []),
    ({"metadata": {"requires_python": ">=3.12"}}, [("[metadata] requires_python", ">=3.12", ["3.12.1", "3.13.0"])]),
    ({"metadata": {"lock_version": "4.5.1"}}, []),
    ({}, []),
])
def test_pdm_lock_declares_the_python_versions_it_was_made_for(lock: dict, expected: list) -> None:
    found = pdm.lock_constraints(lock)
    assert [(c.key, c.value, [v for v in ("3.10.13", "3.11.7", "3.12.1", "3.13.0") if c.allows(v)])
            for c in found] == expected
    assert all(c.file == "pdm.lock" for c in found)


@pytest.mark.parametrize("lock", [{"metadata": {"requires_python": 3.11}},
                                  {"metadata": {"targets": [{"requires_python": ">=3.x"}]}}])
def test_pdm_lock_with_an_invalid_python_range(lock: dict) -> None:
    with pytest.raises(PythonConstraintInvalid) as info:
        pdm.lock_constraints(lock)
    assert info.value.file == "pdm.lock"


def test_pdm_lock_is_a_version_source_read_from_its_text() -> None:
    (source,) = pdm.METHOD.version_sources
    assert source.file == "pdm.lock"
    (constraint,) = source.read('[metadata]\nlock_version = "4.5.1"\n\n[[metadata.targets]]\n'
                                'requires_python = ">=3.12"\n')
    assert str(constraint) == "[[metadata.targets]] requires_python '>=3.12' in pdm.lock"


def test_a_tool_pin_may_hold_back_its_dependencies(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    pin = tmp_path / "requirements" / "tool.txt"
    pin.write_text("tool==1.2.3\n# why: see NOTES.md\nhelper[extra]==0.9  # breaks tool 1.2.3 from 1.0 on\n\n")
    assert tool_versions.read_pin(tmp_path, "tool") == "tool==1.2.3 helper[extra]==0.9"
    for text in ("tool==1.2.3\nhelper>=1\n", "helper==1\ntool==1.2.3\n", "# only a comment\n", "tool>=1\n"):
        pin.write_text(text)
        with pytest.raises(ValueError, match="requirements/tool.txt must hold one 'tool==X.Y.Z' line"):
            tool_versions.read_pin(tmp_path, "tool")
    assert tool_versions.read_pin(REPO, "pdm").split()[0] == "pdm==2.29.4"
