"""The bytecode of an environment updated in place: what the update installed is compiled, what it removed loses its
bytecode, and nothing else is touched, so the result is the bytecode a fresh install and a whole compile give.

The distributions before and after the update (their *.dist-info directories and the modules their RECORDs list)
decide it, in `plan_bytecode_update` (pure). Reading every RECORD before the update costs about 10 ms for a
30-distribution environment; walking the whole tree for orphaned .pyc files would cost four times that. An
installer's uninstall does not always remove the bytecode: uv leaves `__pycache__/six.cpython-312.pyc` in
site-packages when it removes six, and when it upgrades six that .pyc stays beside the new six.py. A hash-based,
unchecked .pyc is never compared with its source, so the new distribution's modules are always compiled again, even
where a .pyc is there."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, Mapping, Optional, Tuple

from .bytecode import cache_tag, compile_bytecode
from .output import Output
from .venv_facts import Distribution, VenvFacts

__all__ = ["Baseline", "BytecodeUpdate", "describe", "plan_bytecode_update", "read_baseline", "record_modules",
           "remove_stale_bytecode", "update_bytecode"]

# A distribution's modules as its RECORD lists them (paths relative to site-packages); None: no readable RECORD.
Modules = Optional[FrozenSet[str]]


@dataclass(frozen=True)
class Baseline:
    """The environment before an update: its distributions and the modules each one's RECORD lists."""

    facts: VenvFacts
    modules: Mapping[str, Modules]  # by *.dist-info directory


@dataclass(frozen=True)
class BytecodeUpdate:
    compile: FrozenSet[str]  # the *.dist-info directories whose modules are compiled
    added: Tuple[str, ...] = ()  # 'six 1.16.0', for the log
    changed: Tuple[str, ...] = ()  # 'six 1.17.0 (was 1.16.0)': another version, or the same one reinstalled
    removed: Tuple[str, ...] = ()  # 'six 1.17.0'
    stale: FrozenSet[str] = frozenset()  # modules the update removed (relative to site-packages): their bytecode goes
    whole: bool = False  # a new distribution has no readable RECORD: the whole environment is compiled
    sweep: bool = False  # a removed one had none: every .pyc whose module is gone is looked for


def _shown(dist: Distribution) -> str:
    return f"{dist.shown_name or dist.name} {dist.version}".strip()


def plan_bytecode_update(before: Mapping[str, Distribution], after: Mapping[str, Distribution],
                         old_modules: Mapping[str, Modules], new_modules: Mapping[str, Modules]) -> BytecodeUpdate:
    """What to compile and what to remove after an update that turned `before` into `after` (by canonical name).
    A distribution is new when its *.dist-info directory is (another name, or the same one written again: another
    inode or change time); the old one is then gone. `old_modules`: the RECORD modules of `before`'s distributions,
    read before the update; `new_modules`: those of the new ones."""
    old_dirs = {(d.dist_info, d.stamp) for d in before.values()}
    new_dirs = {(d.dist_info, d.stamp) for d in after.values()}
    new = [d for d in after.values() if (d.dist_info, d.stamp) not in old_dirs]
    gone = [d for d in before.values() if (d.dist_info, d.stamp) not in new_dirs]
    kept = [d for d in before.values() if (d.dist_info, d.stamp) in new_dirs]
    added = tuple(sorted(_shown(d) for d in new if d.name not in before))
    changed = tuple(sorted(f"{_shown(d)} (was {before[d.name].version})" if before[d.name].version != d.version
                           else f"{_shown(d)} (reinstalled)" for d in new if d.name in before))
    removed = tuple(sorted(_shown(d) for d in gone if d.name not in after))
    whole = any(new_modules.get(d.dist_info) is None for d in new)
    sweep = any(old_modules.get(d.dist_info) is None for d in gone)
    still = set().union(*(old_modules.get(d.dist_info) or () for d in kept),
                        *(new_modules.get(d.dist_info) or () for d in new))
    stale = frozenset().union(*(old_modules.get(d.dist_info) or () for d in gone)) - still
    return BytecodeUpdate(compile=frozenset(d.dist_info for d in new), added=added, changed=changed, removed=removed,
                          stale=frozenset(stale), whole=whole, sweep=sweep)


