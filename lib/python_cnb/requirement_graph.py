"""What an environment's requirements pull in, read from the installed distributions' metadata (no subprocess):
the distributions an in-place update must remove are the installed ones no requirement reaches any more, and the
requirements of installed distributions that are not met (what `pip check` reports)."""

from __future__ import annotations

import functools
from typing import FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

from ._vendor.packaging.markers import UndefinedEnvironmentName
from ._vendor.packaging.requirements import InvalidRequirement, Requirement
from ._vendor.packaging.utils import canonicalize_name
from ._vendor.packaging.version import InvalidVersion, Version
from .venv_facts import Distribution

__all__ = ["required_closure", "root_names", "unmet_requirements", "unmet_roots"]


@functools.lru_cache(maxsize=None)
def _parse(text: str) -> Optional[Requirement]:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _applies(requirement: Requirement, extras: FrozenSet[str], marker_env: Mapping[str, str]) -> bool:
    if requirement.marker is None:
        return True
    for extra in extras or frozenset({""}):
        try:
            if requirement.marker.evaluate({**marker_env, "extra": extra}):
                return True
        except UndefinedEnvironmentName:
            return True
    return False


def root_names(requirements: Iterable[str], marker_env: Mapping[str, str]) -> List[Tuple[str, FrozenSet[str]]]:
    """(canonical name, extras) of each requirement line that names a distribution and applies here.
    `marker_env`: the app interpreter's python_version and python_full_version (the buildpack runs on another)."""
    roots: List[Tuple[str, FrozenSet[str]]] = []
    for text in requirements:
        requirement = _parse(text)
        if requirement is not None and _applies(requirement, frozenset(), marker_env):
            roots.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return roots


def required_closure(roots: Iterable[Tuple[str, FrozenSet[str]]], installed: Mapping[str, Distribution],
                     marker_env: Mapping[str, str], direct_extras: FrozenSet[str] = frozenset()) -> Set[str]:
    """Every installed distribution the roots reach through Requires-Dist (extras and markers evaluated), plus every
    one installed from a path or URL (a requirement named it by location), with `direct_extras` (the project's own
    extras that BP_PYTHON_EXTRAS selected: `pip install -e .[EXTRAS]`)."""
    pending: List[Tuple[str, FrozenSet[str]]] = list(roots)
    pending += [(d.name, direct_extras) for d in installed.values() if d.direct]
    seen: Set[Tuple[str, FrozenSet[str]]] = set()
    reached: Set[str] = set()
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen or name not in installed:
            continue
        seen.add((name, extras))
        reached.add(name)
        for line in installed[name].requires:
            requirement = _parse(line)
            if requirement is not None and _applies(requirement, frozenset(canonicalize_name(e) for e in extras),
                                                    marker_env):
                pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return reached


def _met(requirement: Requirement, have: Distribution) -> bool:
    try:
        return requirement.specifier.contains(Version(have.version), prereleases=True)
    except InvalidVersion:
        return True  # a version pip could not compare either


def unmet_roots(requirements: Iterable[str], installed: Mapping[str, Distribution],
                marker_env: Mapping[str, str]) -> List[str]:
    """The requirement lines (that apply here) no installed distribution meets: after installing only some lines, a
    line the others already satisfied can have been replaced (a new line needed another version of it)."""
    problems: List[str] = []
    for text in requirements:
        requirement = _parse(text)
        if requirement is None or not _applies(requirement, frozenset(), marker_env):
            continue
        have = installed.get(canonicalize_name(requirement.name))
        if have is None:
            problems.append(f"The requirements ask for {requirement}, which is not installed.")
        elif not _met(requirement, have):
            problems.append(f"The requirements ask for {requirement}, but you have {have.name} {have.version}.")
    return problems


def unmet_requirements(installed: Mapping[str, Distribution], marker_env: Mapping[str, str]) -> List[str]:
    """What `pip check` reports, in its words: each installed distribution's requirements (markers evaluated
    without extras, as pip does) that no installed distribution meets, by name or by version (pre-releases count).
    Per distribution (sorted), the missing ones first, as pip lists them."""
    problems: List[str] = []
    for dist in sorted(installed.values(), key=lambda d: d.name):
        missing: List[str] = []
        conflicting: List[str] = []
        for line in dist.requires:
            requirement = _parse(line)
            if requirement is None:
                continue
            if requirement.marker is not None:
                try:
                    if not requirement.marker.evaluate({**marker_env, "extra": ""}):
                        continue
                except UndefinedEnvironmentName:
                    continue
            name = canonicalize_name(requirement.name)
            have = installed.get(name)
            if have is None:
                missing.append(f"{dist.name} {dist.version} requires {requirement.name}, which is not installed.")
                continue
            if not _met(requirement, have):
                conflicting.append(f"{dist.name} {dist.version} has requirement {requirement}, but you have "
                                   f"{have.name} {have.version}.")
        problems += missing + conflicting
    return problems
