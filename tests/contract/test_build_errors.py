"""Each user error: exit status 1, one [Error: ...] block naming the file or variable and the fix, no traceback,
and no layer metadata a later build would trust."""

import pytest
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract


_assert_clean_failure = assert_clean_failure


@pytest.mark.parametrize(
    ("filename", "contents", "title", "fragment"),
    [
        pytest.param("runtime.txt", "python-3.6.15", "Python version is no longer supported",
                     "runtime.txt asks for Python 3.6.15, which has reached its upstream end of life", id="eol-3.6"),
        pytest.param("runtime.txt", "python-2.7", "Python version is no longer supported",
                     "Supported versions: 3.11 to 3.12.", id="eol-2.7"),
        pytest.param(".python-version", "3.10", "Python version is no longer supported",
                     ".python-version asks for Python 3.10", id="eol-3.10"),
        pytest.param("runtime.txt", "python-3.12.99", "Requested Python version is not available",
                     "Known releases: 3.11.7, 3.12.1.", id="unknown-patch"),
        pytest.param("runtime.txt", "pypy3.10-7.3", "Invalid Python version",
                     "The Python version in runtime.txt is not valid: 'pypy3.10-7.3'", id="malformed"),
    ],
)
def test_bad_python_versions(make_app, filename, contents, title, fragment):
    app = make_app("app_py")
    (app.app / filename).write_text(contents + "\n")
    result = app.build()
    _assert_clean_failure(result, title)
    assert fragment in result.output
    assert not list(app.layers.glob("*.toml"))


def test_missing_gunicorn_config(make_app):
    app = make_app("flask_wsgi", GUNICORN_CONFIG="nope.conf.py")
    result = app.build()
    _assert_clean_failure(result, "Gunicorn config file not found")
    assert "GUNICORN_CONFIG is set to 'nope.conf.py'" in result.output


def test_forbidden_env(make_app):
    result = make_app("app_py", PYTHONHOME="/invalid").build()
    _assert_clean_failure(result, "Unsafe environment variables found")
    assert "PYTHONHOME" in result.output


def test_poisoned_pythonpath_does_not_break_the_buildpack(make_app):
    app = make_app("app_py", PYTHONPATH="/invalid")
    result = app.build()
    assert result.returncode == 0, result


def test_pip_failure_leaves_no_trusted_venv(make_app):
    app = make_app("flask_wsgi")
    (app.app / "requirements.txt").write_text("this-package-does-not-exist-python-cnb==1.0\n")
    result = app.build()
    _assert_clean_failure(result, "Command failed")
    assert "The command 'pip install --no-compile -r requirements.txt' failed with exit status 1." in result.output
    assert "PIP_INDEX_URL" in result.output
    assert not (app.layers / "venv.toml").exists()
    assert (app.layers / "python.toml").exists()


def test_checksum_mismatch(make_app, manifest_path, tmp_path):
    bad = tmp_path / "bad-manifest.toml"
    text = manifest_path.read_text()
    first_sha = text.split('sha256 = "')[1][:64]
    bad.write_text(text.replace(first_sha, "0" * 64))
    bad.chmod(0o644)
    app = make_app("app_py", BP_PYTHON_MANIFEST=str(bad))
    (app.app / "runtime.txt").write_text("python-3.11.7")
    result = app.build()
    _assert_clean_failure(result, "Python download failed its checksum")
    assert "but the manifest pins " + "0" * 64 in result.output
    assert not (app.layers / "python.toml").exists()


def test_pip_index_url_credentials_stay_secret(make_app):
    # The index is real (the public one, reached the same way as without credentials); the point is that
    # the user name and password never show up in the log, layer metadata or launch env.
    secret_url = "https://builduser:s3cr3t-token@pypi.org/simple"
    app = make_app("flask_wsgi", PIP_INDEX_URL=secret_url, PIP_UPGRADE="TRUE")
    result = app.build()
    assert result.returncode == 0, result
    assert "PIP_UPGRADE is set: upgrading the pip that installs the dependencies" in result.output
    assert "s3cr3t-token" not in result.output and "builduser" not in result.output
    for path in app.layers.rglob("*"):
        if path.is_file() and path.suffix in (".toml", "") and "site-packages" not in path.parts:
            try:
                text = path.read_text()
            except UnicodeDecodeError:
                continue
            assert "s3cr3t-token" not in text, path


