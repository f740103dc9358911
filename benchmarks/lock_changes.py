"""Lock changes (issue 19), beside build_times.py: the heavy app as a uv project, as a Poetry project and as a
pylock.toml project (the uv project's lock exported by `uv export --format pylock.toml`, shipped without uv.lock), each
locked by the real tool, built cold, then rebuilt on the layers the lifecycle keeps with one locked package added
(iniconfig==2.0.0), upgraded (2.1.0) and removed again.

For each build: the wall time, the tool's time (the "Done" of `Running 'uv ...'`/`'poetry ...'`/`'pip ...'`), the other
app commands (collectstatic, which runs on every build) and what the log says it compiled. References on the same
interpreter:
  manager alone  the manager's own making of each change in an existing environment: the project synced with the
                 lock before, then `uv sync --locked` (`poetry sync --only main`; for pylock.toml the buildpack's
                 own `uv pip sync --preview-features pylock ... pylock.toml`, its flags and environment) of the
                 changed lock, timed (the median of three rounds of base, added, upgraded, base again); for the added
                 package that is its install of that one package into an existing environment
  same work      plain uv with an empty cache (`uv venv`, `uv pip install -r` of the same 29 pins) followed by the
                 buildpack's compile of that venv: what a cold build must do, and what a lock change cost before the
                 environment was updated in place
Targets: a change costs (wall minus the other app commands) at most 1.5x the manager alone making the same change
(the ratio to its install of the added package is printed too), and compiles only what
it installed (the log's "Compiled bytecode for N new distributions ..., not the whole environment", N <= 2); the uv
project's cold build is at most 1.0x the same work. The ratio of each build to the same work is printed."""

from __future__ import annotations

import re
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import build_times as bt
from support import lock_apps

MANAGERS = ("uv", "poetry", "pylock")
COLD, ADD, UPGRADE, REMOVE = "cold", "one locked package added", "one locked package upgraded", \
    "one locked package removed"
# (label, the pin added to the heavy app's), each a rebuild of the one before.
SCENARIOS: Tuple[Tuple[str, str], ...] = ((COLD, ""), (ADD, bt.ADDED), (UPGRADE, bt.UPGRADED), (REMOVE, ""))
CHANGES = (ADD, UPGRADE, REMOVE)
CHANGE_RATIO_TARGET = 1.5
COLD_SAME_WORK_TARGET = 1.0
MAX_COMPILED = 2  # the changed distribution (and Poetry's project, which it reinstalls on every sync)
TOOL_COMMAND = re.compile(r"^(?:uv|poetry|pip)(?:\s|$)")
COMPILED = re.compile(r"^(Compiled bytecode for (\d+) new distributions? .*, not the whole environment|"
                      r"The update installed no distribution: no bytecode to compile|"
                      r"Compiled bytecode for the whole environment.*)", re.MULTILINE)


def _pins(extra: str) -> List[str]:
    return [line for line in bt.HEAVY_REQUIREMENTS.splitlines() if line] + ([extra] if extra else [])


def project_files(manager: str, extra: str) -> Dict[str, str]:
    """The heavy app's files (the django_app fixture's), with a pyproject.toml of its 29 pins (and `extra`)."""
    files = {str(p.relative_to(bt.FIXTURES / "django_app")): p.read_text()
             for p in sorted((bt.FIXTURES / "django_app").rglob("*")) if p.is_file() and p.name != "requirements.txt"}
    dependencies = "".join(f'    "{pin}",\n' for pin in _pins(extra))
    pyproject = (f'[project]\nname = "heavy"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n'
                 f"dependencies = [\n{dependencies}]\n")
    if manager == "poetry":
        pyproject += f"\n[tool.poetry]\npackage-mode = false\n\n{lock_apps.poetry_source()}"
    files["pyproject.toml"] = pyproject
    return files


@dataclass
class LockBuild:
    wall: float
    tool: float
    other: float
    compiled: str  # the log's compile line ('' when it has none)
    count: Optional[int]  # how many distributions it compiled (None: the whole environment or no line)

    @property
    def change_cost(self) -> float:
        return self.wall - self.other


