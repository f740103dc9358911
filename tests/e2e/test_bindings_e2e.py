"""A service binding through pack and the lifecycle, as kpack mounts one (`/platform/bindings/NAME`, with
SERVICE_BINDING_ROOT): the build installs from a local index that requires basic auth, with the binding's pip.conf;
the password is in no image layer (docker save), no image config, and not in the build log."""

import os
import subprocess
from pathlib import Path

import pytest
from support import package_index
from support.auth_index import serve_with_auth

from .conftest import docker_run

pytestmark = pytest.mark.e2e

USER, PASSWORD = "e2e-binding-user", "e2e-b1nd1ng-s3cret"
CACHE = Path(os.environ.get("PYTHON_CNB_CACHE", "/var/cache/python-cnb"))


def test_pip_binding_under_the_lifecycle(pack, tmp_path):
    root = package_index.build_index(CACHE / "package-index", ["flask", "gunicorn==27.0.1"], "3.12")
    binding = tmp_path / "binding"
    binding.mkdir()
    with serve_with_auth(root, USER, PASSWORD) as (url, seen):
        (binding / "type").write_text("pip\n")
        (binding / "pip.conf").write_text(
            f"[global]\nindex-url = {url.replace('//', f'//{USER}:{PASSWORD}@')}/simple\n")
        for path in (binding, *binding.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        image = pack.image_name("binding")
        result = pack.build(image, pack.app("flask_wsgi"), env={"SERVICE_BINDING_ROOT": "/platform/bindings"},
                            extra=["--volume", f"{binding}:/platform/bindings/private-index:ro"])
        assert result.returncode == 0, result
    assert "Service binding private-index (type pip): PIP_INDEX_URL for the build only" in result.output
    assert any(path.startswith("/simple/flask/") and ok for path, ok in seen), seen
    assert PASSWORD not in result.output and USER not in result.output
    inspect = subprocess.run(["docker", "inspect", image], capture_output=True, text=True, check=True).stdout
    assert PASSWORD not in inspect and USER not in inspect
    saved = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    assert PASSWORD.encode() not in saved and USER.encode() not in saved, "the credentials are in the image"
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Flask"
        assert container.get("/env/PIP_INDEX_URL") == "<unset>"
