"""The linux/arm64 target, built and served: the Flask sample through `pack build --platform linux/arm64` on an
arm64 builder, run with `docker run --platform linux/arm64`, all under qemu-user-static emulation.

What it is made of (tools/e2e/README.md has the details):
- base images python-cnb/{build,run}:bookworm-arm64: `debootstrap --arch arm64 --foreign`, the second stage in a
  chroot under qemu (tools/e2e/base-images.sh --arch arm64), their config recording architecture arm64;
- the lifecycle v0.21.17 cross-compiled with GOARCH=arm64 (tools/e2e/cnb-tools.sh --arch arm64), in the builder
  python-cnb/e2e-builder-arm64:test (tools/e2e/builder.sh --arch arm64);
- the interpreter: Debian 12's arm64 CPython 3.11.2 (python3.11-minimal, libpython3.11-minimal,
  libpython3.11-stdlib, libexpat1), repackaged in python-build-standalone's install_only layout by
  tests/support/debian_python.py and served through BP_PYTHON_MANIFEST with `arch = "arm64"`. Its sysconfig
  records Debian's cross compiler (aarch64-linux-gnu-gcc) and the prefix /install, which the buildpack rewrites.

Emulated builds are slow (about 35 s each here), so this is one test with two builds: the Flask sample with pip,
checked for the target arch the lifecycle hands the buildpack (CNB_TARGET_ARCH from the run image), the manifest's
arm64 pick, the sysconfig rewrite, the aarch64 wheels pip picks, and the answer on 8080; and a uv-locked Flask app,
for uv's own aarch64 wheel, which the buildpack fetches from the index itself (wheel_fetch).

Skipped, with the reason, when aarch64 binaries cannot run here (no qemu-aarch64 entry in binfmt_misc);
scripts/test registers one through tools/e2e/setup.sh (tools/e2e/qemu.sh), so CI runs it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest
from support import debian_python, lock_apps, python_archive
from support.cnb_harness import CACHE_DIR

from .conftest import E2E_TOOLS, Pack, _pack_in, _run, docker_inspect, docker_run, docker_run_once

BINFMT = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
BUILDER_ARM64 = "python-cnb/e2e-builder-arm64:test"
ARM64 = ["--platform", "linux/arm64"]


def _binfmt_reason() -> str:
    """Why aarch64 binaries cannot run on this machine, or "" when they can."""
    try:
        entry = BINFMT.read_text()
    except OSError:
        return (f"no {BINFMT}: register qemu-user-static for aarch64 (tools/e2e/qemu.sh: apt-get install "
                "qemu-user-static binfmt-support, mount binfmt_misc, update-binfmts --enable qemu-aarch64)")
    if "enabled" not in entry.splitlines():
        return f"{BINFMT} is disabled: update-binfmts --enable qemu-aarch64"
    return ""


pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_binfmt_reason()), reason=_binfmt_reason() or "-")]


@pytest.fixture(scope="module")
def arm64_builder(e2e_env: Dict[str, str], buildpack_dir: Path) -> str:
    for step in (["cnb-tools.sh", "--arch", "arm64"], ["base-images.sh", "--arch", "arm64"]):  # cached: < 1 s
        result = _run([str(E2E_TOOLS / step[0]), *step[1:]], timeout=1800)
        assert result.returncode == 0, result
    result = _run([str(E2E_TOOLS / "builder.sh"), "--arch", "arm64", str(buildpack_dir), BUILDER_ARM64])
    assert result.returncode == 0, result
    return BUILDER_ARM64


@pytest.fixture(scope="module")
def arm64_manifest(archive_server: Dict[str, object]) -> Tuple[str, str]:
    """(version, manifest URL): Debian's arm64 CPython, the manifest's only build."""
    archive_dir = Path(str(archive_server["dir"]))
    debs = Path(os.environ.get("PYTHON_CNB_CACHE", str(CACHE_DIR.parent))) / "debs"
    version, archive, sha256 = debian_python.make_archive(debs, archive_dir, "arm64")
    name = f"e2e-manifest-arm64-{os.getpid()}.toml"
    (archive_dir / name).write_text(python_archive.manifest_toml(
        str(archive_server["url"]), {version: (archive, sha256)}, arch="arm64"))
    return version, f'{archive_server["url"]}/{name}'


@pytest.fixture(scope="module")
def arm64_pack(e2e_env: Dict[str, str], arm64_builder: str, arm64_manifest: Tuple[str, str],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pack]:
    with _pack_in(tmp_path_factory.mktemp("arm64-pack"), e2e_env, arm64_builder, arm64_manifest[1]) as helper:
        yield helper


def test_flask_sample_builds_and_serves_on_arm64(arm64_pack: Pack, arm64_manifest: Tuple[str, str]) -> None:
    version = arm64_manifest[0]
    image = arm64_pack.image_name("flask-arm64")
    built = arm64_pack.build(image, arm64_pack.app("flask_wsgi"), extra=ARM64)
    assert built.returncode == 0, built
    assert f"Installing Python {version}" in built.output
    assert "Traceback" not in built.output
    assert docker_inspect(image)["Architecture"] == "arm64"

    probe = docker_run_once(image, *ARM64, "--entrypoint", "launcher", args=(
        "--", "python", "-c",
        "import platform, sysconfig, importlib.metadata as m; "
        "print(platform.machine(), sysconfig.get_config_var('CC'), sysconfig.get_config_var('INCLUDEPY'), "
        "[str(f) for f in m.files('markupsafe') if f.suffix == '.so'])"))
    assert probe.returncode == 0, probe.stdout
    machine, cc, include, extensions = probe.stdout.strip().splitlines()[-1].split(" ", 3)
    assert machine == "aarch64"
    assert cc == "cc", probe.stdout  # Debian recorded aarch64-linux-gnu-gcc: the buildpack's sysconfig rewrite
    assert include.startswith("/layers/") and "/install" not in include, probe.stdout
    assert "aarch64" in extensions, probe.stdout  # pip chose MarkupSafe's aarch64 wheel

    with docker_run(image, options=ARM64) as container:
        assert container.get("/") == "Hello from Flask"
        assert "Listening at: http://0.0.0.0:8080" in container.log
        uname = subprocess.run(["docker", "exec", container.name, "uname", "-m"], capture_output=True, text=True)
        assert uname.stdout.strip() == "aarch64", uname

    uv_image = arm64_pack.image_name("uv-arm64")
    uv_built = arm64_pack.build(uv_image, lock_apps.uv_app(arm64_pack.tmp_path / "uv"), extra=ARM64)
    assert uv_built.returncode == 0, uv_built
    fetched = [line for line in uv_built.output.splitlines() if line.startswith("Fetched uv-")]
    assert fetched and "aarch64" in fetched[0], uv_built.output
    with docker_run(uv_image, options=ARM64) as container:
        assert container.get("/") == "Hello from uv"
