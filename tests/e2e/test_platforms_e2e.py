"""The lifecycle as kpack, Tekton and Shipwright run it: the builder image's lifecycle binaries driven with
`docker run`, one container per step the platform runs, exporting to a local registry; each image is pulled from
the registry and answers on 8080.

Each configuration is taken from the platform's own source (flags, mounts, env, users, security context):
- kpack: buildpacks-community/kpack pkg/apis/build/v1alpha2/build_pod.go at
  da640cc195ad223c519a81a278fb6fc968ef9dfe (platform API 0.9, the highest kpack supports).
- Tekton buildpacks 0.7: tektoncd/catalog task/buildpacks/0.7/buildpacks.yaml at
  ef5153ccc46710de72202a276d2cb291b41f8afd.
- Tekton buildpacks-phases 0.3: tektoncd/catalog task/buildpacks-phases/0.3/buildpacks-phases.yaml at
  02a4f3fd7640c579ca683c2b7e6df819f32186b7.
- Shipwright: shipwright-io/build samples/v1beta1/buildstrategy/buildpacks-v3/buildstrategy_buildpacks-v3_cr.yaml
  at 48bc810f9621da1829a1b562185e46597f41c6f1.

A Kubernetes emptyDir is a fresh host directory here, mode 2777 and group-owned by the pod's fsGroup (the builder's
CNB gid) as the kubelet leaves it; the platform's own "prepare" step (kpack's build-init, Tekton's prepare script)
is done by the test in Python: copy the source, chown it, write /platform/env. See docs/platforms.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from support.cnb_harness import FIXTURES, Result

from .conftest import E2E_TOOLS, _run, docker_run, registry_get

pytestmark = pytest.mark.e2e

CNB_UID, CNB_GID = 1001, 1000  # the builder image's CNB_USER_ID / CNB_GROUP_ID (tools/e2e/base-images.sh)
LAYERS = ("python", "venv")  # the layers a rebuild after an app change must reuse
HARDENED = ("--cap-drop", "ALL", "--security-opt", "no-new-privileges")  # kpack's containerSecurityContext()


@dataclass
class Platform:
    """What every build here shares: the registry, the builder image and the run image pushed to the registry."""

    registry: str
    builder: str
    run_image: str
    manifest_url: str
    work: Path
    pulled: List[str] = field(default_factory=list)

    def ref(self, name: str) -> str:
        return f"{self.registry}/{name}"

    def empty_dir(self, label: str) -> Path:
        """A fresh emptyDir volume: mode 2777, group-owned by the fsGroup."""
        path = self.work / f"{label}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        os.chown(path, 0, CNB_GID)
        path.chmod(0o2777)
        return path

    def source(self, fixture: str, owner: Tuple[int, int], subpath: str = "") -> Tuple[Path, Path]:
        """(the source volume, the app directory in it): the fixture checked out (a copy), owned by `owner`."""
        volume = self.empty_dir("source")
        app = volume / subpath if subpath else volume
        app.mkdir(parents=True, exist_ok=True)
        copy_into(FIXTURES / fixture, app, owner)
        return volume, app

    def platform_dir(self, env: Dict[str, str]) -> Path:
        """/platform with the build env as files under env/ (kpack's build-init, Tekton's prepare step)."""
        platform = self.empty_dir("platform")
        (platform / "env").mkdir()
        for key, value in {"BP_PYTHON_MANIFEST": self.manifest_url, **env}.items():
            (platform / "env" / key).write_text(value)
        return platform

    def pull(self, ref: str) -> str:
        pulled = _run(["docker", "pull", ref], timeout=300)
        assert pulled.returncode == 0, pulled
        self.pulled.append(ref)
        return ref


def copy_into(source: Path, target: Path, owner: Tuple[int, int]) -> None:
    """The contents of `source` into the existing `target`, owned by `owner`; `target` itself left as it is."""
    children = [str(child) for child in source.iterdir()]
    if children:
        subprocess.run(["cp", "-a", *children, str(target)], check=True)
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            os.lchown(Path(root) / name, *owner)


def lifecycle(platform: Platform, phase: str, args: List[str], *, user: str, env: Dict[str, str],
              mounts: Dict[Path, str], options: Tuple[str, ...] = (), builder: Optional[str] = None) -> Result:
    """One platform step: /cnb/lifecycle/<phase> in its own container of the builder image."""
    cmd = ["docker", "run", "--rm", "--network", "host", "--user", user, *options,
           "--entrypoint", f"/cnb/lifecycle/{phase}"]
    for host, target in mounts.items():
        cmd += ["-v", f"{host}:{target}"]
    for key, value in env.items():
        cmd += ["-e", f"{key}={value}"]
    return _run([*cmd, builder or platform.builder, *args], env={**os.environ, "NO_COLOR": "1"})


def run_steps(steps: List[Tuple[str, List[str], Dict[str, str], Dict[Path, str]]], platform: Platform, *,
              user: str, options: Tuple[str, ...] = (), builder: Optional[str] = None) -> Result:
    """The steps in order, as separate containers; stops at the first that fails (the pod's init containers)."""
    output = ""
    for phase, args, env, mounts in steps:
        result = lifecycle(platform, phase, args, user=user, env=env, mounts=mounts, options=options,
                           builder=builder)
        output += f"===> {phase.upper()}\n{result.output}"
        if result.returncode != 0:
            return Result(result.returncode, output)
    return Result(0, output)


def split_ref(registry: str, ref: str) -> Tuple[str, str]:
    """(repository, tag or digest) of a reference to an image in `registry`."""
    path = ref[len(registry) + 1:]
    if "@" in path:
        repository, _, reference = path.partition("@")
    else:
        repository, _, reference = path.rpartition(":")
    return repository, reference


def manifest_url(registry: str, ref: str) -> str:
    repository, reference = split_ref(registry, ref)
    return f"http://{registry}/v2/{repository}/manifests/{reference}"


def manifest_and_config(registry: str, ref: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """An image's manifest and config, read from the registry."""
    manifest = registry_get(manifest_url(registry, ref))
    repository, _ = split_ref(registry, ref)
    with urllib.request.urlopen(f"http://{registry}/v2/{repository}/blobs/{manifest['config']['digest']}",
                                timeout=10) as response:
        return manifest, json.loads(response.read())


def digest_ref(registry: str, ref: str) -> str:
    """repository@sha256:..., what the tag names now."""
    return f"{registry}/{split_ref(registry, ref)[0]}@{registry_get(manifest_url(registry, ref))['_digest']}"


def layer_digests(registry: str, ref: str) -> Dict[str, str]:
    """{layer name: the digest of its blob in the registry}, for this buildpack's launch layers and the app."""
    manifest, config = manifest_and_config(registry, ref)
    diff_ids = config["rootfs"]["diff_ids"]
    blob = {diff_id: layer["digest"] for diff_id, layer in zip(diff_ids, manifest["layers"])}
    metadata = json.loads(config["config"]["Labels"]["io.buildpacks.lifecycle.metadata"])
    (ours,) = metadata["buildpacks"]
    found = {name: blob[layer["sha"]] for name, layer in ours["layers"].items() if "sha" in layer}
    found["app"] = blob[metadata["app"][0]["sha"]]
    return found


def delete_from_registry(registry: str, ref: str) -> None:
    repository, _ = split_ref(registry, ref)
    digest = registry_get(manifest_url(registry, ref))["_digest"]
    request = urllib.request.Request(f"http://{registry}/v2/{repository}/manifests/{digest}", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def serves(platform: Platform, ref: str, expected: str, env: Optional[Dict[str, str]] = None) -> None:
    """The image, pulled from the registry, answers on 8080."""
    with docker_run(platform.pull(ref), env=env) as container:
        assert container.get("/") == expected


@pytest.fixture(scope="module")
def platform(registry: str, builder: str, manifest_url: str,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The run image pushed to the registry, where the exporter reads it (there is no daemon on these platforms)."""
    run_image = f"{registry}/python-cnb/run:bookworm"
    for cmd in (["docker", "tag", os.environ["PYTHON_CNB_RUN_IMAGE"], run_image], ["docker", "push", run_image]):
        done = _run(cmd, timeout=300)
        assert done.returncode == 0, done
    work = tmp_path_factory.mktemp("platforms")
    shared = Platform(registry, builder, run_image, manifest_url, work)
    try:
        yield shared
    finally:
        subprocess.run(["docker", "rmi", "-f", run_image, *shared.pulled], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


# ---- kpack ----------------------------------------------------------------------------------------------------
@dataclass
class KpackImage:
    """A kpack Image: its tag, its cache (a volume or a registry tag) and the last build's results."""

    tag: str
    cache_dir: Optional[Path] = None
    cache_tag: Optional[str] = None
    last_image: Optional[str] = None
    last_cache_image: Optional[str] = None


def kpack_build(platform: Platform, image: KpackImage, source: Path, env: Optional[Dict[str, str]] = None, *,
                build_home: Optional[str] = None, app_mode: str = "rw",
                ) -> Tuple[Result, Tuple[int, int, int], Tuple[int, int, int]]:
    """One kpack Build pod: analyze, detect, restore, build, export as separate containers of the builder image,
    as its CNB uid/gid with every capability dropped and no privilege escalation, on fresh emptyDirs. Returns the
    output and the /workspace root's (mode, uid, gid) before and after. `build_home` sets HOME in the build
    container (kpack sets none: the image's applies) and `app_mode` "ro" mounts /workspace read-only there, to
    hand the buildpack less than it needs."""
    layers, workspace, home, report = (platform.empty_dir(n) for n in ("layers", "workspace", "home", "report"))
    plat = platform.platform_dir(env or {})
    copy_into(source, workspace, (CNB_UID, CNB_GID))  # build-init, as the pod's uid
    before = os.stat(workspace)

    api = {"CNB_PLATFORM_API": "0.9"}
    home_env = {"HOME": "/builder/home"}
    bindings = {"SERVICE_BINDING_ROOT": "/platform/bindings"}
    cache_mount: Dict[Path, str] = {image.cache_dir: "/cache"} if image.cache_dir else {}
    if image.cache_dir:
        generic_cache = ["-cache-dir=/cache"]
        analyzer_cache: List[str] = []
        exporter_cache = generic_cache
    elif image.cache_tag:
        generic_cache = [f"-cache-image={image.last_cache_image or image.cache_tag}"]
        analyzer_cache = generic_cache
        exporter_cache = [f"-cache-image={image.cache_tag}"]
    else:
        generic_cache = analyzer_cache = exporter_cache = []
    previous = [f"-previous-image={image.last_image}"] if image.last_image else []
    steps = [
        ("analyzer", ["-layers=/layers", "-analyzed=/layers/analyzed.toml", f"-run-image={platform.run_image}",
                      *analyzer_cache, *previous, image.tag],
         {**home_env, **api, **bindings}, {layers: "/layers", workspace: "/workspace", home: "/builder/home"}),
        ("detector", ["-app=/workspace", "-group=/layers/group.toml", "-plan=/layers/plan.toml"],
         api, {layers: "/layers", plat: "/platform", workspace: "/workspace"}),
        ("restorer", ["-group=/layers/group.toml", "-layers=/layers", *generic_cache,
                      "-analyzed=/layers/analyzed.toml"],
         {**home_env, **api}, {layers: "/layers", home: "/builder/home", **cache_mount}),
        ("builder", ["-layers=/layers", "-app=/workspace", "-group=/layers/group.toml", "-plan=/layers/plan.toml"],
         {**api, **bindings, **({"HOME": build_home} if build_home else {})},
         {layers: "/layers", plat: "/platform", workspace: f"/workspace:{app_mode}"}),
        ("exporter", ["-layers=/layers", "-app=/workspace", "-group=/layers/group.toml",
                      "-analyzed=/layers/analyzed.toml", "-project-metadata=/layers/project-metadata.toml",
                      *exporter_cache, "-report=/var/report/report.toml", image.tag],
         {**home_env, **api, "CNB_RUN_IMAGE": platform.run_image},
         {layers: "/layers", workspace: "/workspace", home: "/builder/home", report: "/var/report", **cache_mount}),
    ]
    result = run_steps(steps, platform, user=f"{CNB_UID}:{CNB_GID}", options=HARDENED)
    after = os.stat(workspace)
    if result.returncode == 0:  # what kpack records on the Build, for the next one
        image.last_image = digest_ref(platform.registry, image.tag)
        if image.cache_tag:
            image.last_cache_image = digest_ref(platform.registry, image.cache_tag)
    stat = lambda s: (s.st_mode & 0o7777, s.st_uid, s.st_gid)  # noqa: E731
    return result, stat(before), stat(after)


def _change_one_line(source: Path) -> None:
    wsgi = source / "wsgi.py"
    wsgi.write_text(wsgi.read_text().replace('return "Hello from Flask"', 'return "Hello again from Flask"'))


def _check_rebuild_reused(platform: Platform, first: Dict[str, str], second_ref: str, output: str) -> None:
    assert "Using cached Python 3.12.1" in output, output
    assert "Using cached virtual environment: nothing that affects it has changed; skipping pip" in output, output
    assert "Running 'pip" not in output, output
    for layer in LAYERS:
        assert f"Reusing layer 'python-cnb/python:{layer}'" in output, output
    second = layer_digests(platform.registry, second_ref)
    for layer in LAYERS:
        assert second[layer] == first[layer], (layer, first, second)
    assert second["app"] != first["app"]


def test_kpack_with_a_cache_volume(platform: Platform) -> None:
    """Separate hardened phases, a cache volume kept between builds, -previous-image the last image; a rebuild after
    a one-line app change reuses the interpreter and the venv (log and registry layer digests); /workspace's root is
    left as the platform made it."""
    source = platform.source("flask_wsgi", (0, 0))[1]
    image = KpackImage(tag=platform.ref("kpack/volume:latest"), cache_dir=platform.empty_dir("cache"))
    workspace_roots = _built_then_rebuilt_after_a_change(platform, image, source)
    assert set(workspace_roots) == {(0o2777, 0, CNB_GID)}


def _built_then_rebuilt_after_a_change(platform: Platform, image: KpackImage, source: Path) -> List[Tuple[int, ...]]:
    """A first build that serves, a one-line app change, and a second build that reuses the interpreter and the venv
    and serves the change. Returns /workspace's root (mode, uid, gid) before and after each build."""
    first, *roots = kpack_build(platform, image, source)
    assert first.returncode == 0, first
    assert "Installing Python 3.12.1" in first.output
    digests = layer_digests(platform.registry, image.last_image or "")
    serves(platform, image.last_image or "", "Hello from Flask")

    _change_one_line(source)
    second, *more = kpack_build(platform, image, source)
    assert second.returncode == 0, second
    _check_rebuild_reused(platform, digests, image.last_image or "", second.output)
    serves(platform, image.last_image or "", "Hello again from Flask")
    return [*roots, *more]


def test_kpack_with_a_cache_image(platform: Platform) -> None:
    """The cache in a registry image, no volume kept between builds: a rebuild reuses the interpreter and the venv;
    with the cache image deleted, a third build (launch layers' metadata restored from the previous image, their
    contents nowhere) still builds an image that serves."""
    source = platform.source("flask_wsgi", (0, 0))[1]
    image = KpackImage(tag=platform.ref("kpack/registry-cache:latest"),
                       cache_tag=platform.ref("kpack/registry-cache:cache"))
    _built_then_rebuilt_after_a_change(platform, image, source)

    delete_from_registry(platform.registry, image.cache_tag or "")
    third, _, _ = kpack_build(platform, image, source)
    assert third.returncode == 0, third
    # The previous image hands back the web layer's metadata alone, and the python and venv layers not at all: the
    # buildpack makes all three again from nothing instead of trusting what it finds.
    assert 'Restoring metadata for "python-cnb/python:web" from app image' in third.output, third.output
    assert "Installing Python 3.12.1" in third.output, third.output
    assert "Creating virtual environment" in third.output, third.output
    assert "Using cached" not in third.output, third.output
    serves(platform, image.last_image or "", "Hello again from Flask")


# ---- Tekton ---------------------------------------------------------------------------------------------------
TEKTON_UID = TEKTON_GID = 1000  # buildpacks 0.7's USER_ID/GROUP_ID defaults and the create step's securityContext
SUBPATH = "apps/web"  # SOURCE_SUBPATH: the app is a subdirectory of the checked-out source


def tekton_prepare(platform: Platform, fixture: str, uid: int, gid: int) -> Tuple[Path, Path, Path, Path]:
    """The task's prepare step: (source workspace, /layers, /tekton/home, /platform), chowned -R to uid:gid."""
    source, _ = platform.source(fixture, (uid, gid), subpath=SUBPATH)
    layers, home = platform.empty_dir("layers"), platform.empty_dir("tekton-home")
    for path in (home, layers, source):
        os.chown(path, uid, gid)
    return source, layers, home, platform.platform_dir({})


@pytest.fixture(scope="module")
def tekton_builder(platform: Platform) -> Iterator[str]:
    """The builder with a passwd entry for uid 1000. The create step runs as 1000 (runAsUser, hard-coded in the
    task) and passes -uid=1000, and the creator looks that user up ("failed to set environment for user 1000:
    user: unknown userid 1000" otherwise): builders whose user is 1000, like Paketo's, have it."""
    name = f"python-cnb-e2e-tekton-{uuid.uuid4().hex[:8]}"
    image = "python-cnb/e2e-builder-tekton:test"
    added = _run(["docker", "run", "--name", name, "--user", "0:0", "--entrypoint", "/bin/sh", platform.builder, "-c",
                  f"echo 'tekton:x:{TEKTON_UID}:{TEKTON_GID}:Tekton step:/tekton/home:/bin/sh' >> /etc/passwd"])
    assert added.returncode == 0, added
    committed = _run(["docker", "commit", "--change", f"USER {CNB_UID}:{CNB_GID}", name, image])
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    assert committed.returncode == 0, committed
    yield image
    subprocess.run(["docker", "rmi", "-f", image], capture_output=True)


def tekton_creator(platform: Platform, fixture: str, tag: str, builder: str) -> Result:
    """task/buildpacks 0.7's create step: one creator, as uid 1000, -process-type web, HOME=/tekton/home, with the
    optional cache and dockerconfig workspaces unbound (their paths are empty strings)."""
    source, layers, home, plat = tekton_prepare(platform, fixture, TEKTON_UID, TEKTON_GID)
    source.chmod(0o775)  # the prepare step's own chmod of the source workspace
    args = [f"-app=/workspace/source/{SUBPATH}", "-cache-dir=", "-cache-image=", f"-uid={TEKTON_UID}",
            f"-gid={TEKTON_GID}", "-layers=/layers", "-platform=/platform", "-report=/layers/report.toml",
            "-process-type=web", "-skip-restore=false", f"-previous-image={tag}", f"-run-image={platform.run_image}",
            tag]
    env = {"CNB_PLATFORM_API": "0.9", "HOME": "/tekton/home", "DOCKER_CONFIG": ""}
    mounts = {layers: "/layers", plat: "/platform", source: "/workspace/source", home: "/tekton/home"}
    return lifecycle(platform, "creator", args, user=f"{TEKTON_UID}:{TEKTON_GID}", env=env, mounts=mounts,
                     builder=builder)


def _web_is_the_default(platform: Platform, ref: str) -> None:
    _, config = manifest_and_config(platform.registry, ref)
    assert config["config"]["Entrypoint"] == ["/cnb/process/web"], config["config"]


def test_tekton_buildpacks_task(platform: Platform, tekton_builder: str) -> None:
    tag = platform.ref("tekton/flask:latest")
    result = tekton_creator(platform, "flask_wsgi", tag, tekton_builder)
    assert result.returncode == 0, result
    assert "Installing Python 3.12.1" in result.output
    _web_is_the_default(platform, tag)
    serves(platform, digest_ref(platform.registry, tag), "Hello from Flask")


def test_tekton_buildpacks_task_without_an_entry_point(platform: Platform, tekton_builder: str) -> None:
    """No entry point found: -process-type web still exports, since the buildpack always declares web (it explains
    at start what to set); APP_RUN at run time starts the app."""
    tag = platform.ref("tekton/no-entry-point:latest")
    result = tekton_creator(platform, "app_run", tag, tekton_builder)
    assert result.returncode == 0, result
    assert "[Warning: No web process found]" in result.output
    _web_is_the_default(platform, tag)
    serves(platform, digest_ref(platform.registry, tag), "Hello from APP_RUN", env={"APP_RUN": "python server.py"})


@pytest.fixture(scope="module")
def builder_in_registry(platform: Platform) -> Iterator[str]:
    """The builder image pushed to the registry: buildpacks-phases' restore step reads it (-build-image)."""
    ref = platform.ref("python-cnb/builder:test")
    for cmd in (["docker", "tag", platform.builder, ref], ["docker", "push", ref]):
        done = _run(cmd, timeout=600)
        assert done.returncode == 0, done
    yield ref
    subprocess.run(["docker", "rmi", "-f", ref], capture_output=True)


def test_tekton_buildpacks_phases_task(platform: Platform, builder_in_registry: str) -> None:
    """task/buildpacks-phases 0.3: platform API 0.13, each phase a step run as the builder image's user (its
    CNB_USER_ID/CNB_GROUP_ID), HOME=/tekton/home, CNB_PROCESS_TYPE=web on the exporter. The task hands its TAGS
    parameter to the analyzer alone (which checks it can write there); the exporter gets APP_IMAGE only."""
    tag, extra = platform.ref("tekton/phases:latest"), platform.ref("tekton/phases:extra")
    source, layers, home, plat = tekton_prepare(platform, "flask_wsgi", CNB_UID, CNB_GID)
    ids = [f"-uid={CNB_UID}", f"-gid={CNB_GID}"]
    insecure = f"-insecure-registry={platform.registry}"  # CNB_INSECURE_REGISTRIES: the registry speaks HTTP
    app = f"-app=/workspace/source/{SUBPATH}"
    api = {"CNB_PLATFORM_API": "0.13", "CNB_EXPERIMENTAL_MODE": "silent", "HOME": "/tekton/home"}
    base = {layers: "/layers", source: "/workspace/source"}  # a workspace is mounted in every step
    with_home = {**base, plat: "/platform", home: "/tekton/home"}
    steps = [
        ("analyzer", ["-log-level=info", "-layers=/layers", f"-run-image={platform.run_image}", "-cache-image=",
                      *ids, insecure, f"-tag={extra}", "-skip-layers=false", tag], api, base),
        ("detector", ["-log-level=info", app, "-group=/layers/group.toml", "-plan=/layers/plan.toml",
                      "-layers=/layers", "-platform=/platform"], api, with_home),
        ("restorer", ["-log-level=info", f"-build-image={builder_in_registry}", "-group=/layers/group.toml",
                      "-layers=/layers", "-cache-dir=", "-cache-image=", *ids, insecure, "-skip-layers=false"],
         api, {**base, platform.empty_dir("kaniko"): "/kaniko"}),
        ("builder", ["-log-level=info", app, "-layers=/layers", "-group=/layers/group.toml",
                     "-plan=/layers/plan.toml", "-platform=/platform"], api, with_home),
        ("exporter", ["-log-level=info", app, "-layers=/layers", "-group=/layers/group.toml", "-cache-dir=",
                      "-cache-image=", "-report=/layers/report.toml", "-process-type=web", *ids, insecure, tag],
         api, base),
    ]
    result = run_steps(steps, platform, user=f"{CNB_UID}:{CNB_GID}")
    assert result.returncode == 0, result
    assert "Installing Python 3.12.1" in result.output
    _web_is_the_default(platform, tag)
    serves(platform, digest_ref(platform.registry, tag), "Hello from Flask")


# ---- Shipwright -----------------------------------------------------------------------------------------------
SHIPWRIGHT_LIFECYCLE = "0.17.0"  # the oldest lifecycle with Buildpack API 0.10 (test_distribution_e2e.py)
# The strategy's script, phase by phase, as it runs them in one container (cut down to what applies here: no
# insecure registries list, the digest result written to /tmp).
SHIPWRIGHT_SCRIPT = r"""
set -euo pipefail
ENV_DIR=/platform/env
block_list=("PATH" "HOSTNAME" "PWD" "_" "SHLVL" "HOME" "")
while IFS='=' read -r key value; do
  blocked=false
  for str in "${block_list[@]}"; do [[ "$key" == "$str" ]] && blocked=true && break; done
  [ "$blocked" == "false" ] && echo -n "$value" > "${ENV_DIR}/${key}"
done < <(env)
LAYERS_DIR=/tmp/.shp/layers
CACHE_DIR=/tmp/.shp/cache
mkdir -p "$CACHE_DIR" "$LAYERS_DIR"
echo "===> ANALYZING"; /cnb/lifecycle/analyzer -layers="$LAYERS_DIR" "${PARAM_OUTPUT_IMAGE}"
echo "===> DETECTING"; /cnb/lifecycle/detector -app="${PARAM_SOURCE_CONTEXT}" -layers="$LAYERS_DIR"
echo "===> RESTORING"; /cnb/lifecycle/restorer -cache-dir="$CACHE_DIR" -layers="$LAYERS_DIR"
echo "===> BUILDING"; /cnb/lifecycle/builder -app="${PARAM_SOURCE_CONTEXT}" -layers="$LAYERS_DIR"
exporter_args=( -layers="$LAYERS_DIR" -report=/tmp/report.toml -cache-dir="$CACHE_DIR" -app="${PARAM_SOURCE_CONTEXT}")
grep -q "buildpack-default-process-type" "$LAYERS_DIR/config/metadata.toml" || exporter_args+=( -process-type web )
echo "===> EXPORTING"; /cnb/lifecycle/exporter "${exporter_args[@]}" "${PARAM_OUTPUT_IMAGE}"
"""


@pytest.fixture(scope="module")
def shipwright_builder(platform: Platform, buildpack_dir: Path) -> Iterator[str]:
    """A builder with lifecycle 0.17.0 whose run image is the one in the registry (the strategy passes no
    -run-image: the lifecycle reads /cnb/run.toml)."""
    built = _run([str(E2E_TOOLS / "cnb-tools.sh"), SHIPWRIGHT_LIFECYCLE], timeout=900)  # cached after the first
    assert built.returncode == 0, built
    name = f"python-cnb/e2e-builder-shipwright-{SHIPWRIGHT_LIFECYCLE}:test"
    created = _run([str(E2E_TOOLS / "builder.sh"), str(buildpack_dir), name],
                   env={**os.environ, "PYTHON_CNB_LIFECYCLE_VERSION": SHIPWRIGHT_LIFECYCLE,
                        "PYTHON_CNB_RUN_IMAGE": platform.run_image})
    assert created.returncode == 0, created
    yield name
    subprocess.run(["docker", "rmi", "-f", name], capture_output=True)


def test_shipwright_buildpacks_v3_strategy(platform: Platform, shipwright_builder: str) -> None:
    """The buildpacks-v3 strategy: platform API 0.12 (its platform-api-version parameter, for lifecycle 0.17.0),
    uid 1001 gid 1000, the phases one after another in one container, layers and cache fresh under /tmp, every
    variable of the container written to /platform/env (Kubernetes' service variables among them)."""
    tag = platform.ref("shipwright/flask:latest")
    source, _ = platform.source("flask_wsgi", (CNB_UID, CNB_GID))
    env_dir = platform.empty_dir("platform-env")
    env = {"CNB_PLATFORM_API": "0.12", "PARAM_SOURCE_CONTEXT": "/workspace/source", "PARAM_OUTPUT_IMAGE": tag,
           "PARAM_OUTPUT_INSECURE": "false", "BP_PYTHON_MANIFEST": platform.manifest_url,
           "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
           "KUBERNETES_PORT": "tcp://10.96.0.1:443"}
    cmd = ["docker", "run", "--rm", "--network", "host", "--user", f"{CNB_UID}:{CNB_GID}", "--entrypoint", "/bin/bash",
           "-v", f"{source}:/workspace/source", "-v", f"{env_dir}:/platform/env"]
    for key, value in env.items():
        cmd += ["-e", f"{key}={value}"]
    result = _run([*cmd, shipwright_builder, "-c", SHIPWRIGHT_SCRIPT], env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result
    assert "Installing Python 3.12.1" in result.output
    assert (env_dir / "PARAM_OUTPUT_IMAGE").read_text() == tag
    _web_is_the_default(platform, tag)
    serves(platform, digest_ref(platform.registry, tag), "Hello from Flask")


# ---- less than the buildpack needs ----------------------------------------------------------------------------
def test_kpack_build_with_no_writable_home(platform: Platform) -> None:
    """HOME=/ in the build container, which uid 1001 cannot write to (an arbitrary uid on OpenShift gets it): the
    build's commands get a HOME of their own in /tmp, the log says so, and the image serves."""
    source = platform.source("flask_wsgi", (0, 0))[1]
    image = KpackImage(tag=platform.ref("kpack/no-home:latest"))
    result, _, _ = kpack_build(platform, image, source, build_home="/")
    assert result.returncode == 0, result
    assert f"HOME='/' is not writable: using HOME=/tmp/home-{CNB_UID}." in result.output, result.output
    serves(platform, image.last_image or "", "Hello from Flask")


def test_kpack_build_with_a_read_only_app_directory(platform: Platform) -> None:
    """/workspace mounted read-only in the build container: an app whose build writes nothing there builds and serves;
    a Django app, whose collectstatic writes STATIC_ROOT into it, fails with an error that names the read-only app
    directory and the fix. /workspace's root is never chmodded."""
    flask = platform.source("flask_wsgi", (0, 0))[1]
    image = KpackImage(tag=platform.ref("kpack/read-only-app:latest"))
    built, before, after = kpack_build(platform, image, flask, app_mode="ro")
    assert built.returncode == 0, built
    assert before == after == (0o2777, 0, CNB_GID)
    serves(platform, image.last_image or "", "Hello from Flask")

    django = platform.source("django_app", (0, 0))[1]
    failed, _, _ = kpack_build(platform, KpackImage(tag=platform.ref("kpack/read-only-django:latest")), django,
                               app_mode="ro")
    assert failed.returncode != 0, failed
    assert "[Error: Unable to generate Django static files]" in failed.output, failed.output
    assert "The app directory /workspace is read-only in this build" in failed.output, failed.output
    assert "Mount the app's" in failed.output
    assert "Traceback" not in failed.output.split("[Error:")[1]
