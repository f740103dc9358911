"""Each way the web process is chosen, served over HTTP like the launcher would."""

import pytest

pytestmark = pytest.mark.contract


def test_setup_py_only_app(make_app):
    app = make_app("setup_py_app")
    result = app.build()
    assert result.returncode == 0, result
    assert "installing it in editable mode" in result.output
    assert "Running 'pip install --no-compile -e .'" in result.output
    assert "Web process: gunicorn helloapp (setup.py found)" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from setup.py"


def test_editable_requirement(make_app):
    app = make_app("editable_req")
    result = app.build()
    assert result.returncode == 0, result
    with app.serve() as server:
        assert server.get("/") == f"Hello from an editable install at {app.app}/greeter/__init__.py"


def test_app_py(make_app):
    app = make_app("app_py")
    result = app.build()
    assert result.returncode == 0, result
    assert ("No requirements.txt, lockfile, setup.py or installable pyproject.toml: no dependencies to install"
            in result.output)
    assert "Web process: python app.py (app.py found)" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from app.py"
        assert "Running application from (python app.py)" in server.log


def test_app_run_at_build_and_at_launch(make_app):
    app = make_app("app_run", APP_RUN="GREETING=shell python server.py")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: the APP_RUN command, run through /bin/sh" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from APP_RUN"
        assert server.get("/GREETING") == "shell"
    with app.serve(runtime_env={"APP_RUN": "GREETING=runtime python server.py"}) as server:
        assert server.get("/GREETING") == "runtime"


def test_gunicorn_app_module(make_app):
    app = make_app("gunicorn_module", GUNICORN_APP_MODULE="service.api:app")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: gunicorn service.api:app (GUNICORN_APP_MODULE is set)" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from service.api:app"
    with app.serve(runtime_env={"PORT": "8081"}) as server:
        assert server.get("/", port=8081) == "Hello from service.api:app"
        assert "Listening at: http://0.0.0.0:8081" in server.log


def test_gunicorn_config_and_web_concurrency(make_app):
    app = make_app("gunicorn_config", GUNICORN_CONFIG="config/gunicorn.conf.py")
    result = app.build()
    assert result.returncode == 0, result
    assert "config config/gunicorn.conf.py" in result.output
    with app.serve() as server:
        assert server.get("/env/CONFIG_USED") == "config/gunicorn.conf.py"
        assert server.workers(3) == 3
        assert "Listening at: http://0.0.0.0:8080" in server.log
    with app.serve(runtime_env={"GUNICORN_CONFIG": str(app.layers / "web" / "gunicorn.conf.py"),
                                "WEB_CONCURRENCY": "2"}) as server:
        assert server.get("/env/CONFIG_USED") == "<unset>"
        assert server.get("/env/WEB_CONCURRENCY") == "2"
        assert server.workers(2) == 2
