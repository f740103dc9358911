"""Runs the real bin/detect and bin/build the way the CNB lifecycle does, and starts processes the way the
launcher does (cnb-contract.md sections 3, 4, 4.3, 4.6, 4.7 and 5). Small on purpose: the end-to-end suite
runs the real lifecycle; this harness gives fast, exact feedback on what the buildpack writes."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
from python_cnb.cnb import toml_io  # noqa: E402
from python_cnb.cnb.layer_env import apply_env_dir  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "apps"
BUILDPACK_ID = "python-cnb/python"
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
# The variables the lifecycle lets through from its own environment (lc:env/build.go).
PASSTHROUGH = ("HOSTNAME", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy")
TEST_USER = "cnbtest"
# Slow products (interpreter archives, wheels, images) are cached here across runs.
CACHE_DIR = Path(os.environ.get("PYTHON_CNB_CACHE", "/var/cache/python-cnb"))


def _test_user() -> Optional[pwd.struct_passwd]:
    """Build as a non-root user, as the lifecycle does, when running as root and the user exists."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        return None


def _chown_tree(path: Path, user: Optional[pwd.struct_passwd], owned: Optional[Path] = None) -> None:
    """Hand the tree to the build user. Directories directly under `owned` (the layers) that the user already owns
    were written by the buildpack and are not walked: a heavy app's venv holds ten thousand files, and walking them on
    every build would count in the benchmark's build times."""
    if user is None:
        return
    for root, dirs, files in os.walk(path):
        if owned is not None and Path(root) == owned:
            dirs[:] = [d for d in dirs if not _owned_before(os.path.join(root, d), user)]
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), user.pw_uid, user.pw_gid)


def _owned_before(path: str, user: pwd.struct_passwd) -> bool:
    """True when the directory and its direct children already belong to the user."""
    try:
        return os.lstat(path).st_uid == user.pw_uid and all(
            os.lstat(os.path.join(path, name)).st_uid == user.pw_uid for name in os.listdir(path))
    except OSError:
        return False


# The lifecycle stores layers as tars with normalised mtimes (1980-01-01), so restored files carry that time.
LAYER_MTIME = 315532801


def _normalize_mtimes(directory: Path) -> None:
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            os.utime(os.path.join(root, name), (LAYER_MTIME, LAYER_MTIME), follow_symlinks=False)


