"""The registry of install methods: every way the buildpack installs an app's dependencies, one module each.

`METHODS` lists them in the order they are tried. Everything else that depends on which methods exist is derived
from it: which method an app gets (`choose_install_method`), the files detect looks for (`DETECT_FILES`), the files
that can declare the Python version (`VERSION_SOURCES`), the BP_PYTHON_PACKAGE_MANAGER choices (`MANAGERS`), the
docs' table of methods (`methods_table`), and the error texts that list them.

What a new method provides (one module here, exporting `METHOD = InstallMethod(...)`, see base.py):
- `name`, `manager` (the BP_PYTHON_PACKAGE_MANAGER value that asks for it), `label` (the log's and the docs' name,
  recorded in the venv layer's metadata: changing it rebuilds every such environment once), `installing` (the log
  line) and `default_reason`;
- what selects it: `files` (detect passes on each; two methods' files at once are a conflict the user settles),
  `files_variable` when a variable can name other files instead (BP_PIP_REQUIREMENT), `file_choice` when it installs
  one of several files it accepts (PEP 751's `pylock.<name>.toml`: a pattern, and the variable that says which),
  `misspellings`, and `lock`
  (lock file, project file, the fix for a stale lock) for a lockfile method; or `applies` for a method without files
  of its own (it is tried only when no method's files are present). A lockfile method whose `lock` can `generate` a
  missing lock also takes the tool's own project without it (`lock.owns`: tried, like `applies`, when no method's
  files are present, before the methods without files), and locks at build; a `lock.workspace` finds the
  enclosing project (a uv workspace) whose lock covers an APP_HOME below the source's root;
- `tool`, its pin file requirements/<tool>.txt (installed into a build-only cached layer), or `installer_option`
  when pip or uv pip (BP_PYTHON_INSTALLER) installs it;
- `read_inputs`: the app files whose contents decide the environment (the reuse key; read once, by the analysis),
  and `index_settings`, the variables that decide where packages come from;
- `updates_in_place`: whether installing into the restored environment gives what a fresh install gives (then a
  change of the reuse files runs `install` with `step.update` set, and only what it installed is compiled);
- `install`: its commands, run into the buildpack's virtual environment (`InstallStep` says where and with what);
- `version_sources`: its own files that declare `requires-python` or the like (`chosen`: the file its
  `file_choice` chose, see `version_sources`);
- `groups_option`/`extras_option` (the docs' words for what BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS
  become), `read_inputs`'s `declared` (what the project defines, see selection.py), and its commands honouring
  `InstallStep.selection`.
Then a test module (tests/unit/test_package_managers.py has the shared checks), a docs row (docs/dependencies.md's
table is generated from `methods_table`), and, for new file names, lib/bootstrap.sh's detect list (a test names any
that is missing). Keep each module's top level light: detect imports this registry, and under the lifecycle every
module it imports compiles from source on each build, so a method imports what it runs inside its functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from ..app_files import AppFiles, Entry
from ..errors import (
    ChosenFileInvalid,
    InvalidEnvValue,
    LockfileMissing,
    LockFilesAmbiguous,
    LockWithoutProject,
    MisspelledFile,
    NotAFile,
    PackageManagerConflict,
    ProjectFileMissing,
)
from . import nothing, pdm, pip_project, pip_requirements, pipenv, poetry, pylock, uv_lock
from .base import InstallMethod, VersionSource, Workspace

if TYPE_CHECKING:
    from ..python_version import Constraint

__all__ = ["DETECT_FILES", "DETECT_PATTERNS", "MANAGERS", "METHODS", "MISSPELLINGS", "VERSION_SOURCES", "Enclosing",
           "InstallChoice", "choose_install_method", "chosen_file", "find_workspace", "get_method", "locks_at_build",
           "matches_pattern", "method_files", "methods_table", "named_files", "selection_table", "version_sources"]

METHODS: Tuple[InstallMethod, ...] = (pip_requirements.METHOD, pip_project.METHOD, uv_lock.METHOD, poetry.METHOD,
                                      pipenv.METHOD, pdm.METHOD, pylock.METHOD, nothing.METHOD)
MANAGERS: Tuple[str, ...] = tuple(dict.fromkeys(method.manager for method in METHODS))
DETECT_FILES: Tuple[str, ...] = tuple(name for method in METHODS for name in method.files)
# The patterns of root names that select a method besides its files (pylock.<name>.toml): detect passes on them too,
# and the analysis reads their texts (a chosen file can be a version source).
DETECT_PATTERNS: Tuple[str, ...] = tuple(method.file_choice.pattern for method in METHODS
                                         if method.file_choice is not None)
MISSPELLINGS: Dict[str, str] = {wrong: right for method in METHODS for wrong, right in method.misspellings.items()}
VERSION_SOURCES: Tuple[VersionSource, ...] = tuple(source for method in METHODS for source in method.version_sources)


def get_method(name: str) -> InstallMethod:
    return next(method for method in METHODS if method.name == name)


def matches_pattern(name: str) -> bool:
    """The name is one a method's file_choice pattern selects (pylock.prod.toml)."""
    return any(re.fullmatch(pattern, name) for pattern in DETECT_PATTERNS)


