import pytest
from python_cnb.errors import NoWebProcess
from python_cnb.processes import AppFacts, Kind, choose_web_process, module_from_dist_name

NOTHING = dict(run_hook=False, app_run="", gunicorn_app_module="", has_wsgi_py=False, has_setup_py=False,
               has_app_py=False)


def facts(**overrides):
    return AppFacts(**{**NOTHING, **overrides})


@pytest.mark.parametrize(
    ("overrides", "kind", "fallback", "module", "gunicorn"),
    [
        pytest.param(dict(run_hook=True, app_run="x", has_wsgi_py=True), Kind.RUN_HOOK, Kind.GUNICORN, "wsgi", True,
                     id="run-hook-first"),
        pytest.param(dict(run_hook=True), Kind.RUN_HOOK, Kind.NONE, None, False, id="run-hook-alone"),
        pytest.param(dict(app_run="python x.py", gunicorn_app_module="a:b", has_wsgi_py=True), Kind.APP_RUN,
                     Kind.GUNICORN, "a:b", False, id="app-run-before-gunicorn"),
        pytest.param(dict(gunicorn_app_module=" a.b:app ", has_wsgi_py=True), Kind.GUNICORN, Kind.GUNICORN, "a.b:app",
                     True, id="gunicorn-app-module"),
        pytest.param(dict(has_wsgi_py=True, has_setup_py=True, has_app_py=True), Kind.GUNICORN, Kind.GUNICORN, "wsgi",
                     True, id="wsgi"),
        pytest.param(dict(has_setup_py=True, has_app_py=True), Kind.GUNICORN, Kind.GUNICORN, None, True,
                     id="setup-py"),
        pytest.param(dict(has_app_py=True), Kind.APP_PY, Kind.APP_PY, None, False, id="app-py"),
        pytest.param(dict(app_run="  "), None, None, None, None, id="blank-app-run-ignored"),
    ],
)
def test_choose_web_process(overrides, kind, fallback, module, gunicorn):
    if kind is None:
        with pytest.raises(NoWebProcess):
            choose_web_process(facts(**overrides))
        return
    choice = choose_web_process(facts(**overrides))
    assert (choice.kind, choice.fallback, choice.gunicorn_module, choice.needs_gunicorn) == (
        kind, fallback, module, gunicorn)


def test_nothing_to_run():
    with pytest.raises(NoWebProcess):
        choose_web_process(facts())


@pytest.mark.parametrize(("name", "module"), [("helloapp", "helloapp"), ("my-app", "my_app"), (" a.b\n", "a_b")])
def test_module_from_dist_name(name, module):
    assert module_from_dist_name(name) == module
