"""Pipenv with its lock: `pipenv verify` (the lock matches the Pipfile, `--deploy`'s check, without a traceback),
then `pipenv sync` of Pipfile.lock's [packages] into the buildpack's virtual environment. A Pipfile without its lock
is locked at build first (`pipenv lock`). When verify calls a lock out of date whose packages match the Pipfile (a
lock written by an older Pipenv, which hashed the Pipfile differently), it is installed anyway. A changed lock
updates the restored environment in place: `pipenv sync`, then what the lock no longer installs is removed
(`unlocked`). How each setting was checked against the pinned Pipenv: requirements/NOTES.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence

from .base import DependencyInputs, InstallMethod, InstallPaths, InstallStep, Lock, ToolCommand, VersionSource
from .selection import NOTHING, Declared, Selection

if TYPE_CHECKING:
    from .._vendor.packaging.specifiers import SpecifierSet
    from ..errors import BuildpackError
    from ..python_version import Constraint

__all__ = ["METHOD", "commands", "declared", "explain", "lock_mismatch", "tool_env", "unlocked"]

LOCK = Lock(file="Pipfile.lock", project_file="Pipfile", fix="pipenv lock", generate=("pipenv", "lock"),
            owned_by="a `Pipfile`",
            locking="No Pipfile.lock: locking the Pipfile's dependencies with Pipenv at build, then installing the "
                    "lock with Pipenv",
            imports="requirements.txt")
REUSE_FILES = ("Pipfile.lock", "Pipfile")

# Settings the buildpack decides: a user's value for any of them is dropped. PIPENV_DEV/PIPENV_SYSTEM and the
# virtualenv-location ones would change what is installed, or where.
_OWNED = ("VIRTUAL_ENV", "PIPENV_IGNORE_VIRTUALENVS", "PIPENV_VENV_IN_PROJECT", "PIPENV_CUSTOM_VENV_NAME",
          "PIPENV_PYTHON", "PIPENV_DEFAULT_PYTHON_VERSION", "PIPENV_SYSTEM", "PIPENV_DEV", "PIPENV_PIPFILE",
          "PIPENV_DONT_LOAD_ENV", "PIPENV_CACHE_DIR", "PIPENV_VERBOSITY", "PIPENV_NOSPIN", "PIPENV_YES",
          "PIPENV_HIDE_EMOJIS", "PIP_CACHE_DIR", "PIP_COMPILE", "PIP_NO_COMPILE")

_OUT_OF_DATE = re.compile(r"Pipfile\.lock\b.{0,120}?\bis out[- ]of[- ]date", re.IGNORECASE)
_RELEASE = re.compile(r"^\d+(?:\.\d+)*$")
# Where a Pipfile without [[source]] gets its packages (plette's default source, which Pipenv records in the lock).
PYPI_SOURCE_URL = "https://pypi.org/simple"


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    from ._env import map_unless_set, without

    result = without(env, _OWNED)
    result.update({
        "VIRTUAL_ENV": str(paths.venv_dir),
        "PIPENV_PIPFILE": str(paths.app_dir / "Pipfile"),  # no search in parent directories
        "PIPENV_DONT_LOAD_ENV": "1",  # the app's .env file is not loaded into the install
        "PIPENV_CACHE_DIR": str(paths.cache_dir / "pipenv"),
        "PIP_CACHE_DIR": str(paths.cache_dir / "pip"),
        # pip reads no-compile inverted (PIP_NO_COMPILE=1 compiles); PIP_COMPILE=0 reads as meant.
        "PIP_COMPILE": "0",
        "PIPENV_VERBOSITY": "-1",  # no "Courtesy Notice" about running inside a virtual environment
        "PIPENV_NOSPIN": "1",
        "PIPENV_YES": "1",
        "PIPENV_HIDE_EMOJIS": "1",
    })
    # The -i Pipenv passes (the Pipfile's source) overrides PIP_INDEX_URL; PIPENV_PYPI_MIRROR replaces PyPI's URL.
    map_unless_set(result, "PIP_INDEX_URL", "PIPENV_PYPI_MIRROR")
    return result


# The Pipfile's tables that are not package categories.
_NOT_CATEGORIES = ("source", "requires", "pipenv", "scripts")


def declared(pipfile: Dict[str, Any]) -> Declared:
    """The Pipfile's categories besides [packages] (dev-packages, and any custom one); Pipenv has no extras."""
    categories = tuple(name for name, value in pipfile.items()
                       if isinstance(value, dict) and name not in (*_NOT_CATEGORIES, "packages"))
    return Declared(file=LOCK.project_file, groups=categories, groups_word="categories")


