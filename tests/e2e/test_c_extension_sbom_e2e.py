"""One build on the gcc-only build image with an interpreter whose sysconfig records python-build-standalone's
build machine (clang, /install): a C extension built from source, served; the image's SBOM through
`pack sbom download`; an unusable WEB_CONCURRENCY at docker run replaced with a notice."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from support import python_archive

from .conftest import docker_run

pytestmark = pytest.mark.e2e


def test_c_extension_sbom_and_web_concurrency(pack, archive_server, tmp_path):
    archive_dir = Path(str(archive_server["dir"]))
    archive = python_archive.make_archive("3.12.1", archive_dir, variant="pbs-sysconfig")
    manifest = f"e2e-pbs-manifest-{os.getpid()}.toml"
    (archive_dir / manifest).write_text(python_archive.manifest_toml(str(archive_server["url"]), {"3.12.1": archive}))

    image = pack.image_name("c-extension")
    manifest_url = f"{archive_server['url']}/{manifest}"
    result = pack.build(image, pack.app("c_extension"), env={"BP_PYTHON_MANIFEST": manifest_url})
    assert result.returncode == 0, result
    assert "hello-c-1.0.0" in result.output and "[Warning" not in result.output, result

    with docker_run(image) as container:
        assert container.get("/") == "Hello from C: 42"
        assert container.get("/cc") == "cc -pthread"
    with docker_run(image, env={"WEB_CONCURRENCY": "abc"}, options=["--memory", "512m"]) as container:
        assert container.get("/") == "Hello from C: 42"
        assert container.workers(2) == 2
        assert ("WEB_CONCURRENCY='abc' is not a positive whole number (for example 4); using WEB_CONCURRENCY=2"
                in container.log)

    out = tmp_path / "sbom"
    download = subprocess.run([pack.pack, "sbom", "download", image, "--output-dir", str(out)],
                              capture_output=True, text=True)
    assert download.returncode == 0, download.stderr
    launch = out / "layers" / "sbom" / "launch" / "python-cnb_python"
    python_sbom = json.loads((launch / "python" / "sbom.cdx.json").read_text())
    assert python_sbom["bomFormat"] == "CycloneDX"
    (cpython,) = python_sbom["components"]
    assert (cpython["name"], cpython["version"]) == ("CPython", "3.12.1")
    assert cpython["hashes"] == [{"alg": "SHA-256", "content": archive[1]}]
    venv_sbom = json.loads((launch / "venv" / "sbom.cdx.json").read_text())
    purls = {component["purl"] for component in venv_sbom["components"]}
    assert "pkg:pypi/hello-c@1.0.0" in purls
    assert any(purl.startswith("pkg:pypi/gunicorn@") for purl in purls), purls
