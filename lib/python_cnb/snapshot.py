"""Everything the analysis reads from the app, read once: the root's files (app_files), where manage.py is and the
Django project it names, the Procfile, the start scripts and files the variables name, the Gunicorn config and the
names it sets, and the project name setup.py declares. The decisions take this value; none of them opens a file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple

from .app_files import AppFiles
from .entrypoints import DjangoProject, bound_names, find_django_project, module_file
from .errors import EntryCallableMissing, GunicornConfigMissing, StartFileMissing
from .procfile import ProcfileEntry, parse_procfile
from .utils import read_optional_text

__all__ = ["AppSnapshot", "FlaskAppSetting", "ScriptModule", "find_manage_py", "project_scripts", "read_snapshot"]

# FastAPI's own discovery (the `fastapi` command) looks at these files inside an `app/` package, in this order.
PACKAGE_MODULES = ("app/main.py", "app/app.py", "app/api.py")
_MAX_PACKAGES = 50  # packages whose __init__.py is read for an application factory

# Directories never searched for manage.py or packages: tools' and builds' output, and what the app serves.
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".s2i", "staticfiles", "static"}
_SETUP_NAME = re.compile(r"""\bname\s*=\s*['"]([A-Za-z0-9_.-]+)['"]""")
_ENTRY_POINT = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:\s*([A-Za-z_]\w*)\s*(\[.*\])?\s*$")


@dataclass(frozen=True)
class ScriptModule:
    """The module of the project's only script's entry point ('pkg.cli:main'), found in the app's source."""

    module: str  # 'pkg.cli'
    function: str  # 'main'
    chdir: str  # '' for a module at the root, 'src' for one under src/
    text: str


def project_scripts(pyproject: Optional[Dict[str, Any]]) -> Tuple[Dict[str, Any], str]:
    """The project's scripts (name: entry point) and the table they come from: [project.scripts], else Poetry's
    [tool.poetry.scripts]."""
    project = pyproject.get("project") if isinstance(pyproject, dict) else None
    scripts = project.get("scripts") if isinstance(project, dict) else None
    if isinstance(scripts, dict) and scripts:
        return scripts, "[project.scripts]"
    tool = pyproject.get("tool") if isinstance(pyproject, dict) else None
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    scripts = poetry.get("scripts") if isinstance(poetry, dict) else None
    if isinstance(scripts, dict) and scripts:
        return scripts, "[tool.poetry.scripts]"
    return {}, "[project.scripts]"


@dataclass(frozen=True)
class FlaskAppSetting:
    """FLASK_APP (the build's variable, else .flaskenv's line, which `flask run` reads): the module it names, found in
    the app."""

    source: str  # 'FLASK_APP' or '.flaskenv'
    value: str  # as given: 'microblog.py', 'app:create_app()', 'src/hello'
    module: str  # the dotted module ('microblog'); '' when the file is not in the app
    attribute: str  # what after the colon names ('create_app()'), '' when nothing does
    chdir: str  # the directory a path value names ('src'), '' for the root
    text: str  # the module's text


_FLASKENV_LINE = re.compile(r"""^\s*(?:export\s+)?FLASK_APP\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^#\s]*)""", re.M)


def _flask_app(app_dir: Path, files: AppFiles, env: Mapping[str, str]) -> Optional[FlaskAppSetting]:
    """The module FLASK_APP names. Only .flaskenv's FLASK_APP line is read (a .env file may hold secrets)."""
    value, source = env.get("FLASK_APP", "").strip(), "FLASK_APP"
    if not value:
        line = _FLASKENV_LINE.search(files.text(".flaskenv") or "")
        value, source = (line.group("value").strip("\"'") if line else ""), ".flaskenv"
    if not value:
        return None
    path, _, attribute = value.partition(":")
    path = path[:-3] if path.endswith(".py") else path
    chdir, _, name = path.rstrip("/").rpartition("/")
    module = name.replace("/", ".")
    found = module_file(app_dir / chdir, module) if module else None
    return FlaskAppSetting(source, value, module if found is not None else "", attribute.strip(), chdir,
                           (read_optional_text(found) or "") if found is not None else "")


def _script_module(app_dir: Path, files: AppFiles) -> Optional[ScriptModule]:
    """The only script's module, when its entry point is 'module:function' and the module is at the root or under
    src/ (Poetry's {reference = ...} tables and scripts of other distributions are not read)."""
    scripts, _ = project_scripts(files.toml("pyproject.toml"))
    value = next(iter(scripts.values())) if len(scripts) == 1 else None
    entry = _ENTRY_POINT.match(value) if isinstance(value, str) else None
    if entry is None:
        return None
    for chdir in ("", "src"):
        path = module_file(app_dir / chdir, entry.group(1))
        if path is not None:
            return ScriptModule(entry.group(1), entry.group(2), chdir, read_optional_text(path) or "")
    return None


