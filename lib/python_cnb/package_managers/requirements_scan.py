"""requirements.txt as pip reads it, with what it includes (-r/-c), the local projects it installs, --find-links
directories and pip's settings files: the digest that decides whether the environment is reused, and what an update
in place needs (which lines changed, which options, which requirements are unpinned). Reads files only."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Mapping, Optional, Set, Tuple

from ..app_files import decode_text
from ..errors import FileReadError
from ..redact import redact
from ..utils import os_reason, read_optional_text

__all__ = ["PROJECT_FILES", "RequirementOption", "RequirementsScan", "line_digest", "project_digest",
           "read_requirements_file", "scan_requirements", "tree_digest"]

PROJECT_FILES = ("setup.py", "setup.cfg", "pyproject.toml")


_OPTION_FILE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(?P<path>\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s+|=)(?P<path>\S+)")


@dataclass(frozen=True)
class RequirementOption:
    """An option line of a requirements file ('--index-url', '--pre'), or an option after a requirement on its line
    ('--hash', '--config-settings'), as the scan found it."""

    file: str  # relative to the app ('requirements.txt', 'requirements/base.txt')
    line: int  # the logical line's first physical line, from 1
    option: str  # the option's long name as written ('--pre'; '-i' is reported as written)


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


def read_requirements_file(path: Path) -> Optional[str]:
    """A requirements file's text as pip reads it (see utils.decode_text); None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileReadError(path=str(path), reason=os_reason(exc)) from None
    return decode_text(data, str(path))


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
    roots: Tuple[str, ...] = ("requirements.txt",)  # the files pip -r installs (BP_PIP_REQUIREMENT's, relative)
    # (file, as written, resolved) of each include, local project and --find-links named by a relative path
    local_paths: Tuple[Tuple[str, str, Path], ...] = ()

    def changed_requirements(self, installed_lines: str) -> Optional[Tuple[str, ...]]:
        """For an update in place whose options, includes and constraints did not change: the requirement lines the
        last install did not have (installed_lines: its requirement_lines), which is all there is to install.
        None when an option decides more than where distributions come from (--hash, --config-settings, options in
        an included file but -r), so only the whole install is sure to do what a fresh one would; and when a root
        file is below the app's root (the changed lines are installed from a file at the root, where its relative
        paths would read differently)."""
        if any("/" in root for root in self.roots):
            return None
        for option in self.options:
            if option.option not in _CARRIED_OPTIONS or (option.file not in self.roots and
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
        self.local_paths: List[Tuple[str, str, Path]] = []
        self.file = ""
        self.line_number = 0

    def note(self, spec: str, path: Path) -> None:
        """A path named relative to the file naming it (an absolute one is the build image's business)."""
        bare = spec[len("file:"):] if spec.startswith("file:") and not spec.startswith("file://") else spec
        if not bare.startswith(("/", "file://")):
            self.local_paths.append((self.file, spec, _resolve(path, spec)))

    def walk(self, path: Path, constraints: bool = False, top: bool = False) -> None:
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
                included = base / target[len("file:"):] if target.startswith("file:") else base / target
                self.note(target, included)
                self.walk(included, constraints or line.startswith(("-c", "--constraint")))
            return
        links = _FIND_LINKS.match(line)
        if links:
            self.find_links(links.group("path"), base)
            return
        editable = _EDITABLE.match(line)
        if editable:
            local = _local_path(editable.group("path"), base)
            if local is not None:
                self.note(editable.group("path"), local)
                _hash_project(local, self.digest, self.app_dir)  # its code is imported from where it is
            return
        if line.startswith("-"):
            return  # other options (--index-url, --pre, ...) are part of the file's text, hashed above
        at_url = _NAME_AT_URL.match(line)
        local = _local_path(at_url.group("url") if at_url else line, base)
        if local is not None:
            self.note((at_url.group("url") if at_url else line).split(";", 1)[0].split("[", 1)[0].strip(), local)
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
                self.note(value, candidate)
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
    for name in PROJECT_FILES:
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


def scan_requirements(app_dir: Path, env: Mapping[str, str] = {},  # noqa: B006
                      roots: Tuple[str, ...] = ("requirements.txt",)) -> RequirementsScan:
    """requirements.txt (or the root files BP_PIP_REQUIREMENT names) with what it includes (-r/-c), the local
    projects it installs (non-editable: the whole tree; editable: the packaging files), --find-links directories,
    and pip's settings files."""
    digest = hashlib.sha256(b"PIP")  # the seed every earlier release used: the same inputs give the same digest
    walker = _Walker(app_dir, digest)
    for root in roots:
        walker.walk(app_dir / root, top=True)
    _hash_pip_settings_files(app_dir, env, digest, walker)
    return RequirementsScan(digest=digest.hexdigest(), url_includes=tuple(walker.urls),
                            unpinned=tuple(dict.fromkeys(walker.unpinned)), requirements=tuple(walker.requirements),
                            local_sources=walker.local.hexdigest(), options=tuple(walker.options),
                            requirement_lines=" ".join(sorted({line_digest(line) for line in walker.requirements})),
                            structure=walker.structure.hexdigest(), top_options=tuple(walker.top_options),
                            roots=tuple(roots), local_paths=tuple(walker.local_paths))


def tree_digest(path: Path) -> str:
    """sha256 of a directory's files as `--find-links` reads them (paths, modes, contents; bytecode and build output
    left out): the vendored wheels' part of the reuse key."""
    digest = hashlib.sha256(b"TREE")
    _hash_tree(path, digest)
    return digest.hexdigest()


def project_files_digest(directory: Path) -> str:
    """sha256 of a project's packaging files (pyproject.toml, setup.py, setup.cfg): what an editable install of it
    depends on (its code is imported from where it is)."""
    digest = hashlib.sha256(b"PROJECT")
    _hash_project(directory, digest, directory)
    return digest.hexdigest()


def project_digest(app_dir: Path, env: Mapping[str, str]) -> str:
    """`pip install -e .`'s inputs: the app's packaging files and pip's settings files (its code is imported from
    the app directory, so it is not part of it)."""
    digest = hashlib.sha256(b"PIP_PROJECT")  # the seed every earlier release used
    _hash_project(app_dir, digest, app_dir)
    _hash_pip_settings_files(app_dir, env, digest, _Walker(app_dir, digest))
    return digest.hexdigest()
