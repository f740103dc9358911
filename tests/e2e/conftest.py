"""Fixtures for the end-to-end suite: the real pack, lifecycle and Docker (set up by tools/e2e/setup.sh)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from support import package_index, python_archive
from support.cnb_harness import CACHE_DIR, FIXTURES, REPO, Result, count_workers, http_get

E2E_TOOLS = REPO / "tools" / "e2e"
BUILDER = "python-cnb/e2e-builder:test"
BUILDER_NOPYTHON = "python-cnb/e2e-builder-nopython:test"


def _run(cmd: List[str], timeout: float = 900, env: Optional[Dict[str, str]] = None) -> Result:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)
    return Result(proc.returncode, proc.stdout)


@pytest.fixture(scope="session")
def e2e_env() -> Dict[str, str]:
    """The variables tools/e2e/setup.sh exports (it is idempotent and fast when everything is cached)."""
    if not os.environ.get("PYTHON_CNB_PACK"):
        out = subprocess.run([str(E2E_TOOLS / "setup.sh")], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                os.environ[name] = os.path.expandvars(shlex.split(value)[0] if value else "")
    return {k: v for k, v in os.environ.items() if k.startswith("PYTHON_CNB_")}


def _builder(name: str, buildpack_dir: Path, nopython: bool) -> str:
    cmd = [str(E2E_TOOLS / "builder.sh")] + (["--nopython"] if nopython else []) + [str(buildpack_dir), name]
    result = _run(cmd)
    assert result.returncode == 0, result
    return name


@pytest.fixture(scope="session")
def builder(e2e_env: Dict[str, str], buildpack_dir: Path) -> str:
    return _builder(BUILDER, buildpack_dir, nopython=False)


@pytest.fixture(scope="session")
def builder_nopython(e2e_env: Dict[str, str], buildpack_dir: Path) -> str:
    return _builder(BUILDER_NOPYTHON, buildpack_dir, nopython=True)


@pytest.fixture(scope="session")
def manifest_url(archive_server: Dict[str, object]) -> str:
    """The test interpreters' manifest, served next to the archives so the build container can fetch it."""
    archive_dir = Path(str(archive_server["dir"]))
    name = f"e2e-manifest-{os.getpid()}.toml"
    (archive_dir / name).write_text(python_archive.manifest_toml(archive_server["url"], archive_server["archives"]))
    return f'{archive_server["url"]}/{name}'


class Pack:
    def __init__(self, pack: str, builder: str, manifest_url: str, tmp_path: Path) -> None:
        self.pack = pack
        self.builder = builder
        self.manifest_url = manifest_url
        self.tmp_path = tmp_path
        self.images: List[str] = []

    def image_name(self, label: str) -> str:
        name = f"python-cnb-e2e/{label}-{uuid.uuid4().hex[:8]}"
        self.images.append(name)
        return name

    def app(self, fixture: str) -> Path:
        target = self.tmp_path / fixture
        if not target.exists():
            subprocess.run(["cp", "-a", str(FIXTURES / fixture), str(target)], check=True)
        return target

    def build(self, image: str, app_dir: Path, env: Optional[Dict[str, str]] = None,
              builder: Optional[str] = None, extra: Optional[List[str]] = None) -> Result:
        build_env = {"BP_PYTHON_MANIFEST": self.manifest_url, **(env or {})}
        cmd = [self.pack, "build", image, "--builder", builder or self.builder, "--path", str(app_dir),
               "--pull-policy", "never", "--trust-builder", "--network", "host", "--timestamps=false"]
        for key, value in build_env.items():
            cmd += ["--env", f"{key}={value}"]
        return _run(cmd + (extra or []), env={**os.environ, "NO_COLOR": "1"})

    def cleanup(self) -> None:
        for image in self.images:
            subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
            unique = image.rsplit("-", 1)[-1]
            volumes = subprocess.run(["docker", "volume", "ls", "-q"], capture_output=True, text=True).stdout
            stale = [v for v in volumes.split() if unique in v]
            if stale:
                subprocess.run(["docker", "volume", "rm", "-f", *stale], capture_output=True)


@contextlib.contextmanager
def _pack_in(directory: Path, e2e_env: Dict[str, str], builder: str, manifest_url: str) -> Iterator[Pack]:
    """A Pack working in `directory` (opened up for the build user); its images and volumes removed on exit."""
    directory.chmod(0o755)
    helper = Pack(e2e_env["PYTHON_CNB_PACK"], builder, manifest_url, directory)
    try:
        yield helper
    finally:
        helper.cleanup()


@pytest.fixture
def pack(e2e_env: Dict[str, str], builder: str, manifest_url: str, tmp_path: Path) -> Iterator[Pack]:
    with _pack_in(tmp_path, e2e_env, builder, manifest_url) as helper:
        yield helper


