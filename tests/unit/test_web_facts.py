"""AppFacts from a real app directory: what the new start rules look for (Streamlit, Gradio, FastAPI's discovery,
project scripts, Flask factories, an app.py that Flask's dev server would not serve on 8080)."""

import pytest
from python_cnb.app_files import read_app_files
from python_cnb.dev_servers import UnservedApp, unserved_app
from python_cnb.entrypoints import required_imports
from python_cnb.snapshot import read_snapshot
from python_cnb.web_facts import app_facts

TEXTS = ("pyproject.toml", "main.py", "app.py", "api.py", "streamlit_app.py", "wsgi.py", "asgi.py", "Procfile",
         ".flaskenv")


def _facts(app, files, env=None):
    for name, text in files.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)
    snapshot = read_snapshot(app, read_app_files(app, TEXTS), env or {}, "GUNICORN_CONFIG")
    return app_facts(snapshot, env or {}, False)[0]


@pytest.mark.parametrize(("files", "expected"), [
    pytest.param({"streamlit_app.py": "import streamlit as st\n"}, "streamlit_app.py", id="default-name"),
    pytest.param({"app.py": "import streamlit as st\nst.title('x')\n"}, "app.py", id="app-py"),
    pytest.param({"main.py": "from streamlit import title\n"}, "main.py", id="main-py"),
    pytest.param({"app.py": "import flask\n"}, None, id="not-streamlit"),
])
def test_streamlit_files(tmp_path, files, expected):
    assert _facts(tmp_path, files).streamlit_file == expected


def test_gradio_file(tmp_path):
    facts = _facts(tmp_path, {"app.py": "import gradio as gr\ndemo = gr.Interface(lambda x: x, 'text', 'text')\n"
                                        "demo.launch()\n"})
    assert facts.gradio_file == "app.py" and facts.streamlit_file is None


