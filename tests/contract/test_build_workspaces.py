"""uv workspaces and path dependencies in a monorepo, with the real uv and pip: the workspace's root app installs its
members; APP_HOME naming a member installs that member's locked set from the root's uv.lock and starts in its
directory; path dependencies outside APP_HOME but inside the source install and are part of the reuse key; a path
outside the source fails naming it."""

import shutil
from pathlib import Path

import pytest
from support import lock_apps
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract


def _site_packages(app) -> Path:
    return next((app.layers / "venv").glob("lib/python3.*/site-packages"))


def _installed(app, name: str) -> bool:
    return bool(list(_site_packages(app).glob(f"{name}-*.dist-info")))


def test_workspace_root_app_installs_its_members(make_app, tmp_path):
    source = lock_apps.uv_workspace_app(tmp_path / "src")
    app = make_app(str(source))
    result = app.build()
    assert result.returncode == 0, result
    assert "Running 'uv sync --locked --no-default-groups --no-compile-bytecode --link-mode" in result.output
    assert _installed(app, "greeting") and not _installed(app, "shared") and not _installed(app, "pytest")
    with app.serve() as server:
        assert server.get("/") == "Hello from the workspace root"

    # A change to the member's code: it is installed editable, so the environment is reused and serves the change.
    changed = lock_apps.uv_workspace_app(tmp_path / "changed", greeting="Howdy")
    app.restore_for_next_build(fresh_source=str(changed))
    again = app.build()
    assert again.returncode == 0, again
    assert "Using cached virtual environment: nothing that affects it has changed" in again.output
    with app.serve() as server:
        assert server.get("/") == "Howdy from the workspace root"


def test_app_home_names_a_workspace_member(make_app, tmp_path):
    source = lock_apps.uv_workspace_app(tmp_path / "src")
    app = make_app(str(source), APP_HOME="services/api")
    assert app.detect().returncode == 0
    result = app.build()
    assert result.returncode == 0, result
    assert ("The app's project acme-api is a member of the workspace in ../.. (relative to the app's directory): "
            "installing it with the workspace's uv.lock") in result.output
    assert "--no-compile-bytecode --package acme-api --link-mode" in result.output
    for name in ("greeting", "shared", "flask"):
        assert _installed(app, name), name
    web = next(p for p in app.launch_toml()["processes"] if p["type"] == "web")
    assert web["working-dir"] == str(app.app / "services" / "api")
    with app.serve() as server:
        assert server.get("/") == "Hello from the api, with libs/shared"

    # libs/shared is built and installed (not editable): a change to its code changes the environment.
    changed = tmp_path / "changed"
    shutil.copytree(source, changed)
    (changed / "libs/shared/src/shared/__init__.py").write_text('NAME = "libs/shared, changed"\n')
    app.restore_for_next_build(fresh_source=str(changed))
    again = app.build()
    assert again.returncode == 0, again
    assert "The dependency files (uv.lock, pyproject.toml, uv.toml) have changed" in again.output
    with app.serve() as server:
        assert server.get("/") == "Hello from the api, with libs/shared, changed"


def _pip_monorepo(root: Path, shared: str) -> Path:
    (root / "libs/shared/shared").mkdir(parents=True)
    (root / "libs/shared/pyproject.toml").write_text(
        '[project]\nname = "shared"\nversion = "1.0"\n\n[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n')
    (root / "libs/shared/shared/__init__.py").write_text(f"NAME = {shared!r}\n")
    web = root / "services/web"
    web.mkdir(parents=True)
    (web / "requirements.txt").write_text("flask==3.0.3\n../../libs/shared\n")
    (web / "wsgi.py").write_text("from flask import Flask\nfrom shared import NAME\n\napplication = Flask(__name__)\n"
                                 "\n\n@application.get('/')\ndef index():\n    return f'web with {NAME}'\n")
    return root


def test_pip_path_dependency_outside_app_home(make_app, tmp_path):
    source = _pip_monorepo(tmp_path / "src", "shared 1")
    app = make_app(str(source), APP_HOME="services/web")
    result = app.build()
    assert result.returncode == 0, result
    assert _installed(app, "shared")
    with app.serve() as server:
        assert server.get("/") == "web with shared 1"
    changed = _pip_monorepo(tmp_path / "changed", "shared 2")
    app.restore_for_next_build(fresh_source=str(changed))
    again = app.build()
    assert again.returncode == 0, again
    assert "The requirements files (or the local projects" in again.output
    with app.serve() as server:
        assert server.get("/") == "web with shared 2"


def test_path_outside_the_source(make_app, tmp_path):
    source = _pip_monorepo(tmp_path / "src", "x")
    (source / "services/web/requirements.txt").write_text("flask==3.0.3\n../../../elsewhere/shared\n")
    result = make_app(str(source), APP_HOME="services/web").build()
    assert_clean_failure(result, "requirements.txt names a path outside the app's source")
    assert "'../../../elsewhere/shared'" in result.output
