"""Package index credentials from service bindings, against a local index that requires basic auth: a `pip`
binding's pip.conf for pip, a `netrc` binding for uv (as the installer) and for Poetry (its source's credentials).
Each build installs from the index with the credentials, and the password is nowhere: not in the log, not in any
file of any layer (metadata, direct_url.json, the SBOM, the caches) and not in the app."""

import os
from pathlib import Path

import pytest
from support import lock_apps, package_index
from support.auth_index import serve_with_auth
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract

USER, PASSWORD = "binding-user", "b1nd1ng-s3cret-pw"
CACHE = Path(os.environ.get("PYTHON_CNB_CACHE", "/var/cache/python-cnb"))
UV = (Path(__file__).parents[2] / "requirements" / "uv.txt").read_text().strip()


@pytest.fixture(scope="module")
def index():
    root = package_index.build_index(CACHE / "package-index",
                                     ["flask==3.0.3", "gunicorn==27.0.1", "pytest", "colorama", UV], "3.12")
    with serve_with_auth(root, USER, PASSWORD) as (url, seen):
        yield url, seen


def _binding(root: Path, name: str, kind: str, files: dict) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "type").write_text(f"{kind}\n")
    for file, text in files.items():
        (directory / file).write_text(text)
    for path in (root, directory, *directory.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def _assert_nowhere(app, result) -> None:
    assert PASSWORD not in result.output
    for top in (app.layers_root, app.app):
        for path in top.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert PASSWORD.encode() not in path.read_bytes(), path


def _host(url: str) -> str:
    return url.split("//", 1)[1].split(":", 1)[0]


def test_pip_binding(make_app, index, tmp_path):
    url, seen = index
    bindings = _binding(tmp_path / "bindings", "private-index", "pip", {
        "pip.conf": f"[global]\nindex-url = {url.replace('//', f'//{USER}:{PASSWORD}@')}/simple\n"})
    seen.clear()
    app = make_app("flask_wsgi", SERVICE_BINDING_ROOT=str(bindings))
    result = app.build()
    assert result.returncode == 0, result
    assert ("Service binding private-index (type pip): PIP_INDEX_URL for the build only" in result.output)
    assert any(path.startswith("/simple/flask/") and ok for path, ok in seen), seen
    _assert_nowhere(app, result)
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"


def test_netrc_binding_with_uv(make_app, index, tmp_path):
    url, seen = index
    bindings = _binding(tmp_path / "bindings", "netrc", "netrc", {
        ".netrc": f"machine {_host(url)}\nlogin {USER}\npassword {PASSWORD}\n"})
    seen.clear()
    app = make_app("flask_wsgi", SERVICE_BINDING_ROOT=str(bindings), BP_PYTHON_INSTALLER="uv",
                   PIP_INDEX_URL=f"{url}/simple")
    result = app.build()
    assert result.returncode == 0, result
    assert "Service binding netrc (type netrc): NETRC for the build only" in result.output
    assert "Installer: uv" in result.output
    assert any(path.startswith("/simple/flask/") and ok for path, ok in seen), seen
    _assert_nowhere(app, result)


def test_netrc_binding_gives_poetry_its_source_credentials(make_app, index, tmp_path, monkeypatch):
    url, seen = index
    # The lock is made against the index with Poetry's own credential variables.
    monkeypatch.setenv("POETRY_HTTP_BASIC_INDEX_USERNAME", USER)
    monkeypatch.setenv("POETRY_HTTP_BASIC_INDEX_PASSWORD", PASSWORD)
    source = lock_apps.poetry_app(tmp_path / "src", index_url=f"{url}/simple")
    monkeypatch.delenv("POETRY_HTTP_BASIC_INDEX_USERNAME")
    monkeypatch.delenv("POETRY_HTTP_BASIC_INDEX_PASSWORD")
    bindings = _binding(tmp_path / "bindings", "netrc", "netrc", {
        ".netrc": f"machine {_host(url)}\nlogin {USER}\npassword {PASSWORD}\n"})
    seen.clear()
    app = make_app(str(source), SERVICE_BINDING_ROOT=str(bindings))
    result = app.build()
    assert result.returncode == 0, result
    assert any(path.startswith("/files/flask-3.0.3") and ok for path, ok in seen), seen
    _assert_nowhere(app, result)


def test_pip_binding_without_its_file(make_app, tmp_path):
    bindings = _binding(tmp_path / "bindings", "index", "pip", {})
    result = make_app("flask_wsgi", SERVICE_BINDING_ROOT=str(bindings)).build()
    assert_clean_failure(result, "Service binding index cannot be used")
    assert "reads its pip.conf, but there is no such file in the binding" in result.output
