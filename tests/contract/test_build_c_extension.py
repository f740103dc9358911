"""A C extension built from source on an interpreter whose sysconfig records python-build-standalone's build
machine (clang, llvm-ar, /install), on a machine with only gcc; and the SBOM files of the python and venv layers."""

import json
from pathlib import Path

import pytest
from support import python_archive

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def pbs_manifest(archive_server, tmp_path_factory):
    archive = python_archive.make_archive("3.12.1", Path(str(archive_server["dir"])), variant="pbs-sysconfig")
    directory = tmp_path_factory.mktemp("pbs-manifest")
    for parent in [directory, *directory.parents]:
        if parent in (Path("/"), Path("/tmp")):
            break
        parent.chmod(parent.stat().st_mode | 0o755)
    manifest = directory / "manifest.toml"
    manifest.write_text(python_archive.manifest_toml(str(archive_server["url"]), {"3.12.1": archive}))
    manifest.chmod(0o644)
    return manifest, archive[1]


def test_c_extension_on_a_pbs_interpreter(make_app, pbs_manifest):
    manifest, sha256 = pbs_manifest
    app = make_app("c_extension", BP_PYTHON_MANIFEST=str(manifest))
    result = app.build()
    assert result.returncode == 0, result
    assert "Successfully installed" in result.output and "hello-c-1.0.0" in result.output
    assert "[Warning" not in result.output, result

    python_dir = app.layers / "python"
    (sysconfigdata,) = python_dir.glob("lib/python3.12/_sysconfigdata_*.py")
    text = sysconfigdata.read_text()
    assert "'CC': 'cc -pthread'" in text and "'AR': 'ar'" in text
    assert f"'prefix': '{python_dir}'" in text and "'/install" not in text
    assert "-fdebug-default-version" not in text and "-fuse-ld=lld" not in text
    assert (python_dir / "env.build" / "CPATH.prepend").read_text() == str(python_dir / "include" / "python3.12")

    with app.serve() as server:
        assert server.get("/") == "Hello from C: 42"
        assert server.get("/cc") == "cc -pthread"
    # A WEB_CONCURRENCY Gunicorn cannot use, given at run time, is replaced by the computed value.
    with app.serve({"WEB_CONCURRENCY": "abc"}) as server:
        assert server.get("/") == "Hello from C: 42"
    assert app.launch_env({"WEB_CONCURRENCY": "0"})["WEB_CONCURRENCY"] in {"2", "4", "6", "8", "10"}

    python_sbom = json.loads((app.layers / "python.sbom.cdx.json").read_text())
    (cpython,) = python_sbom["components"]
    assert (cpython["name"], cpython["version"]) == ("CPython", "3.12.1")
    assert cpython["hashes"] == [{"alg": "SHA-256", "content": sha256}]
    venv_sbom = json.loads((app.layers / "venv.sbom.cdx.json").read_text())
    purls = {c["purl"] for c in venv_sbom["components"]}
    assert "pkg:pypi/hello-c@1.0.0" in purls
    assert any(p.startswith("pkg:pypi/gunicorn@") for p in purls)
    assert not any(p.startswith("pkg:pypi/pip@") for p in purls), "pip is a build tool: not in the launch venv"
