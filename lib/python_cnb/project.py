"""Facts about the app's files that take more than a look at the root: what the requirements reference locally,
the digest of what decides the environment, where manage.py is."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from .errors import FileReadError
from .installers.base import RequirementOption
from .package_manager import PackageManager
from .redact import redact
from .utils import read_optional_text

__all__ = ["RequirementsScan", "dependency_inputs_digest", "find_manage_py", "read_requirements_file",
           "scan_requirements"]

_PROJECT_FILES = ("setup.py", "setup.cfg", "pyproject.toml")
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".s2i", "staticfiles", "static"}


_OPTION_FILE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(?P<path>\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s+|=)(?P<path>\S+)")


def _local_path(spec: str, base: Path) -> Optional[Path]:
    """A requirement that names a local directory ('.', './pkg', 'file:../x'), resolved against base."""
    spec = spec.split(";", 1)[0].split("#", 1)[0].split("[", 1)[0].strip()
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


_FIND_LINKS = re.compile(r"^(?:-f|--find-links)(?:\s+|=)(?P<path>\S+)")
_NAME_AT_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@\s*(?P<url>\S+)")
_PINNED = re.compile(r"===?\s*[^\s,;*]+\s*(?:;|$)")
_REQ_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
# What a local project's tree holds besides its sources: build output, VCS data and bytecode.
_TREE_SKIP_DIRS = {"build", "dist", "__pycache__", ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".eggs",
                   ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def _is_url(value: str) -> bool:
    return "://" in value and not value.startswith("file:")


@dataclass(frozen=True)
class RequirementsScan:
    """What the pip path's reuse rules need from requirements.txt and what it includes."""

    digest: str
    url_includes: Tuple[str, ...]  # requirement/constraint files included by URL (credentials masked)
    unpinned: Tuple[str, ...]  # requirements not pinned to one version (==, ===): they keep their first install
    requirements: Tuple[str, ...]  # the requirement lines that name a distribution (not constraints, not paths)
    local_sources: str  # sha256 of the part of `digest` that is not requirement-file text: local project trees,
    # --find-links contents, pip configuration files (an in-place update cannot follow those exactly)
    options: Tuple[RequirementOption, ...] = ()  # every option line, and every option after a requirement
    # For an in-place update that only removes: a short sha256 of each requirement line (sorted, space-separated), and
    # a sha256 of everything else the files say (options, includes, constraints, paths, in order).
    requirement_lines: str = ""
    structure: str = ""
    top_options: Tuple[str, ...] = ()  # requirements.txt's own option lines but its includes (-r), as written

    def changed_requirements(self, installed_lines: str) -> Optional[Tuple[str, ...]]:
        """For an update in place whose options, includes and constraints did not change: the requirement lines the
        last install did not have (installed_lines: its requirement_lines), which is all there is to install.
        None when an option decides more than where distributions come from (--hash, --config-settings, options in
        an included file but -r), so only the whole install is sure to do what a fresh one would."""
        for option in self.options:
            if option.option not in _CARRIED_OPTIONS or (option.file != "requirements.txt" and
                                                         option.option not in ("-r", "--requirement")):
                return None
        had = set(installed_lines.split())
        return tuple(dict.fromkeys(line for line in self.requirements if line_digest(line) not in had))


# Options an install of only some lines can carry over in a file next to requirements.txt (relative paths resolve
# the same): where distributions come from and which kinds are allowed, constraints, and includes.
_CARRIED_OPTIONS = frozenset({"-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--pre",
                              "--trusted-host", "--prefer-binary", "--only-binary", "--no-binary", "-c",
                              "--constraint", "-r", "--requirement"})