def parse_lock_log(output: str, wall: float) -> LockBuild:
    tool = other = 0.0
    current: Optional[str] = None
    for line in output.splitlines():
        running = bt.RUNNING.match(line)
        if running:
            current = running.group("command")
            continue
        done = bt.DONE.match(line)
        if done and current is not None:
            if TOOL_COMMAND.match(current):
                tool += float(done.group("seconds"))
            else:
                other += float(done.group("seconds"))
            current = None
    found = COMPILED.search(output)
    count = int(found.group(2)) if found and found.group(2) else (0 if found and "no bytecode" in found.group(1)
                                                                   else None)
    return LockBuild(wall, tool, other, found.group(1) if found else "", count)


@dataclass
class ManagerRun:
    builds: Dict[str, LockBuild] = field(default_factory=dict)
    alone: Dict[str, float] = field(default_factory=dict)  # by change


def _sources(manager: str, work: Path, python: Path) -> Dict[str, Path]:
    return {label: lock_apps.locked_project(manager, project_files(manager, extra), work / f"src-{manager}-{index}",
                                            python=str(python))
            for index, (label, extra) in enumerate(SCENARIOS)}


def run_builds(manager: str, sources: Dict[str, Path], root: Path, env: Dict[str, str]) -> Dict[str, LockBuild]:
    app = bt.CnbApp(root=root, buildpack_dir=bt.REPO, platform_env=dict(env))
    for directory in (app.layers, app.platform / "env", app.home):
        directory.mkdir(parents=True, exist_ok=True)
    builds: Dict[str, LockBuild] = {}
    for index, (label, _extra) in enumerate(SCENARIOS):
        if index:
            app.restore_for_next_build()
        shutil.rmtree(app.app, ignore_errors=True)
        shutil.copytree(sources[label], app.app, symlinks=True)
        started = time.monotonic()
        result = app.build()
        wall = time.monotonic() - started
        (root / f"{index}-{label.replace(' ', '-')}.log").write_text(result.output)
        if result.returncode != 0:
            raise SystemExit(f"heavy as a {manager} project: the {label} build failed:\n{result.output}")
        builds[label] = parse_lock_log(result.output, wall)
    return builds


