"""uv, Poetry, Pipenv and PDM apps (lockfiles made by the real tools) and a pyproject-only app: built with the real
bin/build, served, rebuilt with no change (the tool does not run) and with a changed lock (only the venv is updated).
Poetry and Pipenv projects without their locks (locked at build), and a lock of an older Pipenv. PDM's update in place
gives what a fresh install gives."""

import shutil
import subprocess
from pathlib import Path

import pytest
from support import lock_apps
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract

APPS = {
    # kind: (generator, options, tool as logged, the sync command, greeting, Python version it resolves to)
    "uv": (lock_apps.uv_app, {}, "uv", "uv sync --locked --no-default-groups", "Hello from uv", "3.12.1"),
    "uv-package": (lock_apps.uv_app, {"package": True}, "uv", "uv sync --locked", "Hello from uv package", "3.12.1"),
    "poetry": (lock_apps.poetry_app, {}, "poetry", "poetry sync --only main", "Hello from Poetry", "3.12.1"),
    "pipenv": (lock_apps.pipenv_app, {}, "pipenv", "pipenv sync", "Hello from Pipenv", "3.11.7"),
    # `pdm init -n` on 3.11 writes requires-python '==3.11.*'; its --dist template '>=3.11'.
    "pdm": (lock_apps.pdm_app, {}, "pdm", "pdm sync --prod --clean-unselected", "Hello from PDM", "3.11.7"),
    "pdm-package": (lock_apps.pdm_app, {"package": True}, "pdm", "pdm sync --prod", "Hello from PDM package",
                    "3.12.1"),
}
LOCKS = {"uv": "uv.lock", "poetry": "poetry.lock", "pipenv": "Pipfile.lock", "pdm": "pdm.lock"}


def _site_packages(app) -> Path:
    return next((app.layers / "venv").glob("lib/python3.*/site-packages"))


def _generate(kind: str, dest: Path, **options) -> Path:
    generator, base_options, *_ = APPS[kind]
    return generator(dest, **{**base_options, **options})


@pytest.mark.parametrize("kind", list(APPS))
def test_lockfile_app_builds_serves_and_rebuilds(make_app, tmp_path, kind):
    _, _, tool, command, greeting, python = APPS[kind]
    source = _generate(kind, tmp_path / "src")
    app = make_app(str(source), PIP_UPGRADE="TRUE")
    assert app.detect().returncode == 0
    result = app.build()
    assert result.returncode == 0, result
    assert f"PIP_UPGRADE is set, but ignored: {tool} installs this app's dependencies, not pip" in result.output
    assert f"Installing the dependencies locked in {LOCKS[tool]} with" in result.output
    assert f"Using Python {python}" in result.output
    pin = lock_apps.tool_pin(tool).split()[0]  # the tool's own pin, without what it holds back
    assert f"Installing {pin.replace('==', ' ')}" in result.output
    assert f"Running '{command}" in result.output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in result.output
    # Exactly what the lock pins, nothing from the development group.
    locked = lock_apps.locked_versions(source)
    site = _site_packages(app)
    assert locked["flask"] == "3.0.3" and (site / "flask-3.0.3.dist-info").is_dir()
    for name, version in locked.items():
        assert list(site.glob(f"{name.replace('-', '_')}-{version}.dist-info")) or \
            list(site.glob(f"{name}-{version}.dist-info")), (name, version)
    assert not list(site.glob("pytest-*.dist-info"))
    # The tool installs into the buildpack's venv, never one of its own in the app.
    assert not (app.app / ".venv").exists() and not (app.app / ".pdm-python").exists()
    # The tool lives in a cache-only layer: never in the image, never on a later buildpack's PATH.
    assert app.layer_toml(tool)["types"] == {"launch": False, "build": False, "cache": True}
    assert app.layer_toml(f"{tool}-cache")["types"] == {"launch": False, "build": False, "cache": True}
    with app.serve() as server:
        assert server.get("/") == greeting

    # No change: the environment is reused and the tool does not run.
    app.restore_for_next_build(fresh_source=str(source))
    again = app.build()
    assert again.returncode == 0, again
    assert f"Using cached virtual environment: nothing that affects it has changed; skipping {tool}" in again.output
    assert f"Running '{command}" not in again.output and "Installing " + pin.replace("==", " ") not in again.output

    # A changed lock (Gunicorn now locked by the app): only the venv changes, with the cached tool, updated in place.
    changed = _generate(kind, tmp_path / "changed", extra=("gunicorn==23.0.0",))
    app.restore_for_next_build(fresh_source=str(changed))
    third = app.build()
    assert third.returncode == 0, third
    assert f"Using cached Python {python}" in third.output
    assert "Updating the cached virtual environment in place since:\n - The dependency files (" in third.output
    assert f"Using cached {pin.replace('==', ' ')}" in third.output
    assert f"Running '{command}" in third.output
    assert "adding it" not in third.output, "Gunicorn comes from the lock now"
    assert sorted(p.name for p in _site_packages(app).glob("gunicorn-*")) == ["gunicorn-23.0.0.dist-info"]
    pycs = list(_site_packages(app).glob("gunicorn/__pycache__/*.pyc"))
    assert len(pycs) == len(list(_site_packages(app).glob("gunicorn/*.py"))), "the new Gunicorn is compiled"
    with app.serve() as server:
        assert server.get("/") == greeting


