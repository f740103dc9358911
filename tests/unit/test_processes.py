import pytest
from python_cnb.dev_servers import UnservedApp
from python_cnb.entrypoints import DjangoProject
from python_cnb.processes import (
    AppFacts,
    Kind,
    Rule,
    choose_web_process,
    is_asgi,
    missing_frameworks,
    module_from_dist_name,
)

DJANGO = DjangoProject(manage_py="manage.py", chdir="", settings="mysite.settings",
                       wsgi_module="mysite.wsgi:application", asgi_module="mysite.asgi:application",
                       source="WSGI_APPLICATION in mysite/settings.py")
EVERYTHING = dict(app_script="start.sh", app_file="server.py", has_app_sh=True,
                  gunicorn_app_module="a.b:app", procfile_web="gunicorn x:y", has_procfile=True,
                  wsgi_module="wsgi", asgi_module="asgi", django=DJANGO, has_setup_py=True, main_module="main:app",
                  has_main_py=True, flask_app_module="microblog:app", flask_app_given="FLASK_APP=microblog.py",
                  streamlit_file="streamlit_app.py", gradio_file="app.py",
                  fastapi_module="app.main:app", fastapi_file="app/main.py", scripts=("serve",),
                  flask_factory="flaskr", factory_file="flaskr/__init__.py", has_app_py=True)
ORDER = ["app_script", "app_file", "gunicorn_app_module",
         "procfile_web", "wsgi_module", "asgi_module", "django", "has_setup_py",
         "main_module", "has_app_sh", "flask_app_module", "streamlit_file", "gradio_file", "fastapi_module", "scripts",
         "flask_factory",
         "has_app_py"]
EXPECTED = [
    (Kind.SCRIPT, Rule.APP_SCRIPT, None),
    (Kind.APP_PY, Rule.APP_FILE, None),
    (Kind.GUNICORN, Rule.GUNICORN_APP_MODULE, "a.b:app"),
    (Kind.PROCFILE, Rule.PROCFILE_WEB, None),
    (Kind.GUNICORN, Rule.WSGI_PY, "wsgi"),
    (Kind.GUNICORN, Rule.ASGI_PY, "asgi"),
    (Kind.GUNICORN, Rule.DJANGO, "mysite.wsgi:application"),
    (Kind.GUNICORN, Rule.SETUP_PY, None),
    (Kind.GUNICORN, Rule.MAIN_PY, "main:app"),
    (Kind.SCRIPT, Rule.APP_SH, None),
    (Kind.GUNICORN, Rule.FLASK_APP, "microblog:app"),
    (Kind.COMMAND, Rule.STREAMLIT, None),
    (Kind.COMMAND, Rule.GRADIO, None),
    (Kind.GUNICORN, Rule.FASTAPI, "app.main:app"),
    (Kind.COMMAND, Rule.PROJECT_SCRIPT, None),
    (Kind.GUNICORN, Rule.FLASK_FACTORY, "flaskr:create_app()"),
    (Kind.APP_PY, Rule.APP_PY, None),
]
UNSET = {"app_script": "", "app_file": "", "has_app_sh": False,
         "gunicorn_app_module": "", "procfile_web": None, "wsgi_module": None, "asgi_module": None, "django": None,
         "has_setup_py": False, "main_module": None, "flask_app_module": None, "streamlit_file": None,
         "gradio_file": None, "fastapi_module": None, "scripts": (), "flask_factory": None, "has_app_py": False}


@pytest.mark.parametrize("position", range(len(ORDER)), ids=ORDER)
def test_order_table_first_match_wins(position):
    """With every rule from `position` on applying, the rule at `position` chooses; earlier ones are logged."""
    overrides = {**EVERYTHING, **{name: UNSET[name] for name in ORDER[:position]}}
    choice = choose_web_process(AppFacts(**overrides))
    assert (choice.kind, choice.rule, choice.gunicorn_module) == EXPECTED[position]
    assert choice.fallback is choice.kind
    assert len(choice.skipped) == 2 + position
    assert choice.skipped[:2] == (".s2i/bin/run: not found", "APP_RUN: not set")


def test_skipped_reasons_name_each_rule():
    choice = choose_web_process(AppFacts(has_procfile=True, has_main_py=True, has_app_py=True,
                                         django_reason="no manage.py (root and three levels down)"))
    assert choice.rule is Rule.APP_PY
    assert choice.skipped == (
        ".s2i/bin/run: not found", "APP_RUN: not set", "APP_SCRIPT: not set", "APP_FILE: not set",
        "GUNICORN_APP_MODULE: not set",
        "Procfile web: the Procfile has no web process", "wsgi.py: not at the root", "asgi.py: not at the root",
        "Django: no manage.py (root and three levels down)", "setup.py name: no setup.py",
        "main.py: it does not define app", "app.sh: not at the root, or not executable",
        "FLASK_APP: not set, and no .flaskenv line",
        "Streamlit: no streamlit_app.py, and no app.py or main.py that imports streamlit",
        "Gradio: no app.py or main.py that imports gradio",
        "FastAPI app: no FastAPI app in app.py, api.py, app/main.py, app/app.py or app/api.py",
        "project script: no [project.scripts] or [tool.poetry.scripts] entry",
        "Flask factory: no package whose __init__.py defines create_app()")


