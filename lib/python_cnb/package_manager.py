"""Which tool installs the app's dependencies. Pure: takes the app's files and BP_PYTHON_PACKAGE_MANAGER, returns
a decision or raises a typed error. Detect uses the same file lists, so what detect accepts build can explain."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .app_files import AppFiles, Entry
from .errors import (
    InvalidEnvValue,
    LockfileMissing,
    LockWithoutProject,
    MisspelledFile,
    NotAFile,
    PackageManagerConflict,
)

__all__ = [
    "MANAGER_FILES",
    "MISSPELLINGS",
    "PackageManager",
    "PackageManagerChoice",
    "choose_package_manager",
    "installable_project",
]


class PackageManager(enum.Enum):
    PIP = "pip"  # pip install -r requirements.txt (the reference builder's path)
    PIP_PROJECT = "pip-project"  # pip install -e . (setup.py or an installable pyproject.toml, no lockfile)
    UV = "uv"
    POETRY = "poetry"
    PIPENV = "pipenv"
    NONE = "none"  # nothing to install

    @property
    def is_pip(self) -> bool:
        return self in (PackageManager.PIP, PackageManager.PIP_PROJECT, PackageManager.NONE)

    @property
    def described(self) -> str:
        return _DESCRIBED[self]


_DESCRIBED = {
    PackageManager.PIP: "pip install -r requirements.txt",
    PackageManager.PIP_PROJECT: "pip install -e .",
    PackageManager.UV: "uv sync (uv.lock)",
    PackageManager.POETRY: "poetry sync (poetry.lock)",
    PackageManager.PIPENV: "pipenv install --deploy (Pipfile.lock)",
    PackageManager.NONE: "nothing to install",
}

# The files that select each manager (detect passes on every one of them).
MANAGER_FILES: Dict[str, Tuple[str, ...]] = {
    "pip": ("requirements.txt",),
    "uv": ("uv.lock",),
    "poetry": ("poetry.lock",),
    "pipenv": ("Pipfile", "Pipfile.lock"),
}
_LOCKS = {"uv": ("uv.lock", "pyproject.toml", "uv lock"), "poetry": ("poetry.lock", "pyproject.toml", "poetry lock"),
          "pipenv": ("Pipfile.lock", "Pipfile", "pipenv lock")}
_BY_NAME = {"uv": PackageManager.UV, "poetry": PackageManager.POETRY, "pipenv": PackageManager.PIPENV}
CHOICES = ("pip", "uv", "poetry", "pipenv")

# Names people give these files by mistake, and the name the buildpack looks for.
MISSPELLINGS: Dict[str, str] = {
    "requirement.txt": "requirements.txt",
    "Requirements.txt": "requirements.txt",
    "REQUIREMENTS.txt": "requirements.txt",
    "requirements.text": "requirements.txt",
    "requirements.txt.txt": "requirements.txt",
    "requirements.in": "requirements.txt",
    "pipfile": "Pipfile",
    "Pipfile.txt": "Pipfile",
    "pipfile.lock": "Pipfile.lock",
    "Poetry.lock": "poetry.lock",
    "poetry.lock.txt": "poetry.lock",
    "UV.lock": "uv.lock",
    "uv.lock.txt": "uv.lock",
}


@dataclass(frozen=True)
class PackageManagerChoice:
    manager: PackageManager
    reason: str  # for the log: why this one
    ignored: Tuple[str, ...] = ()  # other managers' files that BP_PYTHON_PACKAGE_MANAGER made the build ignore

    def describe(self, installer: str = "pip") -> str:
        """The build log's line for the decision; `installer` installs the pip paths (BP_PYTHON_INSTALLER)."""
        text = {
            PackageManager.PIP: "Installing dependencies from requirements.txt with pip",
            PackageManager.PIP_PROJECT: "No requirements.txt or lockfile, but the app is installable: installing it "
                                        "in editable mode with pip (the modern 'python setup.py develop')",
            PackageManager.NONE: "No requirements.txt, lockfile, setup.py or installable pyproject.toml: "
                                 "no dependencies to install",
            PackageManager.UV: "Installing the dependencies locked in uv.lock with uv",
            PackageManager.POETRY: "Installing the dependencies locked in poetry.lock with Poetry",
            PackageManager.PIPENV: "Installing the dependencies locked in Pipfile.lock with Pipenv",
        }[self.manager].replace("with pip", f"with {installer}")
        return f"{text} ({self.reason})" if self.reason.startswith("BP_") else text


