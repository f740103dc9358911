"""A python-build-standalone-layout CPython for another architecture, repackaged from Debian's own packages.

The arm64 end-to-end test needs an aarch64 interpreter served through BP_PYTHON_MANIFEST, and nothing but the
package registries is reachable here, so it is made from Debian 12's arm64 packages of CPython 3.11
(``python3.11-minimal``, ``libpython3.11-minimal``, ``libpython3.11-stdlib``, ``libexpat1``): the very .debs
``tools/e2e/base-images.sh --arch arm64`` downloads into ``$CACHE/debs`` for the arm64 build image. They are
unpacked with ``dpkg-deb -x`` (no emulation needed) and laid out as an ``install_only`` archive::

    python/bin/python3.11            Debian's binary (libpython linked in statically), RPATH $ORIGIN/../lib
    python/bin/python3, python       -> python3.11
    python/lib/libexpat.so.1         the one library the binary needs that the run image lacks (PBS bundles its own)
    python/lib/python3.11/...        Debian's stdlib and lib-dynload, without test packages, EXTERNALLY-MANAGED
                                     and the sitecustomize.py link into /etc
    python/lib/python3.11/ensurepip  upstream CPython 3.11's ensurepip with its bundled pip wheel (Debian splits
                                     ensurepip out and removes the wheels), taken from this machine's pyenv 3.11.7
    python/lib/python3.11/site-packages/   (empty)

Debian's sysconfig records prefix ``/usr`` and the cross compiler ``aarch64-linux-gnu-gcc``; the prefix is
rewritten to ``/install`` as python-build-standalone records it, the compiler is left as Debian wrote it, so the
buildpack's sysconfig rewrite has real work to do. There are no headers (``libpython3.11-dev`` is not fetched), so
the buildpack makes the venv with ``python -m venv`` rather than writing it itself.

API: ``make_archive(debs_dir, cache_dir, arch="arm64") -> (version, archive_path, sha256)``.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import os
import pprint
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

from support import python_archive

__all__ = ["DebianPythonError", "make_archive", "DEB_ARCH_TRIPLETS"]

#: Debian architecture -> (multiarch triplet, the arch name in archive file names).
DEB_ARCH_TRIPLETS = {"arm64": ("aarch64-linux-gnu", "aarch64"), "amd64": ("x86_64-linux-gnu", "x86_64")}
MINOR = "3.11"
PACKAGES = (f"python{MINOR}-minimal", f"libpython{MINOR}-minimal", f"libpython{MINOR}-stdlib", "libexpat1")
#: Where the stdlib's ensurepip (with its bundled wheels) comes from: an upstream CPython of the same minor.
ENSUREPIP_SOURCE_VERSION = "3.11.7"
_SCRIPT_SHA = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
_EXCLUDED = {"__pycache__", "test", "tests", "idle_test"}


class DebianPythonError(RuntimeError):
    """The packages are missing or the archive cannot be made."""


def _debs(debs_dir: Path, arch: str) -> Dict[str, Path]:
    found: Dict[str, Path] = {}
    for package in PACKAGES:
        candidates = sorted(debs_dir.glob(f"{package}_*_{arch}.deb"))
        if not candidates:
            raise DebianPythonError(
                f"{debs_dir} has no {package}_*_{arch}.deb: run tools/e2e/base-images.sh --arch {arch}, whose "
                f"debootstrap downloads Debian's {arch} python3 packages there")
        found[package] = candidates[-1]
    return found


def _upstream_version(deb: Path) -> str:
    """'3.11.2' from python3.11-minimal_3.11.2-6+deb12u8_arm64.deb."""
    match = re.match(r"[^_]+_(?:\d+:)?(\d+\.\d+\.\d+)", deb.name)
    if not match:
        raise DebianPythonError(f"cannot read a version from {deb.name}")
    return match.group(1)


def _prefix_to_install(text: str) -> str:
    """Debian's _sysconfigdata with the install prefix /usr recorded as /install (what PBS records)."""
    start = text.index("build_time_vars = ") + len("build_time_vars = ")
    variables = ast.literal_eval(text[start:])
    pattern = re.compile(r"(?<![\w./-])/usr(?=/|\s|$)")
    rewritten = {k: pattern.sub(python_archive.PLACEHOLDER_PREFIX, v) if isinstance(v, str) else v
                 for k, v in variables.items()}
    return ("# system configuration generated and used by the sysconfig module\n"
            f"build_time_vars = {pprint.pformat(rewritten)}\n")


