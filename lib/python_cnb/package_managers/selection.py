"""Which optional parts of a project the build installs: BP_PYTHON_DEPENDENCY_GROUPS (dependency groups: PEP 735's,
Poetry's, Pipenv's categories, PDM's) and BP_PYTHON_EXTRAS (the project's optional dependencies), one pair of settings
for every install method. Each method says what the project defines (`Declared`, read with its inputs) and turns the
checked `Selection` into its tool's switches. Pure: the texts are read by the methods' `read_inputs`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from .._vendor.packaging.utils import canonicalize_name
from ..errors import DependencyGroupInvalid, DependencyGroupsUnsupported, InvalidEnvValue, UnknownDependencyGroup

__all__ = ["EXTRAS_VARIABLE", "GROUPS_VARIABLE", "NOTHING", "Declared", "Selection", "check_selection",
           "group_requirements", "pyproject_declared", "read_selection"]

GROUPS_VARIABLE = "BP_PYTHON_DEPENDENCY_GROUPS"
EXTRAS_VARIABLE = "BP_PYTHON_EXTRAS"
# PEP 508 names (what PEP 735 group names and PEP 685 extras are, before normalising).
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Selection:
    """The groups and extras to install besides the project's main dependencies, spelled as the project spells them
    once checked."""

    groups: Tuple[str, ...] = ()
    extras: Tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups or self.extras)

    def describe(self) -> str:
        """For the log and the venv layer's metadata ('' when nothing is selected)."""
        parts = ([f"groups {', '.join(self.groups)}"] if self.groups else []) + \
            ([f"extras {', '.join(self.extras)}"] if self.extras else [])
        return "; ".join(parts)


NOTHING = Selection()  # the main dependencies only


@dataclass(frozen=True)
class Declared:
    """What a project defines that the settings can select, and where. None: the method has no such thing (a
    requirements file has no groups); an empty tuple: the project defines none."""

    file: str  # 'pyproject.toml', 'Pipfile'
    groups: Optional[Tuple[str, ...]] = None
    extras: Optional[Tuple[str, ...]] = None
    # The file's extras cannot be read without running it (setup.py's extras_require, a dynamic
    # optional-dependencies): the names are passed on unchecked.
    extras_unknown: bool = False
    groups_word: str = "dependency groups"  # what the tool calls them, for messages ('categories' for Pipenv)


def _names(env: Mapping[str, str], variable: str) -> Tuple[str, ...]:
    names: List[str] = []
    for part in env.get(variable, "").split(","):
        name = part.strip()
        if not name:
            continue
        if not _NAME.match(name):
            raise InvalidEnvValue(name=variable, value=env[variable],
                                  expected="a comma-separated list of names (letters, digits, '.', '_' and '-', "
                                           "for example 'docs,test')")
        if canonicalize_name(name) not in {canonicalize_name(n) for n in names}:
            names.append(name)
    return tuple(names)


def read_selection(env: Mapping[str, str]) -> Selection:
    return Selection(groups=_names(env, GROUPS_VARIABLE), extras=_names(env, EXTRAS_VARIABLE))


def _match(wanted: Sequence[str], defined: Sequence[str], variable: str, word: str, file: str,
           aliases: Mapping[str, str]) -> Tuple[str, ...]:
    """The wanted names as the project spells them; the first one it does not define fails with the ones it does."""
    by_name = {canonicalize_name(name): name for name in defined}
    by_name.update({canonicalize_name(alias): name for alias, name in aliases.items() if name in defined})
    found = []
    for name in wanted:
        spelled = by_name.get(canonicalize_name(name))
        if spelled is None:
            raise UnknownDependencyGroup(variable=variable, name=name, file=file, word=word,
                                         defined=tuple(sorted(defined)))
        found.append(spelled)
    return tuple(dict.fromkeys(found))


def check_selection(selection: Selection, declared: Optional[Declared], method: str, files: str = "",
                    aliases: Mapping[str, str] = {}) -> Selection:  # noqa: B006 - read only
    """The selection spelled as the project spells it. A setting the method cannot honour, or a name the project does
    not define, fails with what it does define. `method`, `files`: the install method's label and its files, for the
    message; `aliases`: other names for a group ('dev' for Pipenv's dev-packages)."""
    if not selection:
        return selection
    for variable, wanted, defined in ((GROUPS_VARIABLE, selection.groups, declared and declared.groups),
                                      (EXTRAS_VARIABLE, selection.extras, declared and declared.extras)):
        unknown_extras = variable == EXTRAS_VARIABLE and declared is not None and declared.extras_unknown
        if wanted and defined is None and not unknown_extras:
            raise DependencyGroupsUnsupported(variable=variable, method=method,
                                              file=declared.file if declared is not None else files)
    assert declared is not None
    groups = _match(selection.groups, declared.groups or (), GROUPS_VARIABLE, declared.groups_word, declared.file,
                    aliases)
    extras = selection.extras if declared.extras_unknown else \
        _match(selection.extras, declared.extras or (), EXTRAS_VARIABLE, "extras", declared.file, {})
    return Selection(groups=groups, extras=extras)


def _table(data: Any, *keys: str) -> Dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def pyproject_declared(pyproject: Mapping[str, Any], file: str = "pyproject.toml",
                       more_groups: Sequence[str] = (), more_extras: Sequence[str] = ()) -> Declared:
    """PEP 735's [dependency-groups] and PEP 621's [project.optional-dependencies] (extras unknown when the project
    declares them dynamic); `more_*`: the tool's own (Poetry's groups and extras, uv's legacy dev-dependencies)."""
    project = _table(pyproject, "project")
    dynamic = project.get("dynamic")
    dynamic = dynamic if isinstance(dynamic, list) else []
    groups = (*_table(pyproject, "dependency-groups"), *more_groups)
    extras = (*_table(project, "optional-dependencies"), *more_extras)
    return Declared(file=file, groups=tuple(dict.fromkeys(groups)), extras=tuple(dict.fromkeys(extras)),
                    extras_unknown="optional-dependencies" in dynamic)


def group_requirements(pyproject: Mapping[str, Any], groups: Sequence[str], file: str = "pyproject.toml") -> List[str]:
    """PEP 735: the requirement strings of the groups, `{include-group = "..."}` entries expanded, in order, each once.
    For installers that cannot read [dependency-groups] themselves (pip before 25.1)."""
    defined = {canonicalize_name(name): value for name, value in _table(pyproject, "dependency-groups").items()}
    result: List[str] = []

    def expand(name: str, seen: Set[str]) -> None:
        key = canonicalize_name(name)
        entries = defined.get(key)
        if key in seen or not isinstance(entries, list):
            problem = "includes itself" if key in seen else "is not a list" if key in defined else "is not defined"
            raise DependencyGroupInvalid(file=file, group=name, problem=f"the group {problem}")
        for entry in entries:
            if isinstance(entry, str):
                if entry not in result:
                    result.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
                expand(entry["include-group"], seen | {key})
            else:
                raise DependencyGroupInvalid(file=file, group=name, problem=f"the entry {entry!r} is neither a "
                                             "requirement string nor an {include-group = \"NAME\"} table")

    for group in groups:
        expand(group, set())
    return result
