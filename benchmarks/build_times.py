"""Build-time benchmark (not a test): a cold build, a no-change rebuild, then a requirement added, upgraded and
removed (incremental rebuilds) for a Flask and a Django app, through the real bin/build (see
tests/support/cnb_harness.py), with real pip installs; then the sizes of the launch layers (python, venv, web).

For each build it reports the wall time, the time spent in the app's own commands (pip, collectstatic, hooks: every
"Running '...'" step, measured by the buildpack and logged as "Done (N.NNs)") and the buildpack's own time, the
difference. Goals: a no-change rebuild runs no installer, the buildpack's own work stays under 1 second, and pip
is not in the venv layer. Run with `scripts/benchmark`; it exits non-zero when a goal is missed.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support import python_archive  # noqa: E402
from support.cnb_harness import CACHE_DIR, CnbApp  # noqa: E402

PYTHON = "3.12.1"
OWN_TIME_GOAL = 1.0
SCENARIOS = {"flask": "flask_wsgi", "django": "django_app"}
# The requirement changes of the incremental rebuilds, appended to the fixture's requirements.txt.
CHANGES = (("one requirement added", "six==1.16.0\n"), ("one requirement upgraded", "six==1.17.0\n"),
           ("one requirement removed", ""))
LAUNCH_LAYERS = ("python", "venv", "web")


def _size(directory: Path) -> int:
    return sum(p.lstat().st_size for p in directory.rglob("*") if p.is_file() or p.is_symlink()) \
        if directory.is_dir() else 0


def _serve(directory: Path) -> str:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def _timed_build(app: CnbApp) -> dict:
    started = time.monotonic()
    result = app.build()
    wall = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.output}")
    commands = sum(float(m) for m in re.findall(r"^Done \((\d+\.\d+)s\)$", result.output, re.MULTILINE))
    return {"wall": wall, "commands": commands, "own": wall - commands,
            "pip_ran": "Running 'pip" in result.output}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("apps", nargs="*", default=list(SCENARIOS))
    options = parser.parse_args()

    archive, sha256 = python_archive.make_archive(PYTHON, CACHE_DIR / "python-archives")
    base_url = _serve(archive.parent)
    work = Path(tempfile.mkdtemp(prefix="python-cnb-bench-"))
    work.chmod(0o755)
    manifest = work / "manifest.toml"
    manifest.write_text(python_archive.manifest_toml(base_url, {PYTHON: (archive, sha256)}))
    manifest.chmod(0o644)
    buildpack = REPO
    env = {"BP_PYTHON_MANIFEST": str(manifest)}
    if Path("/etc/ssl/certs/ca-certificates.crt").exists():
        env["PIP_CERT"] = "/etc/ssl/certs/ca-certificates.crt"

    failures = []
    print(f"{'app':8} {'build':24} {'wall':>8} {'app cmds':>9} {'buildpack':>10}  pip ran")
    for name in options.apps:
        fixture = SCENARIOS[name]
        app = CnbApp.from_fixture(fixture, work / name, buildpack, env)
        rows = [("cold", _timed_build(app))]
        app.restore_for_next_build(fresh_source=fixture)
        rows.append(("no change", _timed_build(app)))
        for label, extra in CHANGES:
            app.restore_for_next_build(fresh_source=fixture)
            with (app.app / "requirements.txt").open("a") as handle:
                handle.write(extra)
            rows.append((label, _timed_build(app)))
        for label, row in rows:
            print(f"{name:8} {label:24} {row['wall']:7.2f}s {row['commands']:8.2f}s {row['own']:9.2f}s  "
                  f"{'yes' if row['pip_ran'] else 'no'}")
        sizes = ", ".join(f"{layer} {_size(app.layers / layer) / 1e6:.1f} MB" for layer in LAUNCH_LAYERS)
        print(f"{name:8} launch layers: {sizes}")
        if list(app.layers.glob("venv/lib/python3*/site-packages/pip")):
            failures.append(f"{name}: pip is in the venv layer")
        no_change = rows[1][1]
        if no_change["pip_ran"]:
            failures.append(f"{name}: the no-change rebuild ran pip")
        if no_change["own"] > OWN_TIME_GOAL:
            failures.append(f"{name}: the buildpack's own work took {no_change['own']:.2f}s on a no-change rebuild")
    for failure in failures:
        print(f"GOAL MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