def commands(paths: InstallPaths, selection: Selection = NOTHING) -> Sequence[ToolCommand]:
    pipenv = str(paths.tool_bin / "pipenv")
    sync = ("sync", "--categories", " ".join(("packages", *selection.groups))) if selection.groups else ("sync",)
    return (ToolCommand(argv=(pipenv, "verify"), shown="pipenv verify"),
            ToolCommand(argv=(pipenv, *sync), shown=" ".join(("pipenv", *(
                f"'{arg}'" if " " in arg else arg for arg in sync)))))


def explain(output: str, env: Mapping[str, str], command: str, status: int) -> Optional[BuildpackError]:
    from ..errors import LockfileOutOfDate

    # Pipenv's console wraps long lines at 80 columns ("is out of \ndate"): match on whitespace-joined text.
    if _OUT_OF_DATE.search(" ".join(output.split())):
        return LockfileOutOfDate(lock_file=LOCK.file, project_file=LOCK.project_file, command=command, fix=LOCK.fix)
    return None


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from dataclasses import replace

    from ._lock import lock_inputs, read_project

    return replace(lock_inputs(app_dir, "PIPENV", REUSE_FILES),
                   declared=declared(read_project(app_dir, LOCK.project_file)))


def _install(step: InstallStep) -> None:
    from ._lock import sync_lock

    def recover(output: str, command: ToolCommand) -> Optional[Sequence[ToolCommand]]:
        """verify compares hashes only, and Pipenv's hash of a Pipfile changed (2026.4.0 canonicalizes package
        names): a lock whose packages match the Pipfile is not out of date."""
        if command.argv[1:] != ("verify",) or not _OUT_OF_DATE.search(" ".join(output.split())):
            return None
        mismatch = _read_mismatch(step.paths.app_dir)
        if mismatch:
            step.out.step(f"Pipfile.lock does not match the Pipfile: {mismatch}")
            return None
        step.out.step("Pipfile.lock's hash of the Pipfile differs from the one this Pipenv computes (a lock written by "
                      "an older Pipenv), but its packages match the Pipfile's [packages]: installing it ('pipenv lock' "
                      "writes the new hash)")
        return ()

    sync_lock(step, LOCK, tool_env, commands(step.paths, step.selection), explain, recover)
    if step.update:
        _remove_unlocked(step)


# The lock's section for a Pipfile category: Pipenv renames the two it always had.
_SECTIONS = {"packages": "default", "dev-packages": "develop"}


def unlocked(installed: Iterable[str], lock: Dict[str, Any], marker_env: Mapping[str, str],
             categories: Sequence[str] = ()) -> List[str]:
    """What an update in place removes after `pipenv sync`, which only installs: every installed distribution that
    the lock's "default" section and the selected `categories`' sections do not install here (by canonical name,
    its markers evaluated), since a fresh sync would not have it. `pipenv clean` keeps what any section names (the
    development packages too) and setuptools, pip and wheel, which a fresh environment does not have. Pure."""
    from .._vendor.packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName, default_environment
    from .._vendor.packaging.utils import canonicalize_name
    from ..python_version import table

    environment = {**{key: str(value) for key, value in default_environment().items()}, **marker_env, "extra": ""}
    wanted = set()
    entries = [item for category in ("packages", *categories)
               for item in table(lock, _SECTIONS.get(category, category)).items()]
    for name, entry in entries:
        marker = entry.get("markers") if isinstance(entry, dict) else None
        try:
            applies = not marker or Marker(str(marker)).evaluate(environment)
        except (InvalidMarker, UndefinedEnvironmentName):
            applies = True  # as it was installed: pip decides
        if applies:
            wanted.add(canonicalize_name(name))
    return sorted(name for name in installed if canonicalize_name(name) not in wanted)


