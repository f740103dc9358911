"""Poetry with its lock: `poetry sync --only main` of poetry.lock into the buildpack's virtual environment: the main
group only, and the project itself (editable) in package mode, Poetry's default, unless Poetry would find no package
for it (then `--no-root`). A Poetry project without poetry.lock (a pyproject.toml with [tool.poetry]) is locked at
build first (`poetry lock`). The sync is exact (it removes what the lock's main group does not name), so a changed
lock updates the restored environment in place. How each setting was checked against the pinned Poetry:
requirements/NOTES.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .base import DependencyInputs, InstallMethod, InstallPaths, InstallStep, Lock, ToolCommand, VersionSource
from .selection import NOTHING, Declared, Selection

if TYPE_CHECKING:
    from .._vendor.packaging.specifiers import SpecifierSet
    from ..app_files import AppFiles
    from ..errors import BuildpackError
    from ..python_version import Constraint

__all__ = ["METHOD", "commands", "declared", "explain", "missing_root_package", "poetry_specifiers",
           "root_package_paths", "source_credentials", "tool_env"]


def _is_poetry_project(files: AppFiles) -> bool:
    """pyproject.toml has a [tool.poetry] table: `poetry init`'s and `poetry new`'s projects, of Poetry 1 and 2."""
    from ..python_version import table

    return isinstance(table(files.toml("pyproject.toml") or {}, "tool").get("poetry"), dict)


LOCK = Lock(file="poetry.lock", project_file="pyproject.toml", fix="poetry lock",
            generate=("poetry", "lock", "--no-interaction", "--no-ansi"), owns=_is_poetry_project,
            owned_by="a `pyproject.toml` with `[tool.poetry]`",
            locking="No poetry.lock: locking pyproject.toml's dependencies with Poetry at build, then installing "
                    "the lock with Poetry")
# poetry.toml (project-level Poetry config) can change installer settings.
REUSE_FILES = ("poetry.lock", "pyproject.toml", "poetry.toml")

# Settings the buildpack decides: a user's value for any of them is dropped.
_OWNED = ("VIRTUAL_ENV", "POETRY_VIRTUALENVS_CREATE", "POETRY_CACHE_DIR", "POETRY_CONFIG_DIR", "POETRY_DATA_DIR",
          "POETRY_NO_INTERACTION", "POETRY_KEYRING_ENABLED", "POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON",
          "POETRY_VIRTUALENVS_USE_POETRY_PYTHON")

SYNC_ARGS = ("sync", "--only", "main", "--no-interaction", "--no-ansi")
NO_ROOT = "--no-root"

_OUT_OF_DATE = re.compile(r"pyproject\.toml changed significantly since poetry\.lock", re.IGNORECASE)
# Poetry found no package for the project by its name (no `packages` setting): the dependencies are installed.
_NO_DEFAULT_PACKAGE = "No file/folder found for package"
# The package the project names (its `packages` setting) is not there, or not a package.
_PACKAGE_UNUSABLE = re.compile(r"does not contain any element|is not a package\.|current project could not be "
                               r"installed")


def tool_env(env: Mapping[str, str], paths: InstallPaths) -> Dict[str, str]:
    from ._env import map_unless_set, without

    result = without(env, _OWNED)
    result.update({
        "VIRTUAL_ENV": str(paths.venv_dir),
        "POETRY_VIRTUALENVS_CREATE": "false",
        "POETRY_CACHE_DIR": str(paths.cache_dir),
        # A directory that never exists: no user or machine config.toml applies (the project's poetry.toml does).
        "POETRY_CONFIG_DIR": str(paths.cache_dir / "no-user-config"),
        "POETRY_DATA_DIR": str(paths.cache_dir / "data"),
        "POETRY_NO_INTERACTION": "1",
        "POETRY_KEYRING_ENABLED": "false",
    })
    # Poetry reads no PIP_* variable (its sources are in pyproject.toml), but honours REQUESTS_CA_BUNDLE.
    map_unless_set(result, "PIP_CERT", "REQUESTS_CA_BUNDLE")
    from ._lock import read_project

    for name, value in source_credentials(read_project(paths.app_dir, LOCK.project_file), result).items():
        result.setdefault(name, value)
    return result


def source_credentials(pyproject: Dict[str, Any], env: Mapping[str, str]) -> Dict[str, str]:
    """POETRY_HTTP_BASIC_<SOURCE>_USERNAME/_PASSWORD for each [[tool.poetry.source]] whose host has credentials in
    PIP_INDEX_URL or PIP_EXTRA_INDEX_URL (user:password@host) or in the NETRC file (a service binding's): Poetry's
    own way to authenticate a source, as pip would with those settings."""
    from urllib.parse import unquote, urlsplit

    from ..python_version import table

    known: Dict[str, Tuple[str, str]] = {}
    for variable in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        for url in env.get(variable, "").split():
            parts = urlsplit(url)
            if parts.hostname and parts.username:
                known.setdefault(parts.hostname, (unquote(parts.username), unquote(parts.password or "")))
    if env.get("NETRC"):
        from ..bindings import netrc_credentials

        try:
            for host, login in netrc_credentials(Path(env["NETRC"])).items():
                known.setdefault(host, login)
        except Exception:  # noqa: BLE001 - a file pip would not read either: Poetry goes without
            pass
    found: Dict[str, str] = {}
    sources = table(pyproject, "tool", "poetry").get("source")
    for source in sources if isinstance(sources, list) else []:
        source_name, source_url = (source.get("name"), source.get("url")) if isinstance(source, dict) else ("", "")
        host = urlsplit(source_url).hostname or "" if isinstance(source_url, str) else ""
        if isinstance(source_name, str) and host in known:
            key = re.sub(r"[^A-Z0-9]", "_", source_name.upper())
            found[f"POETRY_HTTP_BASIC_{key}_USERNAME"], found[f"POETRY_HTTP_BASIC_{key}_PASSWORD"] = known[host]
    return found


def commands(paths: InstallPaths, root: bool = True, selection: Selection = NOTHING) -> Sequence[ToolCommand]:
    """`root`: install the project itself too (package mode); False adds --no-root. The selected groups join main in
    --only; each selected extra is an --extras."""
    args = tuple(",".join(("main", *selection.groups)) if arg == "main" else arg for arg in SYNC_ARGS)
    args = (*args, *(arg for extra in selection.extras for arg in ("--extras", extra)))
    args = args if root else (*args, NO_ROOT)
    return (ToolCommand(argv=(str(paths.tool_bin / "poetry"), *args), shown=" ".join(("poetry", *args))),)


def explain(output: str, env: Mapping[str, str], command: str, status: int) -> Optional[BuildpackError]:
    from ..errors import LockfileOutOfDate, PoetryPackageMissing

    if _OUT_OF_DATE.search(" ".join(output.split())):
        return LockfileOutOfDate(lock_file=LOCK.file, project_file=LOCK.project_file, command=command, fix=LOCK.fix)
    if _PACKAGE_UNUSABLE.search(output):
        return PoetryPackageMissing(command=command, exit_code=status)
    return None


def root_package_paths(pyproject: Dict[str, Any]) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """Where Poetry looks for the project's package when it installs the project itself: (the project's name, the
    paths, relative to the app), or None when it does not look (not package mode, a `packages` setting, no name).
    Poetry's rule (poetry-core's Module): the module is the PEP 503 name with '_' for '-', as a directory or a
    NAME.py file at the root, else under src/."""
    from .._vendor.packaging.utils import canonicalize_name
    from ..python_version import table

    poetry = table(pyproject, "tool", "poetry")
    name = table(pyproject, "project").get("name") or poetry.get("name")
    if poetry.get("package-mode", True) is False or poetry.get("packages") or not isinstance(name, str) or \
            not name.strip():
        return None
    module = canonicalize_name(name).replace("-", "_")
    return name, (f"{module}/", f"{module}.py", f"src/{module}/", f"src/{module}.py")


def missing_root_package(pyproject: Dict[str, Any],
                         exists: Callable[[str], bool]) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """(the project's name, where Poetry looked) when Poetry would install the project itself but find no package for
    it, so that only its dependencies can be installed; `exists` says whether a path relative to the app is there
    ('x/': a directory)."""
    found = root_package_paths(pyproject)
    return None if found is None or any(exists(path) for path in found[1]) else found


def _missing_root_package(app_dir: Path) -> Optional[Tuple[str, Tuple[str, ...]]]:
    from ..app_files import parse_toml
    from ..utils import read_optional_text

    text = read_optional_text(app_dir / LOCK.project_file, shown=LOCK.project_file)
    if text is None:
        return None
    return missing_root_package(parse_toml(text, LOCK.project_file), lambda path: (
        (app_dir / path).is_dir() if path.endswith("/") else (app_dir / path).is_file()))


def declared(pyproject: Dict[str, Any]) -> Declared:
    """Poetry's groups ([tool.poetry.group.NAME]) and PEP 735's; its extras ([tool.poetry.extras]) and PEP 621's."""
    from ..python_version import table
    from .selection import pyproject_declared

    return pyproject_declared(pyproject, more_groups=tuple(table(pyproject, "tool", "poetry", "group")),
                              more_extras=tuple(table(pyproject, "tool", "poetry", "extras")))


def _inputs(app_dir: Path, env: Mapping[str, str]) -> DependencyInputs:
    from dataclasses import replace

    from ._lock import lock_inputs, read_project

    # Whether the project itself is installed decides the environment too; apps that have their package keep the
    # digest of earlier releases.
    inputs = lock_inputs(app_dir, "POETRY" if _missing_root_package(app_dir) is None else "POETRY --no-root",
                         REUSE_FILES)
    return replace(inputs, declared=declared(read_project(app_dir, LOCK.project_file)))


def _install(step: InstallStep) -> None:
    from ._lock import sync_lock

    missing = _missing_root_package(step.paths.app_dir)
    if missing is not None:
        name, paths = missing
        step.out.step(f"The project {name} is in Poetry's package mode, but the app has none of {', '.join(paths)} "
                      "and no `packages` setting: installing its dependencies without the project itself (--no-root)")

    def recover(output: str, command: ToolCommand) -> Optional[Sequence[ToolCommand]]:
        if _NO_DEFAULT_PACKAGE not in output or NO_ROOT in command.argv:
            return None
        step.out.step("Poetry found no package for the project: installing its dependencies without the project "
                      "itself (--no-root)")
        return commands(step.paths, root=False, selection=step.selection)

    sync_lock(step, LOCK, tool_env, commands(step.paths, root=missing is None, selection=step.selection), explain,
              recover)


# ---- Poetry's version constraints ---------------------------------------------------------------------------
_POETRY_TERM = re.compile(r"\s*(?P<op>\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*(?P<version>[^\s,]+)\s*,?\s*")
_RELEASE = re.compile(r"^\d+(?:\.\d+)*$")


def _poetry_term(op: str, version: str) -> str:
    """One Poetry term as a PEP 440 specifier ('' for any version); ValueError when it has no meaning."""
    if op in ("^", "~"):
        if not _RELEASE.match(version):
            raise ValueError(f"'{op}{version}' needs a plain version after {op}")
        parts = [int(p) for p in version.split(".")]
        if op == "^":  # the left-most non-zero part may not change
            index = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
        else:  # ~1 allows 1.x; ~1.2 and ~1.2.3 allow 1.2.x
            index = 0 if len(parts) == 1 else 1
        upper = [*parts[:index], parts[index] + 1]
        return f">={version},<{'.'.join(map(str, upper))}"
    if op in ("", "=", "=="):
        if version == "*":
            return ""
        if "*" in version:
            return f"=={version}"
        if _RELEASE.match(version) and version.count(".") < 2:
            return f"=={version}.*"  # Poetry's python = "3.11" means any 3.11
        return f"=={version}"
    return f"{op}{version}"


def poetry_specifiers(value: str, file: str = "pyproject.toml",
                      key: str = "[tool.poetry.dependencies] python") -> Tuple[SpecifierSet, ...]:
    """Poetry's constraint syntax (^3.11, ~3.12, 3.11.*, '>=3.10,<4.0', '>=3.8 <3.9 || >=3.10') as PEP 440."""
    from ..errors import PythonConstraintInvalid
    from ..python_version import pep440_specifiers

    alternatives = []
    for alternative in re.split(r"\|\|?", value):
        terms, position = [], 0
        text = alternative.strip()
        if not text:
            raise PythonConstraintInvalid(file=file, key=key, value=value, reason="an empty alternative around '||'")
        while position < len(text):
            match = _POETRY_TERM.match(text, position)
            if match is None or match.end() == position:
                raise PythonConstraintInvalid(file=file, key=key, value=value,
                                              reason=f"cannot read '{text[position:]}'")
            try:
                terms.append(_poetry_term(match.group("op") or "", match.group("version")))
            except ValueError as exc:
                raise PythonConstraintInvalid(file=file, key=key, value=value, reason=str(exc)) from None
            position = match.end()
        alternatives.append(pep440_specifiers(value, file, key, ",".join(t for t in terms if t)))
    return tuple(alternatives)


def _requires_python(text: str) -> List[Constraint]:
    """[tool.poetry.dependencies] python, in Poetry's own syntax."""
    from ..app_files import parse_toml
    from ..python_version import Constraint, string_value, table

    python = table(parse_toml(text, LOCK.project_file), "tool", "poetry", "dependencies").get("python")
    if python is None:
        return []
    key = "[tool.poetry.dependencies] python"
    value = string_value(python, LOCK.project_file, key)
    return [Constraint(LOCK.project_file, key, value, poetry_specifiers(value))]


METHOD = InstallMethod(
    name="poetry",
    manager="poetry",
    label="poetry sync (poetry.lock)",
    installing="Installing the dependencies locked in poetry.lock with Poetry",
    default_reason="poetry.lock found",
    files=("poetry.lock",),
    misspellings={"Poetry.lock": "poetry.lock", "poetry.lock.txt": "poetry.lock"},
    lock=LOCK,
    tool="poetry",
    read_inputs=_inputs,
    # Sources live in pyproject.toml (a reuse file); Poetry reads no PIP_* index variable.
    index_settings=(),
    # `poetry sync` is exact: into the restored environment it installs, upgrades and removes what the lock says.
    updates_in_place=True,
    install=_install,
    groups_option="`--only main,NAME,...`",
    extras_option="`--extras NAME`",
    summary="`poetry sync --only main`: the main group, and the project itself (editable) in package mode",
    version_sources=(VersionSource(LOCK.project_file, _requires_python),),
)
