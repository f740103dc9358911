"""tools/manifest/refresh: the built-in manifest rewritten from uv's download metadata (a small fixture of it:
tests/fixtures/uv-download-metadata.json, entries copied from uv 0.13.9's copy), and the committed manifest in
step with buildpack.toml."""

import importlib.machinery
import importlib.util
import io
import json
import shutil
import sys
import tarfile
from pathlib import Path

import pytest
from python_cnb.cnb import toml_io
from python_cnb.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "uv-download-metadata.json"


def _load_tool():
    loader = importlib.machinery.SourceFileLoader("manifest_refresh", str(REPO / "tools" / "manifest" / "refresh"))
    spec = importlib.util.spec_from_loader("manifest_refresh", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["manifest_refresh"] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


refresh = _load_tool()


def test_it_picks_the_newest_final_patch_of_each_supported_minor_for_both_arches():
    pins = refresh.select(json.loads(FIXTURE.read_text()))
    assert [(p.version, p.arch, p.freethreaded) for p in pins] == [
        ("3.13.18", "amd64", False), ("3.13.18", "arm64", False),
        ("3.14.10", "amd64", False), ("3.14.10", "arm64", False),
        ("3.14.10", "amd64", True), ("3.14.10", "arm64", True),
        ("3.15.2", "amd64", False), ("3.15.2", "arm64", False),
        ("3.15.2", "amd64", True), ("3.15.2", "arm64", True),
    ], "not 3.10 (unsupported), 3.15.1 (older), 3.15.0rc1/3.16.0a2 (pre-releases), 3.13t (experimental), " \
       "debug builds, x86_64_v3, musl, darwin or PyPy"
    first = pins[-1]
    assert first.url == ("https://github.com/astral-sh/python-build-standalone/releases/download/20261110/"
                         "cpython-3.15.2%2B20261110-aarch64-unknown-linux-gnu-freethreaded-install_only_stripped.tar.gz")
    assert first.sha256 == "d2f35abad34a4e8a0e45da911e84df3b0078e4fe748b205e8188a3ea5b6003bf"


def _copies(tmp_path):
    buildpack, manifest = tmp_path / "buildpack.toml", tmp_path / "manifest.toml"
    shutil.copy(REPO / "buildpack.toml", buildpack)
    return buildpack, manifest


def test_it_rewrites_the_manifest_and_buildpack_toml(tmp_path, capsys):
    buildpack, manifest = _copies(tmp_path)
    before = buildpack.read_text()
    args = [str(FIXTURE), "--buildpack-toml", str(buildpack), "--manifest", str(manifest)]
    assert refresh.main(args) == 0
    after = buildpack.read_text()
    marker = after.index(refresh.BUILDPACK_MARKER)
    assert after[:marker] == before[:before.index(refresh.BUILDPACK_MARKER)], "only the manifest part changes"
    builds, _ = load_manifest(toml_io.read(buildpack), {}, tmp_path)
    assert [(b.version, b.arch, b.freethreaded) for b in builds] == [
        (p.version, p.arch, p.freethreaded) for p in refresh.select(json.loads(FIXTURE.read_text()))]
    assert toml_io.read(manifest)["metadata"]["python"] == toml_io.read(buildpack)["metadata"]["python"]
    header = manifest.read_text().split("\n\n", 1)[0]
    assert "# Source: astral-sh/uv's download metadata for python-build-standalone, from\n" \
           "#         uv-download-metadata.json,\n#         sha256 " in header
    assert "# Newest final patch release per minor: 3.13.18, 3.14.10, 3.15.2.\n" \
           "# Free-threaded (freethreaded = true): 3.14.10, 3.15.2." in header
    assert "3.15.2t arm64 d2f35abad34a4e8a0e45da911e84df3b0078e4fe748b205e8188a3ea5b6003bf" in capsys.readouterr().out
    assert refresh.main([*args, "--check"]) == 0, "a second run changes nothing"


def test_check_says_when_the_files_would_change(tmp_path, capsys):
    buildpack, manifest = _copies(tmp_path)
    before = buildpack.read_text()
    assert refresh.main([str(FIXTURE), "--buildpack-toml", str(buildpack), "--manifest", str(manifest),
                         "--check"]) == 1
    assert buildpack.read_text() == before and not manifest.exists()
    assert f"would change: {manifest}" in capsys.readouterr().err


def test_it_reads_the_metadata_from_a_uv_sdist(tmp_path):
    sdist = tmp_path / "uv-9.9.9.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        data = FIXTURE.read_bytes()
        info = tarfile.TarInfo("uv-9.9.9/crates/uv-python-managed/download-metadata.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    metadata, source = refresh.read_metadata(sdist)
    assert metadata == json.loads(FIXTURE.read_text())
    assert source.startswith("uv 9.9.9's sdist (crates/uv-python-managed/download-metadata.json), sha256 ")


def test_a_minor_missing_on_one_arch_is_refused(tmp_path):
    metadata = {k: v for k, v in json.loads(FIXTURE.read_text()).items() if k != "cpython-3.15.2-linux-aarch64-gnu"}
    with pytest.raises(refresh.RefreshError, match=r"Python 3\.15: the newest patch differs .*3\.15\.1 arm64"):
        refresh.select(metadata)


def test_bad_metadata_fails_with_a_message(tmp_path, capsys):
    bad = tmp_path / "download-metadata.json"
    bad.write_text("[]")
    assert refresh.main([str(bad), "--buildpack-toml", str(REPO / "buildpack.toml"), "--check"]) == 2
    assert "is not uv's download metadata" in capsys.readouterr().err


def test_the_committed_pins_are_the_same_in_both_files():
    """buildpack.toml is what the buildpack reads; tools/manifest/python-build-standalone.toml says where the pins
    came from. The refresh tool writes both; a hand edit of one shows here."""
    manifest = toml_io.read(REPO / "tools" / "manifest" / "python-build-standalone.toml")
    assert manifest["metadata"]["python"] == toml_io.read(REPO / "buildpack.toml")["metadata"]["python"]