@pytest.mark.parametrize(("files", "module", "file"), [
    pytest.param({"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
                 "app.main:app", "app/main.py", id="bigger-applications"),
    pytest.param({"api.py": "import fastapi\napi = fastapi.FastAPI()\n"}, "api:api", "api.py", id="api-py"),
    pytest.param({"app.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                  "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "app:app", "app.py",
                 id="fastapi-cli-order"),
    pytest.param({"app.py": "from flask import Flask\napp = Flask(__name__)\n"}, None, "", id="flask-is-not-fastapi"),
])
def test_fastapi_discovery(tmp_path, files, module, file):
    facts = _facts(tmp_path, files)
    assert (facts.fastapi_module, facts.fastapi_file) == (module, file)


@pytest.mark.parametrize(("pyproject", "scripts", "table"), [
    pytest.param("[project]\nname = 'x'\n[project.scripts]\nserve = 'x:main'\n", ("serve",), "[project.scripts]",
                 id="pep621"),
    pytest.param("[tool.poetry]\nname = 'x'\n[tool.poetry.scripts]\na = 'x:a'\nb = 'x:b'\n", ("a", "b"),
                 "[tool.poetry.scripts]", id="poetry-two"),
    pytest.param("[project]\nname = 'x'\n", (), "[project.scripts]", id="none"),
])
def test_project_scripts(tmp_path, pyproject, scripts, table):
    facts = _facts(tmp_path, {"pyproject.toml": pyproject})
    assert (facts.scripts, facts.scripts_table) == (scripts, table)


def test_flask_factory_at_the_root_and_under_src(tmp_path):
    factory = ("from flask import Flask\n\ndef create_app(test_config=None):\n    app = Flask(__name__)\n"
               "    return app\n")
    assert _facts(tmp_path / "a", {"flaskr/__init__.py": factory}).flask_factory == "flaskr"
    src = _facts(tmp_path / "b", {"src/flaskr/__init__.py": factory})
    assert (src.flask_factory, src.factory_chdir, src.factory_file) == ("flaskr", "src", "src/flaskr/__init__.py")
    module_level = _facts(tmp_path / "c", {"pkg/__init__.py": factory + "app = create_app()\n"})
    assert module_level.flask_factory is None, "a module-level app is not a factory app"


FLASK = "from flask import Flask\napp = Flask(__name__)\n"
DEV = UnservedApp("app", "app.run()", "Flask", "127.0.0.1:5000")
NOT_RUN = UnservedApp("app", "")


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param(FLASK + "if __name__ == '__main__':\n    app.run()\n", DEV, id="no-host-no-port"),
    pytest.param(FLASK + "if __name__ == '__main__':\n    app.run(debug=True, port=5000)\n",
                 UnservedApp("app", "app.run()", "Flask", "127.0.0.1:5000", defaults=False), id="no-host"),
    pytest.param(FLASK + "if __name__ == '__main__':\n    app.run(host='0.0.0.0', port=5000)\n",
                 UnservedApp("app", "app.run()", "Flask", "0.0.0.0:5000", defaults=False), id="literal-port-5000"),
    pytest.param("import os\n" + FLASK + "if __name__ == '__main__':\n    app.run(port=int(os.environ['PORT']))\n",
                 UnservedApp("app", "app.run()", "Flask", "127.0.0.1:PORT", defaults=False), id="port-only"),
    pytest.param(FLASK + "if __name__ == '__main__':\n    app.run('0.0.0.0', 8080)\n", None, id="literal-8080"),
    pytest.param("from myapp import create_app\napp = create_app()\n", NOT_RUN, id="factory-result"),
    pytest.param("import os\n" + FLASK + "if __name__ == '__main__':\n"
                 "    app.run(host='0.0.0.0', port=int(os.environ.get('PORT', 8080)))\n", None, id="host-and-port"),
    pytest.param("import flask\nserver = flask.Flask(__name__)\nif __name__ == '__main__':\n"
                 "    server.run('0.0.0.0')\n",
                 UnservedApp("server", "app.run()", "Flask", "0.0.0.0:5000", False), id="positional-host-only"),
    pytest.param(FLASK + "app.run()\n", DEV, id="top-level-run"),
    pytest.param(FLASK + "app.run('0.0.0.0', 8080)\n", None, id="top-level-run-with-host-and-port"),
    # Flask's quickstart: the module only defines the app, for `flask run`; `python app.py` would exit at once.
    pytest.param(FLASK + "\n@app.route('/')\ndef hello():\n    return 'hi'\n", NOT_RUN, id="flask-run-module"),
    pytest.param("from dotenv import load_dotenv\nload_dotenv()\n" + FLASK, NOT_RUN, id="other-top-level-calls"),
    pytest.param(FLASK + "from waitress import serve\nserve(app, host='0.0.0.0', port=8080)\n", None,
                 id="served-at-top-level"),
    pytest.param(FLASK + "if __name__ == '__main__':\n    socketio.run(app, host='0.0.0.0')\n", None,
                 id="main-block-runs-something-else"),
    pytest.param("import http.server\nif __name__ == '__main__':\n    http.server.test()\n", None, id="not-flask"),
    pytest.param("def broken(:\n", None, id="syntax-error"),
    pytest.param("from litestar import Litestar, get\n\n@get('/')\nasync def index() -> str:\n    return 'hi'\n\n"
                 "app = Litestar([index])\n", UnservedApp("app", "", "Litestar"), id="litestar-module"),
    pytest.param("from quart import Quart\napp = Quart(__name__)\nif __name__ == '__main__':\n    app.run()\n",
                 UnservedApp("app", "app.run()", "Quart", "127.0.0.1:5000"), id="quart-dev-server"),
    pytest.param("from starlette.applications import Starlette\napp = Starlette()\n"
                 "if __name__ == '__main__':\n    uvicorn.run(app, host='0.0.0.0', port=8000)\n",
                 UnservedApp("app", "uvicorn.run()", "Starlette", "0.0.0.0:8000", defaults=False),
                 id="starlette-run-by-uvicorn-on-8000"),
    pytest.param("import os\nimport uvicorn\nfrom starlette.applications import Starlette\napp = Starlette()\n"
                 "if __name__ == '__main__':\n    uvicorn.run(app, host='0.0.0.0', port=int(os.environ['PORT']))\n",
                 None, id="starlette-run-by-uvicorn-on-port"),
    pytest.param("import bottle\napp = bottle.Bottle()\nbottle.run(app, host='0.0.0.0', port=8080)\n", None,
                 id="bottle-run-at-top-level"),
    pytest.param("import bottle\napp = bottle.Bottle()\napp.run()\n", None, id="bottle-app-run-is-not-flasks"),
    pytest.param("from dash import Dash, html\napp = Dash(__name__)\nserver = app.server\n"
                 "if __name__ == '__main__':\n    app.run(debug=True)\n",
                 UnservedApp("app", "app.run()", "Dash", "127.0.0.1:8050", served="server"), id="dash-with-server"),
    pytest.param("import dash\napp = dash.Dash(__name__)\nif __name__ == '__main__':\n    app.run_server()\n", None,
                 id="dash-without-server-runs-as-written"),
    pytest.param("import uvicorn\nfrom starlette.applications import Starlette\napp = Starlette()\n"
                 "if __name__ == '__main__':\n    uvicorn.run(app, port=8080)\n",
                 UnservedApp("app", "uvicorn.run()", "Starlette", "127.0.0.1:8080", defaults=False),
                 id="uvicorn-run-without-host"),
])
def test_an_app_that_running_the_file_would_not_serve_on_8080(source, expected):
    assert unserved_app(source) == expected


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param(FLASK + "def main():\n    app.run()\n", DEV, id="dev-server"),
    pytest.param(FLASK + "def main():\n    app.run(host='0.0.0.0', port=8080)\n", None, id="host-and-port"),
    pytest.param(FLASK + "def cli():\n    app.run()\n", None, id="another-function"),
    # uv init's main() left printing, beside the app the user wrote: running the script would print and exit.
    pytest.param(FLASK + "def main():\n    print('hi')\n", NOT_RUN, id="does-not-run-the-app"),
    pytest.param(FLASK + "from waitress import serve\ndef main():\n    serve(app, listen='*:8080')\n", None,
                 id="serves-it-another-way"),
    pytest.param("def main():\n    print('hi')\n", None, id="no-app-at-all"),
    pytest.param("import uvicorn\nfrom fastapi import FastAPI\napp = FastAPI()\ndef main():\n    uvicorn.run(app)\n",
                 UnservedApp("app", "uvicorn.run()", "FastAPI", "127.0.0.1:8000"), id="uvicorn-defaults"),
    pytest.param("import uvicorn\ndef main():\n"
                 "    uvicorn.run('api.main:app', host='0.0.0.0', port=8000, reload=True)\n",
                 UnservedApp("app", "uvicorn.run()", "ASGI", "0.0.0.0:8000", False, "api.main:app"),
                 id="uvicorn-string-port-8000"),
    pytest.param("import uvicorn\nfrom fastapi import FastAPI\napp = FastAPI()\ndef main():\n"
                 "    uvicorn.run(app, host='0.0.0.0', port=8080)\n", None, id="uvicorn-host-and-port"),
])
def test_a_project_scripts_function_that_starts_flasks_dev_server(source, expected):
    assert unserved_app(source, "main") == expected


