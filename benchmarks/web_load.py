"""Web-process load benchmark (not a test), issue 20: the sample image under 64 concurrent connections.

For each configuration (`--run LABEL` or `--run "LABEL:NAME=VALUE,NAME=VALUE"`; by default the buildpack's
defaults and the sync workers it used before), the image runs once with `docker run --network host --memory 512m`
(the memory limit that gives two workers by default) on a free port, is warmed up, and is then loaded for
`--duration` seconds by `--connections` concurrent HTTP/1.1 connections that each send `GET /` as fast as the
answers come back, reusing the connection when the server keeps it alive and reconnecting when it closes it. The
load comes from `--processes` client processes (asyncio, standard library only) on the same machine, so client and
server share its CPUs, as they do with wrk. `--slow-clients N` holds N connections open during the load, each having
sent half a request header, as a slow or malicious client does.

Reported per configuration:
  requests/s     completed 200 answers per second over the measured period
  p50, p99       latency of one request (from writing it, or from connecting when the server closed the last
                 connection, to the end of the answer), in milliseconds
  errors         requests that failed: refused, reset, timed out (10 s) or answered with another status
  workers        Gunicorn's worker processes (children of its master)
  RSS / PSS      memory per worker: resident set and proportional set (shared pages divided among the processes
                 that map them; what a worker really adds), from /proc/PID/smaps_rollup of the container's
                 processes as the host sees them (`docker top`), read after the load
  container      the container's memory use as its cgroup counts it (`docker stats`), after the load
plus the load average before the run: the numbers mean little on a machine that is busy with other work.

Build the sample image first (`scripts/demo` builds examples/flask as python-cnb-demo/app), then
`scripts/loadtest [--image IMAGE] [--run ...] [--slow-clients N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

REQUEST_TIMEOUT = 10.0
DEFAULT_RUNS = ("default (gthread)", "sync workers:GUNICORN_WORKER_CLASS=sync")


# ---- the client -------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: List[float] = field(default_factory=list)
    errors: int = 0


async def _read_answer(reader: asyncio.StreamReader) -> Tuple[int, bool]:
    """(status, whether the server keeps the connection open) of one answer, its body read to the end."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()  # no length: the body ends with the connection
        return status, False
    return status, headers.get("connection") != "close"


async def _connection(port: int, until: float, measure_from: float, tally: Tally) -> None:
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    writer: Optional[asyncio.StreamWriter] = None
    reader: Optional[asyncio.StreamReader] = None
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT)
            assert reader is not None
            writer.write(request)
            status, keep = await asyncio.wait_for(_read_answer(reader), REQUEST_TIMEOUT)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
            if started >= measure_from:
                tally.errors += 1
            writer = _close(writer)
            await asyncio.sleep(0.01)
            continue
        if started >= measure_from:
            if status == 200:
                tally.latencies.append(time.monotonic() - started)
            else:
                tally.errors += 1
        if not keep:
            writer = _close(writer)
    _close(writer)


def _close(writer: Optional[asyncio.StreamWriter]) -> None:
    """Closes the connection, if any; None, the connection there is then."""
    if writer is not None:
        writer.close()


async def _load(port: int, connections: int, warmup: float, duration: float) -> Tally:
    tally = Tally()
    start = time.monotonic()
    await asyncio.gather(*(_connection(port, start + warmup + duration, start + warmup, tally)
                           for _ in range(connections)))
    return tally


def _client_process(args: Tuple[int, int, float, float]) -> Tuple[List[float], int]:
    tally = asyncio.run(_load(*args))
    return tally.latencies, tally.errors


def run_load(port: int, connections: int, processes: int, warmup: float, duration: float) -> Tally:
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    with multiprocessing.Pool(processes) as pool:
        results = pool.map(_client_process, [(port, share, warmup, duration) for share in shares if share])
    total = Tally()
    for latencies, errors in results:
        total.latencies += latencies
        total.errors += errors
    return total


def hold_slow_clients(port: int, count: int) -> List[socket.socket]:
    """`count` connections that have each sent half a request header and then wait."""
    held = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        held.append(client)
    return held


# ---- the container ----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_answering(port: int, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as probe:
                probe.sendall(b"GET / HTTP/1.0\r\n\r\n")
                if probe.recv(12)[8:12] == b" 200":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
    tail = "\n".join((logs.stdout + logs.stderr).splitlines()[-20:])
    raise SystemExit(f"the container did not answer on port {port} within {timeout:.0f} s:\n{tail}")


