#!/usr/bin/env python3
"""Build relocatable CPython archives in python-build-standalone layout.

The buildpack installs CPython from python-build-standalone (PBS)
``install_only`` archives.  Tests must not download them, so this module
repackages an interpreter that is already installed on the machine (a pyenv
build configured with ``--enable-shared``) into the same layout::

    python/bin/python3.X            ELF, RPATH $ORIGIN/../lib
    python/bin/python3 -> python3.X
    python/bin/python  -> python3.X
    python/bin/python3.X-config, python3-config, pydoc3.X, pydoc3, ...
    python/include/python3.X/...
    python/lib/libpython3.X.so.1.0, libpython3.X.so, libpython3.so
    python/lib/pkgconfig/*.pc
    python/lib/python3.X/...        stdlib; lib-dynload/*.so RUNPATH $ORIGIN/../..
    python/lib/python3.X/site-packages/   (empty)
    python/share/man/man1/python3*.1

Left out compared with the source install: everything in site-packages,
test/tests/idle_test packages, __pycache__, the static
``config-3.X-*/libpython3.X.a`` and pyenv's extra ``bin/`` entries (pip and
console scripts of installed packages).  ELF files are stripped of debug info
(``strip --strip-debug``), then patched with ``patchelf``.  The build-time
prefix is rewritten to ``/install`` in sysconfig data, Makefile and
python-config (as PBS does) and the ``-L/-I/-rpath`` flags pointing at it are
dropped.  ``ensurepip/_bundled/*.whl`` is kept, so ``python3 -m venv`` works.

The archive is deterministic: entries sorted, mtime fixed, uid/gid 0, empty
owner names, normalized modes, gzip header mtime 0 and no file name.

Standard library only; Python 3.9+.  Needs ``patchelf`` and ``strip``
(binutils); when missing and running as root with apt-get available they are
installed, otherwise a clear error is raised.

API::

    make_archive(version, cache_dir) -> (archive_path, sha256_hex)

CLI::

    python tests/support/python_archive.py 3.11.7 --cache-dir DIR [--force] [--verify]

prints ``<path> <sha256>``.
"""

from __future__ import annotations

import argparse
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

__all__ = ["make_archive", "archive_name", "verify_archive", "ArchiveError"]

#: mtime of every archive member (2020-01-01T00:00:00Z; >= 1980 keeps zip
#: based tooling happy).
FIXED_MTIME = 1577836800
#: gzip level: 6 is the gzip default and a good speed/size trade-off.
GZIP_LEVEL = 6
#: What the build-time prefix is replaced with in text files (PBS uses /install).
PLACEHOLDER_PREFIX = "/install"
#: Archive top directory, as in PBS install_only archives.
TOP = "python"
#: Imports checked by verify_archive().
SMOKE_IMPORTS = (
    "ssl", "sqlite3", "ctypes", "venv", "ensurepip", "lzma", "bz2", "zlib",
    "readline", "uuid",
)
# Directory names dropped anywhere below lib/python3.X.
_EXCLUDED_DIR_NAMES = {"__pycache__", "test", "tests", "idle_test"}
_ELF_MAGIC = b"\x7fELF"


class ArchiveError(RuntimeError):
    """Raised when an archive cannot be built or verified."""


#: Variants: "" is this machine's sysconfig (gcc) with the prefix replaced by /install; "pbs-sysconfig"
#: also records python-build-standalone's build machine: clang compilers, llvm-ar, a clang-only flag and
#: pkgconfig files with prefix=/install, so a C extension build fails unless the buildpack rewrites them.
VARIANTS = ("", "pbs-sysconfig")
#: What python-build-standalone's x86_64 builds record (compilers of its build machine).
PBS_COMMANDS = {
    "CC": "clang -pthread",
    "CXX": "clang++ -pthread",
    "CPP": "clang -E",
    "LINKCC": "clang -pthread",
    "LDSHARED": "clang -pthread -shared -fuse-ld=lld",
    "BLDSHARED": "clang -pthread -shared -fuse-ld=lld",
    "LDCXXSHARED": "clang++ -pthread -shared",
    "AR": "/tools/llvm/bin/llvm-ar",
}
PBS_CLANG_ONLY_FLAG = "-fdebug-default-version=4"


