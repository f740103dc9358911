"""Static facts about the app's entry points, read from its source without importing or running it: the callable
a module defines, the frameworks it imports, and a Django project's WSGI application."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from .errors import EntryCallableMissing
from .utils import read_optional_text

__all__ = ["DjangoProject", "UnservedApp", "bound_names", "callable_in", "find_django_project",
           "imported_modules", "module_file", "required_imports", "settings_module_from_manage_py", "unserved_app",
           "wsgi_application_setting"]

CALLABLES = ("application", "app")


def _parse(source: str) -> Optional[ast.Module]:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _targets(node: ast.AST) -> List[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [name for element in node.elts for name in _targets(element)]
    return []


def bound_names(source: str) -> Optional[Set[str]]:
    """Names the module binds at top level (assignments, defs, classes, imports; also inside top-level if/try).
    '*' is in the set when a star import may bind anything. None when the source does not parse."""
    tree = _parse(source)
    if tree is None:
        return None
    names: Set[str] = set()

    def visit(body: List[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    names.update(_targets(target))
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                names.update(_targets(node.target))
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
    tree = _parse(source)
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
    tree = _parse(source)
    if tree is None:
        return set()
    found: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`"""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare) or len(node.test.comparators) != 1:
        return False
    left, right = node.test.left, node.test.comparators[0]
    return isinstance(left, ast.Name) and left.id == "__name__" and _string(right) == "__main__"


# The application classes whose instance Gunicorn serves (ASGI ones under Uvicorn's worker), and those whose
# `app.run()` is a development server on 127.0.0.1:5000 unless given a host and a port.
_APP_CLASSES = frozenset({"Flask", "Quart", "Litestar", "Starlette", "Bottle", "FastAPI", "Dash"})
_DEV_SERVER_CLASSES = frozenset({"Flask", "Quart", "Dash"})
# Where their app.run() listens without a port (Uvicorn's is 8000).
_DEFAULT_PORTS = {"Dash": "8050"}
# A Flask application factory's result (`app = create_app()`) is a Flask app too.
_FACTORIES = {"create_app": "Flask"}
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _web_apps(tree: ast.Module) -> Dict[str, str]:
    """Top-level names bound to an application (`Flask(...)`, `flask.Flask(...)`, `Litestar(...)`,
    `create_app()`, ...): name -> class."""
    found: Dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            callee = _callee(node.value)
            framework = _FACTORIES.get(callee, callee)
            if framework in _APP_CLASSES:
                for target in node.targets:
                    found.update((name, framework) for name in _targets(target))
    return found


# What a top-level call's callee is named when it starts a server by itself (bottle.run, waitress.serve, ...).
_SERVES = frozenset({"run", "serve", "run_simple", "run_server", "serve_forever", "start", "launch", "listen"})


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


@dataclass(frozen=True)
class UnservedApp:
    """An application that running its file (or its project script) would not serve on 0.0.0.0:$PORT."""

    name: str  # the app's top-level name
    runner: str  # what starts it where the platform does not look: 'app.run()', 'uvicorn.run()'; '' for nothing
    framework: str = "Flask"  # its class: Flask, Quart, Litestar, Starlette, Bottle, FastAPI ('ASGI' when unknown)
    address: str = ""  # where the runner listens: '127.0.0.1:5000', '0.0.0.0:5000', '127.0.0.1:PORT'
    defaults: bool = True  # the runner was given neither a host nor a port (the address is its default)
    target: str = ""  # 'module:app' when the runner names the app by a string (uvicorn.run("main:app"))
    served: str = ""  # what Gunicorn serves instead of the app itself: a Dash app's `server` (its Flask app)


@dataclass(frozen=True)
class _Run:
    call: ast.Call
    name: str  # the app's name, or the attribute a 'module:attr' string names
    first: int  # the index of the call's positional host
    target: str = ""  # the 'module:attr' string


def _app_runs(nodes: List[ast.stmt], apps: Dict[str, str]) -> List[_Run]:
    """The calls in these statements (nested ones too) that start an application with a development server's
    defaults unless given a host and a port: a Flask or Quart app's `app.run(...)` (127.0.0.1:5000), and
    `uvicorn.run(app, ...)` or `uvicorn.run("module:app", ...)` (127.0.0.1:8000)."""
    found: List[_Run] = []
    for node in nodes:
        for call in ast.walk(node):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("run", "run_server") and isinstance(call.func.value, ast.Name)):
                continue
            receiver, first = call.func.value.id, call.args[0] if call.args else None
            if receiver in apps:
                found.append(_Run(call, receiver, 0))
            elif receiver == "uvicorn" and call.func.attr == "run" and isinstance(first, ast.Name) \
                    and first.id in apps:
                found.append(_Run(call, first.id, 1))
            elif receiver == "uvicorn" and call.func.attr == "run" and ":" in (_string(first) or ""):
                target = _string(first) or ""
                found.append(_Run(call, target.rpartition(":")[2], 1, target))
    return found