def test_run_hook_and_app_run_come_first_and_keep_the_fallback():
    hook = choose_web_process(AppFacts(run_hook=True, app_run="x", wsgi_module="wsgi"))
    assert (hook.kind, hook.fallback, hook.gunicorn_module, hook.needs_gunicorn) == (
        Kind.RUN_HOOK, Kind.GUNICORN, "wsgi", True)
    app_run = choose_web_process(AppFacts(app_run="python x.py", gunicorn_app_module="a:b", wsgi_module="wsgi"))
    assert (app_run.kind, app_run.fallback, app_run.gunicorn_module, app_run.needs_gunicorn) == (
        Kind.APP_RUN, Kind.GUNICORN, "a:b", False)
    assert app_run.skipped == (".s2i/bin/run: not found",)


def test_blank_app_run_is_unset():
    assert choose_web_process(AppFacts(app_run="  ", has_app_py=True)).kind is Kind.APP_PY


def test_procfile_web_not_used_when_app_run_or_run_hook_chose():
    for facts in (AppFacts(app_run="x", procfile_web="w"), AppFacts(run_hook=True, procfile_web="w")):
        choice = choose_web_process(facts)
        assert choice.procfile_web_unused
        assert (choice.fallback, choice.procfile_command) == (Kind.PROCFILE, "w")
    assert not choose_web_process(AppFacts(procfile_web="w")).procfile_web_unused


def test_nothing_to_run_is_not_an_error():
    choice = choose_web_process(AppFacts())
    assert (choice.kind, choice.fallback, choice.needs_gunicorn) == (Kind.NONE, Kind.NONE, False)


def test_django_with_manage_py_below_the_root_runs_from_there():
    project = DjangoProject(manage_py="src/manage.py", chdir="src", settings="site.settings",
                            wsgi_module="site.wsgi:application", asgi_module=None, source="x")
    choice = choose_web_process(AppFacts(django=project))
    assert (choice.rule, choice.gunicorn_module, choice.chdir, choice.django) == (
        Rule.DJANGO, "site.wsgi:application", "src", project)


@pytest.mark.parametrize(
    ("rule", "imports", "installed", "django_asgi", "asgi"),
    [
        pytest.param(Rule.ASGI_PY, set(), set(), False, True, id="root-asgi-py"),
        pytest.param(Rule.WSGI_PY, {"fastapi"}, {"fastapi"}, False, False, id="root-wsgi-py"),
        pytest.param(Rule.DJANGO, set(), {"django", "uvicorn"}, True, True, id="django-with-uvicorn"),
        pytest.param(Rule.DJANGO, set(), {"django", "daphne"}, True, True, id="django-with-daphne"),
        pytest.param(Rule.DJANGO, set(), {"django", "gunicorn"}, True, False, id="django-without-asgi-server"),
        pytest.param(Rule.DJANGO, set(), {"django", "uvicorn"}, False, False, id="django-without-asgi-py"),
        pytest.param(Rule.MAIN_PY, {"fastapi", "os"}, {"fastapi", "flask"}, False, True, id="fastapi-main"),
        pytest.param(Rule.MAIN_PY, {"starlette"}, set(), False, True, id="starlette-main"),
        pytest.param(Rule.MAIN_PY, {"litestar"}, set(), False, True, id="litestar-main"),
        pytest.param(Rule.MAIN_PY, {"quart"}, set(), False, True, id="quart-main"),
        pytest.param(Rule.MAIN_PY, {"flask"}, {"flask", "uvicorn"}, False, False, id="flask-main"),
        pytest.param(Rule.GUNICORN_APP_MODULE, {"myapp"}, {"fastapi", "uvicorn"}, False, True,
                     id="unknown-imports-asgi-framework-installed"),
        pytest.param(Rule.GUNICORN_APP_MODULE, {"myapp"}, {"fastapi", "flask"}, False, False,
                     id="unknown-imports-both-installed"),
        pytest.param(Rule.SETUP_PY, set(), set(), False, False, id="nothing-known-is-wsgi"),
    ],
)
def test_asgi_or_wsgi(rule, imports, installed, django_asgi, asgi):
    assert is_asgi(rule, imports, installed, django_asgi) is asgi


@pytest.mark.parametrize(("name", "module"), [("helloapp", "helloapp"), ("my-app", "my_app"), (" a.b\n", "a_b")])
def test_module_from_dist_name(name, module):
    assert module_from_dist_name(name) == module


