"""The standard lock file (PEP 751): `uv pip sync` of `pylock.toml`, or of the one `pylock.<name>.toml`, into the
buildpack's virtual environment. uv evaluates the lock's markers for the venv's interpreter and platform, installs
its default groups (`default-groups`), verifies every artifact's hash, and builds the sdists it selects; the sync is
exact (it uninstalls whatever the lock does not select), so a changed lock updates the restored environment in place.

Why uv and not pip: pip reads `-r pylock.toml` from 26.1 on (experimental, like uv's), but the pip that installs here
is the interpreter's bundled one (older), pip's install is not a sync (an update in place would keep what the lock
dropped), and pip 26.3 refuses the editable project entry that `uv export --format pylock.toml` writes for a
packaged project. uv is already pinned (requirements/uv.txt) and fetched for uv.lock apps. How each switch was checked
against the pinned uv: requirements/NOTES.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .base import DependencyInputs, FileChoice, InstallMethod, InstallPaths, InstallStep, ToolCommand, VersionSource
from .selection import NOTHING, Declared, Selection

if TYPE_CHECKING:
    from ..errors import BuildpackError
    from ..python_version import Constraint

__all__ = ["METHOD", "PylockFacts", "commands", "explain", "read_lock", "tool_env"]

FILE = "pylock.toml"
# PEP 751's other names: pylock.<name>.toml, the name without dots (what uv and pip write, and check).
CHOICE = FileChoice(pattern=r"pylock\.[^.]+\.toml", shown="pylock.<name>.toml", variable="BP_PYTHON_PYLOCK",
                    fix="uv export --format pylock.toml -o pylock.toml")
# The lock's editable or directory entries build from the app's project (`uv export` lists the project itself).
PROJECT_FILE = "pyproject.toml"
SUPPORTED_MAJOR = "1"

# `--preview-features pylock`: uv 0.13.9 installs from a pylock file only as a preview, and warns without the switch.
SYNC_ARGS = ("pip", "sync", "--preview-features", "pylock")

_NO_ARTIFACT = re.compile(r"Package `(?P<package>[^`]+)` can't be installed because it doesn't have a source "
                          r"distribution or wheel for the current platform")
_ON = re.compile(r"You're on (?P<platform>.+?), but `[^`]+` \([^)]*\) only has wheels for the following platforms?: "
                 r"(?P<available>.+?)(?:;|$)", re.MULTILINE)
_HASH_MISMATCH = re.compile(r"Hash mismatch for `(?P<package>[^`]+)`")


@dataclass(frozen=True)
class PylockFacts:
    """What the buildpack reads from a pylock file itself (uv reads the rest)."""

    requires_python: Optional[str]
    default_groups: Tuple[str, ...]
    dependency_groups: Tuple[str, ...]  # the names BP_PYTHON_DEPENDENCY_GROUPS may select
    extras: Tuple[str, ...]  # the names BP_PYTHON_EXTRAS may select


def _names(lock: Mapping[str, Any], key: str) -> Tuple[str, ...]:
    value = lock.get(key, [])
    return tuple(str(name) for name in value) if isinstance(value, list) else ()


def _artifacts(package: Mapping[str, Any]) -> List[Tuple[str, Any]]:
    """The package's downloadable files: (shown name, its table) for each wheel, the sdist and an archive."""
    found: List[Tuple[str, Any]] = []
    wheels = package.get("wheels", [])
    for wheel in wheels if isinstance(wheels, list) else []:
        if isinstance(wheel, dict):
            found.append((str(wheel.get("name") or wheel.get("url") or wheel.get("path") or "a wheel"), wheel))
    for key in ("sdist", "archive"):
        table = package.get(key)
        if isinstance(table, dict):
            found.append((str(table.get("name") or table.get("url") or table.get("path") or f"its {key}"), table))
    return found


def read_lock(text: str, file: str) -> PylockFacts:
    """The lock's facts, after the checks uv does not do: a lock-version this reads (1.x), and a hash for every
    artifact (uv accepts `hashes = {}` and then checks nothing). InvalidTomlFile names the line and column."""
    from ..app_files import parse_toml
    from ..errors import PylockArtifactUnhashed, PylockVersionUnsupported

    lock = parse_toml(text, file)
    version = lock.get("lock-version")
    if not isinstance(version, str) or version.strip().split(".")[0] != SUPPORTED_MAJOR:
        raise PylockVersionUnsupported(lock_file=file, version=version if isinstance(version, str) else "")
    packages = lock.get("packages", [])
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict):
            continue
        for shown, artifact in _artifacts(package):
            hashes = artifact.get("hashes")
            if not isinstance(hashes, dict) or not any(isinstance(v, str) and v for v in hashes.values()):
                raise PylockArtifactUnhashed(lock_file=file, package=str(package.get("name", "?")), artifact=shown)
    requires = lock.get("requires-python")
    return PylockFacts(requires_python=requires if isinstance(requires, str) else None,
                       default_groups=_names(lock, "default-groups"),
                       dependency_groups=_names(lock, "dependency-groups"), extras=_names(lock, "extras"))


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    """uv pip's environment, as the uv installer sets it (the PIP_* settings mapped, no uv config files read): the
    lock names each file's URL, so the index settings only reach what building an sdist needs."""
    from .installers import UV

    return UV.env(env, paths)


