"""Apps written for Google's and Paketo's Python buildpacks, built with their variables: GOOGLE_ENTRYPOINT at build
and launch, a version variable choosing the interpreter (the test manifest has 3.11.7 and 3.12.1), BP_PIP_REQUIREMENT
and BP_PIP_FIND_LINKS, the vendored wheels of GOOGLE_VENDOR_PIP_DEPENDENCIES and BP_PIP_DEST_PATH installed with no
index (pip, then uv through GOOGLE_PYTHON_PACKAGE_MANAGER), the variables that mean nothing here, and the errors."""

import pytest
from support.cnb_harness import assert_clean_failure
from support.wheels import make_wheel

pytestmark = pytest.mark.contract

SERVER = """\
import http.server
import os
import platform
import sys

import cnbtest_greet


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = " ".join([platform.python_version(), "greet", cnbtest_greet.VERSION, *sys.argv[1:]]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
"""
# A name no package index has: the wheel can only come from the app's own directory.
GREET = "cnbtest-greet"
UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"


def _greeting_app(app, requirements_file, wheels):
    (app.app / "server.py").write_text(SERVER)
    (app.app / requirements_file).write_text(f"{GREET}==1.0\n")
    make_wheel(app.app / wheels, GREET, "1.0")


def test_entrypoint_version_and_requirements_variables(make_app):
    app = make_app("not_python", GOOGLE_ENTRYPOINT="python server.py", GOOGLE_PYTHON_VERSION="3.11.x",
                   BP_CPYTHON_VERSION="3.12", BP_PIP_FIND_LINKS="./wheels", BP_LIVE_RELOAD_ENABLED="true",
                   GOOGLE_DEVMODE="true")
    _greeting_app(app, "requirements-prod.txt", "wheels")
    assert app.detect().returncode == 100, "no Python file detect knows"
    app.platform_env["BP_PIP_REQUIREMENT"] = "requirements-prod.txt"
    assert app.detect().returncode == 0, "the requirements file BP_PIP_REQUIREMENT names"
    (app.app / ".python-version").write_text("3.12\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "[Variables of Google's and Paketo's buildpacks]" in result.output
    for note in (
        "GOOGLE_ENTRYPOINT is set (Google's name for APP_RUN): using it as APP_RUN=python server.py",
        "GOOGLE_PYTHON_VERSION is set (Google's buildpack): requesting Python 3.11.x, which wins over runtime.txt "
        "and .python-version",
        "GOOGLE_PYTHON_VERSION and BP_CPYTHON_VERSION are both set and differ: using GOOGLE_PYTHON_VERSION=3.11.x "
        "(BP_CPYTHON_VERSION=3.12 is ignored)",
        "BP_PIP_REQUIREMENT is set (Paketo's pip-install): installing requirements-prod.txt instead of "
        "requirements.txt",
        "BP_PIP_FIND_LINKS is set (Paketo's pip-install): adding ./wheels to PIP_FIND_LINKS",
        "BP_LIVE_RELOAD_ENABLED is set, but ignored: the image has no watchexec",
        "GOOGLE_DEVMODE is set, but ignored: there is no development mode",
    ):
        assert note in result.output, note
    assert "Using Python 3.11.7 (requested 3.11 in GOOGLE_PYTHON_VERSION)" in result.output
    assert ("[Warning: GOOGLE_PYTHON_VERSION overrides .python-version]\nGOOGLE_PYTHON_VERSION asks for Python 3.11 "
            "and .python-version for '3.12'; the variable wins (Python 3.11.7)") in result.output
    assert "Installing dependencies from requirements-prod.txt with pip" in result.output
    assert "Running 'pip install --no-compile -r requirements-prod.txt'" in result.output
    assert "Web process: the APP_RUN command, run through /bin/sh" in result.output
    with app.serve() as server:
        assert server.get("/") == "3.11.7 greet 1.0"
    # At launch, GOOGLE_ENTRYPOINT is APP_RUN too, and APP_RUN wins over it.
    with app.serve(runtime_env={"GOOGLE_ENTRYPOINT": "python server.py at-launch"}) as server:
        assert server.get("/") == "3.11.7 greet 1.0 at-launch"
    with app.serve(runtime_env={"APP_RUN": "python server.py app-run"}) as server:
        assert server.get("/") == "3.11.7 greet 1.0 app-run"
        assert "APP_RUN and GOOGLE_ENTRYPOINT are both set and differ: using APP_RUN" in server.log


def test_vendored_wheels_are_installed_with_no_index(make_app):
    app = make_app("not_python", GOOGLE_VENDOR_PIP_DEPENDENCIES="vendor", GOOGLE_ENTRYPOINT="python server.py",
                   PIP_INDEX_URL=UNREACHABLE_INDEX)
    _greeting_app(app, "requirements.txt", "vendor")
    result = app.build()
    assert result.returncode == 0, result
    assert ("GOOGLE_VENDOR_PIP_DEPENDENCIES is set (Google's buildpack): installing into the app's environment from "
            "the wheels in vendor only, with no package index") in result.output
    assert (f"Running 'pip install --no-compile --no-index --find-links {app.app / 'vendor'} -r requirements.txt'"
            in result.output)
    with app.serve() as server:
        assert server.get("/").endswith("greet 1.0")

    # Paketo's name for the same directory, the same wheels: the environment is reused as it is.
    app.restore_for_next_build()
    del app.platform_env["GOOGLE_VENDOR_PIP_DEPENDENCIES"]
    app.platform_env["BP_PIP_DEST_PATH"] = "vendor"
    again = app.build()
    assert again.returncode == 0, again
    assert "BP_PIP_DEST_PATH is set (Paketo's pip-install)" in again.output
    assert "Using cached virtual environment: nothing that affects it has changed; skipping pip" in again.output

    # uv (Google's GOOGLE_PYTHON_PACKAGE_MANAGER) installs from them the same way; a new wheel rebuilds the venv.
    app.restore_for_next_build()
    del app.platform_env["PIP_INDEX_URL"]  # the buildpack's uv itself comes from the index
    app.platform_env.update(GOOGLE_PYTHON_PACKAGE_MANAGER="uv", UV_DEFAULT_INDEX=UNREACHABLE_INDEX)
    (app.app / "requirements.txt").write_text(f"{GREET}==2.0\n")
    make_wheel(app.app / "vendor", GREET, "2.0")
    with_uv = app.build()
    assert with_uv.returncode == 0, with_uv
    assert ("GOOGLE_PYTHON_PACKAGE_MANAGER is set (Google's name for BP_PYTHON_INSTALLER): using it as "
            "BP_PYTHON_INSTALLER=uv") in with_uv.output
    assert "Installer: uv (GOOGLE_PYTHON_PACKAGE_MANAGER)" in with_uv.output
    assert (" - The package index settings (PIP_INDEX_URL or other PIP_* variables, the tool's own, or the vendored "
            "wheels) have changed") in with_uv.output
    assert "Running 'uv pip install --link-mode " in with_uv.output
    assert f" --no-index --find-links {app.app / 'vendor'} -r requirements.txt'" in with_uv.output
    with app.serve() as server:
        assert server.get("/").endswith("greet 2.0")


@pytest.mark.parametrize(("env", "files", "title", "message"), [
    pytest.param({"GOOGLE_VENDOR_PIP_DEPENDENCIES": "wheels"}, {"requirements.txt": "flask\n"},
                 "Vendored wheels directory not found",
                 "GOOGLE_VENDOR_PIP_DEPENDENCIES is set to 'wheels', but there is no such directory in the app.",
                 id="vendor-missing"),
    pytest.param({"BP_PIP_REQUIREMENT": "requirements/prod.txt"}, {"requirements.txt": "flask\n"},
                 "Requirements file not found",
                 "BP_PIP_REQUIREMENT names 'requirements/prod.txt', but there is no such file in the app.",
                 id="requirements-missing"),
    pytest.param({"GOOGLE_RUNTIME_VERSION": "3.12"},
                 {"pyproject.toml": '[project]\nname = "hello"\nversion = "1.0"\nrequires-python = "<3.12"\n'},
                 "GOOGLE_RUNTIME_VERSION and pyproject.toml disagree",
                 "GOOGLE_RUNTIME_VERSION asks for Python 3.12 (Python 3.12.1), but pyproject.toml declares "
                 "requires-python '<3.12',", id="version-outside-the-range"),
])
def test_what_the_variables_name_must_be_there_and_agree(make_app, env, files, title, message):
    app = make_app("app_py", **env)
    for name, text in files.items():
        (app.app / name).write_text(text)
    result = app.build()
    assert_clean_failure(result, title)
    assert f"[Error: {title}]\n{message}" in result.output
    assert not list(app.layers.glob("*.toml")), "it fails before anything is installed"
