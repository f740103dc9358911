"""The web process of apps shaped unlike the reference builder's examples: no entry point, wsgi:app, Procfile
process types, Django below the root and over ASGI, and the errors where the user asked for the impossible."""

import shutil

import pytest
from support import lock_apps
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract


_assert_clean_failure = assert_clean_failure


def test_no_entry_point_builds_with_a_warning_and_runs_app_run_at_launch(make_app):
    app = make_app("app_run")
    result = app.build()
    assert result.returncode == 0, result
    assert "[Warning: No web process found]" in result.output
    assert "ERROR: don't know how to run your application" in result.output
    assert "Procfile with a 'web: command' line" in result.output and "main.py" in result.output
    assert "web process runs APP_RUN when it is set at launch" in result.output
    web = [p for p in app.launch_toml()["processes"] if p["type"] == "web"]
    assert web and web[0]["default"] is True
    with app.serve(runtime_env={"APP_RUN": "python server.py"}) as server:
        assert server.get("/") == "Hello from APP_RUN"
    for runtime_env in ({}, {"APP_RUN": "   "}):
        ran = app.run_process("web", runtime_env)
        assert ran.returncode == 1, ran
        assert "ERROR: don't know how to run your application" in ran.output
        assert "The easiest fix is to set APP_RUN" in ran.output


def test_wsgi_py_with_app_instead_of_application(make_app):
    app = make_app("wsgi_app_callable")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: gunicorn wsgi:app (wsgi.py found)" in result.output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from wsgi:app"


def test_wsgi_py_without_a_callable(make_app):
    app = make_app("wsgi_app_callable")
    (app.app / "wsgi.py").write_text("server = None\n")
    result = app.build()
    _assert_clean_failure(result, "No application callable found")
    assert "wsgi.py defines neither 'application' or 'app'" in result.output


def test_a_web_module_whose_framework_nothing_installs_fails_the_build(make_app):
    """Flask's quickstart app.py with a conda environment.yml and no requirements.txt: the install has nothing to
    install, so the image would stop at its first start; the build says so, naming the file and the fix."""
    app = make_app("flask_quickstart")
    (app.app / "requirements.txt").unlink()
    (app.app / "environment.yml").write_text("name: quickstart\ndependencies:\n  - python=3.12\n  - flask\n")
    result = app.build()
    _assert_clean_failure(result, "The web process's framework is not installed")
    assert ("The web process (gunicorn app:app) runs app.py, which imports flask, but the install did not\nput it "
            "into the environment: the app has no requirements.txt, pyproject.toml or lock file.") in result.output
    assert "Add a requirements.txt that lists flask" in result.output
    assert "environment.yml is conda's file, which this buildpack does not read" in result.output


def test_a_requirements_file_that_forgets_the_framework_is_named(make_app):
    app = make_app("flask_quickstart")
    (app.app / "requirements.txt").write_text("markupsafe\n")
    result = app.build()
    _assert_clean_failure(result, "The web process's framework is not installed")
    assert "requirements.txt does not bring it" in result.output
    assert "Add flask to the app's dependencies (requirements.txt) and build again." in result.output


def test_flask_quickstart_app_py_that_only_defines_the_app(make_app):
    """Flask's quickstart: app.py defines the app for `flask run`; `python app.py` would load it and exit."""
    app = make_app("flask_quickstart")
    result = app.build()
    assert result.returncode == 0, result
    assert ("Web process: gunicorn app:app (app.py defines the Flask app app, and nothing in it runs the app "
            "(`python app.py` would exit): serving it with Gunicorn instead)") in result.output
    with app.serve() as server:
        assert server.get("/") == "<p>Hello, World!</p>"
        assert server.get("/user/ada") == "User ada"


def test_uv_package_whose_script_calls_flasks_app_run(make_app, tmp_path):
    """`uv init --package web` with the app in src/web/__init__.py and main() calling app.run() (127.0.0.1:5000)."""
    app = make_app(str(lock_apps.uv_dev_server_app(tmp_path / "uv-dev-server")))
    result = app.build()
    assert result.returncode == 0, result
    assert ("Web process: gunicorn web:app ([project.scripts] has one entry, web, which starts the Flask app web:app "
            "with app.run() (127.0.0.1:5000 unless given a host and port): serving it with Gunicorn instead)"
            ) in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from web, run with app.run() in main()"