def _smaps(pid: str) -> Dict[str, int]:
    """KiB per field of /proc/PID/smaps_rollup (Rss, Pss, ...)."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    values[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        pass
    return values


def worker_memory(name: str) -> Tuple[int, float, float]:
    """(workers, mean RSS MiB, mean PSS MiB) of the Gunicorn workers in container `name`."""
    top = subprocess.run(["docker", "top", name, "-eo", "pid,ppid,args"], capture_output=True, text=True,
                         check=True).stdout.splitlines()[1:]
    processes = [line.split(None, 2) for line in top if len(line.split(None, 2)) == 3]
    gunicorn = {pid: ppid for pid, ppid, args in processes if "gunicorn" in args}
    masters = {pid for pid, ppid in gunicorn.items() if ppid not in gunicorn}
    workers = [pid for pid, ppid in gunicorn.items() if ppid in masters]
    if not workers:
        return 0, 0.0, 0.0
    rollups = [_smaps(pid) for pid in workers]
    return (len(workers), statistics.mean(r.get("Rss", 0) for r in rollups) / 1024,
            statistics.mean(r.get("Pss", 0) for r in rollups) / 1024)


def container_memory(name: str) -> str:
    out = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", name], capture_output=True,
                         text=True).stdout.strip()
    return out.split("/")[0].strip() or "?"


# ---- one configuration ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    label: str
    env: Tuple[Tuple[str, str], ...]


def parse_run(text: str) -> Run:
    label, _, assignments = text.partition(":")
    env = []
    for item in filter(None, (part.strip() for part in assignments.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"--run {text!r}: write each variable as NAME=VALUE, separated by commas")
        env.append((name, value))
    return Run(label.strip() or "default", tuple(env))


def measure(image: str, run: Run, args: argparse.Namespace) -> List[str]:
    port = free_port()
    name = f"python-cnb-loadtest-{uuid.uuid4().hex[:8]}"
    cmd = ["docker", "run", "-d", "--rm", "--network", "host", "--name", name, "--memory", args.memory,
           "-e", f"PORT={port}"]
    for key, value in run.env:
        cmd += ["-e", f"{key}={value}"]
    subprocess.run([*cmd, image], check=True, capture_output=True)
    held: List[socket.socket] = []
    try:
        wait_until_answering(port, name)
        held = hold_slow_clients(port, args.slow_clients)
        load = os.getloadavg()[0]
        tally = run_load(port, args.connections, args.processes, args.warmup, args.duration)
        workers, rss, pss = worker_memory(name)
        used = container_memory(name)
    finally:
        for client in held:
            client.close()
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    latencies = sorted(tally.latencies)
    p50 = f"{latencies[len(latencies) // 2] * 1000:.0f} ms" if latencies else "-"
    p99 = f"{latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000:.0f} ms" if latencies else "-"
    return [run.label, f"{len(latencies) / args.duration:,.0f}", p50, p99, str(tally.errors),
            str(workers), f"{rss:.1f} / {pss:.1f} MiB", used, f"{load:.2f}"]


HEADER = ["configuration", "requests/s", "p50", "p99", "errors", "workers", "RSS / PSS per worker", "container",
          "load before"]


def table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default="python-cnb-demo/app", help="the image (default: scripts/demo's)")
    parser.add_argument("--run", action="append", default=[], metavar="LABEL[:NAME=VALUE,...]",
                        help="a configuration: a label and the variables given to docker run -e (repeatable)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured (default 15)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring (default 3)")
    parser.add_argument("--memory", default="512m", help="docker run --memory (default 512m: two workers)")
    parser.add_argument("--slow-clients", type=int, default=0, help="half-header connections held during the load")
    args = parser.parse_args(argv)
    if subprocess.run(["docker", "image", "inspect", args.image], capture_output=True).returncode != 0:
        print(f"No image {args.image}: build the sample first (scripts/demo), or pass --image.", file=sys.stderr)
        return 1
    runs = [parse_run(text) for text in (args.run or DEFAULT_RUNS)]
    print(f"{args.image}: {args.connections} connections from {args.processes} client processes, "
          f"{args.duration:.0f} s measured after {args.warmup:.0f} s, --memory {args.memory}, "
          f"{args.slow_clients} slow clients held, {os.cpu_count()} CPUs", flush=True)
    rows = []
    for run in runs:
        rows.append(measure(args.image, run, args))
        print(f"  {run.label}: done", flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