def _remove_unlocked(step: InstallStep) -> None:
    import json

    from ..errors import CommandFailed
    from ..utils import read_optional_text, run_streamed
    from ..venv_facts import VenvFacts

    lock = json.loads(read_optional_text(step.paths.app_dir / LOCK.file, shown=LOCK.file) or "{}")
    facts = VenvFacts.read(step.paths.venv_dir)
    names = (unlocked(facts.distributions, lock, facts.marker_env, step.selection.groups)
             if isinstance(lock, dict) else [])
    if not names:
        return
    step.out.step(f"Removing what {LOCK.file} no longer installs: {', '.join(names)}")
    command = step.installer.uninstall(step.paths, names)
    status = run_streamed(step.out, command.argv, env=step.installer_env, cwd=step.paths.app_dir, shown=command.shown)
    if status != 0:
        raise CommandFailed(command=command.shown, exit_code=status)


def _read_mismatch(app_dir: Path) -> str:
    import json

    from ..app_files import parse_toml
    from ..errors import BuildpackError
    from ..utils import read_optional_text

    try:
        pipfile = parse_toml(read_optional_text(app_dir / LOCK.project_file, shown=LOCK.project_file) or "",
                             LOCK.project_file)
        lock = json.loads(read_optional_text(app_dir / LOCK.file, shown=LOCK.file) or "")
    except (BuildpackError, ValueError) as exc:
        return f"it cannot be read ({exc})"
    return lock_mismatch(pipfile, lock) if isinstance(lock, dict) else "it is not a JSON object"


def _entry(value: Any) -> Dict[str, Any]:
    """A Pipfile package entry as a table: 'x' is {version = 'x'}."""
    return dict(value) if isinstance(value, dict) else {"version": value}