@dataclass(frozen=True)
class AppSnapshot:
    files: AppFiles  # the root's entries and the texts the decisions read
    procfile: Tuple[ProcfileEntry, ...] = ()
    manage_py: Optional[str] = None  # relative to the app: manage.py at the root or up to three levels down
    django: Optional[DjangoProject] = None
    django_reason: str = "no manage.py (root and three levels down)"  # why there is no Django project
    app_script: str = ""  # APP_SCRIPT's file (checked to exist)
    app_file: str = ""  # APP_FILE's file (checked to exist)
    app_sh: bool = False  # a root app.sh that is executable (the S2I image's default APP_SCRIPT)
    script_text: str = ""  # the text of APP_SCRIPT's file, else app.sh's (to see whether it starts Gunicorn)
    script_executable: bool = False  # that script has its executable bit
    gunicorn_config: Optional[str] = None  # GUNICORN_CONFIG's file, else a root gunicorn.conf.py
    gunicorn_config_names: FrozenSet[str] = frozenset()  # the names that config binds at top level
    setup_py_name: Optional[str] = None  # `name=` in setup.py, read statically (the fallback for `setup.py --name`)
    # The texts of the modules FastAPI's own discovery looks at inside an `app/` package (app/main.py, ...).
    modules: Mapping[str, str] = field(default_factory=dict)
    # Each package's __init__.py text, at the root ('flaskr') or under src/ ('src/flaskr'): application factories.
    package_inits: Mapping[str, str] = field(default_factory=dict)
    script_module: Optional[ScriptModule] = None  # the module of the only project script's entry point
    flask_app: Optional[FlaskAppSetting] = None  # what FLASK_APP names


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


def _package_inits(app_dir: Path) -> Dict[str, str]:
    """The __init__.py of each package at the root and under src/ (sorted, at most _MAX_PACKAGES)."""
    found: Dict[str, str] = {}
    for parent, prefix in ((app_dir, ""), (app_dir / "src", "src/")):
        for directory in sorted(_subdirs(parent)) if parent.is_dir() else []:
            init = directory / "__init__.py"
            if init.is_file() and len(found) < _MAX_PACKAGES:
                found[prefix + directory.name] = read_optional_text(init) or ""
    return found


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def read_snapshot(app_dir: Path, files: AppFiles, env: Mapping[str, str], config_variable: str) -> AppSnapshot:
    """The reads the web process decision needs, after the root's files. `config_variable`: the name the user set
    for GUNICORN_CONFIG (its S2I alias APP_CONFIG, when that gave the value), for the error."""
    procfile_text = files.text("Procfile")
    procfile = tuple(parse_procfile(procfile_text)) if procfile_text is not None else ()
    app_script, app_file = env.get("APP_SCRIPT", "").strip(), env.get("APP_FILE", "").strip()
    for variable, path in (("APP_SCRIPT", app_script), ("APP_FILE", app_file)):
        if path and not (app_dir / path).is_file():
            raise StartFileMissing(variable=variable, path=path)
    app_sh = files.is_file("app.sh") and _executable(app_dir / "app.sh")
    script = app_script or ("app.sh" if app_sh else "")
    script_text = (read_optional_text(app_dir / script) or "") if script else ""
    manage = find_manage_py(app_dir)
    django, django_reason = None, "no manage.py (root and three levels down)"
    if manage is not None:
        try:
            django, django_reason = find_django_project(app_dir, manage)
        except EntryCallableMissing as exc:
            django_reason = f"{exc.path} defines neither application nor app"
    config = _gunicorn_config(app_dir, env, config_variable)
    names = bound_names(read_optional_text(app_dir / config) or "") if config else None
    setup_py = files.text("setup.py")
    setup_name = _SETUP_NAME.search(setup_py) if setup_py is not None else None
    return AppSnapshot(
        files=files, procfile=procfile, manage_py=str(manage.relative_to(app_dir)) if manage is not None else None,
        django=django, django_reason=django_reason, app_script=app_script, app_file=app_file, app_sh=app_sh,
        script_text=script_text, script_executable=bool(script) and _executable(app_dir / script),
        gunicorn_config=config, gunicorn_config_names=frozenset(names or ()),
        setup_py_name=setup_name.group(1) if setup_name else None,
        modules={name: read_optional_text(app_dir / name) or "" for name in PACKAGE_MODULES
                 if (app_dir / name).is_file()},
        package_inits=_package_inits(app_dir), script_module=_script_module(app_dir, files),
        flask_app=_flask_app(app_dir, files, env))


def _gunicorn_config(app_dir: Path, env: Mapping[str, str], variable: str) -> Optional[str]:
    configured = env.get("GUNICORN_CONFIG", "").strip()
    if configured:
        if not (app_dir / configured).is_file():
            raise GunicornConfigMissing(path=configured, variable=variable)
        return configured
    return "gunicorn.conf.py" if (app_dir / "gunicorn.conf.py").is_file() else None
