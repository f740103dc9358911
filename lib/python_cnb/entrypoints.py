"""Static facts about the app's entry points, read from its source without importing or running it: the callable
a module defines, the frameworks it imports, and a Django project's WSGI application."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Set, Tuple

from .errors import EntryCallableMissing
from .utils import read_optional_text

__all__ = ["DjangoProject", "bound_names", "callable_in", "find_django_project", "imported_modules", "module_file",
           "parse_source", "required_imports", "settings_module_from_manage_py", "string_value", "targets",
           "wsgi_application_setting"]

CALLABLES = ("application", "app")


def parse_source(source: str) -> Optional[ast.Module]:
    """The module's syntax tree; None when it does not parse (a syntax error, a NUL byte, or nesting so deep that the
    parser runs out of stack or memory: Python would not run that file either)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def targets(node: ast.AST) -> List[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [name for element in node.elts for name in targets(element)]
    return []


def bound_names(source: str) -> Optional[Set[str]]:
    """Names the module binds at top level (assignments, defs, classes, imports; also inside top-level if/try).
    '*' is in the set when a star import may bind anything. None when the source does not parse."""
    tree = parse_source(source)
    if tree is None:
        return None
    names: Set[str] = set()

    def visit(body: List[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    names.update(targets(target))
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                names.update(targets(node.target))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(tree.body)
    return names


def callable_in(source: str, path: str) -> str:
    """The WSGI/ASGI callable of a module: `application` (Gunicorn's default), else `app` (the Flask, FastAPI
    and Starlette habit). When the module binds neither (and no star import could), the build fails naming both;
    a file that does not parse is left to Gunicorn, which shows the real error."""
    names = bound_names(source)
    if names is None or "*" in names:
        return "application"
    for name in CALLABLES:
        if name in names:
            return name
    raise EntryCallableMissing(path=path, names=CALLABLES)


def required_imports(source: str) -> Set[str]:
    """Top-level package names the module imports unconditionally: absolute imports that are statements of the
    module itself (not inside a function, a class, a try or an if)."""
    tree = parse_source(source)
    if tree is None:
        return set()
    found: Set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def imported_modules(source: str) -> Set[str]:
    """Top-level package names the module imports (absolute imports only)."""
    tree = parse_source(source)
    if tree is None:
        return set()
    found: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def module_file(base: Path, module: str) -> Optional[Path]:
    """The file of a dotted module below base (module.py or a package's __init__.py), if it is there."""
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", module):
        return None
    path = base.joinpath(*module.split("."))
    for candidate in (path.with_name(path.name + ".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


# ---- Django --------------------------------------------------------------------------------------------------
def string_value(node: Optional[ast.AST]) -> Optional[str]:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def settings_module_from_manage_py(source: str) -> Optional[str]:
    """The DJANGO_SETTINGS_MODULE that manage.py sets: os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x") or
    os.environ["DJANGO_SETTINGS_MODULE"] = "x"."""
    tree = parse_source(source)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2 \
                and string_value(node.args[0]) == "DJANGO_SETTINGS_MODULE":
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("setdefault", "putenv"):
                return string_value(node.args[1])
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and string_value(target.slice) == "DJANGO_SETTINGS_MODULE":
                return string_value(node.value)
    return None


def wsgi_application_setting(source: str) -> Tuple[bool, Optional[str]]:
    """(assigned, value) of WSGI_APPLICATION at top level: value is None when it is assigned something other
    than a string literal (computed, None)."""
    tree = parse_source(source)
    if tree is None:
        return False, None
    assigned, value = False, None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any("WSGI_APPLICATION" in targets(t) for t in node.targets):
            assigned, value = True, string_value(node.value)
    return assigned, value


def _star_imports(source: str, module: str, is_package: bool) -> List[str]:
    """Modules whose names `from X import *` pulls into this settings module, in order (relative ones resolved)."""
    tree = parse_source(source)
    if tree is None:
        return []
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                found.append(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                found.append(node.module)
    return found


@dataclass(frozen=True)
class DjangoProject:
    manage_py: str  # relative to the app
    chdir: str  # the directory of manage.py, relative to the app ("" for the root): Gunicorn's --chdir
    settings: Optional[str]  # the settings module, if manage.py names one
    wsgi_module: str  # Gunicorn's module:callable
    asgi_module: Optional[str]  # the asgi.py beside the WSGI module, if any
    source: str  # how the WSGI application was found, for the log
    settings_file: Optional[str] = None  # the settings module's file, relative to the app, when it is in the app


def _rel(path: Path, app_dir: Path) -> str:
    return str(path.relative_to(app_dir))


def _wsgi_from_settings(base: Path, settings: str, app_dir: Path) -> Tuple[Optional[str], str]:
    """('module:callable', how) from WSGI_APPLICATION in the settings module or what it star-imports."""
    queue: List[str] = [settings]
    seen: Set[str] = set()
    while queue and len(seen) < 20:
        module = queue.pop(0)
        if module in seen:
            continue
        seen.add(module)
        path = module_file(base, module)
        text = read_optional_text(path) if path is not None else None
        if path is None or text is None:
            continue
        assigned, value = wsgi_application_setting(text)
        if assigned:
            where = _rel(path, app_dir)
            if value is None or "." not in value:
                return None, f"WSGI_APPLICATION in {where} is not a dotted path like 'mysite.wsgi.application'"
            wsgi_module, _, attr = value.rpartition(".")
            if module_file(base, wsgi_module) is None:
                return None, f"WSGI_APPLICATION in {where} names {wsgi_module}, which is not in the app"
            return f"{wsgi_module}:{attr}", f"WSGI_APPLICATION in {where}"
        queue.extend(_star_imports(text, module, path.name == "__init__.py"))
    return None, f"the settings module {settings} does not set WSGI_APPLICATION"


def _module_name(path: Path, base: Path) -> str:
    return ".".join(path.relative_to(base).with_suffix("").parts)


def _single_wsgi_py(base: Path, near: Optional[Path]) -> Optional[Path]:
    """The wsgi.py beside the settings module (or above it, for a settings package), else the only one at
    depth one below manage.py."""
    directory = near
    while directory is not None and directory != base and base in directory.parents:
        if (directory / "wsgi.py").is_file():
            return directory / "wsgi.py"
        directory = directory.parent
    candidates = sorted(base.glob("*/wsgi.py"))
    return candidates[0] if len(candidates) == 1 else None


def find_django_project(app_dir: Path, manage: Path) -> Tuple[Optional[DjangoProject], str]:
    """(project, why not): the Django WSGI application found from manage.py's DJANGO_SETTINGS_MODULE, then that
    settings module's WSGI_APPLICATION, else the single wsgi.py beside it. Reads files only."""
    base = manage.parent
    settings = settings_module_from_manage_py(read_optional_text(manage) or "")
    found, how = (None, f"{_rel(manage, app_dir)} does not set DJANGO_SETTINGS_MODULE")
    settings_file = None
    if settings is not None:
        settings_file = module_file(base, settings)
        if settings_file is None:
            how = f"the settings module {settings} named in {_rel(manage, app_dir)} is not in the app"
        else:
            found, how = _wsgi_from_settings(base, settings, app_dir)
    if found is None:
        wsgi_py = _single_wsgi_py(base, settings_file.parent if settings_file is not None else None)
        if wsgi_py is None:
            return None, f"{how}, and there is no single wsgi.py beside it"
        callable_name = callable_in(read_optional_text(wsgi_py) or "", _rel(wsgi_py, app_dir))
        found, how = f"{_module_name(wsgi_py, base)}:{callable_name}", f"{how}; using {_rel(wsgi_py, app_dir)}"
    module_name = found.split(":", 1)[0]
    wsgi_file = module_file(base, module_name)
    asgi_module = None
    if wsgi_file is not None and (wsgi_file.parent / "asgi.py").is_file():
        asgi_file = wsgi_file.parent / "asgi.py"
        names = bound_names(read_optional_text(asgi_file) or "") or set()
        if "application" in names or "*" in names:
            asgi_module = f"{_module_name(asgi_file, base)}:application"
    chdir = "" if base == app_dir else _rel(base, app_dir)
    return DjangoProject(manage_py=_rel(manage, app_dir), chdir=chdir, settings=settings, wsgi_module=found,
                         asgi_module=asgi_module, source=how,
                         settings_file=_rel(settings_file, app_dir) if settings_file is not None else None), ""
