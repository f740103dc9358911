"""Hash-based bytecode for the layers the lifecycle stores: compiled once, by the buildpack, in one compileall process
per CPU (or in the background while the dependencies install)."""

from __future__ import annotations

import atexit
import csv
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from .errors import CommandNotFound
from .utils import display_command, os_reason, run_captured

__all__ = ["BackgroundCompile", "cache_tag", "compile_bytecode", "compile_bytecode_before_exit",
           "compile_bytecode_in_background", "recorded_sources", "source_files"]


# The lifecycle resets file mtimes when it stores and restores layers, which makes timestamp-based .pyc files
# stale: Python would rewrite them on the next import, changing the layer's contents, so an unchanged layer
# could no longer be reused as the same image layer (and at launch, where layers are read-only, every start
# would recompile). Hash-based, unchecked .pyc files are never rewritten.
def _compile_cmd(python: Path) -> List[str]:
    return [str(python), "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash"]


# Below this much source, a second compile process costs more (its start, ~30 ms) than it saves.
_PARALLEL_MIN_BYTES = 1 << 20


_MAX_WORKERS = 4


def _workers() -> int:
    """CPUs this process may use: its affinity, a cgroup v2 CPU quota (a container limited to 2 CPUs of a large
    host sees all of them), at most _MAX_WORKERS."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()[:2]
        if quota != "max":
            count = min(count, -(-int(quota) // int(period)))
    except (OSError, ValueError, ZeroDivisionError):
        pass
    return max(1, min(count, _MAX_WORKERS))


def compile_bytecode(python: Path, directory: Path, env: Mapping[str, str], only_missing: bool = False,
                     exclude: str = r"/(test|tests|idle_test)/",
                     only_distributions: Optional[Iterable[str]] = None) -> None:
    """Best effort: a file that does not compile (a deliberately broken test module) is not an error.
    `only_missing`: compile only the .py files without a .pyc for this interpreter (after an in-place update:
    what pip just installed; pip removes the .pyc files of what it uninstalls). `only_distributions`: the .py files
    the RECORD of these *.dist-info directories lists (what an in-place update installed), without walking the whole
    tree, compiled even where a .pyc is there (an uninstaller may leave an older version's: uv does for a top-level
    module); a distribution without a RECORD makes it a whole compile.

    The buildpack lists the files itself, the way `compileall DIR -x EXCLUDE` does (same paths, so the same
    co_filename in each .pyc), and on Python 3.11+ splits them by size between one compileall process per CPU:
    compileall's own `-j` starts a forkserver and saves nothing on two cores, two plain processes halve the time.
    Before 3.11 marshal's output depends on what else the process compiled (reference flags follow reference
    counts), so there a plain `compileall DIR` compiles everything, as before."""
    tag = cache_tag(python)
    if only_missing and not tag:
        return
    if only_distributions is not None and tag:
        recorded = recorded_sources(directory, only_distributions, exclude, without_pyc_tag="")
        if recorded is not None:
            _compile_files(python, directory, env, recorded, parallel=_stable_marshal(tag))
            return
        only_missing = False
    if not only_missing and not _stable_marshal(tag):
        run_captured([*_compile_cmd(python), "-x", exclude, str(directory)],
                     env={**env, "PYTHONDONTWRITEBYTECODE": "1"}, cwd=directory)
        return
    sources = source_files(directory, exclude, without_pyc_tag=tag if only_missing else "")
    _compile_files(python, directory, env, sources, parallel=_stable_marshal(tag))


def recorded_sources(directory: Path, dist_infos: Iterable[str], exclude: str,
                     without_pyc_tag: str) -> Optional[List[Tuple[str, int]]]:
    """(path, size) of the .py files the RECORD of each `directory`/<dist_info> lists, as source_files gives them
    (the same path strings, EXCLUDE applied), without a .pyc for the tag ('': with or without). None when a RECORD
    cannot be read."""
    rx = re.compile(exclude)
    found: List[Tuple[str, int]] = []
    seen: set[str] = set()
    for dist_info in sorted(dist_infos):
        try:
            with open(directory / dist_info / "RECORD", encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error):
            return None
        for row in rows:
            relative = row[0] if row else ""
            parts = relative.split("/")
            if not relative.endswith(".py") or relative.startswith("/") or ".." in parts or "__pycache__" in parts:
                continue
            path = os.path.join(str(directory), *parts)
            if rx.search(path):
                continue
            pyc = os.path.join(os.path.dirname(path), "__pycache__", f"{parts[-1][:-3]}.{without_pyc_tag}.pyc")
            try:
                if not os.path.isfile(path) or (without_pyc_tag and os.path.exists(pyc)) or path in seen:
                    continue
                found.append((path, os.path.getsize(path)))
                seen.add(path)
            except OSError:
                continue
    return found


def source_files(directory: Path, exclude: str, without_pyc_tag: str = "") -> List[Tuple[str, int]]:
    """(path, size) of each .py file that `compileall DIR -x EXCLUDE` compiles, with the path compileall gives
    it: directories are walked without following symlinks, __pycache__ is skipped, and EXCLUDE is searched in
    each file's full path. `without_pyc_tag` ('cpython-312'): only the files without a .pyc for that tag."""
    found: List[Tuple[str, int]] = []
    _walk_sources(str(directory), re.compile(exclude), without_pyc_tag, found)
    return found


