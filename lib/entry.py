"""Run under `python3 -I` by bin/detect and bin/build: -I ignores PYTHON* variables and does not add this
directory to sys.path, so it is added here explicitly.

The build phase keeps the buildpack's own bytecode in a cache-only layer (`buildpack-bytecode`): the buildpack's
directory is read-only under the lifecycle, so without it every build compiled the buildpack again (0.1 to 0.2 s,
most of a no-change rebuild's own time). The bytecode sits under a digest of the buildpack's sources, so another
version or a changed file never reuses it, and the layer is declared only when the build succeeds. Only the
buildpack's modules load through it (a path hook for this directory): `sys.pycache_prefix` would have moved the
standard library's bytecode there too, so a cold build compiled every stdlib module the buildpack imports."""

import hashlib
import importlib.machinery
import importlib.util
import marshal
import os
import shutil
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parent
BYTECODE_LAYER = "buildpack-bytecode"


def _bytecode_dir(argv: "list[str]") -> "Path | None":
    if len(argv) < 2 or argv[0] != "build":
        return None
    try:
        digest = hashlib.sha256(sys.version.encode())
        for source in sorted(LIB.rglob("*.py")):
            digest.update(str(source.relative_to(LIB)).encode() + b"\0" + source.read_bytes())
        layer = Path(argv[1]) / BYTECODE_LAYER
        for old in layer.iterdir() if layer.is_dir() else ():
            if old.name != digest.hexdigest()[:32]:
                shutil.rmtree(old, ignore_errors=True)
        target = layer / digest.hexdigest()[:32]
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return target


class _LayerBytecodeLoader(importlib.machinery.SourceFileLoader):
    """A module of this directory, its bytecode read from and written to the layer's directory. That directory is
    named by a digest of every source and the interpreter, so what it holds never needs checking against the source."""

    directory = ""
    header = importlib.util.MAGIC_NUMBER + bytes(12)

    def get_code(self, fullname: str):  # type: ignore[no-untyped-def]
        source_path = self.get_filename(fullname)
        cached = os.path.join(self.directory, os.path.relpath(source_path, LIB)[:-3]
                              + f".{sys.implementation.cache_tag}.pyc")
        try:
            with open(cached, "rb") as handle:
                data = handle.read()
            if data[:16] == self.header:
                return marshal.loads(data[16:])
        except (OSError, ValueError, EOFError, TypeError):
            pass
        code = compile(self.get_data(source_path), source_path, "exec", dont_inherit=True)
        try:
            os.makedirs(os.path.dirname(cached), exist_ok=True)
            partial = f"{cached}.{os.getpid()}.tmp"
            with open(partial, "wb") as handle:
                handle.write(self.header + marshal.dumps(code))
            os.replace(partial, cached)
        except OSError:
            pass
        return code


def _lib_finder(path: str) -> importlib.machinery.FileFinder:
    if path != str(LIB) and not path.startswith(str(LIB) + os.sep):
        raise ImportError("not the buildpack's directory")
    return importlib.machinery.FileFinder(path, (_LayerBytecodeLoader, importlib.machinery.SOURCE_SUFFIXES))


bytecode = _bytecode_dir(sys.argv[1:])
if bytecode is not None:
    _LayerBytecodeLoader.directory = str(bytecode)
    sys.path_hooks.insert(0, _lib_finder)
sys.path.insert(0, str(LIB))

from python_cnb.__main__ import main  # noqa: E402

status = main(sys.argv[1:])
if bytecode is not None and status == 0:
    try:
        (bytecode.parent.parent / f"{BYTECODE_LAYER}.toml").write_text("[types]\ncache = true\n", encoding="utf-8")
    except OSError:
        pass
sys.exit(status)