def archive_name(version: str, variant: str = "") -> str:
    tag = f"-{variant}" if variant else ""
    return f"cpython-{version}{tag}-linux-x86_64-install_only.tar.gz"


# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------

def _ensure_tool(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = [apt, "install", "-y", "--no-install-recommends", package]
        res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        if res.returncode != 0:
            # The package lists may simply be missing; refresh once and retry.
            subprocess.run([apt, "update"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        path = shutil.which(tool)
        if path:
            return path
        raise ArchiveError(
            f"'{tool}' is required to build relocatable Python archives and "
            f"'apt-get install -y {package}' failed:\n{res.stdout[-2000:]}")
    raise ArchiveError(
        f"'{tool}' is required to build relocatable Python archives but was "
        f"not found on PATH; install it (Debian/Ubuntu: "
        f"'apt-get install -y {package}').")


def _run(cmd: List[str]) -> str:
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if res.returncode != 0:
        raise ArchiveError(
            f"command failed ({res.returncode}): {' '.join(cmd)}\n"
            f"{res.stderr.strip()}")
    return res.stdout


# --------------------------------------------------------------------------
# Source interpreter
# --------------------------------------------------------------------------

def default_source_root() -> Path:
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return Path(root) / "versions"


def _parse_version(version: str) -> Tuple[int, int, int]:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ArchiveError(
            f"version must be a final X.Y.Z release, got {version!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def _inspect_source(prefix: Path, version: str) -> Dict[str, object]:
    major, minor, _ = _parse_version(version)
    exe = prefix / "bin" / f"python{major}.{minor}"
    if not exe.is_file():
        raise ArchiveError(f"no interpreter for {version} at {exe}")
    code = (
        "import json, sys, sysconfig\n"
        "v = sysconfig.get_config_var\n"
        "print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3],"
        " 'releaselevel': sys.version_info.releaselevel,"
        " 'prefix': sys.prefix, 'shared': v('Py_ENABLE_SHARED'),"
        " 'gil_disabled': v('Py_GIL_DISABLED'), 'abiflags': sys.abiflags,"
        " 'ldlibrary': v('LDLIBRARY'), 'instsoname': v('INSTSONAME'),"
        " 'libpl': v('LIBPL'), 'library': v('LIBRARY'),"
        " 'multiarch': v('MULTIARCH')}))\n"
    )
    env = {k: val for k, val in os.environ.items()
           if k not in ("PYTHONHOME", "PYTHONPATH")}
    res = subprocess.run([str(exe), "-I", "-S", "-c", code], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if res.returncode != 0:
        raise ArchiveError(f"cannot run {exe}: {res.stderr.strip()}")
    info = json.loads(res.stdout)
    if info["version"] != version or info["releaselevel"] != "final":
        raise ArchiveError(
            f"{exe} is Python {info['version']} ({info['releaselevel']}), "
            f"expected {version}")
    if os.path.realpath(info["prefix"]) != os.path.realpath(prefix):
        raise ArchiveError(f"{exe} reports prefix {info['prefix']}, "
                           f"expected {prefix}")
    if info["shared"] != 1:
        raise ArchiveError(
            f"{prefix} was not built with --enable-shared (Py_ENABLE_SHARED="
            f"{info['shared']}); rebuild it with "
            f"PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install {version}")
    if info["gil_disabled"] or info["abiflags"]:
        raise ArchiveError(f"{prefix}: only default (non-debug, GIL) builds "
                           f"are supported, abiflags={info['abiflags']!r}")
    return info


# --------------------------------------------------------------------------
# Building the member list
# --------------------------------------------------------------------------

class _Member:
    __slots__ = ("arcname", "kind", "source", "linkname", "mode")

    def __init__(self, arcname: str, kind: str, source: Optional[Path] = None,
                 linkname: str = "", mode: int = 0o644) -> None:
        self.arcname = arcname   # path inside the archive
        self.kind = kind         # "dir" | "file" | "symlink"
        self.source = source     # file to read (regular files only)
        self.linkname = linkname
        self.mode = mode


def _is_elf(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == _ELF_MAGIC


def _file_mode(path: Path) -> int:
    return 0o755 if os.stat(path).st_mode & 0o111 else 0o644


class _Builder:
    def __init__(self, version: str, prefix: Path, info: Dict[str, object],
                 staging: Path) -> None:
        major, minor, _ = _parse_version(version)
        self.version = version
        self.xy = f"{major}.{minor}"
        self.prefix = prefix
        self.old_prefix = str(info["prefix"])
        self.info = info
        self.staging = staging
        self.members: Dict[str, _Member] = {}

    # -- helpers ---------------------------------------------------------
    def _add_dirs_for(self, arcname: str) -> None:
        parts = arcname.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.members:
                self.members[d] = _Member(d, "dir", mode=0o755)

    def add_dir(self, arcname: str) -> None:
        self._add_dirs_for(arcname + "/x")

    def add_file(self, arcname: str, source: Path,
                 mode: Optional[int] = None) -> None:
        self._add_dirs_for(arcname)
        self.members[arcname] = _Member(
            arcname, "file", source=source,
            mode=_file_mode(source) if mode is None else mode)

    def add_symlink(self, arcname: str, target: str) -> None:
        if target.startswith("/"):
            raise ArchiveError(f"absolute symlink {arcname} -> {target}")
        self._add_dirs_for(arcname)
        self.members[arcname] = _Member(arcname, "symlink", linkname=target,
                                        mode=0o777)

    def add_tree(self, src_dir: Path, arc_dir: str, excluded_names=(),
                 exclude=None) -> None:
        """Add src_dir recursively as arc_dir (symlinks kept, relative only)."""
        self.add_dir(arc_dir)
        for root, dirs, files in os.walk(src_dir):
            rel_root = os.path.relpath(root, src_dir)
            arc_root = arc_dir if rel_root == "." else f"{arc_dir}/{rel_root}"
            keep_dirs = []
            for d in sorted(dirs):
                full = Path(root, d)
                arc = f"{arc_root}/{d}"
                if d in excluded_names or (exclude and exclude(arc)):
                    continue
                if full.is_symlink():
                    self._add_link_from(full, arc, src_dir)
                    continue
                self.add_dir(arc)
                keep_dirs.append(d)
            dirs[:] = keep_dirs
            for f in sorted(files):
                full = Path(root, f)
                arc = f"{arc_root}/{f}"
                if exclude and exclude(arc):
                    continue
                if full.is_symlink():
                    self._add_link_from(full, arc, src_dir)
                elif full.is_file():
                    self.add_file(arc, full)
                # sockets/fifos etc. are ignored

    def _add_link_from(self, full: Path, arc: str, tree_root: Path) -> None:
        target = os.readlink(full)
        resolved = os.path.realpath(full)
        if target.startswith("/") or not (
                resolved == str(tree_root.resolve())
                or resolved.startswith(str(tree_root.resolve()) + os.sep)):
            raise ArchiveError(f"symlink {full} -> {target} points outside "
                               f"{tree_root}; cannot relocate it")
        self.add_symlink(arc, target)

    def stage_copy(self, arcname: str) -> Path:
        """Copy a member's source into the staging dir so it can be edited."""
        m = self.members[arcname]
        assert m.kind == "file" and m.source is not None
        dst = self.staging / arcname
        if m.source != dst:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(m.source, dst)
            os.chmod(dst, 0o755 if m.mode & 0o111 else 0o644)
            m.source = dst
        return dst

    # -- collection ------------------------------------------------------
    def collect(self) -> None:
        xy, p = self.xy, self.prefix
        top = TOP
        self.add_dir(top)

        # bin/
        binsrc = p / "bin"
        exe = binsrc / f"python{xy}"
        self.add_file(f"{top}/bin/python{xy}", exe, mode=0o755)
        self.add_symlink(f"{top}/bin/python3", f"python{xy}")
        self.add_symlink(f"{top}/bin/python", f"python{xy}")
        cfg = binsrc / f"python{xy}-config"
        if cfg.is_file():
            self.add_file(f"{top}/bin/python{xy}-config", cfg, mode=0o755)
            self.add_symlink(f"{top}/bin/python3-config", f"python{xy}-config")
        for script, alias in ((f"pydoc{xy}", "pydoc3"),
                              (f"idle{xy}", "idle3"),
                              (f"2to3-{xy}", "2to3")):
            src = binsrc / script
            if src.is_file() and not src.is_symlink():
                self.add_file(f"{top}/bin/{script}", src, mode=0o755)
                self.add_symlink(f"{top}/bin/{alias}", script)

        # include/
        self.add_tree(p / "include", f"{top}/include")

        # lib/ (top-level shared libraries and pkgconfig)
        libsrc = p / "lib"
        for entry in sorted(os.listdir(libsrc)):
            full = libsrc / entry
            arc = f"{top}/lib/{entry}"
            if entry.startswith("libpython") and ".so" in entry:
                if full.is_symlink():
                    self._add_link_from(full, arc, libsrc)
                else:
                    self.add_file(arc, full)
            elif entry == "pkgconfig" and full.is_dir():
                self.add_tree(full, arc)
        soname = str(self.info["instsoname"])
        if f"{top}/lib/{soname}" not in self.members:
            raise ArchiveError(f"{libsrc}/{soname} not found")

        # lib/python3.X/ (stdlib)
        stdlib_arc = f"{top}/lib/python{xy}"
        libpl_rel = os.path.relpath(str(self.info["libpl"]), self.old_prefix)
        static_lib = f"{top}/{libpl_rel}/{self.info['library']}"

        def exclude(arc: str) -> bool:
            if arc.startswith(f"{stdlib_arc}/site-packages/"):
                return True
            if arc == static_lib:
                return True
            return arc.endswith((".pyc", ".pyo"))

        self.add_tree(libsrc / f"python{xy}", stdlib_arc,
                      excluded_names=_EXCLUDED_DIR_NAMES, exclude=exclude)
        self.add_dir(f"{stdlib_arc}/site-packages")
        self.add_dir(f"{stdlib_arc}/lib-dynload")
        if not any(a.startswith(f"{stdlib_arc}/ensurepip/_bundled/pip-")
                   and a.endswith(".whl") for a in self.members):
            raise ArchiveError(f"{p}: ensurepip has no bundled pip wheel")

        # share/man/man1/python3*.1
        man = p / "share" / "man" / "man1"
        if man.is_dir():
            for entry in sorted(os.listdir(man)):
                if not (entry.startswith("python3") and entry.endswith(".1")):
                    continue
                full = man / entry
                arc = f"{top}/share/man/man1/{entry}"
                if full.is_symlink():
                    self._add_link_from(full, arc, man)
                elif full.is_file():
                    self.add_file(arc, full)

        # Dangling symlinks (e.g. to something we excluded) are dropped.
        for arc, m in list(self.members.items()):
            if m.kind == "symlink":
                target = os.path.normpath(
                    os.path.join(os.path.dirname(arc), m.linkname))
                if target not in self.members:
                    del self.members[arc]

    # -- modifications ---------------------------------------------------
    def fix_elves(self, patchelf: str, strip: str) -> None:
        xy = self.xy
        exe_arc = f"{TOP}/bin/python{xy}"
        lib_arc = f"{TOP}/lib"
        old_lib = f"{self.old_prefix}/lib"
        for arc, m in sorted(self.members.items()):
            if m.kind != "file" or not _is_elf(m.source):
                continue
            dst = self.stage_copy(arc)
            # Strip first: patching then stripping can corrupt ELF files.
            _run([strip, "--strip-debug", str(dst)])
            if arc == exe_arc:
                # DT_RPATH (like PBS) so LD_LIBRARY_PATH cannot swap libpython.
                _run([patchelf, "--force-rpath", "--set-rpath",
                      "$ORIGIN/../lib", str(dst)])
                continue
            if dst.suffix == ".o" or dst.name.endswith(".a"):
                continue
            rpath = _run([patchelf, "--print-rpath", str(dst)]).strip()
            if not rpath:
                continue
            rel = os.path.relpath(lib_arc, os.path.dirname(arc))
            origin = "$ORIGIN" if rel == "." else f"$ORIGIN/{rel}"
            new = []
            for entry in rpath.split(":"):
                entry = entry.rstrip("/")
                if entry == old_lib:
                    entry = origin
                elif entry == self.old_prefix or entry.startswith(
                        self.old_prefix + "/"):
                    raise ArchiveError(
                        f"{arc}: unexpected RUNPATH entry {entry}")
                if entry and entry not in new:
                    new.append(entry)
            new_rpath = ":".join(new)
            if new_rpath != rpath:
                _run([patchelf, "--set-rpath", new_rpath, str(dst)])

    def fix_text_files(self) -> None:
        old = self.old_prefix
        xy = self.xy
        stdlib_arc = f"{TOP}/lib/python{xy}"
        for arc, m in sorted(self.members.items()):
            if m.kind != "file" or _is_elf(m.source):
                continue
            if arc.endswith((".whl", ".a", ".o")):
                continue
            data = m.source.read_bytes()
            if old.encode() not in data:
                continue
            text = data
            name = arc.rsplit("/", 1)[-1]
            if arc.startswith(f"{TOP}/bin/") and text.startswith(b"#!") and \
                    not name.endswith("-config"):
                # PBS-style relocatable shebang.
                first, _, rest = text.partition(b"\n")
                if b"/python" not in first:
                    raise ArchiveError(f"unexpected shebang in {arc}: {first!r}")
                text = (b"#!/bin/sh\n"
                        b"'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")"
                        b"/python" + xy.encode() + b"\" \"$0\" \"$@\"\n"
                        b"' '''\n" + rest)
            if arc.startswith(f"{TOP}/lib/pkgconfig/"):
                text = text.replace(f"prefix={old}\n".encode(),
                                    b"prefix=${pcfiledir}/../..\n")
                text = text.replace(f"libdir={old}/lib\n".encode(),
                                    b"libdir=${exec_prefix}/lib\n")
            # Build flags pointing at the build prefix are useless elsewhere.
            for flag in (f" -Wl,-rpath,{old}/lib", f"-Wl,-rpath,{old}/lib",
                         f" -L{old}/lib", f"-L{old}/lib",
                         f" -I{old}/include", f"-I{old}/include"):
                text = text.replace(flag.encode(), b"")
            text = text.replace(old.encode(), PLACEHOLDER_PREFIX.encode())
            allowed = (f"{stdlib_arc}/_sysconfigdata", f"{stdlib_arc}/config-",
                       f"{TOP}/lib/pkgconfig/", f"{TOP}/bin/")
            if not arc.startswith(allowed):
                raise ArchiveError(
                    f"{arc} mentions the build prefix {old}; not expected")
            dst = self.stage_copy(arc)
            dst.write_bytes(text)

    def mimic_pbs_sysconfig(self) -> None:
        """Make sysconfig look like python-build-standalone's (see VARIANTS)."""
        import ast
        import pprint
        import re

        stdlib_arc = f"{TOP}/lib/python{self.xy}"
        for arc in sorted(self.members):
            if self.members[arc].kind != "file":
                continue
            if arc.startswith(f"{stdlib_arc}/_sysconfigdata_") and arc.endswith(".py"):
                dst = self.stage_copy(arc)
                text = dst.read_text()
                variables = ast.literal_eval(text[text.index("build_time_vars = ") + len("build_time_vars = "):])
                variables.update(PBS_COMMANDS)
                for key in ("CFLAGS", "CONFIGURE_CFLAGS", "PY_CFLAGS", "PY_CORE_CFLAGS"):
                    variables[key] = f"{variables.get(key, '')} {PBS_CLANG_ONLY_FLAG}".strip()
                dst.write_text("# system configuration generated and used by the sysconfig module\n"
                               f"build_time_vars = {pprint.pformat(variables)}\n")
            elif arc.startswith(f"{stdlib_arc}/config-") and arc.endswith("/Makefile"):
                dst = self.stage_copy(arc)
                text = dst.read_text()
                for key in ("CC", "CXX", "AR"):
                    text = re.sub(rf"^{key}=.*$", f"{key}=\t\t{PBS_COMMANDS[key]}", text, count=1,
                                  flags=re.MULTILINE)
                dst.write_text(text)
            elif arc.startswith(f"{TOP}/lib/pkgconfig/") and arc.endswith(".pc"):
                dst = self.stage_copy(arc)
                dst.write_text(dst.read_text().replace("prefix=${pcfiledir}/../..\n",
                                                       f"prefix={PLACEHOLDER_PREFIX}\n"))


# --------------------------------------------------------------------------
# Writing the archive
# --------------------------------------------------------------------------

def _tarinfo(m: _Member) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(m.arcname)
    ti.mtime = FIXED_MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.mode = m.mode
    if m.kind == "dir":
        ti.type = tarfile.DIRTYPE
    elif m.kind == "symlink":
        ti.type = tarfile.SYMTYPE
        ti.linkname = m.linkname
    else:
        ti.type = tarfile.REGTYPE
        ti.size = os.stat(m.source).st_size
    return ti


def _write_archive(members: Dict[str, _Member], out: Path) -> None:
    with open(out, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                           compresslevel=GZIP_LEVEL, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w",
                              format=tarfile.PAX_FORMAT) as tar:
                for arc in sorted(members):
                    m = members[arc]
                    ti = _tarinfo(m)
                    if m.kind == "file":
                        with open(m.source, "rb") as fh:
                            tar.addfile(ti, fh)
                    else:
                        tar.addfile(ti)
        raw.flush()
        os.fsync(raw.fileno())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _cached(archive: Path) -> Optional[str]:
    side = archive.with_name(archive.name + ".sha256")
    try:
        recorded = side.read_text().split()[0]
    except (OSError, IndexError):
        return None
    if not archive.is_file() or len(recorded) != 64:
        return None
    return recorded if _sha256(archive) == recorded else None


def build_archive(version: str, out: Path, source: Optional[Path] = None, variant: str = "") -> None:
    """Build the archive for `version` into `out` (no caching)."""
    prefix = Path(source) if source else default_source_root() / version
    if not prefix.is_dir():
        raise ArchiveError(f"Python {version} is not installed at {prefix}")
    info = _inspect_source(prefix, version)
    patchelf = _ensure_tool("patchelf", "patchelf")
    strip = _ensure_tool("strip", "binutils")
    with tempfile.TemporaryDirectory(prefix="pyarchive-",
                                     dir=str(out.parent)) as staging:
        b = _Builder(version, prefix, info, Path(staging))
        b.collect()
        b.fix_elves(patchelf, strip)
        b.fix_text_files()
        if variant == "pbs-sysconfig":
            b.mimic_pbs_sysconfig()
        elif variant:
            raise ArchiveError(f"unknown variant {variant!r}; known: {VARIANTS}")
        _write_archive(b.members, out)


def make_archive(version: str, cache_dir: Path, *, force: bool = False,
                 source: Optional[Path] = None, variant: str = "") -> Tuple[Path, str]:
    """Return (path, sha256) of a PBS install_only-style archive of `version`.

    The archive is ``cache_dir/cpython-<version>-linux-x86_64-install_only.tar.gz``
    with its sha256 recorded next to it in ``<archive>.sha256`` (sha256sum
    format).  An existing archive whose hash matches the side file is reused;
    otherwise it is (re)built from ``$PYENV_ROOT/versions/<version>`` (or
    `source`) and written atomically.  Concurrent callers are serialized with
    a lock file.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    archive = cache_dir / archive_name(version, variant)
    if not force:
        digest = _cached(archive)
        if digest:
            return archive, digest
    lock_path = cache_dir / f".{archive.name}.lock"
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not force:
            digest = _cached(archive)  # another process may have built it
            if digest:
                return archive, digest
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{archive.name}.",
                                   suffix=".tmp")
        os.close(fd)
        try:
            build_archive(version, Path(tmp), source=source, variant=variant)
            digest = _sha256(Path(tmp))
            os.chmod(tmp, 0o644)
            os.replace(tmp, archive)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        _atomic_write_text(archive.with_name(archive.name + ".sha256"),
                           f"{digest}  {archive.name}\n")
    return archive, digest


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------

def clean_env() -> Dict[str, str]:
    """os.environ without variables that would mask a broken relocation."""
    drop = ("PYTHONHOME", "PYTHONPATH", "LD_LIBRARY_PATH", "LD_PRELOAD",
            "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "PYENV_VERSION")
    return {k: v for k, v in os.environ.items() if k not in drop}


def verify_archive(archive: Path, version: str) -> None:
    """Extract, import the smoke modules, create a venv, move the tree."""
    xy = ".".join(version.split(".")[:2])
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="pyarchive-verify-") as tmp:
        tmpd = Path(tmp)
        first = tmpd / "a"
        first.mkdir()
        _run(["tar", "-xzf", str(archive), "-C", str(first)])
        code = ("import sys, %s; "
                "assert sys.prefix == sys.base_prefix; print(sys.version)"
                % ", ".join(SMOKE_IMPORTS))

        def check(root: Path) -> None:
            py = root / TOP / "bin" / "python3"
            res = subprocess.run([str(py), "-c", code], env=env,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            if res.returncode != 0 or not res.stdout.startswith(version):
                raise ArchiveError(f"{py} failed: {res.stderr.strip()}")
            venv = root / "venv"
            _run([str(py), "-m", "venv", str(venv)])
            out = _run([str(venv / "bin" / "pip"), "--version"])
            if f"python {xy}" not in out:
                raise ArchiveError(f"unexpected pip output: {out}")
            shutil.rmtree(venv)

        check(first)
        moved = tmpd / "moved" / "elsewhere"
        moved.parent.mkdir()
        shutil.move(str(first), str(moved))
        check(moved)


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("version", help="CPython version, e.g. 3.11.7")
    ap.add_argument("--cache-dir", required=True, type=Path)
    ap.add_argument("--source", type=Path, default=None,
                    help="install prefix to package "
                         "(default: $PYENV_ROOT/versions/VERSION)")
    ap.add_argument("--variant", choices=VARIANTS, default="",
                    help="pbs-sysconfig: sysconfig as python-build-standalone records it")
    ap.add_argument("--force", action="store_true",
                    help="rebuild even if a valid cached archive exists")
    ap.add_argument("--verify", action="store_true",
                    help="extract the archive and smoke-test it")
    args = ap.parse_args(argv)
    try:
        path, digest = make_archive(args.version, args.cache_dir,
                                    force=args.force, source=args.source,
                                    variant=args.variant)
        if args.verify:
            verify_archive(path, args.version)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{path} {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def manifest_toml(base_url: str, archives: "dict[str, tuple[Path, str]]", arch: str = "amd64") -> str:
    """A BP_PYTHON_MANIFEST document for archives served under base_url: {version: (archive path, sha256)}."""
    blocks = [
        f'[[python]]\nversion = "{version}"\narch = "{arch}"\nurl = "{base_url}/{Path(path).name}"\n'
        f'sha256 = "{sha256}"\n'
        for version, (path, sha256) in archives.items()
    ]
    return "\n".join(blocks)