def _walk_sources(directory: str, rx: "re.Pattern[str]", tag: str, found: List[Tuple[str, int]]) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        return
    compiled: Optional[set[str]] = None
    for entry in entries:  # compileall's order: by name, each directory where its name sorts
        if entry.name == "__pycache__":
            continue
        path = os.path.join(directory, entry.name)
        try:
            if entry.is_dir():
                if not entry.is_symlink():
                    _walk_sources(path, rx, tag, found)
                continue
            if not entry.name.endswith(".py") or not entry.is_file() or rx.search(path):
                continue
            if tag:
                if compiled is None:
                    try:
                        compiled = set(os.listdir(os.path.join(directory, "__pycache__")))
                    except OSError:
                        compiled = set()
                if f"{entry.name[:-3]}.{tag}.pyc" in compiled:
                    continue
            found.append((path, entry.stat().st_size))
        except OSError:
            continue


def _compile_files(python: Path, directory: Path, env: Mapping[str, str], sources: Sequence[Tuple[str, int]],
                   parallel: bool) -> None:
    for process in _start_compile_files(python, directory, env, sources, parallel):
        process.wait()


def _start_compile_files(python: Path, directory: Path, env: Mapping[str, str], sources: Sequence[Tuple[str, int]],
                         parallel: bool) -> "List[subprocess.Popen[bytes]]":
    """The compileall processes for `sources` (one per CPU when parallel), started with their file lists written."""
    if not sources:
        return []
    total = sum(size for _, size in sources)
    count = min(_workers(), len(sources), 1 + total // _PARALLEL_MIN_BYTES) if parallel else 1
    # Largest first, each to the least loaded process: the processes finish at about the same time.
    shares: List[List[str]] = [[path for path, _ in sources]] if count == 1 else [[] for _ in range(count)]
    loads = [0] * count
    for path, size in sorted(sources, key=lambda item: -item[1]) if count > 1 else ():
        least = loads.index(min(loads))
        shares[least].append(path)
        loads[least] += size
    # The list goes through stdin (no argument-length limit), read as UTF-8 whatever the app's locale; compileall
    # reads it line by line and strips each line, so a name that would not survive that is an argument instead.
    run_env = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8:surrogateescape"}
    processes: "List[subprocess.Popen[bytes]]" = []
    try:
        for share in shares:
            odd = [path for path in share if path != path.strip() or _LINE_BREAK.search(path)]
            listed = [path for path in share if path not in odd] if odd else share
            cmd = [*_compile_cmd(python), "-i", "-", *odd]
            try:
                process = subprocess.Popen(  # noqa: S603
                    cmd, env=run_env, cwd=directory, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
            except (OSError, ValueError) as exc:
                raise CommandNotFound(command=display_command(cmd[:len(_compile_cmd(python)) + 2]),
                                      reason=os_reason(exc)) from None
            processes.append(process)
            assert process.stdin is not None
            try:
                process.stdin.write("".join(path + "\n" for path in listed).encode("utf-8", "surrogateescape"))
                process.stdin.close()
            except BrokenPipeError:
                pass
    except BaseException:
        for process in processes:
            process.wait()
        raise
    return processes


# Where a line of text may end (universal newlines, and str.splitlines' other separators to be safe).
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _stable_marshal(tag: str) -> bool:
    """Whether this interpreter's .pyc bytes are the same whichever process compiles them (CPython 3.11+)."""
    minor = tag[len("cpython-3"):]
    return tag.startswith("cpython-3") and minor.isdigit() and int(minor) >= 11


def cache_tag(python: Path) -> str:
    """'cpython-312', from the venv's lib/python3.X directory name. A free-threaded build's lib/python3.14t has the
    same tag as the default build's (sys.implementation.cache_tag carries no 't'; the ABI is in the .so names)."""
    for lib in (python.parent.parent / "lib").glob("python3.*"):
        return "cpython-" + lib.name[len("python"):].rstrip("t").replace(".", "")
    return ""


@dataclass
class BackgroundCompile:
    """A compileall run that overlaps with other work (the dependency install). Whatever runs the same interpreter
    meanwhile may write ordinary (timestamp) .pyc files: `wait()` replaces those, so the result is the same as a
    compile that ran alone."""

    processes: "List[subprocess.Popen[bytes]]"
    python: Path
    directory: Path
    env: Mapping[str, str]
    exclude: str

    def wait(self) -> None:
        for process in self.processes:
            process.wait()
        again: List[str] = []
        for pyc in self.directory.rglob("__pycache__/*.pyc"):
            if ".opt-" in pyc.name:
                continue
            try:
                with pyc.open("rb") as handle:
                    flags = int.from_bytes(handle.read(8)[4:8], "little")
            except OSError:
                continue
            if flags == 1:  # hash-based, unchecked: what compile_bytecode writes
                continue
            source = pyc.parent.parent / (pyc.name.split(".", 1)[0] + ".py")
            if source.is_file() and not re.search(self.exclude, str(source)):
                again.append(str(source))
            else:
                pyc.unlink(missing_ok=True)
        if again:
            run_captured(_compile_cmd(self.python) + ["-i", "-"], env={**self.env, "PYTHONDONTWRITEBYTECODE": "1"},
                         cwd=self.directory, input_text="\n".join(again) + "\n")


def compile_bytecode_in_background(python: Path, directory: Path, env: Mapping[str, str],
                                   exclude: str) -> BackgroundCompile:
    """compile_bytecode, started and not waited for: call `wait()` before the directory's layer is finished. On
    Python 3.11+ one process per CPU, as compile_bytecode (whatever runs beside it gets the CPUs it leaves idle)."""
    if _stable_marshal(cache_tag(python)):
        processes = _start_compile_files(python, directory, env, source_files(directory, exclude), parallel=True)
    else:
        processes = [_start_compile(python, directory, env, exclude)]
    _BACKGROUND.extend(processes)
    return BackgroundCompile(processes, python, directory, env, exclude)


def compile_bytecode_before_exit(python: Path, directory: Path, env: Mapping[str, str],
                                 exclude: str = r"/(test|tests|idle_test)/") -> None:
    """compile_bytecode for a build-only layer whose bytecode only saves time (the pip layer), in the
    background: it starts when the background compiles started before it (the interpreter's) have finished, so
    one compile runs beside the build's own work at a time, and the buildpack's process waits for it when it
    exits, so the layer is complete before the lifecycle stores it."""
    earlier = list(_BACKGROUND)

    def start_after_earlier() -> None:
        for process in earlier:
            process.wait()
        try:
            _BACKGROUND.append(_start_compile(python, directory, env, exclude))
        except CommandNotFound:
            pass  # best effort: pip runs without it, only slower

    thread = threading.Thread(target=start_after_earlier, name="compile-bytecode", daemon=True)
    thread.start()
    if not _QUEUED:
        atexit.register(_wait_for_background)
    _QUEUED.append(thread)


_BACKGROUND: "List[subprocess.Popen[bytes]]" = []  # every background compile this process started
_QUEUED: List[threading.Thread] = []  # compile_bytecode_before_exit's, each waiting for the earlier ones


def _wait_for_background() -> None:
    for thread in _QUEUED:
        thread.join()
    for process in _BACKGROUND:
        process.wait()


def _start_compile(python: Path, directory: Path, env: Mapping[str, str], exclude: str) -> "subprocess.Popen[bytes]":
    cmd = _compile_cmd(python) + ["-x", exclude, str(directory)]
    try:
        return subprocess.Popen(  # noqa: S603
            cmd, env={**env, "PYTHONDONTWRITEBYTECODE": "1"}, cwd=directory, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, ValueError) as exc:
        raise CommandNotFound(command=display_command(cmd), reason=os_reason(exc)) from None
