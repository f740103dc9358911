"""The interpreter layer (launch, build, cache): a relocatable CPython (python-build-standalone layout)."""

from __future__ import annotations

import os
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional

from .. import sysconfig_rewrite
from ..bytecode import compile_bytecode_in_background
from ..cnb.layer import LayerRef, LayerTypes, cached_layer
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..download import DownloadError, fetch, url_problem
from ..errors import ArchiveInvalid, BuildConfigNotAdapted, ChecksumMismatch, DownloadFailed, render_warning
from ..manifest import BUILT_IN, PythonBuild
from ..output import Output
from ..redact import redact_url
from ..sbom import write_python_sbom
from ..utils import sha256_file
from ..venv_layout import stdlib_dirs

if TYPE_CHECKING:
    from ..analysis import Analysis

__all__ = ["PythonLayerMetadata", "cache_invalidation_reasons", "install_python"]

LAYER_NAME = "python"
# Bump when the layer's layout changes, so old caches are not trusted.
# 2: sysconfig rewritten for this machine (cc, the layer's prefix), CPATH for C builds, SBOM.
LAYER_FORMAT = 2
DOWNLOAD_ATTEMPTS = 3
# The whole download, retries included: an interpreter archive is 20-40 MB, so this allows for a slow link
# but not for a server that trickles bytes forever.
DOWNLOAD_TIME_LIMIT_SECONDS = 600


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


# Tests and what a web app never imports, left uncompiled (a module without bytecode still imports; it compiles
# then): IDLE, Tk, turtle, 2to3, pydoc's topics, ensurepip, and the pure-Python fallbacks of C modules (_pydecimal,
# _pyio, _pydatetime: never imported beside their C versions). Nothing the build itself runs (pip, uv, collectstatic)
# may be left out: its import would write a timestamp-based .pyc into the layer (zipfile's cp437 codec, for one).
_NOT_COMPILED = (r"/(test|tests|idle_test|idlelib|tkinter|turtledemo|lib2to3|pydoc_data|ensurepip)/"
                 r"|/(_pydecimal|_pyio|_pydatetime|turtle)\.py$")


def install_python(analysis: Analysis, out: Output) -> LayerRef[PythonLayerMetadata]:
    """The interpreter layer. Use it as a context manager around the build's other work: the layer is finished when
    the block ends, whatever happened in it (the interpreter is complete, and the next build reuses it), after the
    standard library's background compile. A build that fails before that leaves it unfinished, so no later build
    trusts it."""
    _report_version(analysis, out)
    out.header("Installing Python")
    build, target = analysis.python, analysis.target
    layers_dir = analysis.layers_dir
    bootstrap = analysis.build_env.platform.get("PYTHON_BUILDPACK_BOOTSTRAP_ARCHIVE")
    bootstrap_archive = Path(bootstrap) if bootstrap else None
    env = {"PATH": analysis.env.get("PATH", "/usr/bin:/bin")}
    new = PythonLayerMetadata(LAYER_FORMAT, build.label, build.sha256, target.arch,
                              target.distro_name, target.distro_version)
    layer = cached_layer(layers_dir, LAYER_NAME, LayerTypes(launch=True, build=True, cache=True), new,
                         cache_invalidation_reasons, complete=lambda path: (path / "bin" / "python3").exists())
    if layer.reused:
        out.step(f"Using cached Python {build.described}")
        write_python_sbom(layers_dir, LAYER_NAME, build.version, build.sha256, redact_url(build.url))
        return layer
    if layer.old is not None:
        out.step(f"Discarding cached Python {layer.old.python_version} since:")
        out.bullet_list(layer.reasons)
    elif layer.unreadable:
        out.step("Discarding the cached Python layer since its metadata is missing or from an unknown format")

    layer_dir = layer.path
    out.step(f"Installing Python {build.described}")
    archive = _obtain_archive(build, out, bootstrap_archive, layers_dir)
    try:
        _extract(archive, layer_dir, redact_url(build.url))
    finally:
        if archive != bootstrap_archive:
            archive.unlink(missing_ok=True)
    _adapt_build_config(layer_dir, out)
    # The stdlib compiles while the dependencies install; finishing the layer waits for it.
    compiles = [compile_bytecode_in_background(layer_dir / "bin" / "python3", stdlib, env, exclude=_NOT_COMPILED)
                for stdlib in stdlib_dirs(layer_dir)]
    layer.before_finish.extend(compile_run.wait for compile_run in compiles)
    layer.before_finish.append(
        lambda: write_python_sbom(layers_dir, LAYER_NAME, build.version, build.sha256, redact_url(build.url)))
    return layer