def _accepted(method: InstallMethod, files: AppFiles) -> List[str]:
    """The method's files that are there: its own names, and the names its file_choice pattern matches."""
    own = [name for name in method.files if files.has(name)]
    choice = method.file_choice
    if choice is None:
        return own
    return own + sorted(name for name in files.entries if re.fullmatch(choice.pattern, name) and name not in own)


def chosen_file(method: InstallMethod, files: AppFiles, env: Mapping[str, str]) -> str:
    """The one file a file_choice method installs: the file its variable names (one of those it accepts, at the
    root), else its default file when present, else the one file its pattern matches. Several without the default
    and without the variable are an error listing them; none is LockfileMissing with the method's fix."""
    choice = method.file_choice
    assert choice is not None, method.name
    accepted = _accepted(method, files)
    named = env.get(choice.variable, "").strip()
    if named:
        if named not in accepted:
            problem = ("there is no such file at the app's root" if not files.has(named) and
                       (named in method.files or re.fullmatch(choice.pattern, named)) else
                       f"it is not a name {method.manager} installs ({' or '.join((*method.files, choice.shown))})")
            raise ChosenFileInvalid(variable=choice.variable, value=named, problem=problem, accepted=tuple(accepted))
        return named
    if not accepted:
        raise LockfileMissing(manager=method.manager, lock_file=method.files[0], found="", fix=choice.fix)
    if accepted[0] in method.files or len(accepted) == 1:
        return accepted[0]
    raise LockFilesAmbiguous(files=tuple(accepted), variable=choice.variable, default=method.files[0])


def _reading(source: VersionSource, name: str) -> VersionSource:
    """The source, reading the file `name` instead of its default one."""
    read_chosen = source.read_chosen
    assert read_chosen is not None

    def read(text: str) -> Sequence[Constraint]:
        return read_chosen(text, name)

    return VersionSource(name, read)


def version_sources(choice: Optional[InstallChoice] = None) -> Tuple[VersionSource, ...]:
    """Every method's version sources; those of the chosen method that read its chosen file (`read_chosen`) read
    the file the choice installs from (pylock.prod.toml)."""
    if choice is None or not choice.files or choice.method.file_choice is None:
        return VERSION_SOURCES
    own = choice.method.version_sources
    return tuple(_reading(source, choice.files[0]) if source.read_chosen is not None and source in own else source
                 for source in VERSION_SOURCES)


def _named(method: InstallMethod, env: Mapping[str, str]) -> Tuple[str, ...]:
    """The files the method's files_variable names in this build env (() when it names none)."""
    return tuple(env.get(method.files_variable, "").split()) if method.files_variable else ()


def method_files(method: InstallMethod, env: Mapping[str, str]) -> Tuple[str, ...]:
    """The files that select the method in this build env: those its variable names, else its own."""
    return _named(method, env) or method.files


def named_files(env: Mapping[str, str]) -> Tuple[str, ...]:
    """Every file a variable names for a method (BP_PIP_REQUIREMENT's): detect passes on each as well."""
    return tuple(name for method in METHODS for name in _named(method, env))


@dataclass(frozen=True)
class InstallChoice:
    method: InstallMethod
    reason: str  # for the log: why this one
    ignored: Tuple[str, ...] = ()  # other methods' files that BP_PYTHON_PACKAGE_MANAGER made the build ignore
    files: Tuple[str, ...] = ()  # the files it installs from when a variable names them (method_files)
    lock_at_build: bool = False  # the lockfile method's project without its lock: the build locks it first
    note: str = ""  # for the log: what else the decision took into account
    workspace: Optional[Workspace] = None  # the enclosing project whose lock installs the app (APP_HOME a member)

    def describe(self, installer: str) -> str:
        """The build log's line for the decision; `installer` installs the pip methods (BP_PYTHON_INSTALLER)."""
        lock = self.method.lock
        text = lock.locking if self.lock_at_build and lock is not None else self.method.installing
        text = text.format(installer=installer, files=" and ".join(self.files or self.method.files))
        return f"{text} ({self.reason})" if self.reason.startswith("BP_") else text