def test_flask_app_in_flaskenv_is_what_gunicorn_serves(make_app):
    """The Flask Mega-Tutorial's layout: app/__init__.py makes the app, microblog.py imports it, and .flaskenv says
    FLASK_APP=microblog.py (what `flask run` loads). No other rule finds it."""
    app = make_app("flask_megatutorial")
    result = app.build()
    assert result.returncode == 0, result
    assert ("Web process: gunicorn microblog:app (FLASK_APP=microblog.py in .flaskenv, which `flask run` would load)"
            in result.output), result.output
    with app.serve() as server:
        assert server.get("/index") == "Hello from the Flask Mega-Tutorial's microblog"


def test_dash_app_py_is_served_as_its_flask_server(make_app):
    """Plotly Dash's own layout: app.py makes the Dash app, binds `server = app.server` and runs the development
    server (127.0.0.1) under its main block; Gunicorn serves app:server on the port instead."""
    app = make_app("dash_app")
    result = app.build()
    assert result.returncode == 0, result
    assert ("Web process: gunicorn app:server (app.py defines the Dash app app, which `python app.py` would not serve "
            "on 8080 (Dash's app.run() defaults to 127.0.0.1:8050): serving it with Gunicorn instead)") in result.output
    with app.serve() as server:
        assert "<title>Dash</title>" in server.get("/")
        assert "Hello from Dash" in server.get("/_dash-layout")


def test_gunicorn_app_module_that_does_not_exist(make_app):
    result = make_app("wsgi_app_callable", GUNICORN_APP_MODULE="myproject.wsgi:application").build()
    _assert_clean_failure(result, "Gunicorn application module not found")
    assert "the module 'myproject.wsgi' is neither in the app" in result.output


def test_gunicorn_app_module_from_an_installed_package(make_app):
    # The module is not in the app but Gunicorn itself is installed: the build accepts it.
    app = make_app("wsgi_app_callable", GUNICORN_APP_MODULE="gunicorn.app.wsgiapp:run")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: gunicorn gunicorn.app.wsgiapp:run (GUNICORN_APP_MODULE is set)" in result.output


def test_procfile_process_types(make_app):
    app = make_app("procfile_app")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: the Procfile's web command, run through /bin/sh: gunicorn hello:app" in result.output
    assert "Procfile process types: worker (docker run --entrypoint NAME IMAGE)" in result.output
    processes = {p["type"]: p for p in app.launch_toml()["processes"]}
    assert set(processes) == {"web", "worker"}
    assert processes["web"]["default"] is True and "default" not in processes["worker"]
    with app.serve() as server:
        assert server.get("/") == "Hello from the Procfile web process on port 8080"
    worker = app.run_process("worker")
    assert worker.returncode == 0, worker
    assert "worker started with --queue jobs:default" in worker.output


def test_procfile_web_not_used_when_app_run_chose(make_app):
    app = make_app("procfile_app", APP_RUN="python worker.py from-app-run")
    result = app.build()
    assert result.returncode == 0, result
    assert "The Procfile's web process is not used: APP_RUN chose the web command" in result.output
    with app.serve(runtime_env={"APP_RUN": "   "}) as server:  # blank at launch: the Procfile web is the fallback
        assert server.get("/") == "Hello from the Procfile web process on port 8080"


def test_malformed_procfile(make_app):
    app = make_app("procfile_app")
    (app.app / "Procfile").write_text("web: gunicorn hello:app\n\nworker python worker.py\n")
    result = app.build()
    _assert_clean_failure(result, "Invalid line in Procfile")
    assert "Line 3 of Procfile is not usable: 'worker python worker.py'" in result.output


