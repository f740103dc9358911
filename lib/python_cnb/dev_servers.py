"""Where an app's own start code would listen, read from its source without running it: the application a module
defines (Flask, Quart, Dash, Litestar, Starlette, Bottle, FastAPI), and whether its `if __name__ == "__main__":` block,
its top level or a project script's function starts it somewhere the platform cannot reach (`app.run()` on
127.0.0.1:5000, `uvicorn.run(app)` on 127.0.0.1:8000, a literal port other than 8080), or does not start it at all."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Dict, List, Optional, Set

from .entrypoints import bound_names, parse_source, string_value, targets

__all__ = ["UnservedApp", "unserved_app"]


def _is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`"""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare) or len(node.test.comparators) != 1:
        return False
    left, right = node.test.left, node.test.comparators[0]
    return isinstance(left, ast.Name) and left.id == "__name__" and string_value(right) == "__main__"


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
                    found.update((name, framework) for name in targets(target))
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
            elif receiver == "uvicorn" and call.func.attr == "run" and ":" in (string_value(first) or ""):
                target = string_value(first) or ""
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
        host = "127.0.0.1" if host_node is None else string_value(host_node)
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
    tree = parse_source(source)
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
