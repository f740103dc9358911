"""User errors through pack: the exact message, a failing build, no traceback. And secrets stay secret."""

import subprocess

import pytest

from .conftest import docker_run

pytestmark = pytest.mark.e2e


def _failed_cleanly(result, title, app_traceback=False):
    assert result.returncode != 0, result
    assert f"[Error: {title}]" in result.output, result
    assert result.output.count("[Error:") == 1, result
    assert "python_cnb" not in result.output, result  # nothing from the buildpack's own code
    if not app_traceback:
        assert "Traceback" not in result.output, result
    assert "failed with status code: 51" in result.output, result


def test_eol_python_version(pack):
    app = pack.app("app_py")
    (app / "runtime.txt").write_text("python-3.6.15\n")
    result = pack.build(pack.image_name("eol"), app)
    _failed_cleanly(result, "Python version is no longer supported")
    assert "runtime.txt asks for Python 3.6.15, which has reached its upstream end of life" in result.output
    assert "Supported versions: 3.11 to 3.12." in result.output


def test_no_web_process(pack):
    result = pack.build(pack.image_name("noweb"), pack.app("app_run"))
    _failed_cleanly(result, "Unable to determine how to run the app")
    assert "ERROR: don't know how to run your application" in result.output


def test_pip_failure(pack):
    app = pack.app("flask_wsgi")
    (app / "requirements.txt").write_text("this-package-does-not-exist-python-cnb==1.0\n")
    result = pack.build(pack.image_name("pipfail"), app)
    _failed_cleanly(result, "Command failed")
    assert "The command 'pip install --no-compile -r requirements.txt' failed with exit status 1." in result.output


def test_collectstatic_failure(pack):
    result = pack.build(pack.image_name("staticfail"), pack.app("django_app"), env={"BREAK_COLLECTSTATIC": "1"})
    _failed_cleanly(result, "Unable to generate Django static files", app_traceback=True)
    assert "set DISABLE_COLLECTSTATIC=TRUE to skip this step" in result.output


def test_private_index_with_credentials(pack, private_index, docker_services):
    secret = "s3cr3t-index-password"
    image = pack.image_name("private-index")
    result = pack.build(image, pack.app("flask_wsgi"),
                        env={"PIP_INDEX_URL": f"http://indexuser:{secret}@{private_index}/simple"})
    assert result.returncode == 0, result
    served = docker_services._docker_compose.execute("logs package-index").decode()
    assert "GET /simple/flask/" in served and "GET /simple/gunicorn/" in served, served
    assert secret not in result.output and "indexuser" not in result.output
    assert "http://****@127.0.0.1" in result.output or "Looking in indexes" not in result.output
    inspect = subprocess.run(["docker", "inspect", image], capture_output=True, text=True, check=True).stdout
    assert secret not in inspect and "indexuser" not in inspect
    saved = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    assert secret.encode() not in saved, "the secret is somewhere in the image's layers"
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Flask"
        assert container.get("/env/PIP_INDEX_URL") == "<unset>"
