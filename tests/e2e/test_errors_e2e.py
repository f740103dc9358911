"""User errors through pack: the exact message, a failing build, no traceback. And secrets stay secret."""

import subprocess

import pytest

from .conftest import docker_run

pytestmark = pytest.mark.e2e


def _failed_cleanly(result, title, app_traceback=False):
    assert result.returncode != 0, result
    assert f"[Error: {title}]" in result.output, result
    assert result.output.count("[Error:") == 1, result
    assert "python_cnb" not in result.output, result  # nothing from the buildpack's own code
    if not app_traceback:
        assert "Traceback" not in result.output, result
    assert "failed with status code: 51" in result.output, result


def test_eol_python_version(pack):
    app = pack.app("app_py")
    (app / "runtime.txt").write_text("python-3.6.15\n")
    result = pack.build(pack.image_name("eol"), app)
    _failed_cleanly(result, "Python version is no longer supported")
    assert "runtime.txt asks for Python 3.6.15, which has reached its upstream end of life" in result.output
    assert "Supported versions: 3.11 to 3.12." in result.output


def test_pip_failure(pack):
    app = pack.app("flask_wsgi")
    (app / "requirements.txt").write_text("this-package-does-not-exist-python-cnb==1.0\n")
    result = pack.build(pack.image_name("pipfail"), app)
    _failed_cleanly(result, "Command failed")
    assert "The command 'pip install --no-compile -r requirements.txt' failed with exit status 1." in result.output


def test_collectstatic_failure(pack):
    result = pack.build(pack.image_name("staticfail"), pack.app("django_app"), env={"BREAK_COLLECTSTATIC": "1"})
    _failed_cleanly(result, "Unable to generate Django static files", app_traceback=True)
    assert "set DISABLE_COLLECTSTATIC=TRUE to skip this step" in result.output


def test_private_index_with_credentials(pack, private_index, docker_services):
    secret = "s3cr3t-index-password"
    image = pack.image_name("private-index")
    result = pack.build(image, pack.app("flask_wsgi"),
                        env={"PIP_INDEX_URL": f"http://indexuser:{secret}@{private_index}/simple"})
    assert result.returncode == 0, result
    served = docker_services._docker_compose.execute("logs package-index").decode()
    assert "GET /simple/flask/" in served and "GET /simple/gunicorn/" in served, served
    assert secret not in result.output and "indexuser" not in result.output
    assert "http://****@127.0.0.1" in result.output or "Looking in indexes" not in result.output
    inspect = subprocess.run(["docker", "inspect", image], capture_output=True, text=True, check=True).stdout
    assert secret not in inspect and "indexuser" not in inspect
    saved = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    assert secret.encode() not in saved, "the secret is somewhere in the image's layers"
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Flask"
        assert container.get("/env/PIP_INDEX_URL") == "<unset>"


def _write(app, files):
    for name, text in files.items():
        path = app / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if name.startswith(".s2i/bin/"):
            path.chmod(0o755)


@pytest.mark.parametrize(
    ("files", "env", "title", "fragment"),
    [
        pytest.param({"runtime.txt": "python-3.12.99\n"}, {}, "Requested Python version is not available",
                     "runtime.txt asks for Python '3.12.99', which this buildpack does not know.", id="unknown"),
        pytest.param({".python-version": "pypy3.10\n"}, {}, "Invalid Python version",
                     "The Python version in .python-version is not valid: 'pypy3.10'.", id="malformed"),
        pytest.param({}, {"GUNICORN_CONFIG": "missing.conf.py"}, "Gunicorn config file not found",
                     "GUNICORN_CONFIG is set to 'missing.conf.py', but there is no such file", id="gunicorn-config"),
        pytest.param({}, {"PYTHONHOME": "/invalid"}, "Unsafe environment variables found",
                     "These variables are set for the build: PYTHONHOME.", id="pythonhome"),
        pytest.param({".s2i/environment": "OK=1\nnot a variable\n"}, {}, "Invalid line in .s2i/environment",
                     "Line 2 of .s2i/environment is not KEY=VALUE: 'not a variable'.", id="s2i-environment"),
        pytest.param({".s2i/bin/assemble": "#!/bin/sh\nexit 3\n"}, {}, "Build hook failed",
                     "Your .s2i/bin/assemble exited with status 3", id="assemble-hook"),
    ],
)
def test_user_errors(pack, files, env, title, fragment):
    app = pack.app("app_py")
    _write(app, files)
    result = pack.build(pack.image_name("user-error"), app, env=env)
    _failed_cleanly(result, title)
    assert fragment in result.output, result


def test_checksum_mismatch(pack, archive_server):
    import urllib.request
    from pathlib import Path

    with urllib.request.urlopen(pack.manifest_url, timeout=10) as response:
        text = response.read().decode()
    archive_dir = Path(str(archive_server["dir"]))
    for _path, sha256 in archive_server["archives"].values():
        text = text.replace(sha256, "0" * 64)
    (archive_dir / "e2e-bad-manifest.toml").write_text(text)
    result = pack.build(pack.image_name("bad-sha"), pack.app("app_py"),
                        env={"BP_PYTHON_MANIFEST": f"{archive_server['url']}/e2e-bad-manifest.toml"})
    _failed_cleanly(result, "Python download failed its checksum")
    assert "but the manifest pins " + "0" * 64 in result.output


@pytest.mark.parametrize(
    ("files", "title", "fragment"),
    [
        pytest.param({"requirement.txt": "flask\n"}, "Found requirement.txt instead of requirements.txt",
                     "Rename requirement.txt to requirements.txt", id="misspelled"),
        pytest.param({"requirements.txt": "flask\n", "Pipfile": "[packages]\n", "Pipfile.lock": "{}"},
                     "Multiple package manager files found", "set BP_PYTHON_PACKAGE_MANAGER", id="conflict"),
        pytest.param({"Pipfile.lock": "{}"}, "Pipfile.lock without Pipfile", "Add Pipfile to the app",
                     id="lock-without-pipfile"),
    ],
)
def test_package_manager_file_errors(pack, files, title, fragment):
    app = pack.app("app_py")
    for name, text in files.items():
        (app / name).write_text(text)
    result = pack.build(pack.image_name("pm-error"), app)
    _failed_cleanly(result, title)
    assert fragment in result.output


def test_out_of_date_uv_lock(pack):
    from support import lock_apps

    app = lock_apps.uv_app(pack.tmp_path / "stale-uv", stale=True)
    result = pack.build(pack.image_name("stale-uv"), app)
    _failed_cleanly(result, "uv.lock is out of date")
    assert "Run 'uv lock' in the app, commit the updated uv.lock, and build again." in result.output