def test_app_script_and_app_file_name_what_runs():
    script = choose_web_process(AppFacts(app_script="bin/start.sh", has_app_sh=True, has_app_py=True))
    assert (script.kind, script.script, script.reason) == (Kind.SCRIPT, "bin/start.sh", "APP_SCRIPT is set")
    app_sh = choose_web_process(AppFacts(has_app_sh=True, has_app_py=True))
    assert (app_sh.kind, app_sh.rule, app_sh.script) == (Kind.SCRIPT, Rule.APP_SH, "app.sh")
    app_file = choose_web_process(AppFacts(app_file="src/server.py", has_app_py=True))
    assert (app_file.kind, app_file.rule, app_file.python_file) == (Kind.APP_PY, Rule.APP_FILE, "src/server.py")
    assert choose_web_process(AppFacts(has_app_py=True)).python_file == "app.py"


@pytest.mark.parametrize("facts, installs", [
    (AppFacts(app_run="gunicorn wsgi", has_app_py=True), True),
    (AppFacts(app_run="cd src && exec gunicorn app:app", has_app_py=True), True),
    (AppFacts(app_run="python -m gunicorn app:app"), True),
    (AppFacts(app_run="python app.py", has_app_py=True), False),
    (AppFacts(app_run="echo gunicorn"), False),
    (AppFacts(procfile_web="gunicorn hello:app"), True),
    (AppFacts(procfile_web="python hello.py"), False),
    (AppFacts(app_script="start.sh", script_text="#!/bin/sh\nset -e\nexec gunicorn app:app\n"), True),
    (AppFacts(has_app_sh=True, script_text="#!/bin/sh\n# gunicorn later\npython app.py\n"), False),
    (AppFacts(wsgi_module="wsgi"), True),
    (AppFacts(app_run="python x.py", wsgi_module="wsgi"), False),
])
def test_gunicorn_is_installed_for_commands_that_run_it(facts, installs):
    assert choose_web_process(facts).installs_gunicorn is installs


def test_the_docs_rules_table_follows_the_ladder():
    """docs/web-process.md's rules table: .s2i/bin/run and APP_RUN, then RULES in order, then nothing."""
    import re
    from pathlib import Path

    from python_cnb.processes import RULES

    text = (Path(__file__).resolve().parents[2] / "docs" / "web-process.md").read_text()
    rows = [line.split("|")[2].replace("`", "").strip() for line in text.splitlines()
            if re.match(r"^\| \d+ \|", line)]
    expected = [".s2i/bin/run", "APP_RUN", *((entry.label or entry.rule.value).split()[0] for entry in RULES)]
    assert len(rows) == len(expected)
    for row, name in zip(rows, expected):
        assert name in row, (row, name)


STREAMLIT_COMMAND = ("streamlit", "run", "streamlit_app.py", "--server.port", "$PORT", "--server.address", "0.0.0.0",
                     "--server.headless", "true")


