"""Flask with wsgi.py: a cold build, a served request, a no-change rebuild and a changed-requirement rebuild."""

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract


def _not_unchecked_hash(*layers: Path) -> list:
    """The .pyc files that are not the buildpack's kind (PEP 552 flags 1: hash-based, unchecked). A timestamp-based
    one, written by an import during the build, would change the layer on a later build."""
    return [str(pyc) for layer in layers for pyc in layer.rglob("*.pyc")
            if pyc.read_bytes()[4:8] != (1).to_bytes(4, "little")]


def test_flask_build_serve_and_rebuilds(make_app):
    app = make_app("flask_wsgi")
    first = app.build()
    assert first.returncode == 0, first
    assert ("No Python version requested in runtime.txt, .python-version, pyproject.toml, uv.lock, Pipfile, "
            "pdm.lock or pylock.toml; using the buildpack's default (the newest version it knows): Python 3.12.1"
            in first.output)
    assert "Installing Python 3.12.1" in first.output
    assert "Running 'pip install --no-compile -r requirements.txt'" in first.output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in first.output
    assert "Web process: gunicorn wsgi (wsgi.py found)" in first.output
    assert "Traceback" not in first.output

    assert app.layer_toml("python")["types"] == {"launch": True, "build": True, "cache": True}
    assert app.layer_toml("pip-cache")["types"] == {"launch": False, "build": False, "cache": True}
    assert app.layer_toml("venv")["types"] == {"launch": True, "build": True, "cache": True}
    assert app.layer_toml("web")["types"] == {"launch": True, "build": False, "cache": False}
    web = app.launch_toml()["processes"][0]
    assert web["type"] == "web" and web["default"] is True and web["working-dir"] == str(app.app)
    assert app.layers.joinpath("pip-cache").is_dir()
    # The buildpack's own bytecode, cached for the next build (its directory is read-only under the lifecycle).
    assert app.layer_toml("buildpack-bytecode")["types"] == {"cache": True}
    assert list(app.layers.glob("buildpack-bytecode/*/python_cnb/buildpack.cpython-*.pyc"))
    # Only the buildpack's: the standard library's bytecode stays where Python keeps it (not compiled again).
    assert {p.relative_to(app.layers).parts[2] for p in app.layers.glob("buildpack-bytecode/*/*")} == {"python_cnb"}

    # Every module of the layers that the app, its server and the usual stdlib imports load has bytecode (the stdlib
    # is compiled but for what a web app never imports; the app's own code is not compiled); -B: the check writes none.
    check = subprocess.run(
        [str(app.layers / "venv" / "bin" / "python"), "-B", "-c",
         "import os, sys, wsgi, gunicorn.app.wsgiapp, json, decimal, datetime, email.parser, ssl, asyncio, "
         "encodings.idna, logging.config, http.client\n"
         "print([n for n, m in sorted(sys.modules.items()) if getattr(m, '__cached__', None) "
         f"and m.__cached__.startswith({str(app.layers)!r}) and not os.path.exists(m.__cached__)])"],
        cwd=app.app, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "[]", check.stdout
    assert _not_unchecked_hash(app.layers / "python", app.layers / "venv") == []

    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"
        assert server.get("/env/FORWARDED_ALLOW_IPS") == "*"
        assert server.get("/env/PYTHONUNBUFFERED") == "1"
        assert server.get("/env/WEB_CONCURRENCY").isdigit()
        assert "Serving application with gunicorn (wsgi)" in server.log
        assert "Listening at: http://0.0.0.0:8080" in server.log
        assert '"GET / HTTP/1.1" 200' in server.log  # access log on stdout

    app.restore_for_next_build()
    cached_pyc = next(app.layers.glob("buildpack-bytecode/*/python_cnb/buildpack.cpython-*.pyc"))
    before = cached_pyc.stat()
    second = app.build()
    assert second.returncode == 0, second
    after = cached_pyc.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "read, not compiled again"
    assert _not_unchecked_hash(app.layers / "python", app.layers / "venv") == [], "no import wrote any"
    assert "Using cached Python 3.12.1" in second.output
    assert "Using cached pip download/wheel cache" in second.output
    assert "Using cached virtual environment: nothing that affects it has changed; skipping pip" in second.output
    assert "Running 'pip" not in second.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"

    app.restore_for_next_build()
    (app.app / "requirements.txt").write_text("flask\nsix\n")
    third = app.build()
    assert third.returncode == 0, third
    assert "Using cached Python 3.12.1" in third.output
    assert "Updating the cached virtual environment in place since:\n - The requirements files" in third.output
    assert "Only requirement lines changed: installing six" in third.output
    assert "Running 'pip install --no-compile -r .python-buildpack-changed-requirements.txt'" in third.output
    assert "Successfully installed" in third.output and "six" in third.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"


def test_python_version_from_runtime_txt_and_python_version_file(make_app):
    app = make_app("app_run", APP_RUN="python server.py")
    (app.app / "runtime.txt").write_text("python-3.11\n")
    (app.app / ".python-version").write_text("3.12\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "Using Python 3.11.7 (requested 3.11 in runtime.txt)" in result.output
    assert "[Warning: Two Python version files]\nBoth runtime.txt and .python-version are present" in result.output

    app.restore_for_next_build()
    (app.app / "runtime.txt").unlink()
    result = app.build()
    assert result.returncode == 0, result
    assert "Using Python 3.12.1 (requested 3.12 in .python-version)" in result.output
    assert ("Discarding cached Python 3.11.7 since:\n - The Python version has changed from 3.11.7 to 3.12.1"
            in result.output)
    assert "Discarding cached virtual environment since:" in result.output
    with app.serve() as server:
        assert server.get("/sys") in ("<unset>",)
        assert server.get("/") == "Hello from APP_RUN"


def test_build_without_python3_in_the_build_image_bootstraps(make_app, tmp_path):
    from contract.test_detect import no_python_path

    app = make_app("app_py")
    (app.app / "runtime.txt").write_text("python-3.11")
    app.build_path = str(no_python_path(tmp_path))
    result = app.build()
    assert result.returncode == 0, result
    assert "No python3 in the build image: bootstrapping Python 3.12.1 to run the buildpack" in result.output
    assert "Using Python 3.11.7 (requested 3.11 in runtime.txt)" in result.output
    app.restore_for_next_build()
    again = app.build()
    assert again.returncode == 0, again
    assert "bootstrapping" not in again.output, "the restored interpreter layer runs the buildpack"
    assert "Using cached Python 3.11.7" in again.output
    with app.serve() as server:
        assert server.get("/") == "Hello from app.py"


OLDEST_PYTHON = "3.9.18"


@pytest.mark.skipif(not Path(f"/root/.pyenv/versions/{OLDEST_PYTHON}").exists(),
                    reason="needs pyenv's CPython 3.9 on this machine")
def test_buildpack_code_runs_on_python_39(make_app, tmp_path):
    """The buildpack's own code runs on the oldest python3 it supports in a build image."""
    import tarfile

    from support import python_archive
    from support.cnb_harness import CACHE_DIR

    archive, _ = python_archive.make_archive(OLDEST_PYTHON, CACHE_DIR / "python-archives")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "py39", filter="fully_trusted") if hasattr(tarfile, "fully_trusted_filter") \
            else tar.extractall(tmp_path / "py39")
    for path in [tmp_path / "py39", *(tmp_path / "py39").rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o055 if path.is_dir() else path.stat().st_mode | 0o044)
    app = make_app("app_py")
    app.build_path = f"{tmp_path / 'py39' / 'python' / 'bin'}:/usr/bin:/bin"
    assert app.detect().returncode == 0
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: python app.py (app.py found)" in result.output