@pytest.mark.parametrize(("files", "module", "chdir"), [
    # uv init --package (and uv init --app from uv 0.13.10 on): src/NAME/__init__.py, NAME = "NAME:main"
    pytest.param({"pyproject.toml": "[project]\nname = 'web'\n[project.scripts]\nweb = 'web:main'\n",
                  "src/web/__init__.py": FLASK + "def main() -> None:\n    app.run()\n"}, "web:app", "src",
                 id="uv-package"),
    pytest.param({"pyproject.toml": "[tool.poetry]\nname = 'blog'\n[tool.poetry.scripts]\nserve = 'blog.app:main'\n",
                  "blog/__init__.py": "", "blog/app.py": FLASK + "def main():\n    app.run(debug=True)\n"},
                 "blog.app:app", "", id="poetry-module"),
    pytest.param({"pyproject.toml": "[project]\nname = 'web'\n[project.scripts]\nweb = 'web:main'\n",
                  "src/web/__init__.py": FLASK + "def main():\n    app.run('0.0.0.0', 8080)\n"}, None, "src",
                 id="serves-itself"),
    pytest.param({"pyproject.toml": "[project]\nname = 'web'\n[project.scripts]\nweb = 'web:main'\nx = 'web:x'\n",
                  "src/web/__init__.py": FLASK + "def main():\n    app.run()\n"}, None, "", id="two-scripts"),
    pytest.param({"pyproject.toml": "[project]\nname = 'web'\n[project.scripts]\nweb = 'other:main'\n"}, None, "",
                 id="module-not-in-the-app"),
])
def test_the_project_scripts_flask_app(tmp_path, files, module, chdir):
    facts = _facts(tmp_path, files)
    assert (facts.script_module or None, facts.script_chdir) == (module, chdir)


