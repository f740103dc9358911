"""main(argv): wires real dependencies and hands over to the CNB runtime (or, for `assemble`, the default build stage
an .s2i/bin/assemble hook sources), with one error boundary for all three."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path
from typing import Sequence

from .cnb.runtime import guard, run
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
    from .buildpack import PythonBuildpack
    buildpack = PythonBuildpack(out=out, today=datetime.date.today())
    if phase == "assemble":
        return guard(buildpack.on_error, lambda: _default_stage(Path(args[0]), out))
    return run(phase, args, dict(os.environ), buildpack)


def _default_stage(plan_path: Path, out: Output) -> int:
    """The default build stage, run from an .s2i/bin/assemble hook with the hook's environment."""
    from .default_stage import StagePlan, run_default_stage
    from .redact import secrets_in_env

    env = dict(os.environ)
    out.secrets = secrets_in_env(env)
    run_default_stage(StagePlan.loads(plan_path.read_text(encoding="utf-8")), env, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
