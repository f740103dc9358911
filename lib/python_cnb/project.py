"""Facts about the app's files: what to install, what it references locally, where manage.py is."""

from __future__ import annotations

import enum
import hashlib
import re
from pathlib import Path
from typing import Iterable, List, Optional, Set

from .cnb import toml_io
from .utils import read_optional_text

__all__ = ["InstallMode", "find_manage_py", "install_mode", "requirements_digest"]

_PROJECT_FILES = ("setup.py", "setup.cfg", "pyproject.toml")
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".s2i", "staticfiles", "static"}


class InstallMode(enum.Enum):
    REQUIREMENTS = "pip install -r requirements.txt"
    EDITABLE = "pip install -e ."
    NOTHING = "nothing to install"


def _installable_pyproject(app_dir: Path) -> bool:
    text = read_optional_text(app_dir / "pyproject.toml")
    if text is None:
        return False
    try:
        data = toml_io.loads(text)
    except toml_io.TOMLDecodeError:
        return True  # let pip report what is wrong with it
    return "project" in data or "build-system" in data


def install_mode(app_dir: Path) -> InstallMode:
    """requirements.txt first; else the app itself in editable mode (the modern `setup.py develop`)."""
    if (app_dir / "requirements.txt").is_file():
        return InstallMode.REQUIREMENTS
    if (app_dir / "setup.py").is_file() or _installable_pyproject(app_dir):
        return InstallMode.EDITABLE
    return InstallMode.NOTHING


_OPTION_FILE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(?P<path>\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s+|=)(?P<path>\S+)")


def _local_path(spec: str, base: Path) -> Optional[Path]:
    """A requirement that names a local directory ('.', './pkg', 'file:../x'), resolved against base."""
    spec = spec.split("#", 1)[0].split("[", 1)[0].strip()
    if spec.startswith("file://"):
        spec = spec[len("file://"):]
    elif spec.startswith("file:"):
        spec = spec[len("file:"):]
    if spec.startswith((".", "/")):
        return (base / spec).resolve() if not spec.startswith("/") else Path(spec)
    return None


def _walk(path: Path, digest: "hashlib._Hash", seen: Set[Path], app_dir: Path) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    text = read_optional_text(path)
    digest.update(f"file:{_rel(path, app_dir)}\n".encode())
    if text is None:
        digest.update(b"<missing>\n")
        return
    digest.update(text.encode())
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        option = _OPTION_FILE.match(line)
        if option:
            _walk(path.parent / option.group("path"), digest, seen, app_dir)
            continue
        editable = _EDITABLE.match(line)
        local = _local_path(editable.group("path") if editable else line, path.parent)
        if local is not None:
            _hash_project(local, digest, app_dir)


def _rel(path: Path, app_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(app_dir.resolve()))
    except ValueError:
        return str(path)


def _hash_project(directory: Path, digest: "hashlib._Hash", app_dir: Path) -> None:
    for name in _PROJECT_FILES:
        candidate = directory / name
        text = read_optional_text(candidate) if candidate.is_file() else None
        if text is not None:
            digest.update(f"project:{_rel(candidate, app_dir)}\n".encode())
            digest.update(text.encode())


def requirements_digest(app_dir: Path, mode: InstallMode) -> str:
    """sha256 over requirements.txt, the files it includes (-r/-c) and the packaging files of local projects it
    installs (-e ., ./pkg). The app's own code is not part of it: editable installs import it from the app dir."""
    digest = hashlib.sha256(mode.name.encode())
    if mode is InstallMode.REQUIREMENTS:
        _walk(app_dir / "requirements.txt", digest, set(), app_dir)
    elif mode is InstallMode.EDITABLE:
        _hash_project(app_dir, digest, app_dir)
    return digest.hexdigest()


def find_manage_py(app_dir: Path, max_depth: int = 3) -> Optional[Path]:
    """manage.py at the root first, then one, two and three directory levels down (sorted, hidden dirs skipped)."""
    level: List[Path] = [app_dir]
    for _ in range(max_depth + 1):
        for directory in level:
            candidate = directory / "manage.py"
            if candidate.is_file():
                return candidate
        level = sorted(child for d in level for child in _subdirs(d))
    return None


def _subdirs(directory: Path) -> Iterable[Path]:
    try:
        return [c for c in directory.iterdir()
                if c.is_dir() and not c.is_symlink() and not c.name.startswith(".") and c.name not in _SKIP_DIRS]
    except OSError:
        return []
