"""The apps people actually write, through pack + lifecycle + docker run: Django's startproject layout, ASGI
apps, main:app, Procfile process types, an image with no entry point, and how fast `docker stop` ends each kind
of web process; the sample app (examples/flask) and the Django app under hardened runtimes (read-only root, an
arbitrary uid, no capabilities, little memory) and against slow clients. Each image is built once (module-scoped)
and carries several checks."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from typing import List, Tuple

import pytest
from support.cnb_harness import REPO

from .conftest import Pack, build_ok, docker_run, docker_run_once

pytestmark = pytest.mark.e2e


# docker stop sends SIGTERM and kills after 10 s: a stop well under that means the signal reached the server and it
# exited by itself (on an idle machine it takes well under a second; a busy 2-core CI machine needs the margin).
STOPPED_BY_ITSELF = 5


def _stop_seconds(name: str) -> float:
    started = time.monotonic()
    stopped = subprocess.run(["docker", "stop", name], capture_output=True, text=True, timeout=30)
    assert stopped.returncode == 0, stopped.stderr
    return time.monotonic() - started


@pytest.fixture(scope="module")
def django(module_pack: Pack) -> Tuple[str, str]:
    return build_ok(module_pack, "django_startproject")


def test_django_startproject(django: Tuple[str, str]) -> None:
    image, output = django
    assert "Running 'python manage.py collectstatic --noinput'" in output
    assert ("Web process: gunicorn mysite.wsgi:application (Django project: WSGI_APPLICATION in "
            "mysite/settings.py)") in output
    assert " - wsgi.py: not at the root" in output and " - asgi.py: not at the root" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from a django-admin startproject layout"
        assert container.get("/static/hello.txt") == "hello static\n"
        assert _stop_seconds(container.name) < STOPPED_BY_ITSELF


@pytest.fixture(scope="module")
def fastapi(module_pack: Pack) -> Tuple[str, str]:
    return build_ok(module_pack, "fastapi_main")


def test_fastapi_main_py(fastapi: Tuple[str, str]) -> None:
    image, output = fastapi
    assert "Web process: gunicorn main:app (main.py defines app)" in output
    assert "Gunicorn worker class: uvicorn_worker.UvicornWorker" in output
    assert "which the app does not list: adding it" in output
    with docker_run(image, env={"WEB_CONCURRENCY": "3"}) as container:
        assert json.loads(container.get("/")) == {"hello": "from FastAPI main:app"}
        assert json.loads(container.get("/env/FORWARDED_ALLOW_IPS")) == {"FORWARDED_ALLOW_IPS": "*"}
        assert container.workers(3) == 3
        assert "uvicorn_worker" in container.log.lower() or "Started server process" in container.log
        assert _stop_seconds(container.name) < STOPPED_BY_ITSELF


def test_starlette_asgi_py(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "starlette_asgi")
    assert "Web process: gunicorn asgi:app (asgi.py found)" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Starlette asgi.py over http"


def test_flask_main_py(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "flask_main")
    assert "Web process: gunicorn main:app (main.py defines app)" in output
    assert "Gunicorn worker class: gthread, 16 threads per worker" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Flask main:app"
        assert _stop_seconds(container.name) < STOPPED_BY_ITSELF


@pytest.fixture(scope="module")
def procfile(module_pack: Pack) -> Tuple[str, str]:
    return build_ok(module_pack, "procfile_app")


def test_procfile_web_with_port_and_worker(procfile: Tuple[str, str]) -> None:
    image, output = procfile
    assert "Procfile process types: worker" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from the Procfile web process on port 8080"
        assert _stop_seconds(container.name) < STOPPED_BY_ITSELF
    worker = docker_run_once(image, "--entrypoint", "worker")
    assert worker.returncode == 0, worker.stdout
    assert "worker started with --queue jobs:default" in worker.stdout


def test_python_app_py_stops_quickly(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "app_py")
    assert "Web process: python app.py (app.py found)" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from app.py"
        assert _stop_seconds(container.name) < STOPPED_BY_ITSELF


def test_no_entry_point(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "app_run")
    assert "[Warning: No web process found]" in output
    assert "ERROR: don't know how to run your application" in output
    with docker_run(image, env={"APP_RUN": "python server.py"}) as container:
        assert container.get("/") == "Hello from APP_RUN"
        assert _stop_seconds(container.name) < STOPPED_BY_ITSELF
    failed = docker_run_once(image)
    assert failed.returncode == 1, failed.stdout
    assert "ERROR: don't know how to run your application" in failed.stdout
    assert "The easiest fix is to set APP_RUN" in failed.stdout


# ---- hardened runtimes and slow clients -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(module_pack: Pack) -> Tuple[str, str]:
    """The README's sample app, examples/flask, as the user builds it."""
    app = module_pack.tmp_path / "sample"
    shutil.copytree(REPO / "examples" / "flask", app)
    image = module_pack.image_name("sample")
    result = module_pack.build(image, app)
    assert result.returncode == 0, result
    return image, result.output