def test_required_imports_are_the_modules_own_statements():
    source = ("import os.path\nfrom flask import Flask\nfrom . import views\ntry:\n    import ujson\n"
              "except ImportError:\n    ujson = None\ndef f():\n    import django\n")
    assert required_imports(source) == {"os", "flask"}


MEGATUTORIAL = {".flaskenv": "FLASK_APP=microblog.py\nFLASK_DEBUG=1\n", "microblog.py": "from app import app\n",
                "app/__init__.py": "from flask import Flask\napp = Flask(__name__)\n"}


@pytest.mark.parametrize(("files", "env", "module", "chdir", "given"), [
    pytest.param(MEGATUTORIAL, {}, "microblog:app", "", "FLASK_APP=microblog.py in .flaskenv", id="mega-tutorial"),
    pytest.param({".flaskenv": 'export FLASK_APP="wsgi.py"  # the entry\n', "wsgi.py": "application = object()\n"},
                 {}, "wsgi:application", "", "FLASK_APP=wsgi.py in .flaskenv", id="quoted-export"),
    pytest.param({"hello.py": "def create_app():\n    pass\n"}, {"FLASK_APP": "hello:create_app('prod')"},
                 "hello:create_app('prod')", "", "FLASK_APP=hello:create_app('prod')", id="variable-with-factory"),
    pytest.param({"src/hello.py": "def make_app():\n    pass\n"}, {"FLASK_APP": "src/hello"}, "hello:make_app()",
                 "src", "FLASK_APP=src/hello", id="path-with-a-factory"),
    pytest.param({**MEGATUTORIAL, ".flaskenv": "FLASK_APP=wsgi.py\n"}, {"FLASK_APP": "microblog"}, "microblog:app",
                 "", "FLASK_APP=microblog", id="the-variable-wins-over-flaskenv"),
])
def test_flask_app_names_what_flask_run_loads(tmp_path, files, env, module, chdir, given):
    facts = _facts(tmp_path, files, env)
    assert (facts.flask_app_module, facts.flask_app_chdir, facts.flask_app_given) == (module, chdir, given)


@pytest.mark.parametrize(("files", "reason"), [
    pytest.param({".flaskenv": "FLASK_APP=microblog.py\n"},
                 "FLASK_APP=microblog.py in .flaskenv names a module that is not in the app", id="missing-module"),
    pytest.param({".flaskenv": "FLASK_APP=tools.py\n", "tools.py": "x = 1\n"},
                 "FLASK_APP=tools.py in .flaskenv: the module defines no app, application, create_app or make_app",
                 id="no-app"),
    pytest.param({".env": "FLASK_APP=microblog.py\nSECRET_KEY=x\n", "microblog.py": "app = 1\n"},
                 "not set, and no .flaskenv line", id="dotenv-is-not-read"),
])
def test_flask_app_that_does_not_apply_says_why(tmp_path, files, reason):
    facts = _facts(tmp_path, files)
    assert (facts.flask_app_module, facts.flask_app_reason) == (None, reason)


@pytest.mark.parametrize("source", [
    pytest.param("x = " + "-" * 100_000 + "1\n", id="unary-chain"),
    pytest.param("app = a" + ".b" * 100_000 + "\n", id="attribute-chain"),
])
def test_source_nested_past_the_parsers_limits_is_not_a_crash(source):
    """Such a file does not parse for Python either: no rule reads anything from it, and the build goes on."""
    assert unserved_app(source) is None and required_imports(source) == set()