@pytest.fixture(scope="module")
def module_pack(e2e_env: Dict[str, str], builder: str, manifest_url: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pack]:
    """A Pack shared by one test module, so an image built once carries the checks of several tests."""
    with _pack_in(tmp_path_factory.mktemp("module-pack"), e2e_env, builder, manifest_url) as helper:
        yield helper


def build_ok(pack: Pack, fixture: str, env: Optional[Dict[str, str]] = None) -> Tuple[str, str]:
    """Build a fixture app into an image named after it; (image, build output), the build having succeeded."""
    image = pack.image_name(fixture.replace("_", "-"))
    result = pack.build(image, pack.app(fixture), env=env)
    assert result.returncode == 0, result
    return image, result.output


def docker_inspect(image: str) -> Dict[str, Any]:
    """`docker image inspect`: the image's configuration (its "Config" holds Entrypoint, User, Labels...)."""
    out = subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out)[0])


def docker_run_once(image: str, *options: str, args: Tuple[str, ...] = (),
                    timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`docker run --rm` to the end (host network, `options` before the image, `args` after it); stderr is merged
    into stdout."""
    return subprocess.run(["docker", "run", "--rm", "--network", "host", *options, image, *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@dataclass
class Container:
    name: str

    @property
    def log(self) -> str:
        return subprocess.run(["docker", "logs", self.name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True).stdout

    def running(self) -> bool:
        out = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", self.name], capture_output=True,
                             text=True).stdout.strip()
        return out == "true"

    def get(self, path: str = "/", headers: Optional[Dict[str, str]] = None) -> str:
        return http_get(f"http://127.0.0.1:8080{path}", alive=self.running, log=lambda: self.log, headers=headers,
                        timeout=60.0)

    def workers(self, expected: int) -> int:
        return count_workers(lambda: self.log, expected)


@contextlib.contextmanager
def docker_run(image: str, env: Optional[Dict[str, str]] = None, args: Optional[List[str]] = None,
               options: Optional[List[str]] = None) -> Iterator[Container]:
    name = f"python-cnb-e2e-{uuid.uuid4().hex[:10]}"
    cmd = ["docker", "run", "-d", "--network", "host", "--name", name]
    for key, value in (env or {}).items():
        cmd += ["-e", f"{key}={value}"]
    cmd += (options or []) + [image] + (args or [])
    started = _run(cmd, timeout=120)
    assert started.returncode == 0, started
    container = Container(name)
    try:
        yield container
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        # host networking: wait until the port is free for the next test
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:8080/", timeout=1)
                time.sleep(0.2)
            except (urllib.error.URLError, ConnectionError, OSError):
                break


# ---- pytest-docker: the private package index runs as a compose service ---------------------------------------
@pytest.fixture(scope="session")
def docker_compose_command() -> str:
    return "docker-compose"  # Debian 12 packages compose v1; tools/e2e/docker.sh installs it


@pytest.fixture(scope="session")
def docker_compose_file(e2e_env: Dict[str, str]) -> str:
    root = package_index.build_index(CACHE_DIR / "package-index", ["flask", "gunicorn==27.0.1"], "3.12")
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    os.environ["PYTHON_CNB_PACKAGE_INDEX"] = str(root)
    os.environ["PYTHON_CNB_INDEX_PORT"] = str(package_index.free_port())
    return str(Path(__file__).parent / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return f"pythoncnb{os.getpid()}"


@pytest.fixture(scope="session")
def docker_setup() -> List[str]:
    return ["up -d"]


@pytest.fixture(scope="session")
def docker_cleanup() -> List[str]:
    return ["down -v"]


@pytest.fixture(scope="session")
def private_index(docker_services) -> str:  # type: ignore[no-untyped-def]
    """host:port of the package index, once it answers."""
    host = f"127.0.0.1:{os.environ['PYTHON_CNB_INDEX_PORT']}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://{host}/simple/", timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    docker_services.wait_until_responsive(check=answers, timeout=60.0, pause=0.3)
    return host


# ---- a local OCI registry (Debian's docker-registry) --------------------------------------------------------
@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway OCI registry (Debian's docker-registry, installed by tools/e2e/registry.sh) on 127.0.0.1."""
    installed = subprocess.run([str(E2E_TOOLS / "registry.sh")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert installed.returncode == 0, installed.stderr
    binary = installed.stdout.strip()
    root = tmp_path_factory.mktemp("registry")
    host = f"127.0.0.1:{package_index.free_port()}"
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'storage'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {host}\n  secret: python-cnb-e2e\n"
    )
    log_path = root / "registry.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([binary, "serve", str(config)], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{host}/v2/", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"registry did not start:\n{log_path.read_text()}") from None
                time.sleep(0.2)
        yield host
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def registry_get(url: str) -> Dict[str, Any]:
    """A manifest (or index) from a registry, parsed, with its digest under "_digest"."""
    accept = ("application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
              "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=10) as response:
        body = json.loads(response.read())
        body["_digest"] = response.headers["Docker-Content-Digest"]
        return dict(body)
