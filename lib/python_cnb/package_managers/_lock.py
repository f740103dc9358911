"""What the lockfile methods (uv, Poetry, Pipenv) share: the digest of their reuse files, and running the tool's
commands into the buildpack's virtual environment, each failure explained by the method."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from ..errors import BuildpackError, LockInstallFailed
from ..utils import read_optional_text, run_streamed
from .base import DependencyInputs, InstallPaths, InstallStep, Lock, ToolCommand

__all__ = ["lock_inputs", "sync_lock"]


def lock_inputs(app_dir: Path, seed: str, files: Sequence[str]) -> DependencyInputs:
    """The lock and project files' contents (a missing one counts as missing). `seed`: the method's name as earlier
    releases wrote it, so an unchanged app keeps its environment across an upgrade of the buildpack."""
    digest = hashlib.sha256(seed.encode())
    for name in files:
        text = read_optional_text(app_dir / name, shown=name)
        digest.update(f"file:{name}\n".encode())
        digest.update(b"<missing>\n" if text is None else text.encode())
    return DependencyInputs(files=", ".join(files), digest=digest.hexdigest())


def sync_lock(step: InstallStep, lock: Lock, tool_env: Callable[[Mapping[str, str], InstallPaths], Dict[str, str]],
              commands: Sequence[ToolCommand],
              explain: Callable[[str, Mapping[str, str], str, int], Optional[BuildpackError]]) -> None:
    """Run the commands in order with the tool's environment; the first failure stops, explained by `explain` (the
    command's whole output, the environment it ran with, how the log shows the command, its exit status), else
    reported as a failed install of the lock."""
    env = tool_env(step.env, step.paths)
    for command in commands:
        output: List[str] = []
        status = run_streamed(step.out, command.argv, env=env, cwd=step.paths.app_dir, shown=command.shown,
                              capture=output)
        if status != 0:
            raise explain("".join(output), env, command.shown, status) or LockInstallFailed(
                command=command.shown, exit_code=status, lock_file=lock.file)
