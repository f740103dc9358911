#!/usr/bin/env python3
"""exec.d program (Buildpack API >= 0.10): runs at container start, before each process of the image.

Sets WEB_CONCURRENCY from the container's memory limit, as the reference builder does, unless the user set it
to a positive whole number. Any other value (abc, 0, -1) would crash Gunicorn or leave it with no worker, so
the container would accept connections and never answer: it is replaced, and stderr says so.
Gives what the process writes a place that exists where the runtime allows no writes, or the user has no home:
TMPDIR=/dev/shm when no temporary directory Python's tempfile tries is writable (`docker run --read-only`,
Kubernetes' readOnlyRootFilesystem), and HOME a directory of the process's own in the temporary directory when HOME
is not writable (an arbitrary uid, as OpenShift runs images, gets HOME=/). Values the user set and can write to
are kept.
Writes TOML to file descriptor 3 as the launcher expects. Standalone: copied into a launch layer, stdlib only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Mapping, Optional, TextIO

MIB = 1024 * 1024

# (upper bound in MiB, workers): <= 512 MiB: 2, <= 1 GiB: 4, <= 2 GiB: 6, <= 4 GiB: 8, more: 10.
CONCURRENCY_TABLE = ((512, 2), (1024, 4), (2048, 6), (4096, 8))
CONCURRENCY_MAX = 10


def concurrency_for(limit_bytes: int) -> int:
    mib = limit_bytes / MIB
    for bound, workers in CONCURRENCY_TABLE:
        if mib <= bound:
            return workers
    return CONCURRENCY_MAX


def _read_int(path: Path) -> Optional[int]:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):  # ValueError: UnicodeDecodeError on a garbled file
        return None
    if text == "max" or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _total_memory(meminfo: Path) -> Optional[int]:
    try:
        for line in meminfo.read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return kib * 1024 if kib > 0 else None
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_limit(cgroup_root: Path = Path("/sys/fs/cgroup"), meminfo: Path = Path("/proc/meminfo")) -> Optional[int]:
    """The container's memory limit in bytes: cgroup v2 memory.max, then cgroup v1 memory.limit_in_bytes.
    With no limit (v2 'max', v1's huge sentinel) the machine's total memory is the limit."""
    total = _total_memory(meminfo)
    for candidate in (cgroup_root / "memory.max", cgroup_root / "memory" / "memory.limit_in_bytes"):
        value = _read_int(candidate)
        if value is not None:
            return min(value, total) if total else value
    return total


def concurrency_problem(value: str) -> Optional[str]:
    """Why a WEB_CONCURRENCY value cannot be used as Gunicorn's worker count, or None when it can."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        return "a positive whole number (for example 4)"
    if int(text) < 1:
        return "at least 1 (with 0 workers Gunicorn accepts connections and never answers)"
    return None


def tuned_env(env: Mapping[str, str], limit: Optional[int]) -> dict[str, str]:
    """The variables to set: WEB_CONCURRENCY when it is unset, blank or unusable."""
    value = env.get("WEB_CONCURRENCY", "")
    if value.strip() and concurrency_problem(value) is None:
        return {}
    return {"WEB_CONCURRENCY": str(concurrency_for(limit) if limit else CONCURRENCY_TABLE[0][1])}


def notices(env: Mapping[str, str], tuned: Mapping[str, str]) -> list[str]:
    """What to tell the user on stderr about values that were replaced."""
    value = env.get("WEB_CONCURRENCY", "")
    if value.strip() and "WEB_CONCURRENCY" in tuned:
        shown = value.encode("unicode_escape").decode("ascii")[:50]
        return [f"WEB_CONCURRENCY='{shown}' is not {concurrency_problem(value)}; using "
                f"WEB_CONCURRENCY={tuned['WEB_CONCURRENCY']} (from the container's memory limit) instead."]
    return []


# Where Python's tempfile looks when TMPDIR is not set (before the working directory, here the read-only app).
TEMP_DIRS = ("/tmp", "/var/tmp", "/usr/tmp")
MEMORY_DIR = "/dev/shm"  # a tmpfs in Docker, Podman and Kubernetes pods, writable under --read-only


def writable_dir(path: str) -> bool:
    """A directory this process can create files in (os.access also says no on a read-only filesystem)."""
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def temp_dir(env: Mapping[str, str], writable: Callable[[str], bool]) -> str:
    """The temporary directory the process gets: TMPDIR when writable, else the first of tempfile's directories that
    is, else MEMORY_DIR; "" when there is none."""
    tmpdir = env.get("TMPDIR", "").strip()
    for candidate in ((tmpdir,) if tmpdir else ()) + TEMP_DIRS + (MEMORY_DIR,):
        if writable(candidate):
            return candidate
    return ""


def places_env(env: Mapping[str, str], writable: Callable[[str], bool], uid: int) -> dict[str, str]:
    """The variables to set so that the process has somewhere to write: TMPDIR when only MEMORY_DIR is left,
    HOME (`<temporary directory>/home-<uid>`, which main creates) when HOME is unset or not writable."""
    values = {}
    temp = temp_dir(env, writable)
    if temp == MEMORY_DIR and env.get("TMPDIR", "").strip() != MEMORY_DIR:
        values["TMPDIR"] = temp
    home = env.get("HOME", "").strip()
    if temp and not (home and writable(home)):
        values["HOME"] = f"{temp.rstrip('/')}/home-{uid}"
    return values


def places_notices(env: Mapping[str, str], places: Mapping[str, str], temp: str) -> list[str]:
    """What to tell the user on stderr about the places chosen, or about having none."""
    if not temp:
        return [f"No writable temporary directory (TMPDIR, {', '.join(TEMP_DIRS)}, {MEMORY_DIR}): Gunicorn and "
                "Python's tempfile need one. Mount a volume at /tmp (docker run --tmpfs /tmp; Kubernetes: an emptyDir "
                "volume)."]
    found = []
    if "TMPDIR" in places:
        found.append(f"/tmp is not writable: using TMPDIR={places['TMPDIR']} (memory; mount a volume at /tmp for "
                     "large temporary files).")
    if "HOME" in places:
        shown = env.get("HOME", "").encode("unicode_escape").decode("ascii")[:80]
        found.append(f"HOME='{shown}' is not writable: using HOME={places['HOME']}." if shown.strip() else
                     f"HOME is not set: using HOME={places['HOME']}.")
    return found


def make_home(values: dict[str, str]) -> dict[str, str]:
    """Creates the HOME chosen (private to this uid); leaves HOME alone when that fails. Returns `values`."""
    home = values.get("HOME")
    if home is None:
        return values
    try:
        os.makedirs(home, mode=0o700, exist_ok=True)
    except OSError:
        pass
    if not writable_dir(home):
        del values["HOME"]
    return values


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> int:
    values = tuned_env(os.environ, memory_limit())
    places = places_env(os.environ, writable_dir, os.getuid())
    make_home(places)
    values.update(places)
    for notice in notices(os.environ, values) + places_notices(os.environ, places,
                                                               temp_dir(os.environ, writable_dir)):
        sys.stderr.write(f"[python buildpack] {notice}\n")
    out: TextIO
    try:
        out = os.fdopen(3, "w")
    except OSError:
        out = sys.stdout  # run by hand, outside the launcher
    with out:
        for name, value in values.items():
            out.write(f"{name} = {_toml_string(value)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
