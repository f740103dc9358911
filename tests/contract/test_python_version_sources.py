"""The Python version from a project's declared range, and the errors a user sees when version files disagree or
cannot be read. The test manifest has 3.11.7 and 3.12.1."""

import os

import pytest
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract

APP_PY = """\
import http.server
import os
import platform


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = platform.python_version().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
"""

PYPROJECT = """\
[project]
name = "hello"
version = "1.0"
requires-python = ">=3.11,<3.12"

[tool.ruff]
line-length = 100
"""


_assert_clean_failure = assert_clean_failure


def test_requires_python_in_pyproject_picks_the_newest_matching_version(make_app):
    app = make_app("app_py")
    (app.app / "app.py").write_text(APP_PY)
    (app.app / "requirements.txt").write_text("# nothing to install\n")
    (app.app / "pyproject.toml").write_text(PYPROJECT)
    result = app.build()
    assert result.returncode == 0, result
    assert "Using Python 3.11.7 (requires-python '>=3.11,<3.12' in pyproject.toml)" in result.output
    assert "Installing Python 3.11.7" in result.output
    assert "[Warning:" not in result.output
    with app.serve() as server:
        assert server.get("/") == "3.11.7"


def test_explicit_version_outside_the_declared_range(make_app):
    app = make_app("app_py")
    (app.app / "runtime.txt").write_text("python-3.12\n")
    (app.app / "pyproject.toml").write_text(PYPROJECT)
    result = app.build()
    _assert_clean_failure(result, "Python version files disagree")
    assert (
        "[Error: Python version files disagree]\n"
        "runtime.txt asks for Python 3.12 (Python 3.12.1), but pyproject.toml declares requires-python "
        "'>=3.11,<3.12',\n"
        "which that version does not satisfy.\n\n"
        "1. Change runtime.txt to a version that satisfies '>=3.11,<3.12', for example 'python-3.11'\n"
        "   (this buildpack has 3.11.7), or delete runtime.txt to get the newest one.\n"
        "2. Or, if your app works on Python 3.12, change requires-python in pyproject.toml to include it.\n"
    ) in result.output
    assert not list(app.layers.glob("*.toml"))


def test_no_version_matches_the_declared_range(make_app):
    app = make_app("app_py")
    (app.app / "uv.lock").write_text('version = 1\nrequires-python = ">=3.13"\n')
    (app.app / "pyproject.toml").write_text('[project]\nname = "hello"\nversion = "1.0"\n')
    result = app.build()
    _assert_clean_failure(result, "No Python version matches the requirement")
    assert ("requires-python '>=3.13' in uv.lock matches none of the Python versions this buildpack has: "
            "3.11.7, 3.12.1.") in result.output


def test_invalid_pyproject_toml(make_app):
    app = make_app("app_py")
    (app.app / "pyproject.toml").write_text('[project]\nname = "hello"\nrequires-python = >=3.11\n')
    result = app.build()
    _assert_clean_failure(result, "Invalid pyproject.toml")
    assert "pyproject.toml is not valid TOML at line 3, column 19: Invalid value." in result.output


@pytest.mark.parametrize(
    ("name", "make", "problem"),
    [
        pytest.param(".python-version", lambda p: os.symlink("../shared/.python-version", p),
                     "a symbolic link to '../shared/.python-version', which does not exist", id="dangling-link"),
        pytest.param("runtime.txt", os.mkdir, "a directory", id="directory"),
    ],
)
def test_unusable_version_file(make_app, name, make, problem):
    app = make_app("app_py")
    make(app.app / name)
    result = app.build()
    _assert_clean_failure(result, "Unable to read a Python version file")
    assert f"{name} is {problem}, so the Python version it sets cannot be read." in result.output
    assert f"Replace {name} with a regular file in the app" in result.output
