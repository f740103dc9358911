"""analyse(): every decision made before the first slow step, from a real app directory and plain data."""

import datetime
import io
from pathlib import Path

import pytest
from python_cnb.analysis import analyse
from python_cnb.build_env import resolve_build_env
from python_cnb.cnb import toml_io
from python_cnb.cnb.data import Target
from python_cnb.cnb.runtime import BuildContext
from python_cnb.dependencies import _report_method
from python_cnb.errors import (
    AppHomeInvalid,
    EntryCallableMissing,
    ForbiddenEnvVars,
    NoInterpreterForArch,
    RequirementOptionsUnsupported,
    RequirementsFileInvalid,
    VendorDirectoryInvalid,
    VersionFileUnusable,
    render_error,
)
from python_cnb.output import Output
from python_cnb.processes import Kind, Rule

REPO = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 6)


def _analyse(app: Path, arch: str = "amd64", **env: str):
    ctx = BuildContext(app_dir=app, buildpack_dir=REPO, layers_dir=app.parent / "layers",
                       target=Target("linux", arch, "debian", "12"), env=env,
                       buildpack_descriptor=toml_io.read(REPO / "buildpack.toml"))
    return analyse(ctx, resolve_build_env(app, env), TODAY)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app"
    path.mkdir()
    return path


