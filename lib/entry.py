"""Run under `python3 -I` by bin/detect and bin/build: -I ignores PYTHON* variables and does not add this
directory to sys.path, so it is added here explicitly.

The build phase keeps the buildpack's own bytecode in a cache-only layer (`buildpack-bytecode`): the buildpack's
directory is read-only under the lifecycle, so without it every build compiled the buildpack again (0.1 to 0.2 s,
most of a no-change rebuild's own time). The bytecode sits under a digest of the buildpack's sources, so another
version or a changed file never reuses it, and the layer is declared only when the build succeeds."""

import hashlib
import shutil
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parent
BYTECODE_LAYER = "buildpack-bytecode"


def _bytecode_dir(argv: list) -> "Path | None":
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


bytecode = _bytecode_dir(sys.argv[1:])
if bytecode is not None:
    sys.pycache_prefix = str(bytecode)
sys.path.insert(0, str(LIB))

from python_cnb.__main__ import main  # noqa: E402

status = main(sys.argv[1:])
if bytecode is not None and status == 0:
    try:
        (bytecode.parent.parent / f"{BYTECODE_LAYER}.toml").write_text("[types]\ncache = true\n", encoding="utf-8")
    except OSError:
        pass
sys.exit(status)