def test_django_below_the_root_over_asgi(make_app):
    """manage.py one level down, and uvicorn listed: mysite.asgi:application under Uvicorn's worker."""
    app = make_app("django_startproject")
    source = app.app / "src"
    source.mkdir()
    for child in list(app.app.iterdir()):
        if child != source:
            shutil.move(str(child), str(source / child.name))
    (app.app / "requirements.txt").write_text("-r src/requirements.txt\nuvicorn\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "Running 'python src/manage.py collectstatic --noinput'" in result.output
    assert "uses Uvicorn's worker class, which the app does not list: adding it" in result.output
    assert ("Web process: gunicorn mysite.asgi:application (Django project: WSGI_APPLICATION in "
            "src/mysite/settings.py; ASGI server installed, so its mysite/asgi.py)") in result.output
    assert "Gunicorn worker class: uvicorn_worker.UvicornWorker" in result.output
    # The added worker is compiled (hash-based, like the rest), and the rest is not compiled twice: one .pyc each.
    site = next(app.layers.glob("venv/lib/python3*/site-packages"))
    worker_pycs = list(site.glob("uvicorn_worker/__pycache__/*.pyc"))
    assert worker_pycs and all(int.from_bytes(p.read_bytes()[4:8], "little") & 1 for p in worker_pycs)
    assert len(list(site.glob("django/__pycache__/*.pyc"))) == len(list(site.glob("django/*.py")))
    with app.serve() as server:
        assert server.get("/") == "Hello from a django-admin startproject layout"
        assert server.get("/static/hello.txt") == "hello static\n"
        assert "uvicorn" in server.log.lower()


def test_asgi_app_pinning_an_old_uvicorn_keeps_it(make_app):
    """uvicorn-worker needs uvicorn >= 0.36: an app pinning an older one gets the worker class it ships."""
    app = make_app("starlette_asgi")
    (app.app / "requirements.txt").write_text("starlette\nuvicorn==0.29.0\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: gunicorn asgi:app (asgi.py found)" in result.output
    assert "Gunicorn worker class: uvicorn.workers.UvicornWorker" in result.output
    assert not list(app.layers.glob("venv/lib/python3*/site-packages/uvicorn_worker*"))
    with app.serve() as server:
        assert server.get("/") == "Hello from Starlette asgi.py over http"


def test_worker_class_from_the_users_gunicorn_config(make_app):
    app = make_app("starlette_asgi")
    (app.app / "requirements.txt").write_text("starlette\nuvicorn-worker\n")
    (app.app / "gunicorn.conf.py").write_text('worker_class = "uvicorn_worker.UvicornWorker"\nworkers = 1\n')
    result = app.build()
    assert result.returncode == 0, result
    assert "config gunicorn.conf.py" in result.output
    assert "Gunicorn worker class" not in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Starlette asgi.py over http"
        assert "Using worker: uvicorn_worker.UvicornWorker" in server.log


def test_gunicorn_worker_class_overrides(make_app):
    app = make_app("flask_main", GUNICORN_WORKER_CLASS="gthread")
    result = app.build()
    assert result.returncode == 0, result
    assert "Gunicorn worker class: gthread" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask main:app"
        assert "Using worker: gthread" in server.log
    with app.serve(runtime_env={"GUNICORN_WORKER_CLASS": "sync"}) as server:
        assert server.get("/") == "Hello from Flask main:app"
        assert "Using worker: sync" in server.log


def test_wsgi_default_is_gthread_and_gunicorn_cmd_args_win(make_app):
    """The buildpack's config gives WSGI apps 16 threads per worker; what GUNICORN_CMD_ARGS sets wins, read as
    Gunicorn reads it (sync there means real sync workers, not Gunicorn's sync-with-threads-is-gthread)."""
    app = make_app("flask_main")
    result = app.build()
    assert result.returncode == 0, result
    assert ("Gunicorn worker class: gthread, 16 threads per worker, so that slow clients do not hold up the others "
            "(GUNICORN_WORKER_CLASS=sync for sync workers)") in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask main:app"
        assert "Using worker: gthread" in server.log
    with app.serve(runtime_env={"GUNICORN_CMD_ARGS": "--worker-class sync --worker-tmp-dir /tmp"}) as server:
        assert server.get("/") == "Hello from Flask main:app"
        assert "Using worker: sync" in server.log
    printed = app.run_process("web", {"GUNICORN_CMD_ARGS": "--threads 3 --print-config"})
    assert printed.returncode == 0, printed
    config = {name.strip(): value.strip() for name, sep, value in
              (line.partition("=") for line in printed.output.splitlines()) if sep}
    assert (config["threads"], config["worker_connections"], config["keepalive"]) == ("3", "3", "0")
    assert config["worker_tmp_dir"] == "/dev/shm"