def describe(update: BytecodeUpdate, removed_files: int) -> str:
    """The log line after the update's bytecode is done."""
    if update.whole:
        return "Compiled bytecode for the whole environment: a distribution the update installed has no RECORD"
    count = len(update.added) + len(update.changed)
    if count:
        shown = ", ".join((*update.added, *update.changed))
        line = (f"Compiled bytecode for {count} new distribution{'s' if count != 1 else ''} ({shown}), not the "
                "whole environment")
    else:
        line = "The update installed no distribution: no bytecode to compile"
    gone = ", ".join(update.removed) or "older versions"
    if removed_files:
        line += f"; removed {removed_files} .pyc file{'s' if removed_files != 1 else ''} the uninstall of {gone} left"
    elif update.removed:
        line += f"; uninstalled {gone}, with its bytecode"
    return line


def record_modules(site_packages: Path, dist_infos: Iterable[str]) -> Dict[str, Modules]:
    """The .py files each *.dist-info directory's RECORD lists, relative to site-packages (paths outside it left
    out); None for a distribution whose RECORD cannot be read."""
    found: Dict[str, Modules] = {}
    for dist_info in dist_infos:
        try:
            with open(site_packages / dist_info / "RECORD", encoding="utf-8", newline="") as handle:
                lines = handle.read().splitlines()
            # Only a quoted path (one with a comma or a quote in it) needs the CSV reader.
            paths = [next(csv.reader([line]), [""])[0] if line.startswith('"') else line.partition(",")[0]
                     for line in lines]
        except (OSError, UnicodeDecodeError, csv.Error):
            found[dist_info] = None
            continue
        modules = set()
        for path in paths:
            parts = path.split("/")
            if path.endswith(".py") and not path.startswith("/") and ".." not in parts and "__pycache__" not in parts:
                modules.add(os.path.normpath(path))
        found[dist_info] = frozenset(modules)
    return found


def read_baseline(venv_dir: Path) -> Baseline:
    facts = VenvFacts.read(venv_dir)
    modules = record_modules(facts.site_packages, [d.dist_info for d in facts.distributions.values()]) \
        if facts.site_packages is not None else {}
    return Baseline(facts, modules)


def remove_stale_bytecode(site_packages: Path, modules: Iterable[str], tag: str) -> int:
    """Removes the .pyc files (every optimisation level) of the modules for the interpreter's cache tag where the
    module itself is gone, then the directories that leaves empty (an empty package directory would still import,
    as a namespace package). Returns how many files it removed."""
    removed = 0
    for module in sorted(modules):
        source = site_packages / module
        if source.exists():
            continue
        pycache = source.parent / "__pycache__"
        prefix = f"{source.name[:-3]}.{tag}."
        try:
            names = [name for name in os.listdir(pycache) if name.startswith(prefix) and name.endswith(".pyc")]
        except OSError:
            names = []
        for name in names:
            try:
                (pycache / name).unlink()
                removed += 1
            except OSError:
                continue
        _remove_empty(pycache, site_packages)
    return removed


def _orphans(site_packages: Path, tag: str) -> Iterable[str]:
    """Every module with a .pyc for `tag` in a __pycache__ beside which it no longer is (relative paths)."""
    for root, dirs, files in os.walk(site_packages):
        if os.path.basename(root) != "__pycache__":
            continue
        dirs.clear()
        parent = os.path.relpath(os.path.dirname(root), site_packages)
        for name in files:
            stem, _, rest = name.partition(".")
            if rest.startswith(f"{tag}.") and name.endswith(".pyc"):
                module = os.path.normpath(os.path.join(parent, f"{stem}.py"))
                if not (site_packages / module).exists():
                    yield module


def _remove_empty(directory: Path, top: Path) -> None:
    while directory != top and top in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def update_bytecode(out: Output, python: Path, site_packages: Path, env: Mapping[str, str], baseline: Baseline,
                    after: VenvFacts) -> None:
    """After an update in place: compile what it installed, remove what it left of what it uninstalled, log it."""
    new = after.new_since(baseline.facts)
    update = plan_bytecode_update(baseline.facts.distributions, after.distributions, baseline.modules,
                                  record_modules(site_packages, new))
    tag = cache_tag(python)
    stale = set(update.stale) | (set(_orphans(site_packages, tag)) if update.sweep and tag else set())
    removed = remove_stale_bytecode(site_packages, stale, tag) if tag else 0
    if update.whole:
        compile_bytecode(python, site_packages, env)
    elif update.compile:
        compile_bytecode(python, site_packages, env, only_distributions=update.compile)
    out.step(describe(update, removed))
