from python_cnb.requirement_graph import required_closure, root_names, unmet_requirements, unmet_roots
from python_cnb.venv_facts import Distribution

ENV = {"python_version": "3.12", "python_full_version": "3.12.1"}


def _dist(name, *requires, direct=False):
    return Distribution(name, tuple(requires), direct)


def test_closure_follows_dependencies_extras_and_markers():
    installed = {d.name: d for d in [
        _dist("flask", "werkzeug>=3", "click", "asgiref ; extra == 'async'"),
        _dist("werkzeug", "markupsafe"), _dist("markupsafe"), _dist("click"), _dist("asgiref"),
        _dist("old-dep"), _dist("py2-only"), _dist("mylib", "six", direct=True), _dist("six"),
        _dist("gunicorn", "packaging"), _dist("packaging"),
        _dist("legacy", "py2-only ; python_version < '3'"),
    ]}
    roots = root_names(["Flask[async]==3.0", "legacy", "win-only ; sys_platform == 'win32'", "gunicorn==23.0.0"], ENV)
    assert roots[0] == ("flask", frozenset({"async"}))
    reached = required_closure(roots, installed, ENV)
    assert set(installed) - reached == {"old-dep", "py2-only"}
    no_extra = required_closure(root_names(["flask"], ENV), installed, ENV)
    assert "asgiref" not in no_extra and "six" in no_extra


def test_unmet_requirements_say_what_pip_check_says():
    def dist(name, version, *requires):
        return Distribution(name, tuple(requires), False, version)

    installed = {d.name: d for d in [
        dist("flask", "3.0.0", "Werkzeug>=3.0.0", "click>=8.1.3", "blinker>=1.6.2",
             "asgiref>=3.2 ; extra == 'async'", "importlib-metadata>=3.6 ; python_version < '3.10'"),
        dist("werkzeug", "2.3.8", "MarkupSafe>=2.1.1"), dist("markupsafe", "2.1.5"),
        dist("click", "8.2.0rc1"), dist("celery", "5.4.0", "kombu<6.0,>=5.3.4", "tzdata>=2022.7"),
        dist("kombu", "5.4.2"), dist("tzdata", "2024.2"), dist("odd", "not a version", "click>=9"),
        dist("nt-only", "1.0", "pywin32>=300 ; sys_platform == 'win32'"),
    ]}
    assert unmet_requirements(installed, ENV) == [
        "flask 3.0.0 requires blinker, which is not installed.",
        "flask 3.0.0 has requirement Werkzeug>=3.0.0, but you have werkzeug 2.3.8.",
        "odd not a version has requirement click>=9, but you have click 8.2.0rc1.",
    ]
    installed["werkzeug"] = dist("werkzeug", "3.0.1", "MarkupSafe>=2.1.1")
    installed["blinker"] = dist("blinker", "1.8.2")
    del installed["odd"]
    assert unmet_requirements(installed, ENV) == [], "a pre-release meets >=, extras and other platforms are skipped"


def test_unmet_roots_are_the_requirement_lines_the_environment_does_not_meet():
    installed = {d.name: d for d in [Distribution("dep-a", (), False, "2.0"), Distribution("flask", (), False, "3.0")]}
    lines = ["dep-a==1.0", "Flask>=3", "missing", "win-only ; sys_platform == 'win32'", "flask @ https://x/f.whl"]
    assert unmet_roots(lines, installed, ENV) == [
        "The requirements ask for dep-a==1.0, but you have dep-a 2.0.",
        "The requirements ask for missing, which is not installed.",
    ]
