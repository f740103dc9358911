"""BP_PYTHON_INSTALLER=uv: requirements.txt installed with `uv pip install`, with the pip path's semantics (PIP_*
settings mapped, credentials masked, the same reuse and in-place update rules), uv itself never in the image, and
requirement-file options uv does not support named before anything is installed."""


import pytest
from support.cnb_harness import assert_clean_failure
from support.http_server import serve_directory

from .test_build_lean import _size
from .test_build_reuse import _wheel

pytestmark = pytest.mark.contract

SECRET_URL = "https://builduser:s3cr3t-token@pypi.org/simple"


def test_uv_installs_flask_serves_and_rebuilds(make_app):
    app = make_app("flask_wsgi", BP_PYTHON_INSTALLER="uv", PIP_INDEX_URL=SECRET_URL, PIP_UPGRADE="1",
                   PIP_CONFIG_FILE="/dev/null")
    first = app.build()
    assert first.returncode == 0, first
    assert "Installing dependencies from requirements.txt with uv" in first.output
    assert "Installer: uv (BP_PYTHON_INSTALLER), with the PIP_* settings mapped to uv's" in first.output
    assert "[Warning: uv ignores some pip settings]" in first.output and "PIP_CONFIG_FILE is set" in first.output
    assert "Installing uv 0.13.9" in first.output
    # uv's wheel comes straight from the index (the credentials sent, never shown), fetched while Python installs.
    assert "Fetched uv-0.13.9-py3-none-manylinux" in first.output and "(sha256 checked)" in first.output
    assert "Running 'pip install uv==" not in first.output
    assert sorted(p.name for p in (app.layers / "uv" / "venv" / "bin").iterdir()) == ["uv", "uvx"]
    assert "PIP_UPGRADE is set, but ignored: uv installs this app's dependencies, not pip" in first.output
    assert "Running 'uv pip install --link-mode hardlink -r requirements.txt'" in first.output
    assert "Running 'uv pip install --link-mode hardlink gunicorn==" in first.output
    assert "Running 'pip install --no-compile" not in first.output
    assert "s3cr3t-token" not in first.output and "builduser" not in first.output
    for path in app.layers.rglob("*.toml"):
        assert "s3cr3t-token" not in path.read_text(), path

    venv = app.layer_toml("venv")["metadata"]
    assert venv["package_manager"] == "uv pip install -r requirements.txt"
    assert venv["tool"] == "uv 0.13.9"
    assert app.layer_toml("uv")["types"] == {"launch": False, "build": False, "cache": True}
    assert app.layer_toml("uv-cache")["types"] == {"launch": False, "build": False, "cache": True}
    assert not (app.layers / "pip.toml").exists(), "no pip layer when uv installs"
    site = next(app.layers.glob("venv/lib/python3*/site-packages"))
    assert not list(site.glob("pip*")) and not list(site.glob("uv*"))
    assert sorted(p.name.split("-")[0] for p in site.glob("*.dist-info")) == [
        "blinker", "click", "flask", "gunicorn", "itsdangerous", "jinja2", "markupsafe", "werkzeug"]
    assert len(list(site.glob("flask/__pycache__/*.pyc"))) == len(list(site.glob("flask/*.py")))
    assert _size(app.layers / "venv") < 12_000_000
    # The cache layer and the venv share a filesystem: the venv's files are hard links to uv's cached copies (no
    # copying); the bytecode the buildpack wrote is the venv's own.
    installed = (site / "flask" / "app.py").stat()
    cached = {(p.stat().st_dev, p.stat().st_ino) for p in (app.layers / "uv-cache").rglob("flask/app.py")}
    assert installed.st_nlink == 2 and (installed.st_dev, installed.st_ino) in cached
    assert next(site.glob("flask/__pycache__/app.*.pyc")).stat().st_nlink == 1

    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"

    app.restore_for_next_build()
    second = app.build()
    assert second.returncode == 0, second
    assert "Using cached virtual environment: nothing that affects it has changed; skipping uv" in second.output
    assert "Running '" not in second.output

    app.restore_for_next_build()
    (app.app / "requirements.txt").write_text("flask\nsix\n")
    third = app.build()
    assert third.returncode == 0, third
    assert "Using cached uv 0.13.9" in third.output
    assert "Updating the cached virtual environment in place since:\n - The requirements files" in third.output
    assert "Checked the updated environment as `pip check` does" in third.output
    assert list(site.glob("six-*.dist-info"))
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"

    # Back to pip: another installer, a fresh environment.
    app.restore_for_next_build()
    del app.platform_env["BP_PYTHON_INSTALLER"]
    fourth = app.build()
    assert fourth.returncode == 0, fourth
    assert "Discarding cached virtual environment since:\n - The install method has changed from 'uv pip install " \
           "-r requirements.txt' to 'pip install -r requirements.txt'" in fourth.output
    assert "Running 'pip install --no-compile -r requirements.txt'" in fourth.output


