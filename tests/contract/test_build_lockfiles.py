"""uv, Poetry and Pipenv apps (lockfiles made by the real tools) and a pyproject-only app: built with the real
bin/build, served, rebuilt with no change (the tool does not run) and with a changed lock (only the venv is rebuilt)."""

from pathlib import Path

import pytest
from support import lock_apps

pytestmark = pytest.mark.contract

APPS = {
    # kind: (generator, options, tool as logged, the sync command, greeting, Python version it resolves to)
    "uv": (lock_apps.uv_app, {}, "uv", "uv sync --locked --no-default-groups", "Hello from uv", "3.12.1"),
    "uv-package": (lock_apps.uv_app, {"package": True}, "uv", "uv sync --locked", "Hello from uv package", "3.12.1"),
    "poetry": (lock_apps.poetry_app, {}, "poetry", "poetry sync --only main", "Hello from Poetry", "3.12.1"),
    "pipenv": (lock_apps.pipenv_app, {}, "pipenv", "pipenv sync", "Hello from Pipenv", "3.11.7"),
}


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
    lock = {"uv": "uv.lock", "poetry": "poetry.lock", "pipenv": "Pipfile.lock"}[tool]
    assert f"Installing the dependencies locked in {lock} with" in result.output
    assert f"Using Python {python}" in result.output
    pin = (Path(__file__).parents[2] / "requirements" / f"{tool}.txt").read_text().strip()
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

    # A changed lock (Gunicorn now locked by the app): only the venv changes, with the cached tool; uv's exact sync
    # updates it in place, Poetry and Pipenv start it fresh.
    changed = _generate(kind, tmp_path / "changed", extra=("gunicorn==23.0.0",))
    app.restore_for_next_build(fresh_source=str(changed))
    third = app.build()
    assert third.returncode == 0, third
    assert f"Using cached Python {python}" in third.output
    how = ("Updating the cached virtual environment in place" if tool == "uv"
           else "Discarding cached virtual environment")
    assert f"{how} since:\n - The dependency files (" in third.output
    assert f"Using cached {pin.replace('==', ' ')}" in third.output
    assert f"Running '{command}" in third.output
    assert "adding it" not in third.output, "Gunicorn comes from the lock now"
    assert sorted(p.name for p in _site_packages(app).glob("gunicorn-*")) == ["gunicorn-23.0.0.dist-info"]
    pycs = list(_site_packages(app).glob("gunicorn/__pycache__/*.pyc"))
    assert len(pycs) == len(list(_site_packages(app).glob("gunicorn/*.py"))), "the new Gunicorn is compiled"
    with app.serve() as server:
        assert server.get("/") == greeting


@pytest.mark.parametrize(("kind", "fix"), [("uv", "uv lock"), ("poetry", "poetry lock"), ("pipenv", "pipenv lock")])
def test_out_of_date_lock(make_app, tmp_path, kind, fix):
    app = make_app(str(_generate(kind, tmp_path / "src", stale=True)))
    result = app.build()
    assert result.returncode == 1, result
    lock = {"uv": "uv.lock", "poetry": "poetry.lock", "pipenv": "Pipfile.lock"}[kind]
    assert f"[Error: {lock} is out of date]" in result.output
    assert f"Run '{fix}' in the app, commit the updated {lock}, and build again." in result.output
    assert result.output.count("[Error:") == 1 and "Traceback" not in result.output
    assert not (app.layers / "venv.toml").exists(), "a failed install leaves no venv a later build trusts"


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
