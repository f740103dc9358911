"""A PEP 503 'simple' package index made from wheels downloaded once into the test cache (the end-to-end
suite serves it on 127.0.0.1 from a compose service, see tests/e2e/docker-compose.yml)."""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Sequence


def _project(filename: str) -> str:
    return re.sub(r"[-_.]+", "-", filename.split("-", 1)[0]).lower()


def build_index(cache_dir: Path, requirements: Sequence[str], python_version: str) -> Path:
    """Download wheels for the given requirements (for CPython `python_version` on x86_64 Linux) and lay
    out root/simple/<project>/index.html + root/files/. Cached by the request."""
    key = hashlib.sha256(("|".join(requirements) + python_version).encode()).hexdigest()[:16]
    root = cache_dir / f"index-{key}"
    if (root / "simple" / "index.html").exists():
        return root
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(files), "--only-binary", ":all:",
                    "--python-version", python_version, "--platform", "manylinux2014_x86_64", "--implementation",
                    "cp", *requirements], check=True)
    by_project: dict[str, list[Path]] = {}
    for wheel in sorted(files.glob("*.whl")):
        by_project.setdefault(_project(wheel.name), []).append(wheel)
    simple = root / "simple"
    for project, wheels in by_project.items():
        (simple / project).mkdir(parents=True, exist_ok=True)
        links = "\n".join(
            f'<a href="../../files/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">{w.name}</a><br>'
            for w in wheels)
        (simple / project / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}\n</body></html>\n")
    listing = "\n".join(f'<a href="{p}/">{p}</a><br>' for p in sorted(by_project))
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{listing}\n</body></html>\n")
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