def _layout(root: Path, top: Path, arch: str) -> None:
    triplet, _ = DEB_ARCH_TRIPLETS[arch]
    patchelf = python_archive._ensure_tool("patchelf", "patchelf")
    (top / "bin").mkdir(parents=True)
    exe = top / "bin" / f"python{MINOR}"
    shutil.copy2(root / "usr" / "bin" / f"python{MINOR}", exe)
    for alias in ("python3", "python"):
        (top / "bin" / alias).symlink_to(f"python{MINOR}")
    lib = top / "lib"
    stdlib = lib / f"python{MINOR}"
    shutil.copytree(root / "usr" / "lib" / f"python{MINOR}", stdlib, symlinks=True,
                    ignore=lambda _d, names: [n for n in names if n in _EXCLUDED])
    (stdlib / "EXTERNALLY-MANAGED").unlink(missing_ok=True)
    for link in [p for p in stdlib.rglob("*") if p.is_symlink() and os.readlink(p).startswith("/")]:
        link.unlink()  # sitecustomize.py -> /etc/python3.11/sitecustomize.py, a Debian system hook
    (stdlib / "site-packages").mkdir(exist_ok=True)
    upstream = python_archive.default_source_root() / ENSUREPIP_SOURCE_VERSION / "lib" / f"python{MINOR}" / "ensurepip"
    if not (upstream / "_bundled").is_dir():
        raise DebianPythonError(f"no upstream ensurepip with bundled wheels at {upstream}")
    shutil.rmtree(stdlib / "ensurepip", ignore_errors=True)
    shutil.copytree(upstream, stdlib / "ensurepip", ignore=lambda _d, names: [n for n in names if n in _EXCLUDED])
    expat = sorted(p for d in ("lib", "usr/lib") for p in (root / d / triplet).glob("libexpat.so.1.*"))
    if not expat:
        raise DebianPythonError(f"libexpat1 has no lib/{triplet}/libexpat.so.1.*")
    shutil.copy2(expat[-1], lib / "libexpat.so.1")
    python_archive._run([patchelf, "--set-rpath", "$ORIGIN/../lib", str(exe)])
    for data in stdlib.glob("_sysconfigdata_*.py"):
        if not data.is_symlink():
            data.write_text(_prefix_to_install(data.read_text()))


def _members(top: Path) -> Dict[str, "python_archive._Member"]:
    builder = python_archive._Builder.__new__(python_archive._Builder)
    builder.members = {}
    builder.add_tree(top, python_archive.TOP)
    return builder.members


def make_archive(debs_dir: Path, cache_dir: Path, arch: str = "arm64") -> Tuple[str, Path, str]:
    """(version, path, sha256) of the archive, made once per set of packages and cached in `cache_dir`."""
    debs = _debs(Path(debs_dir), arch)
    version = _upstream_version(debs[PACKAGES[0]])
    key = " ".join([_SCRIPT_SHA, *(d.name for d in debs.values())])
    cache_dir.mkdir(parents=True, exist_ok=True)
    archive = cache_dir / f"cpython-{version}-debian-linux-{DEB_ARCH_TRIPLETS[arch][1]}-install_only.tar.gz"
    key_file = archive.with_name(archive.name + ".key")
    with open(cache_dir / f".{archive.name}.lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        digest = python_archive._cached(archive)
        if digest and key_file.is_file() and key_file.read_text() == key:
            return version, archive, digest
        with tempfile.TemporaryDirectory(prefix="debian-python-", dir=str(cache_dir)) as tmp:
            root, top = Path(tmp, "root"), Path(tmp, "python")
            for deb in debs.values():
                _dpkg_extract(deb, root)
            _layout(root, top, arch)
            partial = Path(tmp, archive.name)
            python_archive._write_archive(_members(top), partial)
            digest = python_archive._sha256(partial)
            os.chmod(partial, 0o644)
            os.replace(partial, archive)
        python_archive._atomic_write_text(archive.with_name(archive.name + ".sha256"), f"{digest}  {archive.name}\n")
        key_file.write_text(key)
    return version, archive, digest


def _dpkg_extract(deb: Path, root: Path) -> None:
    result = subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], capture_output=True, text=True)
    if result.returncode != 0:
        raise DebianPythonError(f"dpkg-deb -x {deb} failed: {result.stderr.strip()}")


def smoke_command(archive: Path, workdir: Path) -> List[str]:
    """A command that unpacks the archive in `workdir` and runs its interpreter (under binfmt for other arches)."""
    return ["sh", "-c", f"tar -xzf {archive} -C {workdir} && {workdir}/python/bin/python3 -c "
                        "'import ssl, sqlite3, json, pyexpat, venv, ensurepip, sys; print(sys.version)'"]
