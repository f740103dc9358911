"""What a release carries: one version everywhere, the targets, a well-formed built-in manifest, valid pins."""

import re
from pathlib import Path

from python_cnb.cnb import toml_io
from python_cnb.manifest import load_manifest
from python_cnb.tool_versions import gunicorn_requirement

REPO = Path(__file__).resolve().parents[2]


def test_versions_agree():
    buildpack = toml_io.read(REPO / "buildpack.toml")
    project = toml_io.read(REPO / "pyproject.toml")
    from python_cnb import __version__
    assert buildpack["buildpack"]["version"] == project["project"]["version"] == __version__
    assert buildpack["api"] == "0.10"
    assert {(t["os"], t["arch"]) for t in buildpack["targets"]} == {("linux", "amd64"), ("linux", "arm64")}


def test_the_changelog_has_the_release():
    version = toml_io.read(REPO / "buildpack.toml")["buildpack"]["version"]
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.MULTILINE)


def test_builtin_manifest_is_well_formed():
    builds, _ = load_manifest(toml_io.read(REPO / "buildpack.toml"), {}, REPO)
    assert {b.arch for b in builds} == {"amd64", "arm64"}
    assert all(b.url.startswith("https://github.com/astral-sh/python-build-standalone/") for b in builds)
    mirrored, _ = load_manifest(toml_io.read(REPO / "buildpack.toml"), {"BP_PYTHON_MIRROR_URL": "https://m.example/pbs/"},
                                REPO)
    assert all(b.url.startswith("https://m.example/pbs/20") for b in mirrored)


def test_gunicorn_pin():
    assert re.match(r"^gunicorn==\d+\.\d+\.\d+$", gunicorn_requirement(REPO))