def installable_project(files: AppFiles) -> bool:
    """pip can install the app itself: a setup.py, or a pyproject.toml with [project] or [build-system]."""
    if files.is_file("setup.py"):
        return True
    pyproject = files.toml("pyproject.toml")
    return pyproject is not None and ("project" in pyproject or "build-system" in pyproject)


def _present(files: AppFiles) -> Dict[str, List[str]]:
    """The managers whose files are present (whatever the entries are: a directory named requirements.txt is an error
    for the chosen manager, not an absence)."""
    found: Dict[str, List[str]] = {}
    for manager, names in MANAGER_FILES.items():
        here = [name for name in names if files.has(name)]
        if here:
            found[manager] = here
    return found


def _require_files(files: AppFiles, names: Tuple[str, ...]) -> None:
    for name in names:
        entry = files.entries.get(name)
        if entry is not None and entry is not Entry.FILE:
            raise NotAFile(path=name, kind=entry.value)


def _lock_manager(files: AppFiles, name: str, reason: str, requested_by: str = "") -> PackageManagerChoice:
    lock, project, fix = _LOCKS[name]
    _require_files(files, (lock, project))
    if not files.has(lock):
        raise LockfileMissing(manager=name, lock_file=lock, found=project if files.has(project) else "", fix=fix,
                              requested_by=requested_by)
    if not files.has(project):
        raise LockWithoutProject(lock_file=lock, project_file=project)
    return PackageManagerChoice(_BY_NAME[name], reason)


def _pip(files: AppFiles, reason: str) -> PackageManagerChoice:
    if files.has("requirements.txt"):
        _require_files(files, ("requirements.txt",))
        return PackageManagerChoice(PackageManager.PIP, reason or "requirements.txt found")
    if installable_project(files):
        return PackageManagerChoice(PackageManager.PIP_PROJECT, reason or (
            "no requirements.txt or lockfile, but the app is installable: installing it in editable mode "
            "(the modern 'python setup.py develop')"))
    return PackageManagerChoice(PackageManager.NONE, reason or "no requirements.txt, lockfile, setup.py or "
                                "installable pyproject.toml")


def choose_package_manager(files: AppFiles, requested: str = "", requested_by: str = "") -> PackageManagerChoice:
    """BP_PYTHON_PACKAGE_MANAGER first; else the one manager whose files are present; else the app itself; else
    nothing. Two managers' files at once, misspelled names and half a lockfile pair are errors with the fix."""
    present = _present(files)
    wanted = requested.strip().lower()
    if wanted:
        if wanted not in CHOICES:
            raise InvalidEnvValue(name="BP_PYTHON_PACKAGE_MANAGER", value=requested,
                                  expected="one of " + ", ".join(CHOICES))
        ignored = tuple(name for manager, names in sorted(present.items()) if manager != wanted for name in names)
        # requested_by: the S2I switch (ENABLE_PIPENV) that set BP_PYTHON_PACKAGE_MANAGER, for the log and errors
        reason = f"{requested_by} is set" if requested_by else f"BP_PYTHON_PACKAGE_MANAGER is {wanted}"
        if wanted == "pip":
            choice = _pip(files, reason)
            if choice.manager is PackageManager.NONE:
                raise LockfileMissing(manager="pip", lock_file="requirements.txt", found="",
                                      fix="pip freeze > requirements.txt")
        else:
            choice = _lock_manager(files, wanted, reason, requested_by)
        return PackageManagerChoice(choice.manager, choice.reason, ignored)

    for wrong, right in MISSPELLINGS.items():
        if files.has(wrong) and not files.has(right):
            raise MisspelledFile(found=wrong, expected=right)
    if len(present) > 1:
        files_found = tuple(name for _, names in sorted(present.items()) for name in names)
        raise PackageManagerConflict(managers=tuple(sorted(present)), files=files_found)
    manager: Optional[str] = next(iter(present), None)
    if manager is None or manager == "pip":
        return _pip(files, "")
    lock = _LOCKS[manager][0]
    return _lock_manager(files, manager, f"{lock} found")
