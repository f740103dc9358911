"""Build-time benchmark (not a test), issue 10: the buildpack beside Heroku's strategy and plain uv, in one run.

Two apps, generated in a temporary directory with exactly pinned requirements (every distribution they pull in):
  flask  the flask_wsgi fixture's wsgi.py; Flask and Gunicorn (8 distributions)
  heavy  the django_app fixture's Django project; Django, whitenoise, Gunicorn, psycopg[binary], Celery, requests
         and pandas (29 distributions, cp312 manylinux wheels)
Each goes through five builds, each incremental on the one before as the lifecycle would do it: cold (empty
layers and caches), no change, one requirement added (iniconfig==2.0.0), the same one upgraded (iniconfig==2.1.0),
and removed again. Every build runs the real bin/build (tests/support/cnb_harness.py, no Docker) on the same
interpreter (pyenv's 3.12.1 repackaged as a python-build-standalone archive and served through BP_PYTHON_MANIFEST),
once with pip (the default) and once with BP_PYTHON_INSTALLER=uv. For each build:
  wall         the whole bin/build
  installer    the "Done (N.NNs)" times of the log's "Running 'pip ...'" / "Running 'uv ...'" steps (with uv, a
               cold build's also counts `pip install uv==...` into the build-only uv layer)
  other cmds   the other app commands' "Done" times (collectstatic, hooks)
  buildpack    wall minus all app commands: the buildpack's own work
Beside them, for the same requirement set, on the same interpreter:
  Heroku       Heroku's strategy: `python -m venv` (with its bundled pip) and `pip install -r requirements.txt`,
               a fresh venv every build, with a warm pip cache; and once with an empty cache (what a cold build has)
  plain uv     `uv venv` and `uv pip install -r requirements.txt`, a fresh venv every build, with a warm uv cache;
               and once with an empty cache (uv from requirements/uv.txt, installed once, not timed)
  X alone      `pip install iniconfig==2.0.0` (`uv pip install` for uv) into an existing venv that holds the
               requirements: the median of three, each after uninstalling it again (not timed)
A reference that takes under 10 s is run three times and its median shown (noise would dominate one run); the
buildpack's builds run once each, since each depends on the one before (`--rounds N` runs the whole sequence N
times from scratch and shows, per build, the one with the median wall time).
Targets (each printed with its value and PASS/MISS):
  - a no-change rebuild runs no installer and the buildpack's own time is at most 0.3 s;
  - the buildpack's own time in the Flask app's cold build is under 2 s (the heavy app's is printed: most of it is
    compiling its 2,000 modules), and in every one-requirement change (an incremental rebuild) under 0.5 s;
  - a one-requirement change (added, upgraded, removed) takes at most 1.5x `pip install X` alone, with either
    installer (the issue's baseline is pip's; a build cannot be 1.5x `uv pip install` of one small wheel, ~0.1 s,
    so that ratio is only printed), where the change's cost is the build's wall time minus the other app
    commands (collectstatic runs on every build, changed requirements or not);
  - with uv, the heavy app's cold build (minus the other app commands) takes at most 1.0x plain uv with an empty
    cache (venv + install) followed by the buildpack's own compile of the same files
    (python_cnb.bytecode.compile_bytecode: hash-based, one process per CPU): the same work, since the image needs
    bytecode and plain uv writes none (printed with that compile's wall time and CPU seconds, and the ratio to plain
    uv alone);
  - the launch layers (python, venv, web) hold no pip (no pip package, pip-*.dist-info or bin/pip*), no uv, no
    package-manager cache (no .cache, pip-cache, uv-cache or uv *-vN bucket directory, no directory holding both
    wheels/ and http/ or http-v2/ as pip's cache does, no CACHEDIR.TAG) and no duplicate bytecode: at most one
    .pyc per module (one file per module name in each __pycache__, whatever its cache tag or opt level, and no
    legacy X.pyc beside X.py), and every .pyc is hash-based (PEP 552): a timestamp-based one beside the
    buildpack's hash-based bytecode is a stray that Python would rewrite and that changes the layer. Their sizes
    are printed.
The network here sends no HTTP cache headers, so pip's HTTP cache never fills: every pip install, the buildpack's
and Heroku's, downloads its wheels again (machine-notes.md); uv's cache works. Exits non-zero when a target is
missed (or an installer is not available), after printing everything. Run it with `scripts/benchmark`. Then the
lock changes (benchmarks/lock_changes.py: the heavy app as a uv, a Poetry and a pylock.toml project, one locked
package added, upgraded and removed; --only-locks runs them alone, --no-locks leaves them out).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support import python_archive  # noqa: E402
from support.cnb_harness import BASE_PATH, CACHE_DIR, FIXTURES, PASSTHROUGH, CnbApp  # noqa: E402
from support.http_server import serve_directory  # noqa: E402

sys.path.insert(0, str(REPO / "lib"))
from python_cnb.bytecode import compile_bytecode  # noqa: E402

PYTHON = "3.12.1"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

FLASK_REQUIREMENTS = """\
blinker==1.9.0
click==8.5.1
flask==3.1.3
gunicorn==27.0.1
itsdangerous==2.2.0
jinja2==3.1.6
markupsafe==3.0.4
werkzeug==3.1.9
"""
HEAVY_REQUIREMENTS = """\
django==5.2.19
whitenoise==6.12.0
gunicorn==27.0.1
psycopg[binary]==3.3.9
celery==5.7.0
requests==2.34.2
pandas==3.1.1
amqp==5.4.2
asgiref==3.13.0
billiard==4.3.2
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
click-didyoumean==0.3.1
click-plugins==1.1.1.2
click-repl==0.4.1
idna==3.20
kombu==5.7.0
numpy==2.5.5
prompt-toolkit==3.0.53
psycopg-binary==3.3.9
python-dateutil==2.9.0.post0
six==1.17.0
sqlparse==0.6.1
typing-extensions==4.16.0
tzlocal==5.4.5
urllib3==2.8.0
vine==5.1.0
wcwidth==0.9.4
"""
# app name -> (fixture whose files make the app, apart from requirements.txt; its requirements)
APPS: Dict[str, Tuple[str, str]] = {"flask": ("flask_wsgi", FLASK_REQUIREMENTS),
                                    "heavy": ("django_app", HEAVY_REQUIREMENTS)}
INSTALLERS = ("pip", "uv")
LOCK_MANAGERS = ("uv", "poetry", "pylock")  # benchmarks/lock_changes.py

# The one-requirement changes: a small pure-Python distribution with no dependencies that neither app pulls in.
ADDED_NAME = "iniconfig"
ADDED = f"{ADDED_NAME}==2.0.0"
UPGRADED = f"{ADDED_NAME}==2.1.0"
COLD, NO_CHANGE, ADD, UPGRADE, REMOVE = ("cold", "no change", "one requirement added", "one requirement upgraded",
                                         "one requirement removed")
# (label, the line appended to the app's requirements), in the order they run: each is a rebuild of the one before.
SCENARIOS: Tuple[Tuple[str, str], ...] = ((COLD, ""), (NO_CHANGE, ""), (ADD, ADDED), (UPGRADE, UPGRADED),
                                          (REMOVE, ""))
CHANGES = (ADD, UPGRADE, REMOVE)
LAUNCH_LAYERS = ("python", "venv", "web")

NO_CHANGE_OWN_TARGET = 0.3
COLD_OWN_TARGET = 2.0  # the Flask app's cold build: the measure
CHANGE_OWN_TARGET = 0.5
CHANGE_RATIO_TARGET = 1.5
# The heavy app's cold build with uv, against the same work: plain uv with an empty cache followed by the
# buildpack's compile of that venv (plain uv writes no bytecode; the image needs it). It replaces "1.3x plain uv".
UV_COLD_SAME_WORK_TARGET = 1.0
# A reference measurement under REPEAT_BELOW seconds is taken REPEATS times and its median shown.
REPEATS = 3
REPEAT_BELOW = 10.0

RUNNING = re.compile(r"^Running '(?P<command>.*)'$")
DONE = re.compile(r"^Done \((?P<seconds>\d+(?:\.\d+)?)s\)$")
# The log shows the installer as `pip ...`, `uv ...` (or a path to them, or `python -m pip ...`).
INSTALLER_COMMAND = re.compile(r"^(?:\S*/)?(?:pip3?|uv|python3?(?:\.\d+)? -m pip)(?:\s|$)")
# A package-manager cache: one of these directory names, a pip cache root (holds wheels/ and http/ or http-v2/),
# or a uv cache (CACHEDIR.TAG, or uv's versioned buckets).
CACHE_DIR_NAMES = re.compile(r"^(?:\.cache|pip-cache|uv-cache|(?:wheels|archive|sdists|simple|built-wheels)-v\d+)$")


class Unavailable(Exception):
    """The buildpack cannot build with this installer (yet): its rows print "not available"."""


# ---- measurements -------------------------------------------------------------------------------------------
@dataclass
class Build:
    wall: float
    installer: float
    other: float
    installer_ran: bool
    installers_seen: List[str]

    @property
    def own(self) -> float:
        return self.wall - self.installer - self.other

    @property
    def change_cost(self) -> float:
        """What a requirement change costs: everything but the app commands that run on every build."""
        return self.wall - self.other


def parse_log(output: str, wall: float) -> Build:
    installer = other = 0.0
    seen: List[str] = []
    current: Optional[str] = None
    for line in output.splitlines():
        running = RUNNING.match(line)
        if running:
            current = running.group("command")
            if INSTALLER_COMMAND.match(current):
                seen.append(current)
            continue
        done = DONE.match(line)
        if done and current is not None:
            if INSTALLER_COMMAND.match(current):
                installer += float(done.group("seconds"))
            else:
                other += float(done.group("seconds"))
            current = None
    return Build(wall=wall, installer=installer, other=other, installer_ran=bool(seen), installers_seen=seen)


@dataclass
class LayerReport:
    sizes: Dict[str, int]
    problems: List[str] = field(default_factory=list)


def tree_size(directory: Path) -> int:
    if not directory.is_dir():
        return 0
    return sum(p.lstat().st_size for p in directory.rglob("*") if p.is_file() or p.is_symlink())


def _pyc_is_hash_based(path: Path) -> bool:
    with path.open("rb") as handle:
        header = handle.read(8)
    return len(header) == 8 and bool(int.from_bytes(header[4:8], "little") & 1)


def inspect_launch_layers(layers: Path) -> LayerReport:
    report = LayerReport(sizes={name: tree_size(layers / name) for name in LAUNCH_LAYERS})
    for name in LAUNCH_LAYERS:
        layer = layers / name
        if not layer.is_dir():
            continue
        stray_timestamp: List[str] = []
        for root, dirs, files in os.walk(layer):
            here = Path(root)
            relative = here.relative_to(layers)
            if "wheels" in dirs and ("http" in dirs or "http-v2" in dirs):
                report.problems.append(f"a pip cache: {relative}")
            for directory in dirs:
                if CACHE_DIR_NAMES.match(directory):
                    report.problems.append(f"a package-manager cache directory: {relative / directory}")
                if name == "venv" and here.name == "site-packages" and (
                        directory in ("pip", "uv") or re.match(r"^(?:pip|uv)-[^-]+\.dist-info$", directory)):
                    report.problems.append(f"{directory.split('-')[0]} is in the venv: {relative / directory}")
            if "CACHEDIR.TAG" in files:
                report.problems.append(f"a package-manager cache (CACHEDIR.TAG): {relative}")
            if name == "venv" and here.name == "bin":
                for program in files:
                    if re.match(r"^(?:pip[\d.]*|uv|uvx)$", program):
                        report.problems.append(f"{program} is in the venv: {relative / program}")
            pycs = [f for f in files if f.endswith(".pyc")]
            if here.name == "__pycache__":
                modules: Dict[str, List[str]] = {}
                for pyc in pycs:
                    modules.setdefault(pyc.split(".", 1)[0], []).append(pyc)
                for module, copies in sorted(modules.items()):
                    if len(copies) > 1:
                        report.problems.append(f"duplicate bytecode for {relative.parent / module}: "
                                               f"{', '.join(sorted(copies))}")
            else:
                for pyc in pycs:
                    if pyc[:-1] in files:
                        report.problems.append(f"legacy bytecode beside its source: {relative / pyc}")
            stray_timestamp.extend(str(relative / pyc) for pyc in pycs if not _pyc_is_hash_based(here / pyc))
        if stray_timestamp:
            report.problems.append(f"{len(stray_timestamp)} timestamp-based .pyc in the {name} layer, e.g. "
                                   f"{', '.join(sorted(stray_timestamp)[:3])}")
    return report


# ---- the buildpack's builds ---------------------------------------------------------------------------------
def write_source(destination: Path, fixture: str, requirements: str) -> None:
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(FIXTURES / fixture, destination, symlinks=True)
    (destination / "requirements.txt").write_text(requirements)


@dataclass
class InstallerRun:
    builds: Dict[str, Build] = field(default_factory=dict)
    layers: Optional[LayerReport] = None
    unavailable: Optional[str] = None


def run_buildpack(app_name: str, installer: str, root: Path, env: Dict[str, str]) -> InstallerRun:
    fixture, requirements = APPS[app_name]
    platform_env = dict(env)
    if installer != "pip":
        platform_env["BP_PYTHON_INSTALLER"] = installer
    app = CnbApp(root=root, buildpack_dir=REPO, platform_env=platform_env)
    for directory in (app.layers, app.platform / "env", app.home):
        directory.mkdir(parents=True, exist_ok=True)
    run = InstallerRun()
    try:
        for index, (label, extra) in enumerate(SCENARIOS):
            if index:
                app.restore_for_next_build()
            write_source(app.app, fixture, requirements + (extra + "\n" if extra else ""))
            started = time.monotonic()
            result = app.build()
            wall = time.monotonic() - started
            (root / f"{index}-{label.replace(' ', '-')}.log").write_text(result.output)
            if result.returncode != 0:
                if installer != "pip":
                    last_lines = " / ".join(result.output.strip().splitlines()[-3:])
                    raise Unavailable(f"the {label} build failed: {last_lines}")
                raise SystemExit(f"{app_name}: the {label} build with {installer} failed:\n{result.output}")
            build = parse_log(result.output, wall)
            if label == COLD and not any(command.split()[0].endswith(installer) for command in build.installers_seen):
                raise Unavailable(f"BP_PYTHON_INSTALLER={installer} was ignored: the cold build ran "
                                  f"{', '.join(build.installers_seen) or 'no installer'}")
            run.builds[label] = build
    except Unavailable as reason:
        run.unavailable = str(reason)
        return run
    run.layers = inspect_launch_layers(app.layers)
    return run


def run_rounds(app_name: str, installer: str, work: Path, env: Dict[str, str], rounds: int) -> InstallerRun:
    """The build sequence `rounds` times from scratch; per scenario, the build with the median wall time."""
    results = []
    for round_number in range(1, rounds + 1):
        run = run_buildpack(app_name, installer, work / f"build-{app_name}-{installer}-{round_number}", env)
        if run.unavailable is not None:
            return run
        results.append(run)
    merged = InstallerRun(layers=results[-1].layers)
    for label, _extra in SCENARIOS:
        builds = sorted((run.builds[label] for run in results), key=lambda build: build.wall)
        merged.builds[label] = builds[(len(builds) - 1) // 2]
    return merged


# ---- the references: Heroku's strategy and plain uv -----------------------------------------------------------
@dataclass
class Reference:
    per_scenario: Dict[str, float] = field(default_factory=dict)  # fresh venv + install -r, warm cache
    cold_empty_cache: float = 0.0  # fresh venv + install -r, empty cache
    compile_wall: float = 0.0  # the buildpack's compile of plain uv's venv: wall seconds (median of 3; heavy, uv)
    compile_cpu: float = 0.0  # and CPU seconds (user + system, every process)
    alone: float = 0.0  # the added distribution alone into an existing venv


def timed(command: Sequence[str], env: Dict[str, str], cwd: Path) -> float:
    started = time.monotonic()
    proc = subprocess.run(list(command), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, stdin=subprocess.DEVNULL, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {proc.returncode}):\n{proc.stdout}")
    return elapsed


@dataclass
class Tools:
    python: Path  # the interpreter the buildpack installs, unpacked from the same archive
    uv: Path
    env: Dict[str, str]  # what every reference command runs with (PATH, HOME, certificates, proxies)


def prepare_tools(work: Path, archive: Path) -> Tools:
    interpreter = work / "interpreter"
    with tarfile.open(archive) as tar:
        tar.extractall(interpreter)  # noqa: S202 - our own archive
    python = interpreter / "python" / "bin" / "python3"
    env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    env.update(PATH=BASE_PATH, HOME=str(work / "home"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    if Path(CA_BUNDLE).exists():
        env.update(PIP_CERT=CA_BUNDLE, SSL_CERT_FILE=CA_BUNDLE)
    (work / "home").mkdir()
    tool_venv = work / "uv-tool"
    timed([str(python), "-m", "venv", str(tool_venv)], env, work)
    timed([str(tool_venv / "bin" / "pip"), "install", "--quiet", "-r", str(REPO / "requirements" / "uv.txt")],
          env, work)
    return Tools(python=python, uv=tool_venv / "bin" / "uv", env=env)


def _median(measure: Callable[[], float]) -> float:
    """One measurement, or the median of REPEATS when it is quick enough that noise would dominate it."""
    first = measure()
    if first >= REPEAT_BELOW:
        return first
    return statistics.median([first] + [measure() for _ in range(REPEATS - 1)])


def _requirement_sets(requirements: str) -> Dict[str, str]:
    return {label: requirements + (extra + "\n" if extra else "") for label, extra in SCENARIOS}


def run_reference(strategy: str, app_name: str, tools: Tools, work: Path) -> Reference:
    """strategy "pip": Heroku's (python -m venv, pip install -r); "uv": plain uv (uv venv, uv pip install -r)."""
    directory = work / f"{strategy}-{app_name}"
    directory.mkdir()
    venv = directory / "venv"
    requirements_file = directory / "requirements.txt"
    cache = directory / "cache"
    env = dict(tools.env, PIP_CACHE_DIR=str(cache), UV_CACHE_DIR=str(cache))
    python = str(venv / "bin" / "python")

    def fresh_install(requirements: str, *options: str) -> float:
        if venv.exists():
            shutil.rmtree(venv)
        requirements_file.write_text(requirements)
        if strategy == "pip":
            return (timed([str(tools.python), "-m", "venv", str(venv)], env, directory)
                    + timed([str(venv / "bin" / "pip"), "install", "-r", str(requirements_file)], env, directory))
        return (timed([str(tools.uv), "venv", "--quiet", "--python", str(tools.python), str(venv)], env, directory)
                + timed([str(tools.uv), "pip", "install", "--python", python, *options, "-r",
                         str(requirements_file)], env, directory))

    def empty_cache_install(requirements: str, *options: str) -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return fresh_install(requirements, *options)

    reference = Reference()
    sets = _requirement_sets(APPS[app_name][1])
    reference.cold_empty_cache = _median(lambda: empty_cache_install(sets[COLD]))
    if strategy == "uv" and app_name == "heavy":
        # The same work as the buildpack's cold build in the one respect plain uv skips: the image needs bytecode.
        # The buildpack's own compile (python_cnb.bytecode, one process per CPU, hash-based, tests left out) of the
        # venv plain uv just made, three times; its CPU seconds show what any way of compiling it costs here.
        site_packages = next(venv.glob("lib/python3*/site-packages"))
        walls: List[float] = []
        cpus: List[float] = []
        for _ in range(3):
            for pycache in list(site_packages.rglob("__pycache__")):
                shutil.rmtree(pycache)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            compile_bytecode(venv / "bin" / "python", site_packages, env)
            walls.append(time.monotonic() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        reference.compile_wall = statistics.median(walls)
        reference.compile_cpu = statistics.median(cpus)
    for label, _extra in SCENARIOS:
        reference.per_scenario[label] = _median(lambda: fresh_install(sets[label]))  # noqa: B023 - called here
    # The venv now holds the requirements (the last scenario removed the added one): install it alone.
    install: List[str]
    uninstall: List[str]
    if strategy == "pip":
        install = [str(venv / "bin" / "pip"), "install", ADDED]
        uninstall = [str(venv / "bin" / "pip"), "uninstall", "--yes", ADDED_NAME]
    else:
        install = [str(tools.uv), "pip", "install", "--python", python, ADDED]
        uninstall = [str(tools.uv), "pip", "uninstall", "--python", python, ADDED_NAME]
    alone = []
    for _ in range(REPEATS):
        alone.append(timed(install, env, directory))
        timed(uninstall, env, directory)
    reference.alone = statistics.median(alone)
    return reference


# ---- report -------------------------------------------------------------------------------------------------
def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


REFERENCE_NAMES = {"pip": "Heroku (python -m venv + pip install -r)", "uv": "plain uv (uv venv + uv pip install -r)"}


def print_table(app_name: str, installers: Sequence[str], runs: Dict[str, InstallerRun],
                references: Dict[str, Reference]) -> None:
    print(f"\n### {app_name}: {len(APPS[app_name][1].splitlines())} requirements, Python {PYTHON}\n")
    print("| build | installer | wall | installer time | other app commands | buildpack's own | "
          "same set, fresh venv, warm cache | same set, fresh venv, empty cache | "
          f"`install {ADDED}` alone |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, _extra in SCENARIOS:
        for installer in installers:
            run, reference = runs[installer], references[installer]
            if run.unavailable is not None:
                cells = ["not available"] * 4
            else:
                build = run.builds[label]
                cells = [_s(build.wall), _s(build.installer) if build.installer_ran else "not run",
                         _s(build.other), _s(build.own)]
            cells.append(_s(reference.per_scenario[label]))
            cells.append(_s(reference.cold_empty_cache) if label == COLD else "")
            cells.append(_s(reference.alone) if label in CHANGES else "")
            print(f"| {label} | {installer} | " + " | ".join(cells) + " |")
    print(f"\nReferences on the same interpreter: pip rows: {REFERENCE_NAMES['pip']}; uv rows: "
          f"{REFERENCE_NAMES['uv']}. \"alone\": into an existing venv holding the requirements. A reference "
          f"under {REPEAT_BELOW:.0f} s is the median of {REPEATS} runs; each build runs once (it continues the one "
          "before; with --rounds N the median of N sequences).")
    for installer in installers:
        run = runs[installer]
        if run.unavailable is not None:
            print(f"{app_name} with {installer}: not available ({run.unavailable})")
        elif run.layers is not None:
            sizes = ", ".join(f"{name} {_mb(size)}" for name, size in run.layers.sizes.items())
            print(f"{app_name} launch layers with {installer}: {sizes}")


class Verdicts:
    def __init__(self) -> None:
        self.missed = 0

    def check(self, ok: bool, text: str, target: str) -> None:
        self.missed += not ok
        print(f"{'PASS' if ok else 'MISS'}  {text} (target: {target})")

    def unavailable(self, text: str, reason: str) -> None:
        self.missed += 1
        print(f"MISS  {text}: not available ({reason})")


def print_ratios(app_name: str, installers: Sequence[str], runs: Dict[str, InstallerRun],
                 references: Dict[str, Reference], verdicts: Verdicts) -> None:
    for installer in installers:
        run, reference = runs[installer], references[installer]
        prefix = f"{app_name}, {installer}:"
        if run.unavailable is not None:
            verdicts.unavailable(f"{prefix} every target", run.unavailable)
            continue
        no_change = run.builds[NO_CHANGE]
        ran = ", ".join(no_change.installers_seen) if no_change.installer_ran else "no installer"
        verdicts.check(not no_change.installer_ran and no_change.own <= NO_CHANGE_OWN_TARGET,
                       f"{prefix} no-change rebuild ran {ran}, buildpack's own time {_s(no_change.own)}",
                       f"no installer, own time <= {NO_CHANGE_OWN_TARGET} s")
        cold = run.builds[COLD]
        if app_name == "flask":
            verdicts.check(cold.own < COLD_OWN_TARGET, f"{prefix} cold build, buildpack's own time {_s(cold.own)}",
                           f"< {COLD_OWN_TARGET} s")
        else:
            print(f"INFO  {prefix} cold build, buildpack's own time {_s(cold.own)} (no target: most of it compiles "
                  "the environment's modules)")
        own_times = ", ".join(f"{label} {_s(run.builds[label].own)}" for label in CHANGES)
        verdicts.check(all(run.builds[label].own < CHANGE_OWN_TARGET for label in CHANGES),
                       f"{prefix} incremental rebuilds, buildpack's own time: {own_times}", f"< {CHANGE_OWN_TARGET} s")
        # The baseline is pip's: `pip install X` alone, whichever installer the build uses. The measure
        # ("installing that distribution alone takes 0.5 s") is pip's, and no build can be 1.5x uv's ~0.1 s: the
        # work every build does around the installer (the app's files, the reuse key, the layer files) takes longer.
        # The ratio to the same installer alone is printed too.
        pip_alone = references["pip"].alone if "pip" in references else 0.0
        for label in CHANGES:
            build = run.builds[label]
            own = build.change_cost / reference.alone
            if not pip_alone:
                verdicts.unavailable(f"{prefix} {label}", "the pip references did not run (--installers)")
                continue
            ratio = build.change_cost / pip_alone
            extra = f"; {own:.2f}x `uv pip install {ADDED}` alone {_s(reference.alone)}" if installer == "uv" else ""
            verdicts.check(ratio <= CHANGE_RATIO_TARGET,
                           f"{prefix} {label}: {_s(build.change_cost)} (wall {_s(build.wall)} minus other app "
                           f"commands) vs `pip install {ADDED}` alone {_s(pip_alone)}: {ratio:.2f}x{extra}",
                           f"<= {CHANGE_RATIO_TARGET}x")
        if installer == "uv" and app_name == "heavy":
            cost = cold.wall - cold.other  # collectstatic is the app's, not the install's
            compiled = reference.cold_empty_cache + reference.compile_wall
            verdicts.check(cost / compiled <= UV_COLD_SAME_WORK_TARGET,
                           f"{prefix} cold build {_s(cost)} (wall {_s(cold.wall)} minus other app commands) vs plain "
                           f"uv with an empty cache followed by the buildpack's compile of the same files (the "
                           f"bytecode the image needs) {_s(compiled)}: {cost / compiled:.2f}x; the compile takes "
                           f"{_s(reference.compile_wall)} here, {reference.compile_cpu:.1f} CPU-seconds; "
                           f"{cost / reference.cold_empty_cache:.2f}x plain uv alone "
                           f"{_s(reference.cold_empty_cache)}", f"<= {UV_COLD_SAME_WORK_TARGET}x")
        assert run.layers is not None
        sizes = ", ".join(f"{name} {_mb(size)}" for name, size in run.layers.sizes.items())
        problems = "; ".join(run.layers.problems[:5]) + (" ..." if len(run.layers.problems) > 5 else "")
        verdicts.check(not run.layers.problems, f"{prefix} launch layers {sizes}: "
                       + (problems or "no pip, no uv, no package-manager cache, no duplicate bytecode"),
                       "no pip, no cache, one hash-based .pyc per module")


# ---- main ---------------------------------------------------------------------------------------------------
def _choices(allowed: Sequence[str]) -> Callable[[str], List[str]]:
    def parse(value: str) -> List[str]:
        chosen = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in chosen if item not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)} (comma-separated), "
                                             f"not {value!r}")
        return chosen
    return parse


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=_choices(tuple(APPS)), default=list(APPS), help="flask,heavy (default both)")
    parser.add_argument("--installers", type=_choices(INSTALLERS), default=list(INSTALLERS),
                        help="pip,uv (default both)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run each build sequence N times from scratch and show the median build (default 1)")
    parser.add_argument("--lock-managers", type=_choices(LOCK_MANAGERS), default=list(LOCK_MANAGERS),
                        help="the heavy app as a locked project, one locked package added, upgraded and removed "
                             "(benchmarks/lock_changes.py): uv,poetry,pylock (default all)")
    parser.add_argument("--only-locks", action="store_true", help="run the lock changes only")
    parser.add_argument("--no-locks", action="store_true", help="leave the lock changes out")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (its path is printed; it holds every build's log)")
    options = parser.parse_args(argv)
    if options.rounds < 1:
        parser.error("--rounds must be 1 or more")

    archive, sha256 = python_archive.make_archive(PYTHON, CACHE_DIR / "python-archives")
    work = Path(tempfile.mkdtemp(prefix="python-cnb-bench-"))
    work.chmod(0o755)
    try:
        with serve_directory(archive.parent) as archives_url:
            manifest = work / "manifest.toml"
            manifest.write_text(python_archive.manifest_toml(archives_url, {PYTHON: (archive, sha256)}))
            manifest.chmod(0o644)
            env = {"BP_PYTHON_MANIFEST": str(manifest)}
            if Path(CA_BUNDLE).exists():
                env["PIP_CERT"] = CA_BUNDLE
            tools = prepare_tools(work, archive)
            load = os.getloadavg()[0]
            print(f"Benchmark on {os.cpu_count()} cores, load average {load:.1f} at the start; work dir {work}")

            verdicts = Verdicts()
            results = []
            for app_name in [] if options.only_locks else options.apps:
                runs = {installer: run_rounds(app_name, installer, work, env, options.rounds)
                        for installer in options.installers}
                references = {installer: run_reference(installer, app_name, tools, work)
                              for installer in options.installers}
                print_table(app_name, options.installers, runs, references)
                results.append((app_name, runs, references))
            print()
            for app_name, runs, references in results:
                print_ratios(app_name, options.installers, runs, references, verdicts)
            if not options.no_locks:
                from lock_changes import run_lock_changes

                run_lock_changes(options.lock_managers, tools, env, work, verdicts)
            print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}. "
                  + (f"{verdicts.missed} target(s) missed." if verdicts.missed else "Every target met."))
            return 1 if verdicts.missed else 0
    finally:
        if options.keep:
            print(f"Work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
