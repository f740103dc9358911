"""The apps people actually write, through pack + lifecycle + docker run: Django's startproject layout, ASGI
apps, main:app, Procfile process types, an image with no entry point, and how fast `docker stop` ends each kind
of web process. Each image is built once (module-scoped) and carries several checks."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Tuple

import pytest

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