def test_a_flask_requirements_app(app):
    (app / "requirements.txt").write_text("flask==3.1.0\n")
    (app / "wsgi.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (app / ".python-version").write_text("3.12\n")
    analysis = _analyse(app)
    assert analysis.install.method.name == "pip" and analysis.installer.name == "pip"
    assert analysis.inputs.scan is not None and analysis.inputs.scan.requirements == ("flask==3.1.0",)
    assert analysis.python.version.startswith("3.12.") and analysis.python.arch == "amd64"
    assert analysis.resolution.reason == "requested 3.12 in .python-version"
    assert (analysis.web.kind, analysis.web.rule, analysis.web.gunicorn_module) == (Kind.GUNICORN, Rule.WSGI_PY,
                                                                                    "wsgi:app")
    assert analysis.gunicorn_requirement == (analysis.pins.gunicorn,)
    assert analysis.web_requirements == (analysis.pins.gunicorn, analysis.pins.uvicorn_worker)
    assert analysis.pins.tool == "" and analysis.hooks.assemble is None and analysis.hooks.run is None


def test_the_s2i_names_app_home_and_a_lockfile_method(app):
    service = app / "services" / "api"
    service.mkdir(parents=True)
    (service / "uv.lock").write_text('version = 1\nrequires-python = ">=3.13"\n')
    (service / "pyproject.toml").write_text("[project]\nname = 'api'\nversion = '1'\n")
    (app / ".s2i").mkdir()
    (app / ".s2i" / "environment").write_text("APP_HOME=services/api\nAPP_MODULE=api:app\n")
    (app / ".s2i" / "bin").mkdir()
    (app / ".s2i" / "bin" / "run").write_text("#!/bin/sh\nexec /usr/libexec/s2i/run\n")
    analysis = _analyse(app, BP_PYTHON_INSTALLER="uv")
    assert analysis.app_dir == service and analysis.build_env.root == app
    assert analysis.env["GUNICORN_APP_MODULE"] == "api:app" and analysis.build_env.named("GUNICORN_APP_MODULE") == \
        "APP_MODULE"
    assert analysis.install.method.name == "uv" and analysis.installer.name == "pip", "uv sync, not uv pip"
    assert analysis.installer_requested.name == "uv"
    assert analysis.pins.tool.startswith("uv==")
    assert analysis.inputs.files == "uv.lock, pyproject.toml, uv.toml"
    assert analysis.python.version.startswith(("3.13.", "3.14.", "3.15.")) and "uv.lock" in analysis.resolution.reason
    assert analysis.web.kind is Kind.RUN_HOOK and analysis.hooks.run.startswith("#!/bin/sh")


@pytest.mark.parametrize(("files", "env", "error"), [
    pytest.param({}, {"APP_HOME": "../elsewhere"}, AppHomeInvalid, id="app-home-outside"),
    pytest.param({"requirements.txt": ""}, {"PYTHONHOME": "/opt/python"}, ForbiddenEnvVars, id="forbidden"),
    pytest.param({"requirements.txt": "--pre\nflask\n"}, {"BP_PYTHON_INSTALLER": "uv"},
                 RequirementOptionsUnsupported, id="uv-cannot-honour"),
    pytest.param({"wsgi.py": "print(1)\n"}, {}, EntryCallableMissing, id="wsgi-without-callable"),
])
def test_bad_configuration_fails_before_anything_is_installed(app, files, env, error):
    for name, text in files.items():
        (app / name).write_text(text)
    with pytest.raises(error):
        _analyse(app, **env)


def test_a_version_file_that_is_a_directory(app):
    (app / "runtime.txt").mkdir()
    with pytest.raises(VersionFileUnusable):
        _analyse(app)


def test_no_interpreter_for_the_target_arch(app):
    with pytest.raises(NoInterpreterForArch) as info:
        _analyse(app, arch="riscv64")
    assert info.value.arch == "riscv64"


def test_the_variables_of_googles_and_paketos_buildpacks(app):
    (app / "requirements").mkdir()
    (app / "requirements" / "prod.txt").write_text("flask==3.1.0\n")
    (app / "vendor").mkdir()
    (app / "vendor" / "flask-3.1.0-py3-none-any.whl").write_bytes(b"wheel")
    (app / ".python-version").write_text("3.13\n")
    analysis = _analyse(app, GOOGLE_ENTRYPOINT="python server.py", BP_CPYTHON_VERSION="3.12.x",
                        BP_PIP_REQUIREMENT="requirements/prod.txt", GOOGLE_VENDOR_PIP_DEPENDENCIES="vendor")
    assert analysis.web.kind is Kind.APP_RUN and analysis.facts.app_run == "python server.py"
    assert analysis.python.version.startswith("3.12.")
    assert analysis.resolution.reason == "requested 3.12 in BP_CPYTHON_VERSION"
    assert [w.file for w in analysis.resolution.warnings] == [".python-version"]
    assert analysis.install.files == ("requirements/prod.txt",) and analysis.inputs.files == "requirements/prod.txt"
    assert analysis.inputs.scan is not None and analysis.inputs.scan.requirements == ("flask==3.1.0",)
    assert analysis.vendor is not None and analysis.vendor.path == app / "vendor"
    assert analysis.vendor.variable == "GOOGLE_VENDOR_PIP_DEPENDENCIES" and len(analysis.vendor.digest) == 64
    again = _analyse(app, BP_PIP_DEST_PATH="vendor", BP_PIP_REQUIREMENT="requirements/prod.txt")
    assert again.vendor is not None and again.vendor.digest == analysis.vendor.digest
    (app / "vendor" / "click-8.1.8-py3-none-any.whl").write_bytes(b"wheel")
    assert _analyse(app, BP_PIP_DEST_PATH="vendor", BP_PIP_REQUIREMENT="requirements/prod.txt").vendor.digest != \
        analysis.vendor.digest


def test_vendored_wheels_apply_to_the_pip_methods_only(app):
    (app / "vendor").mkdir()
    (app / "uv.lock").write_text('version = 1\nrequires-python = ">=3.12"\n')
    (app / "pyproject.toml").write_text("[project]\nname = 'api'\nversion = '1'\n")
    analysis = _analyse(app, GOOGLE_VENDOR_PIP_DEPENDENCIES="vendor", GOOGLE_PYTHON_PACKAGE_MANAGER="uv",
                        BP_PIP_REQUIREMENT="prod.txt", BP_PYTHON_PACKAGE_MANAGER="uv")
    assert analysis.install.method.name == "uv" and analysis.vendor is None
    out = io.StringIO()
    _report_method(analysis, Output(out=out, err=out))
    ignored = ("GOOGLE_PYTHON_PACKAGE_MANAGER=uv", "GOOGLE_VENDOR_PIP_DEPENDENCIES=vendor")
    assert out.getvalue().splitlines()[1:] == ["Ignoring prod.txt since BP_PYTHON_PACKAGE_MANAGER is uv", *(
        f"{setting} is ignored: it applies to requirements.txt and setup.py or pyproject.toml projects, and uv "
        "installs this app" for setting in ignored)]


@pytest.mark.parametrize(("env", "error", "problem"), [
    pytest.param({"BP_PIP_REQUIREMENT": "requirements.txt prod.txt"}, RequirementsFileInvalid,
                 "there is no such file in the app", id="requirement-missing"),
    pytest.param({"BP_PIP_REQUIREMENT": "vendor"}, RequirementsFileInvalid, "it is a directory",
                 id="requirement-directory"),
    pytest.param({"BP_PIP_REQUIREMENT": "../outside.txt"}, RequirementsFileInvalid,
                 "it must be a file in the app, relative to the app's directory", id="requirement-outside"),
    pytest.param({"GOOGLE_VENDOR_PIP_DEPENDENCIES": "wheels"}, VendorDirectoryInvalid,
                 "there is no such directory in the app", id="vendor-missing"),
    pytest.param({"BP_PIP_DEST_PATH": "requirements.txt"}, VendorDirectoryInvalid, "it is a file, not a directory",
                 id="vendor-file"),
    pytest.param({"GOOGLE_VENDOR_PIP_DEPENDENCIES": "/opt/wheels"}, VendorDirectoryInvalid,
                 "it must be a directory in the app, relative to the app's directory", id="vendor-absolute"),
])
def test_files_and_directories_the_variables_name_must_be_in_the_app(app, env, error, problem):
    (app / "requirements.txt").write_text("flask\n")
    (app / "vendor").mkdir()
    with pytest.raises(error) as info:
        _analyse(app, **env)
    assert info.value.variable == next(iter(env)) and info.value.problem == problem
    title, body = render_error(info.value)
    assert body.startswith(f"{next(iter(env))} ")


def test_a_named_pylock_is_installed_and_is_a_version_source(app):
    """The one pylock.<name>.toml: the analysis reads its text (a pattern, not a fixed name) for requires-python."""
    lock = ('lock-version = "1.0"\nrequires-python = "<3.12"\n\n[[packages]]\nname = "flask"\nversion = "3.0.3"\n'
            'wheels = [{ url = "https://files.example/flask-3.0.3-py3-none-any.whl", '
            'hashes = { sha256 = "34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3" } }]\n')
    (app / "pylock.prod.toml").write_text(lock)
    (app / "wsgi.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    analysis = _analyse(app)
    assert analysis.install.method.name == "pylock" and analysis.install.files == ("pylock.prod.toml",)
    assert analysis.pins.tool.startswith("uv==")
    assert analysis.python.version.startswith("3.11.")
    assert analysis.resolution.summary().endswith("(requires-python '<3.12' in pylock.prod.toml)")
    assert analysis.inputs.files == "pylock.prod.toml, pyproject.toml"
    out = io.StringIO()
    _report_method(analysis, Output(out=out, err=out))
    assert "Installing the dependencies locked in pylock.prod.toml with uv" in out.getvalue()