def test_the_new_rules_say_what_they_run():
    streamlit = choose_web_process(AppFacts(streamlit_file="streamlit_app.py", has_app_py=True))
    assert (streamlit.kind, streamlit.command, streamlit.reason) == (Kind.COMMAND, STREAMLIT_COMMAND,
                                                                     "streamlit_app.py found")
    assert not streamlit.installs_gunicorn
    gradio = choose_web_process(AppFacts(gradio_file="main.py", has_main_py=True))
    assert (gradio.command, gradio.command_env) == (("python", "main.py"), (("GRADIO_SERVER_NAME", "0.0.0.0"),
                                                                            ("GRADIO_SERVER_PORT", "$PORT")))
    script = choose_web_process(AppFacts(scripts=("serve",), scripts_table="[tool.poetry.scripts]"))
    assert (script.command, script.reason) == (("serve",), "[tool.poetry.scripts] has one entry, serve")
    factory = choose_web_process(AppFacts(flask_factory="flaskr", factory_file="src/flaskr/__init__.py",
                                          factory_chdir="src"))
    assert (factory.gunicorn_module, factory.chdir, factory.installs_gunicorn) == ("flaskr:create_app()", "src", True)
    flask_app_py = choose_web_process(AppFacts(has_app_py=True, app_py_unserved=UnservedApp(
        "app", "app.run()", "Flask", "127.0.0.1:5000")))
    assert (flask_app_py.kind, flask_app_py.rule, flask_app_py.gunicorn_module) == (Kind.GUNICORN, Rule.APP_PY,
                                                                                    "app:app")
    assert "127.0.0.1:5000" in flask_app_py.reason
    flask_run = choose_web_process(AppFacts(has_app_py=True, app_py_unserved=UnservedApp("app", "")))
    assert (flask_run.gunicorn_module, flask_run.installs_gunicorn) == ("app:app", True)
    assert "nothing in it runs the app" in flask_run.reason
    litestar = choose_web_process(AppFacts(has_app_py=True, app_py_unserved=UnservedApp("app", "", "Litestar")))
    assert litestar.reason.startswith("app.py defines the Litestar app app, and nothing in it runs the app")
    script_app = choose_web_process(AppFacts(scripts=("web",), script_app=UnservedApp("app", "app.run()", "Flask",
                                                                                   "127.0.0.1:5000"),
                                             script_module="web:app", script_chdir="src"))
    assert (script_app.kind, script_app.rule, script_app.gunicorn_module, script_app.chdir) == (
        Kind.GUNICORN, Rule.PROJECT_SCRIPT, "web:app", "src")
    assert script_app.reason.startswith("[project.scripts] has one entry, web, which starts the Flask app web:app")
    uvicorn = choose_web_process(AppFacts(scripts=("api",), script_app=UnservedApp(
        "app", "uvicorn.run()", "FastAPI", "127.0.0.1:8000"),
                                          script_module="api.main:app"))
    assert (uvicorn.gunicorn_module, uvicorn.reason) == ("api.main:app", (
        "[project.scripts] has one entry, api, which starts the FastAPI app api.main:app with uvicorn.run() "
        "(127.0.0.1:8000 unless given a host and port): serving it with Gunicorn instead"))
    port_5000 = choose_web_process(AppFacts(has_app_py=True, app_py_unserved=UnservedApp(
        "app", "app.run()", "Flask", "0.0.0.0:5000", defaults=False)))
    assert ("which `python app.py` would not serve on 8080 (its app.run() listens on 0.0.0.0:5000)"
            in port_5000.reason)
    named = choose_web_process(AppFacts(has_app_py=True, app_py_unserved=UnservedApp(
        "app", "uvicorn.run()", "ASGI", "0.0.0.0:8000", False, "main:app")))
    assert named.gunicorn_module == "main:app"
    printing = choose_web_process(AppFacts(scripts=("web",), script_app=UnservedApp("app", ""), script_module="web:app",
                                           script_chdir="src"))
    assert (printing.gunicorn_module, printing.chdir, printing.reason) == ("web:app", "src", (
        "[project.scripts] has one entry, web, which does not start the Flask app web:app its module defines "
        "(running it would exit): serving the app with Gunicorn instead"))
    dash = choose_web_process(AppFacts(has_app_py=True, app_py_unserved=UnservedApp(
        "app", "app.run()", "Dash", "127.0.0.1:8050", served="server")))
    assert (dash.gunicorn_module, dash.reason) == ("app:server", (
        "app.py defines the Dash app app, which `python app.py` would not serve on 8080 (Dash's app.run() defaults "
        "to 127.0.0.1:8050): serving it with Gunicorn instead"))


@pytest.mark.parametrize(("facts", "rule", "why"), [
    pytest.param(AppFacts(streamlit_file="app.py", has_app_py=True, installed=frozenset({"flask"})), Rule.APP_PY,
                 "Streamlit: streamlit is not installed", id="streamlit-not-installed"),
    pytest.param(AppFacts(gradio_file="app.py", has_app_py=True, installed=frozenset()), Rule.APP_PY,
                 "Gradio: gradio is not installed", id="gradio-not-installed"),
    pytest.param(AppFacts(scripts=("a", "b")), Rule.NONE,
                 "project script: [project.scripts] has 2 entries (a, b): set APP_RUN to one", id="two-scripts"),
    pytest.param(AppFacts(scripts=("serve",), scripts_installed=frozenset({"python"})), Rule.NONE,
                 "project script: serve is not installed (the project itself is not installed)",
                 id="script-not-installed"),
    pytest.param(AppFacts(flask_factory="flaskr", installed=frozenset({"django"})), Rule.NONE,
                 "Flask factory: flask is not installed", id="factory-without-flask"),
])
def test_after_the_install_a_rule_whose_package_is_missing_passes(facts, rule, why):
    choice = choose_web_process(facts)
    assert choice.rule is rule
    assert why in choice.skipped


def test_the_procfile_wins_over_a_streamlit_app():
    choice = choose_web_process(AppFacts(procfile_web="streamlit run app.py", has_procfile=True,
                                         streamlit_file="streamlit_app.py"))
    assert choice.rule is Rule.PROCFILE_WEB


def test_missing_frameworks_are_imported_frameworks_nothing_makes_importable():
    assert missing_frameworks({"flask", "os", "requests"}, frozenset({"requests"})) == ("flask",)
    assert missing_frameworks({"flask", "fastapi"}, frozenset({"flask"})) == ("fastapi",)
    assert missing_frameworks({"flask", "mylib"}, frozenset({"flask"})) == ()
