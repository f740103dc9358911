"""Distribution: scripts/package makes a reproducible .cnb holding only the buildpack's files; the package published
to an OCI registry builds an app through `pack build --buildpack docker://...`; the oldest lifecycle with Buildpack
API 0.10 runs it; the example builder (examples/builder) builds an app with local images swapped in."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any, Dict, Set, Tuple

import pytest
from python_cnb.cnb import toml_io
from support.cnb_harness import REPO, Result

from .conftest import E2E_TOOLS, Pack, _run, docker_inspect, docker_run, registry_get

pytestmark = pytest.mark.e2e

OLDEST_LIFECYCLE = "0.17.0"  # the first lifecycle whose Buildpack API list includes 0.10
BUILDPACK = toml_io.read(REPO / "buildpack.toml")["buildpack"]
LAYER_DIR = f"cnb/buildpacks/{BUILDPACK['id'].replace('/', '_')}/{BUILDPACK['version']}"
SHA_LINE = re.compile(r"^([0-9a-f]{64})  (/\S+\.cnb)$", re.MULTILINE)


def _package(e2e_env: Dict[str, str], *args: str, env: Dict[str, str] | None = None) -> Result:
    full_env = {**os.environ, "PACK": e2e_env["PYTHON_CNB_PACK"], **(env or {})}
    return _run([str(REPO / "scripts" / "package"), *args], timeout=300, env=full_env)


def _packaged(result: Result) -> Tuple[str, Path]:
    assert result.returncode == 0, result
    found = SHA_LINE.findall(result.output)
    assert len(found) == 1, result
    sha, path = found[0]
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
    return sha, Path(path)


def _read_buildpackage(cnb: Path) -> Tuple[Dict[str, Any], Dict[str, tarfile.TarInfo]]:
    """The image config and the layer entries of an OCI-layout .cnb (index.json -> manifest -> config, layers)."""
    with tarfile.open(cnb) as outer:
        members = {m.name.lstrip("/"): m for m in outer.getmembers() if m.isfile()}

        def blob(digest: str) -> bytes:
            handle = outer.extractfile(members["blobs/" + digest.replace(":", "/")])
            assert handle is not None
            return handle.read()

        index = outer.extractfile(members["index.json"])
        assert index is not None
        manifest = json.loads(index.read())
        while "manifests" in manifest:
            manifest = json.loads(blob(manifest["manifests"][0]["digest"]))
        config = json.loads(blob(manifest["config"]["digest"]))
        entries: Dict[str, tarfile.TarInfo] = {}
        for layer in manifest["layers"]:
            with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"])), mode="r:*") as tar:
                entries.update({m.name.lstrip("/"): m for m in tar.getmembers()})
    return config, entries


def _expected_files() -> Set[str]:
    """What the buildpack needs, from the work tree: bin/, lib/ (no caches), the tool pins and the top files."""
    files = {"buildpack.toml", "package.toml", "README.md", "CHANGELOG.md"}
    files |= {f"requirements/{pin.name}" for pin in (REPO / "requirements").glob("*.txt") if pin.name != "test.txt"}
    files |= {name for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "NOTICE") if (REPO / name).is_file()}
    for top in ("bin", "lib"):
        for path in (REPO / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files.add(str(path.relative_to(REPO)))
    return files


@pytest.fixture(scope="module")
def cnb(e2e_env: Dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package-1")
    _, path = _packaged(_package(e2e_env, "--out", str(out)))
    assert path == out / f"python-buildpack-{BUILDPACK['version']}.cnb"
    return path


# ---- (a), (b): the .cnb ---------------------------------------------------------------------------------------
def test_packaging_is_reproducible(e2e_env, cnb, tmp_path):
    sha_first = hashlib.sha256(cnb.read_bytes()).hexdigest()
    sha_second, second = _packaged(_package(e2e_env, "--out", str(tmp_path / "again")))
    assert second != cnb
    assert sha_second == sha_first
    # staged under a different mtime: pack normalises times too, so only the contents count
    sha_other_time, _ = _packaged(_package(e2e_env, "--out", str(tmp_path / "epoch"),
                                           env={"SOURCE_DATE_EPOCH": "1700000000"}))
    assert sha_other_time == sha_first


def test_package_holds_only_the_buildpack(cnb):
    config, entries = _read_buildpackage(cnb)
    assert all(name.startswith(LAYER_DIR.rsplit("/", 1)[0]) for name in entries), sorted(entries)
    files = {name[len(LAYER_DIR) + 1:] for name, entry in entries.items() if entry.isfile()}
    for needed in ("bin/build", "bin/detect", "buildpack.toml", "lib/entry.py", "lib/bootstrap.sh",
                   "lib/python_cnb/__main__.py", "lib/python_cnb/_vendor/tomli/__init__.py",
                   "requirements/gunicorn.txt", "requirements/uv.txt", "requirements/poetry.txt",
                   "requirements/pipenv.txt"):
        assert needed in files, needed
    for name in files:
        assert not name.startswith(("tests/", "tools/", "examples/", "scripts/", "benchmarks/", ".")), name
        assert "/." not in name and "__pycache__" not in name and not name.endswith((".pyc", ".pyo")), name
    assert "requirements/test.txt" not in files
    assert files == _expected_files()
    assert entries[f"{LAYER_DIR}/bin/build"].mode == 0o755
    assert entries[f"{LAYER_DIR}/buildpack.toml"].mode == 0o644
    assert {e.uid for e in entries.values()} == {0}

    labels = config["config"]["Labels"]
    metadata = json.loads(labels["io.buildpacks.buildpackage.metadata"])
    assert (metadata["id"], metadata["version"]) == (BUILDPACK["id"], BUILDPACK["version"])
    layers = json.loads(labels["io.buildpacks.buildpack.layers"])
    assert layers[BUILDPACK["id"]][BUILDPACK["version"]]["api"] == "0.10"
    assert config["os"] == "linux"


# ---- (c): publish to a registry, build from it ----------------------------------------------------------------
def test_publish_to_registry_and_build_from_it(e2e_env, registry, pack: Pack):
    repository = f"{registry}/python-cnb/python"
    ref = f"{repository}:{BUILDPACK['version']}"
    published = _package(e2e_env, "--publish", ref)
    assert published.returncode == 0, published
    addr = published.output.strip().splitlines()[-1]
    assert re.fullmatch(re.escape(repository) + r"@sha256:[0-9a-f]{64}", addr), published

    index = registry_get(f"http://{registry}/v2/python-cnb/python/manifests/{BUILDPACK['version']}")
    assert addr.endswith("@" + index["_digest"])
    platforms = {(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]}
    assert platforms == {("linux", "amd64"), ("linux", "arm64")}
    again = _package(e2e_env, "--publish", ref)
    assert again.returncode == 0 and again.output.strip().splitlines()[-1] == addr, again

    # a builder without this buildpack: the one the build uses can only come from the registry
    builder = "python-cnb/e2e-builder-without-python:test"
    created = _run([str(E2E_TOOLS / "builder.sh"), str(REPO / "tests" / "fixtures" / "testing_buildpack"), builder])
    assert created.returncode == 0, created
    app = pack.app("flask_wsgi")
    image = pack.image_name("from-registry")
    try:
        # The builder and run images are only in the daemon, the buildpack only in the registry: if-not-present
        # pulls just the buildpack (the daemon treats 127.0.0.0/8 registries as plain HTTP); trusting the extra
        # buildpack keeps the build on the builder's own lifecycle (no lifecycle image to pull). The plain image
        # reference, because pack 0.40.6 checks a `docker://` locator by parsing the whole URI as an image name,
        # and a registry port makes that fail ("unsupported protocol 'docker'"); docker://ghcr.io/... works.
        result = pack.build(image, app, builder=builder,
                            extra=["--buildpack", ref, "--trust-extra-buildpacks", "--pull-policy", "if-not-present"])
        assert result.returncode == 0, result
        assert "Installing Python 3.12.1" in result.output
        build_metadata = json.loads(docker_inspect(image)["Config"]["Labels"]["io.buildpacks.build.metadata"])
        assert [(b["id"], b["version"]) for b in build_metadata["buildpacks"]] == \
            [(BUILDPACK["id"], BUILDPACK["version"])]
        with docker_run(image) as container:
            assert container.get("/") == "Hello from Flask"
    finally:
        subprocess.run(["docker", "rmi", "-f", ref, builder], capture_output=True)


# ---- (d): the oldest lifecycle that supports Buildpack API 0.10 -----------------------------------------------
def test_oldest_lifecycle_with_buildpack_api_0_10(e2e_env, cnb, pack: Pack):
    built = _run([str(E2E_TOOLS / "cnb-tools.sh"), OLDEST_LIFECYCLE], timeout=900)  # cached after the first run
    assert built.returncode == 0, built
    builder = f"python-cnb/e2e-builder-lifecycle-{OLDEST_LIFECYCLE}:test"
    created = _run([str(E2E_TOOLS / "builder.sh"), str(cnb), builder],
                   env={**os.environ, "PYTHON_CNB_LIFECYCLE_VERSION": OLDEST_LIFECYCLE})
    assert created.returncode == 0, created
    try:
        metadata = json.loads(docker_inspect(builder)["Config"]["Labels"]["io.buildpacks.builder.metadata"])
        assert metadata["lifecycle"]["version"] == OLDEST_LIFECYCLE
        assert metadata["lifecycle"]["apis"]["buildpack"]["supported"][-1] == "0.10"
        assert [(b["id"], b["version"]) for b in metadata["buildpacks"]] == [(BUILDPACK["id"], BUILDPACK["version"])]

        app = pack.app("flask_wsgi")
        image = pack.image_name("lifecycle-0177")
        result = pack.build(image, app, builder=builder)
        assert result.returncode == 0, result
        assert "Installing Python 3.12.1" in result.output
        lifecycle_metadata = json.loads(docker_inspect(image)["Config"]["Labels"]["io.buildpacks.lifecycle.metadata"])
        assert lifecycle_metadata["buildpacks"][0]["key"] == BUILDPACK["id"]
        with docker_run(image) as container:
            assert container.get("/") == "Hello from Flask"
            assert container.get("/env/FORWARDED_ALLOW_IPS") == "*"  # exec.d ran under this launcher
    finally:
        subprocess.run(["docker", "rmi", "-f", builder], capture_output=True)


# ---- (e): the example builder ---------------------------------------------------------------------------------
def test_example_builder_builds_and_runs_an_app(e2e_env, cnb, pack: Pack, tmp_path):
    source = (REPO / "examples" / "builder" / "builder.toml").read_text()
    config = toml_io.loads(source)
    local_lifecycle = e2e_env["PYTHON_CNB_LIFECYCLE_TGZ"]
    pinned = config["lifecycle"]["version"]
    assert f"lifecycle-v{pinned}+" in local_lifecycle, "pin the lifecycle version the e2e suite builds"

    # only what cannot be pulled here is swapped: base images, the buildpack image, the lifecycle download
    swaps = {
        f'image = "{config["build"]["image"]}"': f'image = "{e2e_env["PYTHON_CNB_BUILD_IMAGE"]}"',
        f'image = "{config["run"]["images"][0]["image"]}"': f'image = "{e2e_env["PYTHON_CNB_RUN_IMAGE"]}"',
        f'uri = "{config["buildpacks"][0]["uri"]}"': f'uri = "{cnb}"',
        f'version = "{pinned}"': f'uri = "{local_lifecycle}"',
    }
    text = source
    for old, new in swaps.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text, mirrors = re.subn(r"(?m)^mirrors = \[.*\]$", "mirrors = []", text)
    assert mirrors == 1
    rewritten = toml_io.loads(text)
    assert rewritten["order"] == config["order"] and rewritten["targets"] == config["targets"]
    (tmp_path / "builder.toml").write_text(text)

    builder = "python-cnb/e2e-example-builder:test"
    created = _run([e2e_env["PYTHON_CNB_PACK"], "builder", "create", builder,
                    "--config", str(tmp_path / "builder.toml"), "--pull-policy", "never"],
                   env={**os.environ, "NO_COLOR": "1"})
    assert created.returncode == 0, created
    try:
        app = pack.app("app_py")
        image = pack.image_name("example-builder")
        result = pack.build(image, app, builder=builder)
        assert result.returncode == 0, result
        with docker_run(image) as container:
            assert container.get("/") == "Hello from app.py"
    finally:
        subprocess.run(["docker", "rmi", "-f", builder], capture_output=True)
