"""Free-threaded builds ('3.12t' in .python-version) through the real bin/build.

No free-threaded CPython can be made on these machines (python.org's source tarballs are out of reach, Debian 12
has no nogil package, python-build-standalone cannot be downloaded), so the free-threaded entry of the manifest
here is the test's 3.12.1 archive listed a second time with `freethreaded = true`: what these tests check is the
selection by the manifest's flag, the log, the layers' metadata and the wheel check before the install, not the
interpreter's own free threading. The wheels come from a simple index on 127.0.0.1 made at test time."""

import hashlib
from pathlib import Path

import pytest
from support import python_archive
from support.cnb_harness import assert_clean_failure
from support.http_server import serve_directory
from support.wheels import make_wheel

pytestmark = pytest.mark.contract


def _index(root: Path) -> Path:
    """simple/<project>/ pages for a pure-Python wheel (fits any interpreter) and a wheel that is binary-only for
    the default ABI (cp312, no cp312t wheel, no sdist)."""
    files = root / "files"
    pure = make_wheel(files, "purepkg", "1.0")
    binary = make_wheel(files, "binonly", "1.0")
    binary = binary.rename(files / "binonly-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    for project, wheel in (("purepkg", pure), ("binonly", binary)):
        page = root / "simple" / project
        page.mkdir(parents=True)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        (page / "index.html").write_text(f'<html><body><a href="../../files/{wheel.name}#sha256={digest}">'
                                         f"{wheel.name}</a></body></html>\n")
    return root


@pytest.fixture
def threaded_manifest(archive_server, tmp_path):
    """The test manifest plus its 3.12.1 archive as a free-threaded entry."""
    archives = archive_server["archives"]
    path, sha256 = archives["3.12.1"]
    text = python_archive.manifest_toml(archive_server["url"], archives)
    text += (f'\n[[python]]\nversion = "3.12.1"\narch = "amd64"\nfreethreaded = true\n'
             f'url = "{archive_server["url"]}/{Path(path).name}"\nsha256 = "{sha256}"\n')
    manifest = tmp_path / "threaded-manifest.toml"
    manifest.write_text(text)
    manifest.chmod(0o644)
    return manifest


def test_a_free_threaded_version_the_manifest_has_no_build_of(make_app):
    app = make_app("app_py")
    (app.app / ".python-version").write_text("3.12t\n")
    result = app.build()
    assert_clean_failure(result, "Free-threaded Python build not available")
    assert ("[Error: Free-threaded Python build not available]\n"
            ".python-version asks for Python '3.12t', the free-threaded build of Python 3.12, but the\n"
            "interpreter manifest has no free-threaded build of it. Free-threaded builds it has: none.\n\n"
            "1. Request '3.12' (without the 't') for the default build, which it has.\n"
            "2. Or set BP_PYTHON_MANIFEST to a manifest of your own whose entry for it has freethreaded = true\n"
            "   (see docs/python-version.md).\n") in result.output
    assert not list(app.layers.glob("*.toml")), "it fails before any layer"


def _build_against_index(make_app, manifest, tmp_path, version_file, requirements):
    """The app_py fixture built with the free-threaded manifest, its version file and requirements, against the
    test's index: (the app, the build's result)."""
    with serve_directory(_index(tmp_path / "index")) as url:
        app = make_app("app_py", BP_PYTHON_MANIFEST=str(manifest), PIP_INDEX_URL=f"{url}/simple",
                       PIP_CONFIG_FILE="/dev/null")
        name, text = version_file
        (app.app / name).write_text(f"{text}\n")
        (app.app / "requirements.txt").write_text(requirements)
        return app, app.build()


def test_a_pinned_distribution_without_a_free_threaded_wheel(make_app, threaded_manifest, tmp_path):
    app, result = _build_against_index(make_app, threaded_manifest, tmp_path, ("runtime.txt", "python-3.12t"),
                                       "purepkg==1.0\nbinonly==1.0\n")
    assert_clean_failure(result, "Dependencies without free-threaded wheels")
    assert "Using Python 3.12.1 (free-threaded), requested 3.12t in runtime.txt" in result.output
    assert ("These have no cp312t wheel for linux x86_64 and no sdist,\nso installing them would fail:\n"
            "  - binonly 1.0 (pinned in requirements.txt)\n\n"
            "1. Use the default build of Python 3.12: write 'python-3.12' in runtime.txt (without the 't').\n"
            ) in result.output
    assert "Running 'pip install" not in result.output, "it fails before pip runs"
    assert "ResolutionImpossible" not in result.output and "No matching distribution" not in result.output


def test_the_free_threaded_entry_is_installed_and_named_in_the_log(make_app, threaded_manifest, tmp_path):
    app, result = _build_against_index(make_app, threaded_manifest, tmp_path, (".python-version", "3.12t"),
                                       "purepkg==1.0\n")
    assert result.returncode == 0, result
    assert "Using Python 3.12.1 (free-threaded), requested 3.12t in .python-version" in result.output
    assert "Installing Python 3.12.1 (free-threaded)" in result.output
    assert "Checked 1 of 1 pinned distributions for cp312t wheels or an sdist: all have one" in result.output
    assert app.layer_toml("python")["metadata"]["python_version"] == "3.12.1t"
    assert app.layer_toml("venv")["metadata"]["python_version"] == "3.12.1t"
    assert list(app.layers.glob("venv/lib/python3.12/site-packages/purepkg/__init__.py"))
    with app.serve() as server:
        assert server.get("/") == "Hello from app.py"


def test_the_bootstrap_runs_the_buildpack_on_a_default_build(make_app, archive_server, tmp_path):
    """Without python3 in the build image, lib/bootstrap.sh takes the newest default build, never a free-threaded
    entry (here one listed with a higher version)."""
    from contract.test_detect import no_python_path

    path, sha256 = archive_server["archives"]["3.12.1"]
    manifest = tmp_path / "bootstrap-manifest.toml"
    manifest.write_text(python_archive.manifest_toml(archive_server["url"], archive_server["archives"]) +
                        f'\n[[python]]\nversion = "3.12.9"\narch = "amd64"\nfreethreaded = true\n'
                        f'url = "{archive_server["url"]}/{Path(path).name}"\nsha256 = "{sha256}"\n')
    manifest.chmod(0o644)
    app = make_app("app_py", BP_PYTHON_MANIFEST=str(manifest))
    app.build_path = str(no_python_path(tmp_path))
    result = app.build()
    assert result.returncode == 0, result
    assert "No python3 in the build image: bootstrapping Python 3.12.1 to run the buildpack" in result.output
    assert "using the buildpack's default (the newest version it knows): Python 3.12.1\n" in result.output
    assert "Installing Python 3.12.1\n" in result.output and "free-threaded" not in result.output


def test_a_uv_lock_is_checked_from_its_own_file_lists(make_app, threaded_manifest, tmp_path):
    """uv.lock lists each distribution's wheels and sdist, so the check reads them from the lock (flask's stack has
    pure wheels, MarkupSafe an sdist as well), and only what the main dependencies reach, not the dev group."""
    from support import lock_apps

    source = lock_apps.uv_app(tmp_path / "src")
    app = make_app(str(source), BP_PYTHON_MANIFEST=str(threaded_manifest))
    (app.app / ".python-version").write_text("3.12t\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "Using Python 3.12.1 (free-threaded), requested 3.12t in .python-version" in result.output
    main = len(lock_apps.locked_versions(source))
    assert main < len(lock_apps.locked_versions(source, main_only=False))
    assert f"Checked {main} of {main} pinned distributions for cp312t wheels or an sdist: all have one" \
        in result.output
    assert result.output.index("all have one") < result.output.index("Running 'uv sync")