def manager_alone(manager: str, sources: Dict[str, Path], tools: bt.Tools, work: Path) -> Dict[str, float]:
    """Each change as the manager makes it by itself: its sync of the changed lock into an environment synced with
    the one before (the median of three rounds of base, added, upgraded, base again)."""
    project, venv, cache = work / f"alone-{manager}", work / f"alone-{manager}-venv", work / f"alone-{manager}-cache"
    env = dict(tools.env, VIRTUAL_ENV=str(venv))
    if manager == "uv":
        env.update(UV_PROJECT_ENVIRONMENT=str(venv), UV_CACHE_DIR=str(cache), UV_PYTHON=str(venv / "bin" / "python"),
                   UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
        command = [str(tools.uv), "sync", "--locked", "--no-default-groups", "--no-compile-bytecode"]
    elif manager == "pylock":
        # The buildpack's own command and environment (package_managers/pylock.py), the cache beside the venv.
        from python_cnb.package_managers import pylock
        from python_cnb.package_managers.base import InstallPaths

        paths = InstallPaths(app_dir=project, venv_dir=venv, pip_python=tools.python, tool_bin=tools.uv.parent,
                             cache_dir=cache, link_mode="hardlink")
        env = pylock.tool_env(env, paths)
        command = list(pylock.commands(paths, pylock.FILE)[0].argv)
    else:
        env.update(POETRY_VIRTUALENVS_CREATE="false", POETRY_CACHE_DIR=str(cache), POETRY_NO_INTERACTION="1",
                   POETRY_CONFIG_DIR=str(cache / "no-config"), POETRY_KEYRING_ENABLED="false",
                   REQUESTS_CA_BUNDLE=bt.CA_BUNDLE)
        command = [str(lock_apps.tool_bin("poetry") / "poetry"), "sync", "--only", "main", "--no-interaction",
                   "--no-ansi"]
    bt.timed([str(tools.python), "-m", "venv", "--without-pip", str(venv)], env, work)

    def synced(label: str) -> float:
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(sources[label], project)
        return bt.timed(command, env, project)

    synced(COLD)
    times: Dict[str, List[float]] = {label: [] for label in CHANGES}
    for _ in range(bt.REPEATS):  # base -> added -> upgraded -> base: each change as the manager makes it
        for label in CHANGES:
            times[label].append(synced(label))
    return {label: statistics.median(values) for label, values in times.items()}


def same_work(tools: bt.Tools, work: Path) -> Tuple[float, float]:
    """(plain uv with an empty cache, the buildpack's compile of its venv): medians of three."""
    directory = work / "same-work"
    directory.mkdir()
    venv, cache, requirements = directory / "venv", directory / "cache", directory / "requirements.txt"
    requirements.write_text(bt.HEAVY_REQUIREMENTS)
    env = dict(tools.env, UV_CACHE_DIR=str(cache))
    installs, compiles = [], []
    for _ in range(bt.REPEATS):
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(venv, ignore_errors=True)
        installs.append(bt.timed([str(tools.uv), "venv", "--quiet", "--python", str(tools.python), str(venv)], env,
                                 directory)
                        + bt.timed([str(tools.uv), "pip", "install", "--python", str(venv / "bin" / "python"), "-r",
                                    str(requirements)], env, directory))
        site = next(venv.glob("lib/python3*/site-packages"))
        started = time.monotonic()
        bt.compile_bytecode(venv / "bin" / "python", site, env)
        compiles.append(time.monotonic() - started)
    return statistics.median(installs), statistics.median(compiles)


def run_lock_changes(managers: Sequence[str], tools: bt.Tools, env: Dict[str, str], work: Path,
                     verdicts: bt.Verdicts) -> None:
    runs: Dict[str, ManagerRun] = {}
    for manager in managers:
        sources = _sources(manager, work, tools.python)
        run = ManagerRun(builds=run_builds(manager, sources, work / f"lock-{manager}", env))
        run.alone = manager_alone(manager, sources, tools, work)
        runs[manager] = run
    install, compiled = same_work(tools, work)
    reference = install + compiled
    print(f"\n### heavy, locked: {len(_pins(''))} pinned dependencies in pyproject.toml, Python {bt.PYTHON}\n")
    print("| build | manager | wall | tool time | other app commands | compiled | manager alone | "
          "vs same work |")
    print("|---|---|---|---|---|---|---|---|")
    for manager, run in runs.items():
        for label, _extra in SCENARIOS:
            build = run.builds[label]
            shown = "whole environment" if label == COLD else (str(build.count) if build.count is not None
                                                               else "whole environment")
            print(f"| {label} | {manager} | {bt._s(build.wall)} | {bt._s(build.tool)} | {bt._s(build.other)} | "
                  f"{shown} | {bt._s(run.alone[label]) if label in CHANGES else ''} | "
                  f"{build.change_cost / reference:.2f}x |")
    print(f"\nSame work: plain uv with an empty cache {bt._s(install)} + the buildpack's compile {bt._s(compiled)} = "
          f"{bt._s(reference)}. Manager alone: its own sync of the changed lock into an environment synced with the "
          "lock before (median of 3). Each build continues the one before.")
    print()
    for manager, run in runs.items():
        prefix = f"heavy as a {manager} project:"
        for label in CHANGES:
            build = run.builds[label]
            ratio = build.change_cost / run.alone[label]
            verdicts.check(ratio <= CHANGE_RATIO_TARGET,
                           f"{prefix} {label}: {bt._s(build.change_cost)} (wall {bt._s(build.wall)} minus other app "
                           f"commands) vs the manager alone {bt._s(run.alone[label])}: {ratio:.2f}x; "
                           f"{build.change_cost / run.alone[ADD]:.2f}x its install of {bt.ADDED} alone",
                           f"<= {CHANGE_RATIO_TARGET}x")
            verdicts.check(build.count is not None and build.count <= MAX_COMPILED,
                           f"{prefix} {label}: {build.compiled or 'no compile line in the log'}",
                           f"no full compile, at most {MAX_COMPILED} distributions compiled")
        cold = run.builds[COLD]
        ratio = cold.change_cost / reference
        text = (f"{prefix} cold build {bt._s(cold.change_cost)} (wall minus other app commands) vs plain uv with an "
                f"empty cache plus the same compile {bt._s(reference)}: {ratio:.2f}x")
        if manager == "uv":
            verdicts.check(ratio <= COLD_SAME_WORK_TARGET, text, f"<= {COLD_SAME_WORK_TARGET}x")
        elif manager == "poetry":
            print(f"INFO  {text} (no target: poetry installs more slowly than uv)")
        else:
            print(f"INFO  {text} (no target: the issue sets it for the uv project)")
