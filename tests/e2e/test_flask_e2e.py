"""Flask through pack and the lifecycle: image, launcher, rebuild reuse, a later buildpack's view."""

import json
import subprocess

import pytest

from .conftest import docker_inspect, docker_run

pytestmark = pytest.mark.e2e


def test_flask_image_rebuilds_and_runtime_knobs(pack):
    app = pack.app("flask_wsgi")
    image = pack.image_name("flask")
    first = pack.build(image, app)
    assert first.returncode == 0, first
    assert "Installing Python 3.12.1" in first.output
    assert "Running 'pip install --no-compile -r requirements.txt'" in first.output
    assert "Traceback" not in first.output
    assert "Successfully built image" in first.output

    config = docker_inspect(image)["Config"]
    assert config["User"] not in ("", "0", "root", "0:0"), config["User"]
    assert config["Entrypoint"] == ["/cnb/process/web"]
    metadata = json.loads(config["Labels"]["io.buildpacks.build.metadata"])
    web = [p for p in metadata["processes"] if p["type"] == "web"]
    assert web and web[0]["command"][-1].endswith("/web/bin/python-buildpack-run")
    assert web[0]["command"][2].endswith("/web/bin/python-buildpack-init")  # PID 1: forwards docker stop

    with docker_run(image) as container:
        assert container.get("/") == "Hello from Flask"
        assert "Listening at: http://0.0.0.0:8080" in container.log
        assert container.get("/env/FORWARDED_ALLOW_IPS") == "*"
        assert container.get("/scheme", headers={"X-Forwarded-Proto": "https"}) == "https"
        uid = subprocess.run(["docker", "exec", container.name, "id", "-u"], capture_output=True, text=True)
        assert uid.stdout.strip() not in ("", "0"), uid

    with docker_run(image, env={"FORWARDED_ALLOW_IPS": "127.0.0.2"}) as container:
        assert container.get("/scheme", headers={"X-Forwarded-Proto": "https"}) == "http"

    with docker_run(image, options=["--memory", "512m"]) as container:
        container.get("/")
        assert container.get("/env/WEB_CONCURRENCY") == "2"
        assert container.workers(2) == 2
    with docker_run(image, options=["--memory", "2g"]) as container:
        container.get("/")
        assert container.get("/env/WEB_CONCURRENCY") == "6"
        assert container.workers(6) == 6
    with docker_run(image, env={"WEB_CONCURRENCY": "3"}, options=["--memory", "2g"]) as container:
        container.get("/")
        assert container.workers(3) == 3
        assert container.get("/env/WEB_CONCURRENCY") == "3"
    with docker_run(image, env={"APP_RUN": "python -c 'import http.server as h; "
                                           "h.test(h.SimpleHTTPRequestHandler, port=8080, bind=\"127.0.0.1\")'"}) \
            as container:
        assert "wsgi.py" in container.get("/")  # a directory listing of /workspace, not Flask
        assert "Running application from (python -c" in container.log

    second = pack.build(image, app)
    assert second.returncode == 0, second
    assert "Using cached Python 3.12.1" in second.output
    assert "Using cached virtual environment: nothing that affects it has changed; skipping pip" in second.output
    assert "Running 'pip" not in second.output
    for layer in ("python", "venv", "web"):
        assert f"Reusing layer 'python-cnb/python:{layer}'" in second.output, second
    assert "Adding layer 'python-cnb/python:" not in second.output
    assert 'Restoring data for "python-cnb/python:pip-cache" from cache' in second.output

    (app / "requirements.txt").write_text("flask\nsix\n")
    third = pack.build(image, app)
    assert third.returncode == 0, third
    assert "Using cached Python 3.12.1" in third.output
    assert "Reusing layer 'python-cnb/python:python'" in third.output
    assert "Reusing layer 'python-cnb/python:web'" in third.output
    assert "Updating the cached virtual environment in place since:\n - The requirements files" in third.output
    assert "Adding layer 'python-cnb/python:venv'" in third.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Flask"

    # uv as the installer: a fresh environment installed by uv, then reused as a whole; uv stays out of the image.
    fourth = pack.build(image, app, env={"BP_PYTHON_INSTALLER": "uv"})
    assert fourth.returncode == 0, fourth
    assert "Running 'uv pip install --link-mode hardlink -r requirements.txt'" in fourth.output
    assert "Fetched uv-0.13.9-py3-none-manylinux" in fourth.output, "uv's wheel straight from the index"
    assert "Discarding cached virtual environment since:\n - The install method has changed" in fourth.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Flask"
        found = subprocess.run(["docker", "exec", container.name, "sh", "-c", "ls /layers/python-cnb_python; "
                                "ls /layers/python-cnb_python/venv/lib/python3.12/site-packages"],
                               capture_output=True, text=True)
        assert "six-" in found.stdout and "uv" not in found.stdout.split() and "pip" not in found.stdout.split()
    fifth = pack.build(image, app, env={"BP_PYTHON_INSTALLER": "uv"})
    assert fifth.returncode == 0, fifth
    assert "Using cached virtual environment: nothing that affects it has changed; skipping uv" in fifth.output
    assert "Reusing layer 'python-cnb/python:venv'" in fifth.output


def test_later_buildpack_sees_python_pip_and_packages(pack, buildpack_dir):
    from support.cnb_harness import REPO

    app = pack.app("flask_wsgi")
    image = pack.image_name("later-bp")
    testing_bp = REPO / "tests" / "fixtures" / "testing_buildpack"
    result = pack.build(image, app, extra=["--buildpack", str(buildpack_dir), "--buildpack", str(testing_bp),
                                           "--trust-extra-buildpacks"])
    assert result.returncode == 0, result
    assert "later-buildpack: python is /layers/python-cnb_python/venv/bin/python" in result.output
    assert "later-buildpack: flask flask" in result.output
    assert "later-buildpack: pip list: Flask" in result.output
    assert "later-buildpack: VIRTUAL_ENV=/layers/python-cnb_python/venv" in result.output


def test_build_image_without_python3(pack, builder_nopython):
    app = pack.app("app_py")
    image = pack.image_name("nopython")
    result = pack.build(image, app, builder=builder_nopython)
    assert result.returncode == 0, result
    assert "No python3 in the build image: bootstrapping Python 3.12.1 to run the buildpack" in result.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from app.py"
