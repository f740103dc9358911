"""What the lockfile methods (uv, Poetry, Pipenv, PDM) share: the digest of their reuse files, and running the tool's
commands into the buildpack's virtual environment (after locking, when the build locks), each failure explained by the
method or got past by it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import BuildpackError, LockAtBuildFailed, LockInstallFailed
from ..utils import read_optional_text, run_streamed
from .base import DependencyInputs, InstallPaths, InstallStep, Lock, ToolCommand

__all__ = ["Recover", "lock_inputs", "read_project", "sync_lock"]


def read_project(app_dir: Path, name: str) -> Dict[str, Any]:
    """The project file's TOML ({} when it is missing: the choice of method has named that already)."""
    from ..app_files import parse_toml

    text = read_optional_text(app_dir / name, shown=name)
    return parse_toml(text, name) if text is not None else {}


def lock_inputs(app_dir: Path, seed: str, files: Sequence[str]) -> DependencyInputs:
    """The lock and project files' contents (a missing one counts as missing). `seed`: the method's name as earlier
    releases wrote it, so an unchanged app keeps its environment across an upgrade of the buildpack."""
    digest = hashlib.sha256(seed.encode())
    for name in files:
        text = read_optional_text(app_dir / name, shown=name)
        digest.update(f"file:{name}\n".encode())
        digest.update(b"<missing>\n" if text is None else text.encode())
    return DependencyInputs(files=", ".join(files), digest=digest.hexdigest())


# A failure the method can get past: the commands to run in the failed one's place (none: go on with the rest), or
# None when it cannot. It gets the command's whole output and the command.
Recover = Callable[[str, ToolCommand], Optional[Sequence[ToolCommand]]]


def sync_lock(step: InstallStep, lock: Lock, tool_env: Callable[[Mapping[str, str], InstallPaths], Dict[str, str]],
              commands: Sequence[ToolCommand],
              explain: Callable[[str, Mapping[str, str], str, int], Optional[BuildpackError]],
              recover: Optional[Recover] = None) -> None:
    """Run the commands in order with the tool's environment, after the one that writes the lock when the build
    locks (`step.lock_at_build`). The first failure that `recover` cannot get past stops, explained by `explain` (the
    command's whole output, the environment it ran with, how the log shows the command, its exit status), else
    reported as a failed lock or a failed install of the lock."""
    env = tool_env(step.env, step.paths)
    if step.lock_at_build:
        locking = lock.generate_command(step.paths.tool_bin)
        status, output = _run(step, locking, env)
        if status != 0:
            raise explain(output, env, locking.shown, status) or LockAtBuildFailed(
                command=locking.shown, exit_code=status, lock_file=lock.file, project_file=lock.project_file,
                fix=lock.fix)
    pending = list(commands)
    while pending:
        command = pending.pop(0)
        status, output = _run(step, command, env)
        if status == 0:
            continue
        instead = recover(output, command) if recover is not None else None
        if instead is None:
            raise explain(output, env, command.shown, status) or LockInstallFailed(
                command=command.shown, exit_code=status, lock_file=lock.file)
        pending[:0] = instead


def _run(step: InstallStep, command: ToolCommand, env: Mapping[str, str]) -> Tuple[int, str]:
    output: List[str] = []
    status = run_streamed(step.out, command.argv, env=env, cwd=step.paths.app_dir, shown=command.shown,
                          capture=output)
    return status, "".join(output)
