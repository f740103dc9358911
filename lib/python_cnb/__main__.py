"""main(phase, args): wires real dependencies and hands over to the CNB runtime."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path
from typing import Sequence

from .cnb.runtime import run
from .output import Output


def main(argv: Sequence[str]) -> int:
    if not argv:
        sys.stderr.write("usage: entry.py (detect|build) [lifecycle arguments]\n")
        return 1
    phase, args = argv[0], argv[1:]
    out = Output()
    if phase == "detect":  # without the build's modules: detect runs on every build, compiling what it imports
        from .detect import Detector
        return run(phase, args, dict(os.environ), Detector(out))
    from .buildpack import PythonBuildpack, run_assemble_child
    if phase == "assemble":
        return run_assemble_child(Path(args[0]), dict(os.environ), out)
    buildpack = PythonBuildpack(out=out, today=datetime.date.today())
    return run(phase, args, dict(os.environ), buildpack)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