def test_pip_settings_reach_uv(make_app):
    """PIP_FIND_LINKS, PIP_PRE and PIP_ONLY_BINARY, given the pip way, decide what uv installs."""
    app = make_app("app_run", APP_RUN="python -c 'import greet; print(\"greet\", greet.VERSION)'",
                   BP_PYTHON_INSTALLER="uv", PIP_FIND_LINKS="./wheels ./more-wheels", PIP_PRE="1",
                   PIP_ONLY_BINARY=":all:")
    _wheel(app.app / "wheels", "greet", "1.0")
    _wheel(app.app / "more-wheels", "greet", "2.0rc1")
    (app.app / "requirements.txt").write_text("--no-index\ngreet\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "Running 'uv pip install --link-mode hardlink --only-binary :all: -r requirements.txt'" in result.output
    assert "greet 2.0rc1" in app.run_process("web").output
    # A pip setting the direct fetch of uv's wheel does not follow: pip installs uv.
    assert "Installing it with pip, which follows your pip settings: PIP_FIND_LINKS" in result.output
    assert "Running 'pip install uv==0.13.9'" in result.output


def test_requirement_options_uv_does_not_support_are_named(make_app):
    app = make_app("app_run", APP_RUN="python server.py", BP_PYTHON_INSTALLER="uv")
    (app.app / "requirements").mkdir()
    (app.app / "requirements" / "base.txt").write_text("--prefer-binary\nsix \\\n  --config-settings=x=y\n")
    (app.app / "requirements.txt").write_text("# options\n--pre\n--index-url https://pypi.org/simple\n"
                                              "-r requirements/base.txt\n")
    result = app.build()
    assert_clean_failure(result, "Requirements options that uv does not support")
    assert "requirements.txt, line 2: --pre: remove it and set PIP_PRE=1" in result.output
    assert ("requirements/base.txt, line 1: --prefer-binary: remove it, or build with pip (unset "
            "BP_PYTHON_INSTALLER)") in result.output
    assert "requirements/base.txt, line 2: --config-settings: remove it" in result.output
    assert "--index-url" not in result.output.split("does not support")[1]
    assert "Installing Python" not in result.output, "bad configuration fails before anything slow"


def test_an_unknown_installer_is_an_error(make_app):
    result = make_app("app_run", APP_RUN="python server.py", BP_PYTHON_INSTALLER="conda").build()
    assert_clean_failure(result, "Invalid environment variable")
    assert "BP_PYTHON_INSTALLER is set to 'conda', but it must be one of pip, uv" in result.output


def test_uv_installs_a_setup_py_project_editable(make_app):
    app = make_app("setup_py_app", BP_PYTHON_INSTALLER="uv")
    result = app.build()
    assert result.returncode == 0, result
    assert "Running 'uv pip install --link-mode hardlink -e .'" in result.output
    assert "Web process: gunicorn helloapp (setup.py found)" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from setup.py"


def test_an_assemble_hook_sourcing_the_default_stage_installs_with_uv_and_still_has_pip(make_app):
    app = make_app("s2i_hooks", BP_PYTHON_INSTALLER="uv")
    result = app.build()
    assert result.returncode == 0, result
    before = result.output.index("Logic to include before")
    uv = result.output.index("Running 'uv pip install --link-mode hardlink -r requirements.txt'")
    after = result.output.index("Logic to include after")
    assert before < uv < after
    assert (app.app / "assembled.txt").read_text().startswith("Name: Flask"), "the hook's pip sees the environment"
    assert not list(app.layers.glob("venv/lib/python3*/site-packages/pip"))


def test_uv_from_pip_when_the_direct_fetch_fails(make_app, tmp_path):
    """An index without uv: the direct fetch says why, pip tries the same index, and the build fails cleanly."""
    (tmp_path / "served" / "simple").mkdir(parents=True)
    with serve_directory(tmp_path / "served") as url:
        index = f"{url}/simple"
        app = make_app("flask_wsgi", BP_PYTHON_INSTALLER="uv", PIP_INDEX_URL=index, PIP_CONFIG_FILE="/dev/null",
                       PIP_RETRIES="0")
        result = app.build()
    assert_clean_failure(result, "Command failed")
    assert (f"Fetching it from the package index directly did not work ({index}/uv/ answered HTTP 404); "
            "installing it with pip") in result.output
    assert "Running 'pip install uv==0.13.9'" in result.output
    assert "The buildpack installs its pinned tool from the package index" in result.output
    assert not (app.layers / "uv.toml").exists()