def test_manifest_without_this_architecture(make_app, manifest_path, tmp_path):
    arm_only = tmp_path / "arm-only.toml"
    arm_only.write_text(manifest_path.read_text().replace('arch = "amd64"', 'arch = "arm64"'))
    arm_only.chmod(0o644)
    result = make_app("app_py", BP_PYTHON_MANIFEST=str(arm_only)).build()
    _assert_clean_failure(result, "No Python build for this architecture")
    assert "has no build for 'amd64'" in result.output


def test_invalid_manifest(make_app, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[python]]\nversion = "3.12"\narch = "amd64"\nurl = "x"\nsha256 = "abc"\n')
    bad.chmod(0o644)
    result = make_app("app_py", BP_PYTHON_MANIFEST=str(bad)).build()
    _assert_clean_failure(result, "Invalid Python interpreter manifest")
    assert "entry 1 has version '3.12', not X.Y.Z" in result.output


PROJECT = "[project]\nname = 'app'\nversion = '1'\n"


@pytest.mark.parametrize(
    ("files", "env", "title", "fragment"),
    [
        pytest.param({"requirement.txt": "flask\n"}, {}, "Found requirement.txt instead of requirements.txt",
                     "Rename requirement.txt to requirements.txt", id="misspelled-requirements"),
        pytest.param({"requirements.txt": "flask\n", "uv.lock": "version = 1\n", "pyproject.toml": PROJECT}, {},
                     "Multiple package manager files found", " - requirements.txt\n - uv.lock", id="conflict"),
        pytest.param({"requirements.txt": "flask\n"}, {"BP_PYTHON_PACKAGE_MANAGER": "pipenv"}, "No Pipfile found",
                     "BP_PYTHON_PACKAGE_MANAGER is pipenv, but the app has no Pipfile",
                     id="forced-pipenv-without-pipfile"),
        pytest.param({"Pipfile.lock": "{}"}, {}, "Pipfile.lock without Pipfile", "Add Pipfile to the app",
                     id="lock-without-pipfile"),
        pytest.param({"pyproject.toml": "[project]\nname = \n"}, {}, "Invalid pyproject.toml",
                     "pyproject.toml is not valid TOML at line 2, column 8", id="invalid-pyproject"),
        pytest.param({"requirements.txt": "flask\n"}, {"BP_PYTHON_PACKAGE_MANAGER": "conda"},
                     "Invalid environment variable", "BP_PYTHON_PACKAGE_MANAGER is set to 'conda'", id="unknown-pm"),
        pytest.param({"requirements.txt": "flask\n"}, {"BP_PYTHON_PACKAGE_MANAGER": "uv"}, "No uv.lock found",
                     "Run 'uv lock' in the app", id="forced-uv-without-lock"),
    ],
)
def test_package_manager_files(make_app, files, env, title, fragment):
    app = make_app("app_py", **env)
    for name, text in files.items():
        (app.app / name).write_text(text)
    assert app.detect().returncode == 0
    result = app.build()
    _assert_clean_failure(result, title)
    assert fragment in result.output
    assert not list(app.layers.glob("*.toml"))


@pytest.mark.parametrize("kind", ["dangling symlink", "directory"])
def test_requirements_txt_that_is_not_a_file(make_app, kind):
    app = make_app("app_py")
    if kind == "directory":
        (app.app / "requirements.txt").mkdir()
    else:
        (app.app / "requirements.txt").symlink_to("../shared/requirements.txt")
    assert app.detect().returncode == 0
    result = app.build()
    _assert_clean_failure(result, "requirements.txt is not a file")
    assert f"requirements.txt in the app is a {kind}" in result.output


def test_requirements_include_loop(make_app):
    app = make_app("app_py")
    (app.app / "requirements.txt").write_text("-r more.txt\n")
    (app.app / "more.txt").symlink_to("more.txt")
    result = app.build()
    _assert_clean_failure(result, "Unable to read a file")
    assert "more.txt" in result.output and "symlink" in result.output


def test_utf16_requirements_are_read_as_pip_does(make_app):
    app = make_app("app_py")
    (app.app / "requirements.txt").write_bytes("# written by PowerShell\r\n".encode("utf-16"))
    result = app.build()
    assert result.returncode == 0, result
    assert "Running 'pip install --no-compile -r requirements.txt'" in result.output