class _Walker:
    def __init__(self, app_dir: Path, digest: "hashlib._Hash") -> None:
        self.app_dir = app_dir
        self.digest = digest
        self.local = hashlib.sha256()
        self.seen: Set[Path] = set()
        self.urls: List[str] = []
        self.unpinned: List[str] = []
        self.requirements: List[str] = []
        self.options: List[RequirementOption] = []
        self.structure = hashlib.sha256()
        self.top_options: List[str] = []
        self.file = ""
        self.line_number = 0

    def walk(self, path: Path, constraints: bool = False) -> None:
        resolved = _resolve(path, str(path.relative_to(self.app_dir)) if path.is_relative_to(self.app_dir)
                            else str(path))
        if resolved in self.seen:
            return
        self.seen.add(resolved)
        text = read_requirements_file(path)
        self.digest.update(f"file:{_rel(path, self.app_dir)}\n".encode())
        self.structure.update(f"file:{_rel(path, self.app_dir)}:{constraints}\n".encode())
        if text is None:
            self.digest.update(b"<missing>\n")
            self.structure.update(b"<missing>\n")
            return
        self.digest.update(text.encode())
        shown = _rel(path, self.app_dir)
        top = len(self.seen) == 1
        for number, line in _logical_lines(text):
            self.file, self.line_number = shown, number
            self._options(line)
            if top and line.startswith("-") and not line.startswith(("-r", "--requirement")):
                self.top_options.append(line)
            before = len(self.requirements)
            self._line(line, path.parent, constraints)
            if len(self.requirements) == before:
                self.structure.update(f"{line}\n".encode())

    def _options(self, line: str) -> None:
        """The options a line uses: the line's own ('--pre', '-r'), or those after a requirement ('--hash')."""
        found = [line.split("=", 1)[0].split(None, 1)[0]] if line.startswith("-") else \
            [word.split("=", 1)[0] for word in line.split()[1:] if word.startswith("--")]
        self.options.extend(RequirementOption(self.file, self.line_number, option) for option in found)

    def _line(self, line: str, base: Path, constraints: bool) -> None:
        option = _OPTION_FILE.match(line)
        if option:
            target = option.group("path")
            if _is_url(target):
                self.urls.append(redact(target))
            else:
                self.walk(base / target[len("file:"):] if target.startswith("file:") else base / target,
                          constraints or line.startswith(("-c", "--constraint")))
            return
        links = _FIND_LINKS.match(line)
        if links:
            self.find_links(links.group("path"), base)
            return
        editable = _EDITABLE.match(line)
        if editable:
            local = _local_path(editable.group("path"), base)
            if local is not None:
                _hash_project(local, self.digest, self.app_dir)  # its code is imported from where it is
            return
        if line.startswith("-"):
            return  # other options (--index-url, --pre, ...) are part of the file's text, hashed above
        at_url = _NAME_AT_URL.match(line)
        local = _local_path(at_url.group("url") if at_url else line, base)
        if local is not None:
            self.digest.update(f"tree:{_rel(local, self.app_dir)}\n".encode())
            _hash_tree(local, self.digest)
            self.local.update(f"tree:{_rel(local, self.app_dir)}\n".encode())
            _hash_tree(local, self.local)
            return
        if constraints:
            return
        if at_url is not None or "://" not in line:
            self.requirements.append(line)
        if at_url is None and "://" not in line and not _PINNED.search(line):
            name = _REQ_NAME.match(line)
            if name:
                self.unpinned.append(name.group(0))

    def find_links(self, value: str, base: Path) -> None:
        """A local --find-links directory (or file): what it holds decides what gets installed."""
        if _is_url(value):
            return
        value = value[len("file://"):] if value.startswith("file://") else value
        value = value[len("file:"):] if value.startswith("file:") else value
        for candidate in (base / value, self.app_dir / value):
            if candidate.exists():
                for digest in (self.digest, self.local):
                    digest.update(f"find-links:{_rel(candidate, self.app_dir)}\n".encode())
                    _hash_tree(candidate, digest)
                return
        self.digest.update(f"find-links:{value}:<missing>\n".encode())


