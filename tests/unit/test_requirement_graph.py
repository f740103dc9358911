from python_cnb.requirement_graph import Distribution, marker_env, read_distributions, required_closure, root_names

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


def test_read_distributions_and_marker_env(tmp_path):
    site = tmp_path / "lib" / "python3.12" / "site-packages"
    info = site / "Foo_Bar-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nRequires-Dist: six\n\nbody\n")
    (info / "direct_url.json").write_text("{}")
    assert read_distributions([site]) == {"foo-bar": Distribution("foo-bar", ("six",), True)}
    (tmp_path / "pyvenv.cfg").write_text("home = /x/bin\ninclude-system-site-packages = false\nversion = 3.12.1\n")
    assert marker_env(tmp_path) == ENV