@dataclass(frozen=True)
class Enclosing:
    """A lockfile method's project further up the source whose lock covers the app's directory."""

    method: InstallMethod
    workspace: Workspace


def find_workspace(root: Path, app_dir: Path) -> Optional[Enclosing]:
    """For an app directory below the source's root (APP_HOME): the first method whose lock further up covers it."""
    if app_dir == root:
        return None
    for method in METHODS:
        if method.lock is not None and method.lock.workspace is not None:
            found = method.lock.workspace(root, app_dir)
            if found is not None:
                return Enclosing(method, found)
    return None


def _from_workspace(enclosing: Enclosing, reason: str = "") -> InstallChoice:
    lock, member = enclosing.method.lock, enclosing.workspace
    assert lock is not None
    return InstallChoice(enclosing.method, reason or f"a member of the workspace in {member.root}", workspace=member,
                         note=f"The app's project {member.member} is a member of the workspace in {member.root} "
                              f"(relative to the app's directory): installing it with the workspace's {lock.file}")


def _present(files: AppFiles, env: Mapping[str, str]) -> Dict[str, List[str]]:
    """The managers whose files are present (whatever the entries are: a directory named requirements.txt is an error
    for the chosen method, not an absence). Files a variable names count as present: the analysis checks that each
    is in the app."""
    found: Dict[str, List[str]] = {}
    for method in METHODS:
        here = list(_named(method, env)) or _accepted(method, files)
        if here:
            found.setdefault(method.manager, []).extend(here)
    return found


def _require_files(files: AppFiles, names: Tuple[str, ...]) -> None:
    for name in names:
        entry = files.entries.get(name)
        if entry is not None and entry is not Entry.FILE:
            raise NotAFile(path=name, kind=entry.value)


def locks_at_build(files: AppFiles, method: InstallMethod) -> bool:
    """The app is the method's own project without its lock, and the method can write the lock."""
    lock = method.lock
    if lock is None or not lock.generate or files.has(lock.file) or not files.is_file(lock.project_file):
        return False
    return lock.owns(files) if lock.owns is not None else True


def _by_files(files: AppFiles, method: InstallMethod, reason: str, env: Mapping[str, str],
              requested_by: str = "") -> InstallChoice:
    """A method chosen by its files (or asked for): its files must be regular files (the analysis checks those a
    variable names, and says which variable), and a lockfile method needs both its lock and its project file, unless
    it locks its own project at build. A manager an S2I switch asked for installs, when its project file is missing,
    the file its tool would have imported, with that file's method."""
    lock = method.lock
    if lock is None:
        named = _named(method, env)
        if method.file_choice is not None:
            named = (chosen_file(method, files, env),)
            _require_files(files, named)
            default = method.default_reason if named[0] in method.files else f"{named[0]} found"
            return InstallChoice(method, reason or default, files=named)
        if not named:
            _require_files(files, method.files)
        return InstallChoice(method, reason or method.default_reason, files=named)
    _require_files(files, (lock.file, lock.project_file))
    if files.has(lock.file):
        if not files.has(lock.project_file):
            raise LockWithoutProject(lock_file=lock.file, project_file=lock.project_file)
        return InstallChoice(method, reason or method.default_reason)
    if locks_at_build(files, method):
        return InstallChoice(method, reason or f"no {lock.file}: locking at build", lock_at_build=True)
    if not lock.generate or files.has(lock.project_file):
        raise LockfileMissing(manager=method.manager, lock_file=lock.file,
                              found=lock.project_file if files.has(lock.project_file) else "", fix=lock.fix,
                              requested_by=requested_by)
    if requested_by and lock.imports and files.has(lock.imports):
        instead = next(other for other in METHODS if lock.imports in other.files)
        choice = _by_files(files, instead, "", env)
        return replace(choice, note=(
            f"{requested_by} is set, but the app has no {lock.project_file}: installing {lock.imports} instead, as "
            f"the S2I image did (its {method.manager} imported {lock.imports})"))
    raise ProjectFileMissing(manager=method.manager, project_file=lock.project_file, lock_file=lock.file,
                             fix=lock.fix, requested_by=requested_by, imports=lock.imports if requested_by else "")