def tree_digest(directory: Path) -> str:
    """sha256 over the paths, modes, link targets and contents of a layer (what its image layer holds)."""
    import hashlib

    digest = hashlib.sha256()
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            digest.update(str(path.relative_to(directory)).encode())
            if path.is_symlink():
                digest.update(os.readlink(path).encode())
            else:
                digest.update(oct(path.stat().st_mode).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class Result:
    returncode: int
    output: str

    def __str__(self) -> str:
        return f"exit {self.returncode}\n{self.output}"

    __repr__ = __str__


@dataclass
class CnbApp:
    root: Path
    buildpack_dir: Path
    platform_env: Dict[str, str] = field(default_factory=dict)
    user: Optional[pwd.struct_passwd] = field(default_factory=_test_user)
    build_path: str = BASE_PATH  # PATH of the build image
    distro_version: str = "12"  # CNB_TARGET_DISTRO_VERSION of the build image

    @property
    def app(self) -> Path:
        return self.root / "workspace"

    @property
    def layers_root(self) -> Path:
        return self.root / "layers"

    @property
    def layers(self) -> Path:
        return self.layers_root / BUILDPACK_ID.replace("/", "_")

    @property
    def platform(self) -> Path:
        return self.root / "platform"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @classmethod
    def from_fixture(cls, name: str, root: Path, buildpack_dir: Path, platform_env: Dict[str, str]) -> CnbApp:
        harness = cls(root=root, buildpack_dir=buildpack_dir, platform_env=dict(platform_env))
        shutil.copytree(FIXTURES / name, harness.app, symlinks=True)
        for directory in (harness.layers, harness.platform / "env", harness.home):
            directory.mkdir(parents=True, exist_ok=True)
        return harness

    def _base_env(self) -> Dict[str, str]:
        env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
        env.update(PATH=self.build_path, HOME=str(self.home), CNB_BUILDPACK_DIR=str(self.buildpack_dir),
                   CNB_PLATFORM_DIR=str(self.platform), CNB_TARGET_OS="linux", CNB_TARGET_ARCH="amd64",
                   CNB_TARGET_DISTRO_NAME="debian", CNB_TARGET_DISTRO_VERSION=self.distro_version)
        return env

    def _write_platform_env(self) -> Dict[str, str]:
        env_dir = self.platform / "env"
        for path in env_dir.iterdir():
            path.unlink()
        for name, value in self.platform_env.items():
            (env_dir / name).write_text(value)
        return dict(self.platform_env)

    def _run(self, cmd: List[str], env: Dict[str, str], cwd: Path, timeout: float = 600) -> Result:
        _chown_tree(self.root, self.user, owned=self.layers)
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)
        return Result(proc.returncode, proc.stdout)

    def detect(self) -> Result:
        plan = self.root / "plan.toml"
        plan.write_text("")
        env = {**self._base_env(), **self._write_platform_env(), "CNB_BUILD_PLAN_PATH": str(plan)}
        return self._run([str(self.buildpack_dir / "bin" / "detect"), str(self.platform), str(plan)], env, self.app)

    def build(self) -> Result:
        plan = self.root / "bp-plan.toml"
        plan.write_text("")
        env = {**self._base_env(), **self._write_platform_env(), "CNB_LAYERS_DIR": str(self.layers),
               "CNB_BP_PLAN_PATH": str(plan)}
        return self._run([str(self.buildpack_dir / "bin" / "build"), str(self.layers), str(self.platform),
                          str(plan)], env, self.app)

    def layer_toml(self, name: str) -> dict:
        return toml_io.read(self.layers / f"{name}.toml")

    def launch_toml(self) -> dict:
        return toml_io.read(self.layers / "launch.toml")

    def restore_for_next_build(self, fresh_source: Optional[str] = None) -> None:
        """What the lifecycle leaves for the next build (contract 4.3): cache=true layers come back with dir
        and a toml holding only [metadata]; launch-only layers come back as metadata without a dir; the rest
        is gone. The app dir is fresh source again."""
        for toml_path in list(self.layers.glob("*.toml")):
            if toml_path.name in ("launch.toml", "build.toml", "store.toml"):
                toml_path.unlink()
                continue
            data = toml_io.read(toml_path)
            types = data.get("types", {})
            layer_dir = self.layers / toml_path.stem
            if types.get("cache"):
                toml_path.write_text(toml_io.dumps({"metadata": data.get("metadata", {})}))
                _normalize_mtimes(layer_dir)
            elif types.get("launch"):
                toml_path.write_text(toml_io.dumps({"metadata": data.get("metadata", {})}))
                shutil.rmtree(layer_dir, ignore_errors=True)
            else:
                toml_path.unlink()
                shutil.rmtree(layer_dir, ignore_errors=True)
        for leftover in self.layers.iterdir():
            if leftover.is_dir() and not (self.layers / f"{leftover.name}.toml").exists():
                shutil.rmtree(leftover)
        if fresh_source is not None:
            shutil.rmtree(self.app)
            shutil.copytree(FIXTURES / fresh_source, self.app, symlinks=True)

    # ---- launch ------------------------------------------------------------------------------------------
    def launch_env(self, runtime_env: Dict[str, str], process_type: str = "web") -> Dict[str, str]:
        """Container env, then per launch layer (alphabetical): bin -> PATH, lib -> LD_LIBRARY_PATH, then
        env/, env.launch/, env.launch/<type>/; then exec.d output (contract section 5)."""
        env = {"PATH": BASE_PATH, "HOME": str(self.home), **runtime_env}
        launch_layers = []
        for toml_path in sorted(self.layers.glob("*.toml")):
            if toml_path.name == "launch.toml":
                continue
            if toml_io.read(toml_path).get("types", {}).get("launch") and (self.layers / toml_path.stem).is_dir():
                launch_layers.append(self.layers / toml_path.stem)
        for layer in launch_layers:
            for sub, var in (("bin", "PATH"), ("lib", "LD_LIBRARY_PATH")):
                if (layer / sub).is_dir():
                    env[var] = f"{layer / sub}:{env[var]}" if env.get(var) else str(layer / sub)
        for layer in launch_layers:
            for sub in ("env", "env.launch", f"env.launch/{process_type}"):
                apply_env_dir(layer / sub, env)
        for layer in launch_layers:
            for program in sorted((layer / "exec.d").glob("*")):
                if program.is_file():
                    env.update(self.run_exec_d(program, env))
        return env

    def run_exec_d(self, program: Path, env: Dict[str, str]) -> Dict[str, str]:
        read_fd, write_fd = os.pipe()
        try:
            # The launcher gives exec.d programs a pipe on fd 3.
            proc = subprocess.run(["/bin/bash", "-c", f'exec "$0" 3>&{write_fd}', str(program)], env=env,
                                  cwd=self.app, pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=30)
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd) as handle:
            output = handle.read()
        assert proc.returncode == 0, proc.stderr
        return {k: str(v) for k, v in toml_io.loads(output).items()}

    def run_process(self, process_type: str, runtime_env: Optional[Dict[str, str]] = None,
                    timeout: float = 60) -> Result:
        """Run a launch.toml process to completion, as the launcher would start it (its env, working dir, user)."""
        process = next(p for p in self.launch_toml()["processes"] if p["type"] == process_type)
        env = self.launch_env(runtime_env or {}, process_type)
        cmd = list(process["command"]) + list(process.get("args", []))
        cmd[0] = shutil.which(cmd[0], path=env["PATH"]) or cmd[0]
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        proc = subprocess.run(cmd, env=env, cwd=process.get("working-dir", self.app), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              **kwargs)
        return Result(proc.returncode, proc.stdout)

    @contextlib.contextmanager
    def serve(
        self, runtime_env: Optional[Dict[str, str]] = None, args: Optional[List[str]] = None
    ) -> Iterator["Server"]:
        process = next(p for p in self.launch_toml()["processes"] if p["type"] == "web")
        env = self.launch_env(runtime_env or {})
        cmd = list(process["command"]) + (args if args is not None else list(process.get("args", [])))
        cmd[0] = shutil.which(cmd[0], path=env["PATH"]) or cmd[0]
        log = self.root / "server.log"
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        wait_for_free_port()
        with log.open("w") as log_handle:
            proc = subprocess.Popen(cmd, env=env, cwd=process.get("working-dir", self.app), stdout=log_handle,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                    **kwargs)
        server = Server(proc, log)
        try:
            yield server
        finally:
            _stop_session(proc)


