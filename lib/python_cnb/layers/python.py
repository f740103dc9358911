"""The interpreter layer (launch, build, cache): a relocatable CPython (python-build-standalone layout)."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional

from ..cnb.data import Target
from ..cnb.layer import LayerTypes, cached_layer
from ..errors import ArchiveInvalid, ChecksumMismatch, DownloadFailed
from ..manifest import PythonBuild
from ..output import Output
from ..redact import redact_url
from ..utils import compile_bytecode, sha256_file

__all__ = ["PythonLayerMetadata", "cache_invalidation_reasons", "install_python"]

LAYER_NAME = "python"
# Bump when the layer's layout changes, so old caches are not trusted.
LAYER_FORMAT = 1
DOWNLOAD_ATTEMPTS = 3
DOWNLOAD_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class PythonLayerMetadata:
    layer_format: int
    python_version: str
    sha256: str
    arch: str
    distro_name: str
    distro_version: str


def cache_invalidation_reasons(old: PythonLayerMetadata, new: PythonLayerMetadata) -> List[str]:
    reasons = []
    if old.layer_format != new.layer_format:
        reasons.append("The buildpack's Python layer format has changed")
    if old.python_version != new.python_version:
        reasons.append(f"The Python version has changed from {old.python_version} to {new.python_version}")
    if old.sha256 != new.sha256:
        reasons.append("The interpreter archive's checksum has changed (a new build of the same version)")
    if old.arch != new.arch:
        reasons.append(f"The CPU architecture has changed from {old.arch} to {new.arch}")
    if (old.distro_name, old.distro_version) != (new.distro_name, new.distro_version):
        reasons.append(f"The OS has changed from {old.distro_name}-{old.distro_version} "
                       f"to {new.distro_name}-{new.distro_version}")
    return reasons


def install_python(layers_dir: Path, out: Output, build: PythonBuild, target: Target,
                   bootstrap_archive: Optional[Path], env: Mapping[str, str]) -> Path:
    new = PythonLayerMetadata(LAYER_FORMAT, build.version, build.sha256, target.arch,
                              target.distro_name, target.distro_version)
    layer = cached_layer(layers_dir, LAYER_NAME, LayerTypes(launch=True, build=True, cache=True), new,
                         cache_invalidation_reasons, complete=lambda path: (path / "bin" / "python3").exists())
    if layer.reused:
        out.step(f"Using cached Python {build.version}")
        return layer.path
    if layer.old is not None:
        out.step(f"Discarding cached Python {layer.old.python_version} since:")
        out.bullet_list(layer.reasons)
    elif layer.unreadable:
        out.step("Discarding the cached Python layer since its metadata is missing or from an unknown format")

    layer_dir = layer.path
    out.step(f"Installing Python {build.version}")
    archive = _obtain_archive(build, out, bootstrap_archive, layers_dir)
    try:
        _extract(archive, layer_dir, redact_url(build.url))
    finally:
        if archive != bootstrap_archive:
            archive.unlink(missing_ok=True)
    for stdlib in sorted(layer_dir.glob("lib/python3*")):
        if stdlib.is_dir():
            compile_bytecode(layer_dir / "bin" / "python3", stdlib, env)
    layer.finish()
    return layer_dir


def _obtain_archive(build: PythonBuild, out: Output, bootstrap: Optional[Path], scratch: Path) -> Path:
    shown = redact_url(build.url)
    if bootstrap is not None and bootstrap.is_file() and sha256_file(bootstrap) == build.sha256:
        return bootstrap
    fd, name = tempfile.mkstemp(prefix=".python-download-", suffix=".tar.gz", dir=scratch)
    os.close(fd)
    path = Path(name)
    last_error = ""
    started = time.monotonic()
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(build.url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response, \
                    path.open("wb") as handle:  # noqa: S310 - URL from the manifest
                shutil.copyfileobj(response, handle, 1 << 20)
            break
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last_error = str(getattr(exc, "reason", exc))
            if attempt == DOWNLOAD_ATTEMPTS:
                path.unlink(missing_ok=True)
                raise DownloadFailed(url=shown, reason=last_error) from None
            out.step(f"Download attempt {attempt} failed ({last_error}); retrying")
            time.sleep(attempt)
    actual = sha256_file(path)
    if actual != build.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumMismatch(url=shown, expected=build.sha256, actual=actual)
    out.step(f"Downloaded and verified {shown} ({time.monotonic() - started:.1f}s)")
    return path


def _extract(archive: Path, layer_dir: Path, shown_url: str) -> None:
    """Unpack python/... into the layer dir, refusing anything that would land outside it."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = []
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if not parts or parts[0] != "python":
                    continue
                relative = Path(*parts[1:]) if len(parts) > 1 else None
                if relative is None:
                    continue
                if member.islnk() or member.ischr() or member.isblk() or member.isfifo():
                    continue  # install_only archives have none; never worth trusting
                unsafe = member.name.startswith("/") or ".." in parts
                if unsafe or not (member.isreg() or member.isdir() or member.issym()):
                    raise ArchiveInvalid(url=shown_url, reason=f"unsafe entry {member.name!r}")
                if member.issym() and _escapes(relative, member.linkname):
                    raise ArchiveInvalid(url=shown_url, reason=f"unsafe link {member.name!r}")
                member.name = str(relative)
                members.append(member)
            if not any(m.name == "bin/python3" for m in members):
                raise ArchiveInvalid(url=shown_url, reason="it has no python/bin/python3")
            # Members were checked above; "fully_trusted" keeps 3.12+ from warning and 3.14 from re-filtering.
            options = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
            for member in members:
                tar.extract(member, layer_dir, **options)  # type: ignore[arg-type]
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveInvalid(url=shown_url, reason=str(exc)) from None


def _escapes(member: Path, linkname: str) -> bool:
    if os.path.isabs(linkname):
        return True
    target = os.path.normpath(os.path.join(os.path.dirname(str(member)), linkname))
    return target == ".." or target.startswith("../")