@pytest.mark.parametrize(("kind", "fix"), [("uv", "uv lock"), ("poetry", "poetry lock"), ("pipenv", "pipenv lock"),
                                           ("pdm", "pdm lock")])
def test_out_of_date_lock(make_app, tmp_path, kind, fix):
    app = make_app(str(_generate(kind, tmp_path / "src", stale=True)))
    result = app.build()
    assert result.returncode == 1, result
    lock = LOCKS[kind]
    assert f"[Error: {lock} is out of date]" in result.output
    assert f"Run '{fix}' in the app, commit the updated {lock}, and build again." in result.output
    assert result.output.count("[Error:") == 1 and "Traceback" not in result.output
    assert not (app.layers / "venv.toml").exists(), "a failed install leaves no venv a later build trusts"


UNLOCKED = {
    # kind: (generator, options, lock file, the lock command, greeting, whether the project itself is installed)
    "poetry-init": (lock_apps.poetry_init_app, {}, "poetry.lock", "poetry lock --no-interaction --no-ansi",
                    "Hello from Poetry init", False),
    "poetry-new": (lock_apps.poetry_app, {"locked": False}, "poetry.lock", "poetry lock --no-interaction --no-ansi",
                   "Hello from Poetry", True),
    "pipenv": (lock_apps.pipenv_app, {"locked": False}, "Pipfile.lock", "pipenv lock", "Hello from Pipenv", False),
}


@pytest.mark.parametrize("kind", list(UNLOCKED))
def test_project_without_its_lock_is_locked_at_build(make_app, tmp_path, kind):
    """Poetry 1's `poetry init` shape (no [project], no package), Poetry 2's `poetry new` shape and a hand-written
    Pipfile, without their locks: locked at build, with a warning, then installed as the locked path does."""
    generator, options, lock, lock_command, greeting, root = UNLOCKED[kind]
    source = generator(tmp_path / "src", **options)
    assert not (source / lock).exists()
    app = make_app(str(source))
    result = app.build()
    assert result.returncode == 0, result
    assert f"No {lock}: locking " in result.output
    assert f"[Warning: No {lock}: this build is not reproducible]" in result.output
    assert f"Run '{lock_command.split(' --')[0]}' in the app and commit {lock}" in result.output
    assert f"Running '{lock_command}'" in result.output
    sync = "pipenv sync" if kind == "pipenv" else "poetry sync --only main --no-interaction --no-ansi"
    assert f"Running '{sync}{'' if root or kind == 'pipenv' else ' --no-root'}'" in result.output
    if kind == "poetry-init":
        assert ("The project hello-poetry is in Poetry's package mode, but the app has none of hello_poetry/, "
                "hello_poetry.py, src/hello_poetry/, src/hello_poetry.py") in result.output
    assert (app.app / lock).is_file(), "the lock is written into the app"
    site = _site_packages(app)
    assert (site / "flask-3.0.3.dist-info").is_dir() and not list(site.glob("pytest-*.dist-info"))
    assert bool(list(site.glob("poetry_app-*.dist-info"))) is root
    with app.serve() as server:
        assert server.get("/") == greeting

    # The same source again: the environment (and its versions) is reused; nothing is locked.
    app.restore_for_next_build(fresh_source=str(source))
    again = app.build()
    assert again.returncode == 0, again
    assert "Using cached virtual environment: nothing that affects it has changed" in again.output
    assert f"Running '{lock_command}'" not in again.output
    assert f"[Warning: No {lock}: this build is not reproducible]" in again.output
    with app.serve() as server:
        assert server.get("/") == greeting


def test_project_that_cannot_be_locked(make_app, tmp_path):
    source = lock_apps.poetry_init_app(tmp_path / "src")
    pyproject = source / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('flask = "', 'no-such-dist-python-cnb = "*"\nflask = "'))
    result = make_app(str(source)).build()
    assert_clean_failure(result, "Command failed")
    assert "Because hello-poetry depends on no-such-dist-python-cnb (*) which doesn't match any versions" in \
        result.output
    assert "The command 'poetry lock --no-interaction --no-ansi' failed with exit status 1." in result.output
    assert "The app has pyproject.toml but no poetry.lock, so the buildpack tried to lock it." in result.output
    assert "Running 'poetry sync" not in result.output


