import json

import pytest
from python_cnb import sbom
from python_cnb.venv_facts import VenvFacts


def _dist(site, dirname, metadata):
    info = site / dirname
    info.mkdir(parents=True)
    if metadata is not None:
        (info / "METADATA").write_bytes(metadata)


def test_python_document():
    doc = sbom.python_document("3.12.1", "ab" * 32, "https://****@mirror.example/cpython.tar.gz")
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
    (component,) = doc["components"]
    assert component["name"] == "CPython" and component["version"] == "3.12.1"
    assert component["hashes"] == [{"alg": "SHA-256", "content": "ab" * 32}]
    assert component["purl"] == f"pkg:generic/cpython@3.12.1?checksum=sha256:{'ab' * 32}"
    assert component["externalReferences"] == [{"type": "distribution",
                                                "url": "https://****@mirror.example/cpython.tar.gz"}]


@pytest.mark.parametrize(
    ("name", "version", "purl"),
    [
        ("Flask", "3.1.0", "pkg:pypi/flask@3.1.0"),
        ("zope.interface", "7.2", "pkg:pypi/zope-interface@7.2"),
        ("typing_extensions", "4.12.2", "pkg:pypi/typing-extensions@4.12.2"),
        ("local-pkg", "1.0+cpu.1", "pkg:pypi/local-pkg@1.0%2Bcpu.1"),
    ],
)
def test_pypi_purl(name, version, purl):
    assert sbom.pypi_purl(name, version) == purl


def test_venv_document_reads_dist_info(tmp_path):
    site = tmp_path / "venv" / "lib" / "python3.12" / "site-packages"
    _dist(site, "Flask-3.1.0.dist-info", b"Metadata-Version: 2.1\nName: Flask\nVersion: 3.1.0\n\nName: not-this\n")
    _dist(site, "gunicorn-23.0.0.dist-info", b"Metadata-Version: 2.1\nName: gunicorn\nVersion: 23.0.0\n")
    _dist(site, "no_metadata-1.2.dist-info", None)  # falls back to the directory name
    _dist(site, "garbage-0.1.dist-info", b"\xff\xfe\x00\x00garbage")  # headers unreadable: directory name
    _dist(site, "-.dist-info", b"")  # no usable name: skipped
    _dist(site, "weird-1.dist-info", b"Name: bad name with spaces\nVersion: 1\n")  # invalid name: skipped
    (site / "not-a-dir.dist-info").write_text("x")
    doc = sbom.venv_document(VenvFacts.read(tmp_path / "venv"))
    assert [(c["name"], c["version"], c["purl"]) for c in doc["components"]] == [
        ("Flask", "3.1.0", "pkg:pypi/flask@3.1.0"),
        ("garbage", "0.1", "pkg:pypi/garbage@0.1"),
        ("gunicorn", "23.0.0", "pkg:pypi/gunicorn@23.0.0"),
        ("no_metadata", "1.2", "pkg:pypi/no-metadata@1.2"),
    ]


def test_write_venv_sbom_is_deterministic(tmp_path):
    layers = tmp_path / "layers"
    venv = layers / "venv"
    _dist(venv / "lib" / "python3.12" / "site-packages", "pip-24.0.dist-info", b"Name: pip\nVersion: 24.0\n")
    sbom.write_venv_sbom(layers, VenvFacts.read(venv))
    first = (layers / "venv.sbom.cdx.json").read_bytes()
    sbom.write_venv_sbom(layers, VenvFacts.read(venv))
    assert (layers / "venv.sbom.cdx.json").read_bytes() == first
    assert json.loads(first)["components"][0]["purl"] == "pkg:pypi/pip@24.0"


def test_missing_site_packages(tmp_path):
    assert sbom.venv_document(VenvFacts.read(tmp_path / "nope"))["components"] == []