def commands(paths: InstallPaths, lock_file: str, selection: Selection = NOTHING,
             default_groups: Sequence[str] = ()) -> Sequence[ToolCommand]:
    """BP_PYTHON_DEPENDENCY_GROUPS: `--group NAME` for each of the lock's default-groups and each selected group (uv
    installs only the named groups once one is given); BP_PYTHON_EXTRAS: `--extra NAME`. The names were checked
    against the lock (uv installs nothing of an unknown name, without a word)."""
    groups = tuple(dict.fromkeys((*default_groups, *selection.groups))) if selection.groups else ()
    chosen = (*(arg for group in groups for arg in ("--group", group)),
              *(arg for extra in selection.extras for arg in ("--extra", extra)))
    args = (*SYNC_ARGS, "--python", str(paths.venv_dir / "bin" / "python"), *chosen, "--link-mode", paths.link_mode,
            lock_file)
    shown = (*SYNC_ARGS, *chosen, "--link-mode", paths.link_mode, lock_file)
    return (ToolCommand(argv=(str(paths.tool_bin / "uv"), *args), shown=" ".join(("uv", *shown))),)


def explain(output: str, lock_file: str, command: str) -> Optional[BuildpackError]:
    """uv's failure as the error that names the fix, or None (a failed install of the lock)."""
    from ..errors import PylockHashMismatch, PylockNoArtifact

    missing = _NO_ARTIFACT.search(output)
    if missing is not None:
        on = _ON.search(output)
        return PylockNoArtifact(lock_file=lock_file, package=missing.group("package"),
                                platform=on.group("platform").strip() if on else "",
                                available=on.group("available").strip() if on else "", command=command)
    mismatch = _HASH_MISMATCH.search(output)
    if mismatch is not None:
        return PylockHashMismatch(lock_file=lock_file, package=mismatch.group("package"), command=command)
    return None


def _chosen(app_dir: Path, env: Mapping[str, str]) -> str:
    from ..app_files import read_app_files
    from . import chosen_file

    return chosen_file(METHOD, read_app_files(app_dir), env)


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    """The chosen lock (checked here, before anything slow) and pyproject.toml (the project an editable entry
    builds)."""
    from dataclasses import replace

    from ..utils import read_optional_text
    from ._lock import lock_inputs

    name = _chosen(app_dir, env)
    text = read_optional_text(app_dir / name, shown=name)
    inputs = lock_inputs(app_dir, "PYLOCK", (name, PROJECT_FILE))
    if text is None:
        return inputs
    facts = read_lock(text, name)
    return replace(inputs, declared=Declared(file=name, groups=facts.dependency_groups, extras=facts.extras))


def _install(step: InstallStep) -> None:
    from ._lock import sync_lock
    from .base import Lock

    name = step.requirement_files[0] if step.requirement_files else FILE

    def explain_sync(output: str, env: Mapping[str, str], command: str, status: int) -> Optional[BuildpackError]:
        return explain(output, name, command)

    lock = Lock(file=name, project_file=PROJECT_FILE, fix=CHOICE.fix)
    defaults: Tuple[str, ...] = ()
    if step.selection.groups:
        from ..utils import read_optional_text

        defaults = read_lock(read_optional_text(step.paths.app_dir / name, shown=name) or "", name).default_groups
    sync_lock(step, lock, tool_env, commands(step.paths, name, step.selection, defaults), explain_sync)


def _requires_python(text: str, file: str = FILE) -> List[Constraint]:
    from ..python_version import pep440_constraint

    requires = read_lock(text, file).requires_python
    return [] if requires is None else [pep440_constraint(file, "requires-python", requires)]


METHOD = InstallMethod(
    name="pylock",
    manager="pylock",
    label="uv pip sync (pylock.toml)",
    installing="Installing the dependencies locked in {files} with uv",
    default_reason="pylock.toml found",
    files=(FILE,),
    file_choice=CHOICE,
    misspellings={"pylock.toml.txt": FILE, "Pylock.toml": FILE},
    tool="uv",
    read_inputs=_inputs,
    # The lock names every file's URL; the index settings reach what building an sdist needs.
    index_settings=("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_FIND_LINKS", "PIP_NO_INDEX",
                    "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_INSECURE_HOST",
                    "UV_FIND_LINKS", "UV_NO_INDEX", "UV_INDEX_STRATEGY", "UV_NO_BUILD", "UV_NO_BUILD_ISOLATION",
                    "UV_KEYRING_PROVIDER"),
    updates_in_place=True,
    install=_install,
    version_sources=(VersionSource(FILE, _requires_python, read_chosen=_requires_python),),
    groups_option="`--group NAME` (with the lock's `default-groups`)",
    extras_option="`--extra NAME`",
    summary="`uv pip sync --preview-features pylock`: exactly what the lock selects for this Python and platform "
            "(its markers and default groups), every artifact's hash checked, its sdists built",
)