def _report_version(analysis: Analysis, out: Output) -> None:
    resolution = analysis.resolution
    out.header("Determining Python version")
    out.step(resolution.summary())
    for warning in resolution.warnings:
        out.warning(*render_warning(warning))
    if analysis.manifest_source != BUILT_IN:
        out.step(f"Interpreter builds come from {analysis.manifest_source}")


def _obtain_archive(build: PythonBuild, out: Output, bootstrap: Optional[Path], scratch: Path,
                    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                    time_limit: float = DOWNLOAD_TIME_LIMIT_SECONDS) -> Path:
    shown = redact_url(build.url)
    if bootstrap is not None and bootstrap.is_file() and sha256_file(bootstrap) == build.sha256:
        return bootstrap
    problem = url_problem(build.url)
    if problem:
        raise DownloadFailed(url=shown, reason=f"the URL is not usable: {problem}")
    fd, name = tempfile.mkstemp(prefix=".python-download-", suffix=".tar.gz", dir=scratch)
    os.close(fd)
    path = Path(name)
    started = clock()
    try:
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            left = time_limit - (clock() - started)
            try:
                if left <= 0:
                    raise DownloadError(f"it took longer than the time limit of {time_limit:.0f} seconds",
                                        retryable=False)
                with path.open("wb") as handle:
                    fetch(build.url, handle, time_limit=left, clock=clock)
                break
            except DownloadError as exc:
                if not exc.retryable or attempt == DOWNLOAD_ATTEMPTS:
                    tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                    raise DownloadFailed(url=shown, reason=exc.reason + tries) from None
                out.step(f"Download attempt {attempt} failed ({exc.reason}); retrying")
                sleep(attempt)
        actual = sha256_file(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if actual != build.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumMismatch(url=shown, expected=build.sha256, actual=actual)
    out.step(f"Downloaded and verified {shown} ({clock() - started:.1f}s)")
    return path


_REWRITERS: tuple[tuple[str, Callable[[str, str], str]], ...] = (
    ("lib/python3*/_sysconfigdata_*.py", sysconfig_rewrite.rewrite_sysconfigdata),
    ("lib/python3*/_sysconfig_vars_*.json", sysconfig_rewrite.rewrite_config_json),
    ("lib/python3*/config-3*/Makefile", sysconfig_rewrite.rewrite_makefile),
    ("lib/pkgconfig/*.pc", sysconfig_rewrite.rewrite_pkgconfig),
)


def _adapt_build_config(layer_dir: Path, out: Output) -> None:
    """Point the interpreter's recorded compilers and prefix at this machine (see sysconfig_rewrite), and put
    its headers on the C include path of later build steps (CPATH: the CNB spec adds only <layer>/include)."""
    problems = []
    for pattern, rewrite in _REWRITERS:
        for path in sorted(layer_dir.glob(pattern)):
            try:
                text = path.read_text(encoding="utf-8")
                new = rewrite(text, str(layer_dir))
                if new != text:
                    path.write_text(new, encoding="utf-8")
            except (OSError, ValueError, SyntaxError) as exc:
                problems.append(f"{path.relative_to(layer_dir)}: {exc}")
    if problems:
        out.warning(*render_warning(BuildConfigNotAdapted(problems)))
    headers = sorted(p for p in layer_dir.glob("include/python3*") if (p / "Python.h").is_file())
    if headers:
        LayerEnv().add(Scope.BUILD, Behavior.PREPEND, "CPATH", str(headers[0]), delimiter=":").write(layer_dir)


def _extract(archive: Path, layer_dir: Path, shown_url: str) -> None:
    """Unpack python/... into the layer dir, refusing anything that would land outside it. One pass over the
    stream, each entry checked before it is written (listing first and extracting after decompresses twice); an
    archive refused half-way leaves a partial layer that is never finished, so no build trusts it."""
    # Members are checked here; "fully_trusted" keeps 3.12+ from warning and 3.14 from re-filtering.
    options = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
    found_python = False
    try:
        with tarfile.open(archive, "r|gz") as tar:
            for member in tar:
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
                found_python = found_python or member.name == "bin/python3"
                tar.extract(member, layer_dir, **options)  # type: ignore[arg-type]
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveInvalid(url=shown_url, reason=str(exc)) from None
    if not found_python:
        raise ArchiveInvalid(url=shown_url, reason="it has no python/bin/python3")


def _escapes(member: Path, linkname: str) -> bool:
    if os.path.isabs(linkname):
        return True
    target = os.path.normpath(os.path.join(os.path.dirname(str(member)), linkname))
    return target == ".." or target.startswith("../")