HARDENED = [
    pytest.param(["--read-only"], id="read-only-root"),  # no tmpfs: Kubernetes' readOnlyRootFilesystem
    pytest.param(["--user", "123456:0"], id="arbitrary-uid-gid-0"),  # as OpenShift runs images
    pytest.param(["--cap-drop", "ALL", "--security-opt", "no-new-privileges"], id="no-capabilities"),
    pytest.param(["--memory", "256m"], id="memory-256m"),  # the automatic worker count: 2
    pytest.param(["--read-only", "--user", "123456:0", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"],
                 id="all-at-once"),
]
ANSWERS = {"sample": "Hello from a Python 3.12.1 app built by the Python buildpack!\n",
           "django": "Hello from a django-admin startproject layout"}


@pytest.mark.parametrize("app", ["sample", "django"])
@pytest.mark.parametrize("options", HARDENED)
def test_hardened_runtime(request: pytest.FixtureRequest, app: str, options: List[str]) -> None:
    image, _ = request.getfixturevalue(app)
    with docker_run(image, options=options) as container:
        assert container.get("/") == ANSWERS[app]
        if app == "django":
            assert container.get("/static/hello.txt") == "hello static\n"  # collected at build, served by WhiteNoise
        if "256m" in options:
            assert container.workers(2) == 2
            time.sleep(1)  # no third one comes
            assert container.log.count("Booting worker with pid") == 2
        log = container.log
        assert "Using worker: gthread" in log
        assert "[ERROR]" not in log and "Traceback" not in log, log
        if "--read-only" in options:
            assert "using TMPDIR=/dev/shm" in log
        if "123456:0" in options:
            assert "HOME='/' is not writable: using HOME=" in log
            home = subprocess.run(["docker", "exec", container.name, "sh", "-c", 'id -u; echo "$HOME"'],
                                  capture_output=True, text=True)
            assert home.stdout.split()[0] == "123456", home


SLOW_CLIENTS = 16


def _hold_slow_clients(count: int) -> List[socket.socket]:
    """`count` connections to 127.0.0.1:8080, each having sent half a request header, left waiting."""
    held = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", 8080), timeout=5)
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        held.append(client)
    return held


def test_slow_clients_do_not_stop_the_sample(sample: Tuple[str, str]) -> None:
    """With the default settings (2 workers under 512 MB), 16 connections that send half a header and wait leave a
    normal request answered within a second. (With sync workers, 4 were enough for none to be answered in 10 s.)"""
    image, _ = sample
    with docker_run(image, options=["--memory", "512m"]) as container:
        container.get("/")
        assert container.workers(2) == 2
        held = _hold_slow_clients(SLOW_CLIENTS)
        try:
            time.sleep(0.5)  # every slow connection accepted and holding its thread
            for _ in range(5):
                started = time.monotonic()
                with urllib.request.urlopen("http://127.0.0.1:8080/", timeout=1) as response:
                    assert response.status == 200
                assert time.monotonic() - started < 1
        finally:
            for client in held:
                client.close()