def _logical_lines(text: str) -> Iterator[Tuple[int, str]]:
    """Lines as pip reads them, with the number of their first physical line: comments removed, backslash
    continuations joined, blank lines dropped."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw if not raw.lstrip().startswith("#") else ""
        line = line.split(" #", 1)[0].split("\t#", 1)[0]
        start = start or number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1]
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield start, line
        start = 0
    if pending.strip():
        yield start, pending.strip()


def _hash_tree(root: Path, digest: "hashlib._Hash") -> None:
    """Paths, executable bits, link targets and contents under root, sorted; build output, VCS folders,
    *.egg-info and __pycache__ skipped (a local build leaves them, and they do not change what gets installed)."""
    if root.is_file():
        digest.update(b"F")
        digest.update(root.read_bytes())
        return
    if not root.is_dir():
        digest.update(b"<missing>\n")
        return
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _TREE_SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(current) / name
            digest.update(f"\0{path.relative_to(root)}\0".encode())
            try:
                if path.is_symlink():
                    digest.update(b"L" + os.readlink(path).encode())
                else:
                    digest.update(b"X" if os.access(path, os.X_OK) else b"F")
                    with path.open("rb") as handle:
                        for chunk in iter(lambda: handle.read(1 << 20), b""):
                            digest.update(chunk)
            except OSError as exc:
                raise FileReadError(path=str(path), reason=exc.strerror or str(exc)) from None


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


def _hash_pip_settings_files(app_dir: Path, env: Mapping[str, str], digest: "hashlib._Hash",
                             walker: "_Walker") -> None:
    """PIP_FIND_LINKS directories, the PIP_CONFIG_FILE and a pip.conf/pip.ini the app ships: their contents
    change what pip installs without any variable changing."""
    for value in env.get("PIP_FIND_LINKS", "").split():
        walker.find_links(value, app_dir)
    config = env.get("PIP_CONFIG_FILE", "").strip()
    names = [config] if config and config != os.devnull else []
    for name in [*names, "pip.conf", "pip.ini"]:
        path = app_dir / name
        if path.is_file():
            for target in (digest, walker.local):
                target.update(f"pip-config:{name}\n".encode())
                _hash_tree(path, target)


def line_digest(line: str) -> str:
    return hashlib.sha256(" ".join(line.split()).encode()).hexdigest()[:16]


def scan_requirements(app_dir: Path, env: Mapping[str, str] = {}) -> RequirementsScan:  # noqa: B006
    """requirements.txt with what it includes (-r/-c), the local projects it installs (non-editable: the whole
    tree; editable: the packaging files), --find-links directories, and pip's settings files."""
    digest = hashlib.sha256(PackageManager.PIP.name.encode())
    walker = _Walker(app_dir, digest)
    walker.walk(app_dir / "requirements.txt")
    _hash_pip_settings_files(app_dir, env, digest, walker)
    return RequirementsScan(digest=digest.hexdigest(), url_includes=tuple(walker.urls),
                            unpinned=tuple(dict.fromkeys(walker.unpinned)), requirements=tuple(walker.requirements),
                            local_sources=walker.local.hexdigest(), options=tuple(walker.options),
                            requirement_lines=" ".join(sorted({line_digest(line) for line in walker.requirements})),
                            structure=walker.structure.hexdigest(), top_options=tuple(walker.top_options))


def dependency_inputs_digest(app_dir: Path, manager: PackageManager, lock_inputs: Sequence[str] = (),
                             env: Mapping[str, str] = {}) -> str:  # noqa: B006
    """sha256 over what decides the environment besides the interpreter, the tool and the index settings.

    pip -r: see scan_requirements. pip -e .: the app's packaging files and pip's settings files. A lockfile tool:
    `lock_inputs` (its lockfile and project file). The app's own code is not part of it: editable installs import it
    from the app dir."""
    if manager is PackageManager.PIP:
        return scan_requirements(app_dir, env).digest
    digest = hashlib.sha256(manager.name.encode())
    if manager is PackageManager.PIP_PROJECT:
        _hash_project(app_dir, digest, app_dir)
        _hash_pip_settings_files(app_dir, env, digest, _Walker(app_dir, digest))
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
