"""Apps written for OpenShift's S2I Python image, through pack + lifecycle + docker run: APP_HOME (an app under
src/, a monorepo service with its own runtime.txt), APP_MODULE/APP_CONFIG at build and launch, APP_RUN and app.sh
that start Gunicorn the app does not list, and a Django app's migrate process type against SQLite. Each image is
built once and carries several checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Pack, build_ok, docker_run, docker_run_once

pytestmark = pytest.mark.e2e


def test_app_home_src_site_with_app_module_and_app_config(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "app_home", {"APP_HOME": "src/site", "APP_MODULE": "wsgi:application",
                                                     "APP_CONFIG": "conf/gunicorn.py"})
    assert "APP_HOME is set: building the app in src/site" in output
    assert "Web process: gunicorn wsgi:application (GUNICORN_APP_MODULE is set), config conf/gunicorn.py" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from src/site"
        assert container.get("/cwd") == "/workspace/src/site"
        assert "still in the image" in container.get("/readme")
        assert container.get("/env/CONFIG_USED") == "conf/gunicorn.py"
    with docker_run(image, env={"APP_MODULE": "wsgi:other"}) as container:
        assert container.get("/") == "Hello from APP_MODULE at launch"


def test_monorepo_service_with_its_own_runtime_and_app_run_gunicorn(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "monorepo", {"APP_HOME": "services/api", "APP_RUN": "gunicorn wsgi"})
    assert "Using Python 3.11.7" in output and "no-such-package" not in output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from services/api on Python 3.11"
        assert container.get("/cwd") == "/workspace/services/api"


def test_app_sh(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "s2i_start")
    assert "Web process: the shell script app.sh (app.sh found (executable))" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from app.sh via gunicorn"
        assert "app.sh starting" in container.log


def test_django_migrate_process_type_and_migrate_on_start(module_pack: Pack, tmp_path: Path) -> None:
    image, output = build_ok(module_pack, "django_sqlite", {"DISABLE_MIGRATE": "1"})
    assert "Django migrations: process type migrate runs 'python manage.py migrate --noinput'" in output
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)
    volume = ["-v", f"{data}:/data"]
    database = {"DATABASE_PATH": "/data/db.sqlite3"}
    with docker_run(image, env=database, options=volume) as container:
        assert container.get("/") == "Hello from Django; migrated: no"
    migrate = docker_run_once(image, "-e", "DATABASE_PATH=/data/db.sqlite3", *volume, "--entrypoint", "migrate")
    assert migrate.returncode == 0, migrate.stdout
    assert "Applying auth.0001_initial... OK" in migrate.stdout
    with docker_run(image, env=database, options=volume) as container:
        assert container.get("/") == "Hello from Django; migrated: yes"
    with docker_run(image, env={"DATABASE_PATH": "/data/fresh.sqlite3", "MIGRATE_ON_START": "true"},
                    options=volume) as container:
        assert container.get("/") == "Hello from Django; migrated: yes"
        assert "Running Django migrations (MIGRATE_ON_START is set)" in container.log