def _argument(call: ast.Call, index: int, keyword: str) -> Optional[ast.expr]:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _served(framework: str, names: Set[str]) -> Optional[str]:
    """What Gunicorn serves for an app of this class: the app itself (''), a Dash app's `server` when the module binds
    it (Dash's deployment docs: `server = app.server`), else nothing (None)."""
    if framework != "Dash":
        return ""
    return "server" if "server" in names else None


def _dev_server(runs: List[_Run], apps: Dict[str, str], names: Set[str]) -> Optional[UnservedApp]:
    """The first of those calls that would not listen on 0.0.0.0:8080: no host (or a loopback one), or no port (or
    a literal one other than 8080). A host or port computed at run time (os.environ...) is taken to be right."""
    for run in runs:
        framework = apps.get(run.name, "ASGI")
        served = _served(framework, names)
        if (run.first == 0 and framework not in _DEV_SERVER_CLASSES) or served is None:
            continue
        host_node, port_node = _argument(run.call, run.first, "host"), _argument(run.call, run.first + 1, "port")
        default_port = "8000" if run.first else _DEFAULT_PORTS.get(framework, "5000")
        host = "127.0.0.1" if host_node is None else _string(host_node)
        port_value = port_node.value if isinstance(port_node, ast.Constant) else None
        port = default_port if port_node is None else str(port_value) if isinstance(port_value, int) else None
        if (host is not None and host in _LOOPBACK) or (port is not None and port != "8080"):
            return UnservedApp(run.name, "uvicorn.run()" if run.first else "app.run()", framework,
                               f"{host or 'HOST'}:{port or 'PORT'}", host_node is None and port_node is None,
                               run.target, served)
    return None


def unserved_app(source: str, function: Optional[str] = None) -> Optional[UnservedApp]:
    """The module's top-level application when running the code would not serve it where the platform looks:
    - a script (function None, `python app.py`): its `if __name__ == "__main__":` block, or its top level, calls
      a Flask app's `app.run()` or `uvicorn.run(app)` with no host or no port; or the module has no such block,
      no such call and no top-level call that could serve (`run(...)`, `serve(...)`, ...), so the script defines
      the app and exits;
    - a project script's entry point (function given): that top-level function makes such a call, or the module
      defines an application and the function calls nothing that could serve (`run(...)`, `serve(...)`, ...).
    None when the source does not parse, defines no application, or serves it itself."""
    tree = _parse(source)
    if tree is None:
        return None
    apps, names = _web_apps(tree), bound_names(source) or set()
    if function is not None:
        body: List[ast.stmt] = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                                and node.name == function]
        started = _dev_server(_app_runs(body, apps), apps, names)
        if started is not None or not body or not apps:
            return started
        # uv's `def main(): print("Hello from ...")` left as it was, beside the app the module defines: running the
        # script would print and exit. A function that calls anything that could serve is taken to serve.
        if any(isinstance(call, ast.Call) and _callee(call) in _SERVES for call in ast.walk(body[0])):
            return None
        name = sorted(apps)[0]
        served = _served(apps[name], names)
        return UnservedApp(name, "", apps[name], served=served) if served is not None else None
    guards = [node for node in tree.body if _is_main_guard(node)]
    top = [node for node in tree.body if isinstance(node, ast.Expr)]
    runs = _app_runs([*guards, *top], apps)
    started = _dev_server(runs, apps, names)
    if started is not None:
        return started
    serves = any(isinstance(node.value, ast.Call) and _callee(node.value) in _SERVES for node in top)
    if runs or guards or serves or not apps:
        return None
    name = sorted(apps)[0]
    served = _served(apps[name], names)
    return UnservedApp(name, "", apps[name], served=served) if served is not None else None


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
def _string(node: Optional[ast.AST]) -> Optional[str]:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def settings_module_from_manage_py(source: str) -> Optional[str]:
    """The DJANGO_SETTINGS_MODULE that manage.py sets: os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x") or
    os.environ["DJANGO_SETTINGS_MODULE"] = "x"."""
    tree = _parse(source)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2 and _string(node.args[0]) == "DJANGO_SETTINGS_MODULE":
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("setdefault", "putenv"):
                return _string(node.args[1])
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and _string(target.slice) == "DJANGO_SETTINGS_MODULE":
                return _string(node.value)
    return None


def wsgi_application_setting(source: str) -> Tuple[bool, Optional[str]]:
    """(assigned, value) of WSGI_APPLICATION at top level: value is None when it is assigned something other
    than a string literal (computed, None)."""
    tree = _parse(source)
    if tree is None:
        return False, None
    assigned, value = False, None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any("WSGI_APPLICATION" in _targets(t) for t in node.targets):
            assigned, value = True, _string(node.value)
    return assigned, value


def _star_imports(source: str, module: str, is_package: bool) -> List[str]:
    """Modules whose names `from X import *` pulls into this settings module, in order (relative ones resolved)."""
    tree = _parse(source)
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