def _session_members(sid: int) -> List[int]:
    """Live processes of session sid (field 6 of /proc/PID/stat; zombies left out)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


def _stop_session(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM to the server (the buildpack's init, which passes it on); then, bounded, until no process of its
    session is left (the app runs in a process group of its own, and Gunicorn's workers can outlive the process
    that started them by a moment, still holding port 8080 for the next test); SIGKILL for whatever is."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.poll()
        if proc.returncode is not None and not _session_members(proc.pid):
            return
        time.sleep(0.1)
    for pid in [proc.pid, *_session_members(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while _session_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_for_free_port(port: int = 8080, timeout: float = 20.0) -> None:
    """Before a server starts: nothing listens on 127.0.0.1:port (bounded wait), so an answer comes from it."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"something still listens on 127.0.0.1:{port}; a server from an earlier test?")
        time.sleep(0.2)


def http_get(url: str, *, alive: Callable[[], bool], log: Callable[[], str],
             headers: Optional[Dict[str, str]] = None, timeout: float = 40.0) -> str:
    """GET url, retrying (bounded in time) while the server starts; fails early if it died."""
    deadline = time.monotonic() + timeout
    last: Exception = RuntimeError("no attempt")
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last = exc
            if not alive():
                raise AssertionError(f"the server exited:\n{log()}") from None
            time.sleep(0.25)
    raise AssertionError(f"no answer from {url}: {last}\n{log()}")


def count_workers(log: Callable[[], str], expected: int, timeout: float = 30.0) -> int:
    """The number of gunicorn workers booted, waiting (bounded) until `expected` have or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        count = log().count("Booting worker with pid")
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


@dataclass
class Server:
    process: subprocess.Popen
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers(self, expected: int) -> int:
        return count_workers(lambda: self.log, expected)

    def get(self, path: str = "/", port: int = 8080) -> str:
        return http_get(f"http://127.0.0.1:{port}{path}", alive=lambda: self.process.poll() is None,
                        log=lambda: self.log)


def assert_clean_failure(result: Result, title: str) -> None:
    """A user error as the buildpack must report it: exit 1, one [Error: title] block, no traceback."""
    assert result.returncode == 1, result
    assert f"[Error: {title}]" in result.output, result
    assert result.output.count("[Error:") == 1, result
    assert "Traceback" not in result.output, result
