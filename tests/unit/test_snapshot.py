"""The app snapshot: the root's files (app_files) and the deeper reads the analysis makes once (snapshot)."""

import os

import pytest
from python_cnb.app_files import Entry, read_app_files
from python_cnb.errors import FileReadError, GunicornConfigMissing, ProcfileInvalid, StartFileMissing
from python_cnb.snapshot import find_manage_py, read_snapshot


def _snapshot(app, env=None, texts=("Procfile", "setup.py")):
    return read_snapshot(app, read_app_files(app, texts), env or {}, "GUNICORN_CONFIG")


def test_root_files_are_listed_and_only_the_asked_texts_read(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"\xef\xbb\xbf[project]\n")  # a BOM, as Windows editors write
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / "requirements.txt").symlink_to("../shared/requirements.txt")
    files = read_app_files(tmp_path, ["pyproject.toml", "missing.txt"])
    assert files.entries == {"pyproject.toml": Entry.FILE, "app.py": Entry.FILE,
                             "requirements.txt": Entry.DANGLING}
    assert files.texts == {"pyproject.toml": "[project]\n"}
    assert files.link_targets == {"requirements.txt": "../shared/requirements.txt"}
    assert read_app_files(tmp_path).texts == {}, "detect reads no texts"


def test_a_text_that_is_not_utf8_names_the_file(tmp_path):
    (tmp_path / "Procfile").write_bytes(b"web: gunicorn \xff\n")
    with pytest.raises(FileReadError) as info:
        read_app_files(tmp_path, ["Procfile"])
    assert info.value.path == "Procfile" and "UTF-8" in info.value.reason


def test_find_manage_py_prefers_shallow(tmp_path):
    assert find_manage_py(tmp_path) is None
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "manage.py").write_text("")
    assert find_manage_py(tmp_path) == deep / "manage.py"
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "manage.py").write_text("")
    assert find_manage_py(tmp_path) == tmp_path / "z" / "manage.py"
    (tmp_path / "manage.py").write_text("")
    assert find_manage_py(tmp_path) == tmp_path / "manage.py"
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    assert find_manage_py(tmp_path / "node_modules") is None


def test_the_snapshot_holds_the_reads_the_web_decision_needs(tmp_path):
    (tmp_path / "Procfile").write_text("web: gunicorn app:app\nworker: python worker.py\n")
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='my-service', version='1')\n")
    (tmp_path / "gunicorn.conf.py").write_text("workers = 3\nworker_class = 'gthread'\n")
    (tmp_path / "app.sh").write_text("#!/bin/sh\nexec gunicorn app:app\n")
    os.chmod(tmp_path / "app.sh", 0o755)
    site = tmp_path / "site"
    site.mkdir()
    (site / "manage.py").write_text("import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n")
    snapshot = _snapshot(tmp_path)
    assert [(e.name, e.command) for e in snapshot.procfile] == [("web", "gunicorn app:app"),
                                                                ("worker", "python worker.py")]
    assert snapshot.setup_py_name == "my-service"
    assert snapshot.gunicorn_config == "gunicorn.conf.py"
    assert {"workers", "worker_class"} <= snapshot.gunicorn_config_names
    assert snapshot.app_sh and snapshot.script_executable and "exec gunicorn" in snapshot.script_text
    assert snapshot.manage_py == "site/manage.py" and snapshot.django is None
    assert "mysite.settings" in snapshot.django_reason


@pytest.mark.parametrize(("env", "error"), [
    pytest.param({"APP_SCRIPT": "start.sh"}, StartFileMissing, id="app-script"),
    pytest.param({"APP_FILE": "server.py"}, StartFileMissing, id="app-file"),
    pytest.param({"GUNICORN_CONFIG": "conf/gunicorn.py"}, GunicornConfigMissing, id="gunicorn-config"),
])
def test_a_file_a_variable_names_must_be_there(tmp_path, env, error):
    with pytest.raises(error):
        _snapshot(tmp_path, env)


def test_an_invalid_procfile_line_is_an_error(tmp_path):
    (tmp_path / "Procfile").write_text("web gunicorn app:app\n")
    with pytest.raises(ProcfileInvalid):
        _snapshot(tmp_path)