def _of_manager(files: AppFiles, manager: str, reason: str, env: Mapping[str, str], requested_by: str = "",
                enclosing: Optional[Enclosing] = None) -> InstallChoice:
    """The manager's first method whose files are there (or that applies to the app), else its workspace further up,
    else its first method (whose checks then name what is missing)."""
    methods = [method for method in METHODS if method.manager == manager]
    for method in methods:
        if _named(method, env) or _accepted(method, files) or \
                (method.applies is not None and method.applies(files)):
            return _by_files(files, method, reason, env, requested_by) if method.files else \
                InstallChoice(method, reason or method.default_reason)
    if enclosing is not None and enclosing.method.manager == manager:
        return _from_workspace(enclosing, reason)
    return _by_files(files, methods[0], reason, env, requested_by)


def choose_install_method(files: AppFiles, requested: str = "", requested_by: str = "",
                          env: Mapping[str, str] = {},  # noqa: B006 - read only
                          enclosing: Optional[Enclosing] = None) -> InstallChoice:
    """BP_PYTHON_PACKAGE_MANAGER first; else the one manager whose files are present; else the workspace further up
    whose lock covers the app (`enclosing`, see find_workspace); else a method without files of its own that applies
    (the app itself, or nothing). Two managers' files at once, misspelled names and half a lockfile pair are errors
    with the fix. `requested_by`: the S2I switch (ENABLE_PIPENV) that set BP_PYTHON_PACKAGE_MANAGER, for the log and
    errors. `env`: the build env, for the files a method's variable names (BP_PIP_REQUIREMENT)."""
    present = _present(files, env)
    wanted = requested.strip().lower()
    if wanted:
        if wanted not in MANAGERS:
            raise InvalidEnvValue(name="BP_PYTHON_PACKAGE_MANAGER", value=requested,
                                  expected="one of " + ", ".join(MANAGERS))
        reason = f"{requested_by} is set" if requested_by else f"BP_PYTHON_PACKAGE_MANAGER is {wanted}"
        choice = _of_manager(files, wanted, reason, env, requested_by, enclosing)
        if choice.method.installs_nothing:
            raise LockfileMissing(manager=wanted, lock_file="requirements.txt", found="",
                                  fix="pip freeze > requirements.txt")
        ignored = tuple(name for manager, names in sorted(present.items()) if manager != choice.method.manager
                        for name in names)
        return replace(choice, ignored=ignored)

    renamed = {name for method in METHODS if _named(method, env) for name in method.files}
    for wrong, right in MISSPELLINGS.items():
        if files.has(wrong) and not files.has(right) and right not in renamed:
            raise MisspelledFile(found=wrong, expected=right)
    if len(present) > 1:
        files_found = tuple(name for _, names in sorted(present.items()) for name in names)
        raise PackageManagerConflict(managers=tuple(sorted(present)), files=files_found)
    manager: Optional[str] = next(iter(present), None)
    if manager is not None:
        return _of_manager(files, manager, "", env)
    if enclosing is not None:
        return _from_workspace(enclosing)
    owner = next((method for method in METHODS if locks_at_build(files, method)), None)
    if owner is not None:
        return _by_files(files, owner, "", env)
    return next(InstallChoice(method, method.default_reason) for method in METHODS
                if not method.files and method.applies is not None and method.applies(files))


def selection_table() -> str:
    """The docs' table of what BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS become for each method."""
    rows = ["| install method | `BP_PYTHON_DEPENDENCY_GROUPS` | `BP_PYTHON_EXTRAS` |", "|---|---|---|"]
    for method in METHODS:
        if not method.installs_nothing:
            rows.append(f"| `{method.label}` | {method.groups_option or 'none: setting it fails'} | "
                        f"{method.extras_option or 'none: setting it fails'} |")
    return "\n".join(rows)


def methods_table() -> str:
    """The docs' table of methods (docs/dependencies.md), in the registry's order."""
    rows = ["| files | what runs | `BP_PYTHON_PACKAGE_MANAGER` |", "|---|---|---|"]
    for method in METHODS:
        if method.lock is not None:
            chosen = f"`{method.lock.file}` (+ `{method.lock.project_file}`)"
            if method.lock.generate:
                chosen += (f"; without it, {method.lock.owned_by} is locked at build first (`{method.lock.fix}`, "
                           "with a warning)")
        else:
            chosen = ", ".join(f"`{name}`" for name in method.files) or method.selected_by
            if method.file_choice is not None:
                chosen += (f" or one `{method.file_choice.shown}` (`{method.file_choice.variable}` names one of "
                           "several)")
        rows.append(f"| {chosen} | {method.summary} | `{method.manager}` |")
    return "\n".join(rows)
