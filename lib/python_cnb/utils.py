"""Side effects the rest of the buildpack shares: the two subprocess helpers (streamed for the tools a user cares
about, captured for internal probes), reading an optional file, and file hashing. Both helpers take an argument list
and an explicit environment, never a shell string."""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import time
from pathlib import Path
from typing import List, Mapping, Optional, Sequence

from .app_files import decode_text
from .errors import CommandNotFound, FileReadError
from .output import Output

__all__ = ["display_command", "is_truthy", "read_optional_text", "run_captured", "run_streamed",
           "sha256_file"]

TRUTHY = {"1", "true", "yes", "on"}


def is_truthy(value: str) -> bool:
    """A switch variable's value as the reference builder reads it: 1, true, yes or on, any case."""
    return value.strip().lower() in TRUTHY


def display_command(cmd: Sequence[str]) -> str:
    return " ".join(shlex.quote(part) for part in cmd)


def run_streamed(out: Output, cmd: Sequence[str], *, env: Mapping[str, str], cwd: Path,
                 shown: Optional[str] = None, capture: Optional[List[str]] = None) -> int:
    """Run a user-relevant tool (pip, collectstatic, hooks): log the command, stream its output indented.
    Returns the exit status; the output's lines are also appended to `capture` when given."""
    out.step(f"Running '{shown or display_command(cmd)}'")
    started = time.monotonic()
    try:
        process = subprocess.Popen(  # noqa: S603 - argument list, never a shell string
            list(cmd), env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace", bufsize=1,
        )
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument or an environment value
        raise CommandNotFound(command=shown or display_command(cmd), reason=os_reason(exc)) from None
    assert process.stdout is not None
    for line in process.stdout:
        out.command_line(line)
        if capture is not None:
            capture.append(line)
    status = process.wait()
    if status == 0:
        out.step(f"Done ({time.monotonic() - started:.2f}s)")
    return status


def run_captured(cmd: Sequence[str], *, env: Mapping[str, str], cwd: Path,
                 input_text: Optional[str] = None) -> subprocess.CompletedProcess[str]:
    """Run an internal probe and return its output (not logged)."""
    try:
        return subprocess.run(  # noqa: S603
            list(cmd), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False,
            **({"input": input_text} if input_text is not None else {"stdin": subprocess.DEVNULL}),
        )
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument or an environment value
        raise CommandNotFound(command=display_command(cmd), reason=os_reason(exc)) from None


def os_reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_optional_text(path: Path, shown: Optional[str] = None) -> Optional[str]:
    """The file's text (decode_text), None if it does not exist, FileReadError naming the file for anything else."""
    name = shown or (path.name if path.parent == Path.cwd() else str(path))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileReadError(path=name, reason=os_reason(exc)) from None
    return decode_text(data, name)