def _strings(value: Any) -> Optional[FrozenSet[str]]:
    """A list of names (extras) as a set; None when it is not one."""
    value = [] if value is None else value
    return frozenset(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _version_mismatch(name: str, wanted: Any, locked: Any) -> str:
    from .._vendor.packaging.specifiers import InvalidSpecifier, SpecifierSet
    from .._vendor.packaging.version import InvalidVersion, Version

    if wanted in (None, "*"):
        return ""
    if not isinstance(wanted, str) or not isinstance(locked, str) or not locked.startswith("=="):
        return f"{name}: the Pipfile asks for {wanted!r}, the lock has {locked!r}"
    spec = wanted.strip()
    try:
        # Pipenv reads a bare version ('3.0.3') as ==3.0.3.
        specifier = SpecifierSet(f"=={spec}" if spec[:1].isdigit() else spec)
        version = Version(locked[2:].strip())
    except (InvalidSpecifier, InvalidVersion):
        return f"{name}: {wanted!r} or the locked {locked!r} is not a valid version"
    if not specifier.contains(version, prereleases=True):
        return f"{name}: the Pipfile asks for {wanted}, the lock has {locked[2:]}"
    return ""


def lock_mismatch(pipfile: Dict[str, Any], lock: Dict[str, Any]) -> str:
    """How Pipfile.lock fails to match the Pipfile, for what the build installs ('' when it matches): every package of
    [packages] is in the lock's "default" by its canonical name, with a version its specifier allows ("*" allows any),
    the same extras, index and VCS or path; the lock's sources are the Pipfile's [[source]] urls (PyPI's without
    any); and the lock's [requires] is the Pipfile's. Pure."""
    from .._vendor.packaging.utils import canonicalize_name
    from ..python_version import table

    sources = pipfile.get("source") or [{"url": PYPI_SOURCE_URL}]
    wanted_urls = sorted(str(s.get("url", "")) for s in sources if isinstance(s, dict))
    locked_sources = table(lock, "_meta").get("sources")
    locked_urls = sorted(str(s.get("url", "")) for s in locked_sources or () if isinstance(s, dict))
    if wanted_urls != locked_urls:
        return f"the Pipfile's sources are {', '.join(wanted_urls)}, the lock's {', '.join(locked_urls) or 'none'}"
    if table(pipfile, "requires") != table(lock, "_meta", "requires"):
        return "the Pipfile's [requires] is not the one the lock was made with"
    locked = {canonicalize_name(name): _entry(entry) for name, entry in table(lock, "default").items()}
    for name, value in table(pipfile, "packages").items():
        wanted, entry = _entry(value), locked.get(canonicalize_name(name))
        if entry is None:
            return f"{name} is in the Pipfile's [packages] but not in the lock"
        problem = _version_mismatch(name, wanted.get("version"), entry.get("version"))
        if problem:
            return problem
        wanted_extras, locked_extras = _strings(wanted.get("extras")), _strings(entry.get("extras"))
        if wanted_extras is None or locked_extras is None or not wanted_extras <= locked_extras:
            return f"{name}: the Pipfile's extras are {wanted.get('extras')!r}, the lock's {entry.get('extras')!r}"
        for key in ("git", "ref", "path", "file", "editable", "index"):
            if key in wanted and wanted[key] != entry.get(key):
                return f"{name}: the Pipfile's {key} is {wanted[key]!r}, the lock's {entry.get(key)!r}"
    return ""


def _specifier(value: str, key: str) -> SpecifierSet:
    """python_version '3.12' means any 3.12; python_full_version '3.12.1' exactly that one."""
    from .._vendor.packaging.specifiers import SpecifierSet
    from ..errors import PythonConstraintInvalid

    version = value.strip()
    if version == "*":
        return SpecifierSet()
    if not _RELEASE.match(version):
        raise PythonConstraintInvalid(file="Pipfile", key=key, value=value,
                                      reason="it must be a version like '3.13' (python_version) or '3.13.5' "
                                             "(python_full_version)")
    return SpecifierSet(f"=={version}" if version.count(".") >= 2 else f"=={version}.*")


def _requires_python(text: str) -> List[Constraint]:
    from ..app_files import parse_toml
    from ..python_version import Constraint, string_value, table

    requires = table(parse_toml(text, LOCK.project_file), "requires")
    found = []
    for name in ("python_full_version", "python_version"):
        if requires.get(name) is not None:
            key = f"[requires] {name}"
            value = string_value(requires[name], LOCK.project_file, key)
            found.append(Constraint(LOCK.project_file, key, value, (_specifier(value, key),)))
    return found


METHOD = InstallMethod(
    name="pipenv",
    manager="pipenv",
    label="pipenv verify + sync (Pipfile.lock)",
    installing="Installing the dependencies locked in Pipfile.lock with Pipenv",
    default_reason="Pipfile.lock found",
    files=("Pipfile", "Pipfile.lock"),
    misspellings={"pipfile": "Pipfile", "Pipfile.txt": "Pipfile", "pipfile.lock": "Pipfile.lock"},
    lock=LOCK,
    tool="pipenv",
    read_inputs=_inputs,
    index_settings=("PIP_INDEX_URL", "PIPENV_PYPI_MIRROR", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS",
                    "PIP_TRUSTED_HOST", "PIP_NO_INDEX"),
    # `pipenv sync` into the restored environment, then what the lock's "default" no longer names is removed.
    updates_in_place=True,
    install=_install,
    version_sources=(VersionSource(LOCK.project_file, _requires_python),),
    groups_option="`--categories 'packages NAME ...'` (`dev` is `dev-packages`)",
    group_aliases={"dev": "dev-packages"},
    summary="`pipenv verify`, then `pipenv sync`: the `[packages]` of the lock, failing when the lock does not match "
            "the Pipfile (`--deploy` semantics)",
)