def test_lock_of_an_older_pipenv_that_matches_the_pipfile(make_app, tmp_path):
    """Pipenv 2026.4.0 hashes a Pipfile's package names in their canonical form: a lock made by Pipenv 2024.4.1 for
    `Flask = "==3.0.3"` fails `pipenv verify` with the pinned Pipenv, though its packages match."""
    source = lock_apps.pipenv_app(tmp_path / "src", locked_by="pipenv==2024.4.1", flask="Flask")
    app = make_app(str(source))
    result = app.build()
    assert result.returncode == 0, result
    assert "Pipfile.lock is out-of-date" in result.output, "the pinned Pipenv's verify still says so"
    assert ("Pipfile.lock's hash of the Pipfile differs from the one this Pipenv computes (a lock written by an older "
            "Pipenv), but its packages match the Pipfile's [packages]: installing it") in result.output
    assert "Running 'pipenv sync'" in result.output and "[Error:" not in result.output
    assert (_site_packages(app) / "flask-3.0.3.dist-info").is_dir()
    with app.serve() as server:
        assert server.get("/") == "Hello from Pipenv"

    # The same lock with a package the Pipfile now asks for: really stale.
    stale = lock_apps.pipenv_app(tmp_path / "stale", locked_by="pipenv==2024.4.1", flask="Flask", stale=True)
    app.restore_for_next_build(fresh_source=str(stale))
    failed = app.build()
    assert failed.returncode == 1, failed
    assert ("Pipfile.lock does not match the Pipfile: requests is in the Pipfile's [packages] but not in the lock"
            in failed.output)
    assert "[Error: Pipfile.lock is out of date]" in failed.output and failed.output.count("[Error:") == 1


def test_pyproject_only_app(make_app):
    app = make_app("pyproject_app")
    result = app.build()
    assert result.returncode == 0, result
    assert "Using Python 3.11.7 (requires-python '>=3.11,<3.12' in pyproject.toml)" in result.output
    assert "installing it in editable mode" in result.output
    assert "Running 'pip install --no-compile -e .'" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from a PEP 621 project"
    app.restore_for_next_build(fresh_source="pyproject_app")
    again = app.build()
    assert again.returncode == 0, again
    assert "skipping pip" in again.output and "Running 'pip" not in again.output


def _freeze(app) -> list:
    """Every distribution in the app's venv (setuptools and pip included), as the build-only pip layer's pip sees it."""
    result = subprocess.run([str(app.layers / "pip" / "venv" / "bin" / "python"), "-m", "pip", "--python",
                             str(app.layers / "venv" / "bin" / "python"), "freeze", "--all"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return sorted(result.stdout.split())


def test_pdm_update_in_place_gives_what_a_fresh_install_gives(make_app, tmp_path):
    """Upgraded (itsdangerous), added (requests and what it pulls in) and removed (six, and setuptools, which PDM's
    sync never uninstalls by itself) locked packages."""
    first = lock_apps.pdm_app(tmp_path / "first", extra=("six", "setuptools", "itsdangerous==2.1.2"))
    changed = lock_apps.pdm_app(tmp_path / "changed", extra=("requests",))
    app = make_app(str(first))
    result = app.build()
    assert result.returncode == 0, result
    before = _freeze(app)
    assert {"itsdangerous==2.1.2", "six==1.17.0", "Flask==3.0.3"} <= set(before), before
    assert any(line.startswith("setuptools==") for line in before), before

    app.restore_for_next_build(fresh_source=str(changed))
    second = app.build()
    assert second.returncode == 0, second
    assert "Updating the cached virtual environment in place since:" in second.output
    assert "Running 'pip uninstall --yes setuptools'" in second.output
    updated = _freeze(app)
    locked = lock_apps.locked_versions(changed)
    assert locked["itsdangerous"] == "2.2.0" and "requests" in locked and "six" not in locked
    assert "itsdangerous==2.2.0" in updated and not any(line.startswith(("six==", "setuptools==")) for line in updated)
    with app.serve() as server:
        assert server.get("/") == "Hello from PDM"

    # The same lock from scratch.
    app.restore_for_next_build(fresh_source=str(changed))
    shutil.rmtree(app.layers / "venv")
    (app.layers / "venv.toml").unlink()
    third = app.build()
    assert third.returncode == 0, third
    assert "Creating virtual environment" in third.output
    assert _freeze(app) == updated
