"""Facts about the app's files that take more than a look at the root: what the requirements reference locally,
the digest of what decides the environment, where manage.py is."""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Set

from .errors import FileReadError
from .package_manager import PackageManager
from .utils import read_optional_text

__all__ = ["dependency_inputs_digest", "find_manage_py", "read_requirements_file"]

_PROJECT_FILES = ("setup.py", "setup.cfg", "pyproject.toml")
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".s2i", "staticfiles", "static"}


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
        return _resolve(base / spec, spec) if not spec.startswith("/") else Path(spec)
    return None


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def read_requirements_file(path: Path) -> Optional[str]:
    """A requirements file's text as pip reads it: UTF-8, or UTF-16/32 with a byte order mark (what PowerShell's
    `pip freeze > requirements.txt` writes). None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileReadError(path=str(path), reason=exc.strerror or str(exc)) from None
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileReadError(path=str(path), reason=f"it is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                            "save it as UTF-8") from None


def _resolve(path: Path, shown: str) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop: RuntimeError before 3.13, OSError (ELOOP) after
        raise FileReadError(path=shown, reason=f"it cannot be resolved ({exc}); a symlink probably points back at "
                            "itself") from None


def _walk(path: Path, digest: "hashlib._Hash", seen: Set[Path], app_dir: Path) -> None:
    resolved = _resolve(path, str(path.relative_to(app_dir)) if path.is_relative_to(app_dir) else str(path))
    if resolved in seen:
        return
    seen.add(resolved)
    text = read_requirements_file(path)
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
        return str(_resolve(path, str(path)).relative_to(app_dir.resolve()))
    except ValueError:
        return str(path)


def _hash_project(directory: Path, digest: "hashlib._Hash", app_dir: Path) -> None:
    for name in _PROJECT_FILES:
        candidate = directory / name
        text = read_optional_text(candidate) if candidate.is_file() else None
        if text is not None:
            digest.update(f"project:{_rel(candidate, app_dir)}\n".encode())
            digest.update(text.encode())


def dependency_inputs_digest(app_dir: Path, manager: PackageManager, lock_inputs: Sequence[str] = ()) -> str:
    """sha256 over what decides the environment besides the interpreter, the tool and the index settings.

    pip -r: requirements.txt, the files it includes (-r/-c) and the packaging files of local projects it installs
    (-e ., ./pkg). pip -e .: the app's packaging files. A lockfile tool: `lock_inputs` (its lockfile and project file).
    The app's own code is not part of it: editable installs import it from the app dir."""
    digest = hashlib.sha256(manager.name.encode())
    if manager is PackageManager.PIP:
        _walk(app_dir / "requirements.txt", digest, set(), app_dir)
    elif manager is PackageManager.PIP_PROJECT:
        _hash_project(app_dir, digest, app_dir)
    for name in lock_inputs:
        text = read_optional_text(app_dir / name)
        digest.update(f"file:{name}\n".encode())
        digest.update(b"<missing>\n" if text is None else text.encode())
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
