"""A uv workspace through pack and the lifecycle, with APP_HOME naming a member: installed from the root's uv.lock
(the member's locked set, its path dependency on libs/shared built), served on 8080 from the member's directory;
a no-change rebuild reuses every layer without running uv; a changed lock (one locked package added) updates only
the venv layer."""

import pytest
from support import lock_apps

from .conftest import docker_run

pytestmark = pytest.mark.e2e


def test_workspace_member_as_app_home(pack):
    app = lock_apps.uv_workspace_app(pack.tmp_path / "workspace")
    image = pack.image_name("uv-workspace")
    env = {"APP_HOME": "services/api"}
    first = pack.build(image, app, env=env)
    assert first.returncode == 0, first
    assert "is a member of the workspace in ../.. (relative to the app's directory)" in first.output
    assert "--package acme-api --link-mode" in first.output
    assert "Traceback" not in first.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from the api, with libs/shared"

    second = pack.build(image, app, env=env)
    assert second.returncode == 0, second
    assert "skipping uv" in second.output
    for layer in ("python", "venv", "web"):
        assert f"Reusing layer 'python-cnb/python:{layer}'" in second.output, second

    changed = lock_apps.uv_workspace_app(pack.tmp_path / "workspace-changed", extra=("gunicorn==23.0.0",))
    for name in ("uv.lock", "services/api/pyproject.toml"):
        (app / name).write_text((changed / name).read_text())
    third = pack.build(image, app, env=env)
    assert third.returncode == 0, third
    assert "Updating the cached virtual environment in place since:\n - The dependency files (" in third.output
    assert "Reusing layer 'python-cnb/python:python'" in third.output
    assert "Adding layer 'python-cnb/python:venv'" in third.output
    assert "The web process uses Gunicorn, which the app does not list" not in third.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from the api, with libs/shared"
