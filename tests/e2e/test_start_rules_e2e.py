"""The start rules other platforms find, each on an app shaped the way people write it, through pack + lifecycle +
docker run with no setting: a Streamlit app, a Gradio app, FastAPI's "bigger applications" layout, a `uv init
--package` project whose one script is its server, the Flask tutorial's application factory, and Azure's Flask
quickstart (an app.py whose app.run() would listen on 127.0.0.1:5000). Each image is built once. The newer shapes
(Flask's own quickstart, a script that calls app.run(), FLASK_APP, Dash) are built and served in the contract tier
(tests/contract/test_build_web_processes.py)."""

from __future__ import annotations

import json

import pytest
from support import lock_apps

from .conftest import Pack, build_ok, docker_run

pytestmark = pytest.mark.e2e


def test_streamlit_app(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "streamlit_app")
    assert ("Web process: streamlit run streamlit_app.py --server.port $PORT --server.address 0.0.0.0 "
            "--server.headless true (streamlit_app.py found), listening on 0.0.0.0:8080 (PORT overrides)") in output
    assert "Chosen by rule 'Streamlit'; the earlier rules did not apply:" in output
    assert " - app.sh: not at the root, or not executable" in output
    assert "Gunicorn" not in output, "nothing added for a web process that does not use it"
    with docker_run(image) as container:
        assert container.get("/_stcore/health") == "ok"
        assert "Streamlit" in container.get("/")


def test_gradio_app(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "gradio_app")
    assert ("Web process: GRADIO_SERVER_NAME=0.0.0.0 GRADIO_SERVER_PORT=$PORT python app.py (app.py imports gradio), "
            "listening on 0.0.0.0:8080 (PORT overrides)") in output
    assert " - Streamlit: no streamlit_app.py, and no app.py or main.py that imports streamlit" in output
    with docker_run(image) as container:
        config = json.loads(container.get("/config"))
        assert config["mode"] == "interface" and "Hello from Gradio" in json.dumps(config)


def test_fastapi_bigger_applications(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "fastapi_bigger")
    assert "Web process: gunicorn app.main:app (app/main.py defines a FastAPI app)" in output
    assert "Gunicorn worker class: uvicorn_worker.UvicornWorker" in output
    assert " - main.py: not at the root" in output
    with docker_run(image) as container:
        assert json.loads(container.get("/")) == {"message": "Hello from FastAPI's bigger applications layout"}
        assert json.loads(container.get("/items/portal-gun")) == {"item_id": "portal-gun", "name": "Plumbus"}


def test_uv_package_whose_script_is_the_server(module_pack: Pack) -> None:
    app = lock_apps.uv_script_app(module_pack.tmp_path / "uv-script")
    image = module_pack.image_name("uv-script")
    result = module_pack.build(image, app)
    assert result.returncode == 0, result
    assert ("Web process: myapp ([project.scripts] has one entry, myapp), which must listen on 0.0.0.0:$PORT (8080) "
            "itself") in result.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from myapp's script"
        assert "Hello from myapp! Serving on port 8080" in container.log


def test_flask_tutorial_application_factory(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "flask_factory")
    assert "Installing it in editable mode" in output or "installing it in editable mode" in output
    assert "Web process: gunicorn flaskr:create_app() (flaskr/__init__.py defines create_app())" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from the Flask tutorial's application factory"
        assert container.get("/hello") == "Hello, World!"


def test_flask_app_py_whose_dev_server_would_listen_elsewhere(module_pack: Pack) -> None:
    image, output = build_ok(module_pack, "flask_dev_server")
    assert ("Web process: gunicorn app:app (app.py defines the Flask app app, which `python app.py` would not serve on "
            "8080 (Flask's app.run() defaults to 127.0.0.1:5000): serving it with Gunicorn instead)") in output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Azure's Flask quickstart shape"
        assert container.get("/hello?name=Ada") == "Hello Ada"

