"""Static discovery of entry points: callables, imports and Django's WSGI application, from files only."""

import pytest
from python_cnb.app_files import read_app_files
from python_cnb.entrypoints import (
    bound_names,
    callable_in,
    imported_modules,
    settings_module_from_manage_py,
    wsgi_application_setting,
)
from python_cnb.errors import EntryCallableMissing, render_error
from python_cnb.snapshot import read_snapshot

MANAGE_PY = '''#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{settings}")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
'''


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def find_django_project(app_dir):
    """The project the snapshot finds: manage.py's, when there is one."""
    snapshot = read_snapshot(app_dir, read_app_files(app_dir), {}, "GUNICORN_CONFIG")
    return snapshot.django, snapshot.django_reason


def startproject(root, settings="mysite.settings", settings_file="mysite/settings.py",
                 settings_text="WSGI_APPLICATION = 'mysite.wsgi.application'\n", prefix=""):
    return write(root, {
        f"{prefix}manage.py": MANAGE_PY.format(settings=settings),
        f"{prefix}mysite/__init__.py": "",
        f"{prefix}{settings_file}": settings_text,
        f"{prefix}mysite/wsgi.py": "from django.core.wsgi import get_wsgi_application\n"
                                   "application = get_wsgi_application()\n",
        f"{prefix}mysite/asgi.py": "from django.core.asgi import get_asgi_application\n"
                                   "application = get_asgi_application()\n",
    })


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("application = make()\n", "application"),
        ("from flask import Flask\napp = Flask(__name__)\n", "app"),
        ("app = 1\napplication = 2\n", "application"),
        ("def application(environ, start_response):\n    pass\n", "application"),
        ("from server import app\n", "app"),
        ("try:\n    from x import application\nexcept ImportError:\n    application = None\n", "application"),
        ("from somewhere import *\n", "application"),
        ("this is not python(\n", "application"),
    ],
)
def test_callable_in(source, expected):
    assert callable_in(source, "wsgi.py") == expected


def test_callable_missing_names_both():
    with pytest.raises(EntryCallableMissing) as raised:
        callable_in("server = object()\n", "wsgi.py")
    title, body = render_error(raised.value)
    assert "wsgi.py defines neither 'application' or 'app'" in body
    assert "GUNICORN_APP_MODULE" in body


def test_bound_names_and_imports():
    source = "import os.path\nfrom fastapi import FastAPI\nfrom . import local\nif True:\n    app = FastAPI()\n"
    assert {"os", "FastAPI", "local", "app"} <= bound_names(source)
    assert imported_modules(source) == {"os", "fastapi"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")', "mysite.settings"),
        ("os.environ['DJANGO_SETTINGS_MODULE'] = 'conf.settings.prod'", "conf.settings.prod"),
        ('os.environ.setdefault("DJANGO_SETTINGS_MODULE", get())', None),
        ("import django", None),
    ],
)
def test_settings_module_from_manage_py(source, expected):
    assert settings_module_from_manage_py("import os\n" + source + "\n") == expected


def test_wsgi_application_setting():
    assert wsgi_application_setting("WSGI_APPLICATION = 'a.wsgi.application'\n") == (True, "a.wsgi.application")
    assert wsgi_application_setting("WSGI_APPLICATION = None\n") == (True, None)
    assert wsgi_application_setting("DEBUG = True\n") == (False, None)


def test_startproject_layout(tmp_path):
    project, _ = find_django_project(startproject(tmp_path))
    assert project.wsgi_module == "mysite.wsgi:application"
    assert project.asgi_module == "mysite.asgi:application"
    assert (project.chdir, project.settings) == ("", "mysite.settings")
    assert project.source == "WSGI_APPLICATION in mysite/settings.py"


def test_manage_py_one_level_down(tmp_path):
    project, _ = find_django_project(startproject(tmp_path, prefix="src/"))
    assert (project.manage_py, project.chdir, project.wsgi_module) == (
        "src/manage.py", "src", "mysite.wsgi:application")


def test_settings_package_with_star_import(tmp_path):
    startproject(tmp_path, settings="mysite.settings.production", settings_file="mysite/settings/production.py",
                 settings_text="from .base import *\nDEBUG = False\n")
    write(tmp_path, {"mysite/settings/__init__.py": "",
                     "mysite/settings/base.py": "WSGI_APPLICATION = 'mysite.wsgi.application'\n"})
    project, _ = find_django_project(tmp_path)
    assert project.wsgi_module == "mysite.wsgi:application"
    assert project.source == "WSGI_APPLICATION in mysite/settings/base.py"


def test_settings_package_init(tmp_path):
    startproject(tmp_path, settings_file="mysite/settings/__init__.py",
                 settings_text="WSGI_APPLICATION = 'mysite.wsgi.application'\n")
    assert find_django_project(tmp_path)[0].wsgi_module == "mysite.wsgi:application"


def test_odd_wsgi_application_falls_back_to_the_wsgi_py_beside_it(tmp_path):
    startproject(tmp_path, settings_text="WSGI_APPLICATION = compute()\n")
    project, _ = find_django_project(tmp_path)
    assert project.wsgi_module == "mysite.wsgi:application"
    assert "is not a dotted path" in project.source and "using mysite/wsgi.py" in project.source


def test_missing_wsgi_application_falls_back(tmp_path):
    startproject(tmp_path, settings_text="DEBUG = True\n")
    project, _ = find_django_project(tmp_path)
    assert project.wsgi_module == "mysite.wsgi:application"
    assert project.source == ("the settings module mysite.settings does not set WSGI_APPLICATION; "
                              "using mysite/wsgi.py")


def test_wsgi_application_naming_a_missing_module_falls_back(tmp_path):
    startproject(tmp_path, settings_text="WSGI_APPLICATION = 'gone.wsgi.application'\n")
    project, _ = find_django_project(tmp_path)
    assert project.wsgi_module == "mysite.wsgi:application"
    assert "names gone.wsgi, which is not in the app" in project.source


def test_custom_wsgi_application(tmp_path):
    startproject(tmp_path, settings_text="WSGI_APPLICATION = 'mysite.wsgi.app'\n")
    assert find_django_project(tmp_path)[0].wsgi_module == "mysite.wsgi:app"


def test_missing_settings_module_and_no_wsgi_py(tmp_path):
    write(tmp_path, {"manage.py": MANAGE_PY.format(settings="nowhere.settings")})
    project, reason = find_django_project(tmp_path)
    assert project is None
    assert reason == ("the settings module nowhere.settings named in manage.py is not in the app, "
                      "and there is no single wsgi.py beside it")


def test_no_manage_py(tmp_path):
    assert find_django_project(tmp_path) == (None, "no manage.py (root and three levels down)")
