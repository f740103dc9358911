from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable, Dict, Iterator

import pytest
from support import python_archive
from support.cnb_harness import CACHE_DIR, REPO, CnbApp
from support.http_server import serve_directory

TEST_PYTHONS = ("3.11.7", "3.12.1")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-e2e", action="store_true", help="run the pack + lifecycle end-to-end suite")


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    if config.getoption("--run-e2e"):
        return
    skip = pytest.mark.skip(reason="end-to-end suite: pass --run-e2e")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def buildpack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The buildpack as the lifecycle sees it: a read-only copy (pack packages these files)."""
    target = tmp_path_factory.mktemp("buildpack") / "python"
    target.mkdir()
    for name in ("bin", "lib", "requirements", "buildpack.toml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            path = Path(root) / name
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    _open_up(target)
    return target


def _open_up(path: Path) -> None:
    """pytest makes its temp dirs 0700; the non-root build user must reach them."""
    for parent in [path, *path.parents]:
        if parent in (Path("/"), Path("/tmp")):
            break
        parent.chmod(parent.stat().st_mode | 0o755)


@pytest.fixture(scope="session")
def archive_server() -> Iterator[Dict[str, object]]:
    """python-build-standalone-layout archives made from this machine's CPythons, served from 127.0.0.1."""
    archive_dir = CACHE_DIR / "python-archives"
    archives = {v: python_archive.make_archive(v, archive_dir) for v in TEST_PYTHONS}
    with serve_directory(archive_dir) as url:
        yield {"url": url, "archives": archives, "dir": archive_dir}


@pytest.fixture(scope="session")
def manifest_path(archive_server: Dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("manifest")
    _open_up(directory)
    manifest = directory / "python-manifest.toml"
    manifest.write_text(python_archive.manifest_toml(archive_server["url"], archive_server["archives"]))
    manifest.chmod(0o644)
    return manifest


@pytest.fixture
def make_app(tmp_path: Path, buildpack_dir: Path, manifest_path: Path) -> Callable[..., CnbApp]:
    def factory(fixture: str, **env: str) -> CnbApp:
        platform_env = {"BP_PYTHON_MANIFEST": str(manifest_path)}
        if HOST_CA_BUNDLE.exists():
            # This network reaches the package index through a proxy whose CA is in the host bundle.
            platform_env["PIP_CERT"] = str(HOST_CA_BUNDLE)
        platform_env.update(env)
        return CnbApp.from_fixture(fixture, tmp_path / "cnb", buildpack_dir, platform_env)

    _open_up(tmp_path)
    return factory
