"""What the web-process rule ladder (processes.RULES) reads about the app, as plain data: `AppFacts`, made from the
snapshot by `app_facts` (pure: the texts were read already), and after the install given what it installed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Mapping, Optional, Tuple

from ._vendor.packaging.utils import canonicalize_name
from .dev_servers import UnservedApp, unserved_app
from .entrypoints import DjangoProject, bound_names, callable_in, imported_modules
from .errors import EntryCallableMissing
from .snapshot import PACKAGE_MODULES, AppSnapshot, FlaskAppSetting, project_scripts

__all__ = ["FASTAPI_FILES", "PORT", "AppFacts", "app_facts"]

# Stands for the port in a command and its environment: the run stage puts ${PORT:-8080} there.
PORT = "$PORT"
# Where the `fastapi` command looks for the app, in its order.
FASTAPI_FILES = ("main.py", "app.py", "api.py", *PACKAGE_MODULES)


@dataclass(frozen=True)
class AppFacts:
    run_hook: bool = False
    app_run: str = ""
    gunicorn_app_module: str = ""
    procfile_web: Optional[str] = None  # the Procfile's web command
    has_procfile: bool = False
    wsgi_module: Optional[str] = None  # "wsgi:application" or "wsgi:app" when there is a root wsgi.py
    asgi_module: Optional[str] = None  # likewise for a root asgi.py
    django: Optional[DjangoProject] = None
    django_reason: str = "no manage.py"  # why there is no Django project, for the log
    has_setup_py: bool = False
    setup_py_reason: str = "no setup.py"
    main_module: Optional[str] = None  # "main:app" when main.py defines app
    has_main_py: bool = False
    has_app_py: bool = False
    app_script: str = ""  # APP_SCRIPT (a file in the app; the build checked that it exists)
    app_file: str = ""  # APP_FILE (likewise)
    has_app_sh: bool = False  # a root app.sh that is executable
    script_text: str = ""  # the text of APP_SCRIPT's file, else app.sh's (to see whether it starts Gunicorn)
    streamlit_file: Optional[str] = None  # streamlit_app.py, or an app.py or main.py that imports streamlit
    gradio_file: Optional[str] = None  # an app.py or main.py that imports gradio
    fastapi_module: Optional[str] = None  # 'app.main:app': where the `fastapi` command would find the app
    fastapi_file: str = ""  # its file, for the log
    scripts: Tuple[str, ...] = ()  # the names of [project.scripts] (or [tool.poetry.scripts])
    scripts_table: str = "[project.scripts]"  # which table they come from, for the log
    flask_factory: Optional[str] = None  # the package whose __init__.py defines create_app()
    factory_file: str = ""  # that __init__.py, for the log
    factory_chdir: str = ""  # 'src' for a package under src/
    app_py_unserved: Optional[UnservedApp] = None  # app.py's application, when `python app.py` would not serve it
    # The app the only project script's function starts on a development server's address, its 'pkg:app' and
    # chdir: Gunicorn serves it instead.
    script_app: Optional[UnservedApp] = None
    script_module: str = ""
    script_chdir: str = ""
    # What FLASK_APP (the variable, else .flaskenv) names, as Gunicorn's module:callable, its --chdir and the log's
    # account ("FLASK_APP=microblog.py in .flaskenv"); else why it does not apply.
    flask_app_module: Optional[str] = None
    flask_app_chdir: str = ""
    flask_app_given: str = ""
    flask_app_reason: str = "not set, and no .flaskenv line"
    # After the install: what it installed (canonical names) and the scripts in the environment's bin/. None before
    # the install: a rule that needs a package assumes it will be there.
    installed: Optional[FrozenSet[str]] = None
    scripts_installed: Optional[FrozenSet[str]] = None

    def has(self, distribution: str) -> bool:
        return self.installed is None or canonicalize_name(distribution) in self.installed

    def script_installed(self, name: str) -> bool:
        return self.scripts_installed is None or name in self.scripts_installed


def _root_module(snapshot: AppSnapshot, name: str, errors: Dict[str, EntryCallableMissing]) -> Optional[str]:
    """Gunicorn's module for a root wsgi.py/asgi.py: 'wsgi' (callable application, Gunicorn's default) or
    'wsgi:app'. A file that defines neither is an error for its rule (EntryCallableMissing names both)."""
    text = snapshot.files.text(f"{name}.py")
    if text is None:
        return None
    try:
        found = callable_in(text, f"{name}.py")
    except EntryCallableMissing as exc:
        errors[f"{name}.py"] = exc
        return name
    return name if found == "application" else f"{name}:{found}"


def _texts(snapshot: AppSnapshot) -> Dict[str, str]:
    """The start files' texts by path: the root's and the app/ package's."""
    found = {name: text for name in ("streamlit_app.py", "app.py", "main.py", "api.py")
             if (text := snapshot.files.text(name)) is not None}
    found.update(snapshot.modules)
    return found


def _importing(texts: Dict[str, str], package: str) -> Optional[str]:
    return next((name for name in ("app.py", "main.py") if name in texts and package in imported_modules(texts[name])),
                None)


def _fastapi(texts: Dict[str, str]) -> Tuple[Optional[str], str]:
    """The `fastapi` command's discovery: the first of FASTAPI_FILES that imports fastapi and binds `app` (or
    `api`), as Gunicorn's module:callable. main.py's `app` is already the main.py rule's."""
    for name in FASTAPI_FILES[1:]:
        text = texts.get(name)
        if text is None or "fastapi" not in imported_modules(text):
            continue
        names = bound_names(text) or set()
        callable_name = next((c for c in ("app", "api") if c in names), None)
        if callable_name is not None:
            return f"{name[:-3].replace('/', '.')}:{callable_name}", name
    return None, ""


def _flask_app(setting: Optional[FlaskAppSetting]) -> Tuple[Optional[str], str, str]:
    """(module:callable, how it was given, why not): what `flask run` would load, as Flask's CLI finds it: the
    attribute after the colon, else the module's `app` or `application`, else its create_app() or make_app()
    factory."""
    if setting is None:
        return None, "", "not set, and no .flaskenv line"
    given = f"FLASK_APP={setting.value}" + (" in .flaskenv" if setting.source == ".flaskenv" else "")
    if not setting.module:
        return None, given, f"{given} names a module that is not in the app"
    attribute = setting.attribute
    if not attribute:
        names = bound_names(setting.text) or set()
        attribute = next((name for name in ("app", "application") if name in names), "") or next(
            (f"{name}()" for name in ("create_app", "make_app") if name in names), "")
    if not attribute:
        return None, given, f"{given}: the module defines no app, application, create_app or make_app"
    return f"{setting.module}:{attribute}", given, ""


def _factory(snapshot: AppSnapshot) -> Tuple[Optional[str], str, str]:
    """(package, its __init__.py, chdir) of the first package that defines create_app(), and no module-level app."""
    for path, text in snapshot.package_inits.items():
        names = bound_names(text) or set()
        if "create_app" in names and "app" not in names and "flask" in imported_modules(text):
            chdir, _, package = path.rpartition("/")
            return package, f"{path}/__init__.py", chdir
    return None, "", ""


def app_facts(snapshot: AppSnapshot, env: Mapping[str, str], run_hook: bool
              ) -> Tuple[AppFacts, Dict[str, EntryCallableMissing]]:
    """What the rules need, from the snapshot (nothing is imported or run), and the root wsgi.py/asgi.py that
    define no callable, by file name (an error only when their rule chooses Gunicorn: with APP_RUN, `python
    wsgi.py` may be a plain script)."""
    files = snapshot.files
    texts = _texts(snapshot)
    main_names = bound_names(texts["main.py"]) if "main.py" in texts else None
    errors: Dict[str, EntryCallableMissing] = {}
    fastapi_module, fastapi_file = _fastapi(texts)
    scripts, scripts_table = project_scripts(files.toml("pyproject.toml"))
    script = snapshot.script_module
    unserved = unserved_app(script.text, script.function) if script is not None else None
    flask_module, flask_given, flask_reason = _flask_app(snapshot.flask_app)
    factory, factory_file, factory_chdir = _factory(snapshot)
    streamlit = "streamlit_app.py" if "streamlit_app.py" in texts else _importing(texts, "streamlit")
    facts = AppFacts(
        run_hook=run_hook,
        app_run=env.get("APP_RUN", ""),
        gunicorn_app_module=env.get("GUNICORN_APP_MODULE", ""),
        procfile_web=next((entry.command for entry in snapshot.procfile if entry.name == "web"), None),
        has_procfile=files.is_file("Procfile"),
        wsgi_module=_root_module(snapshot, "wsgi", errors),
        asgi_module=_root_module(snapshot, "asgi", errors),
        django=snapshot.django,
        django_reason=snapshot.django_reason,
        has_setup_py=files.is_file("setup.py"),
        main_module="main:app" if main_names is not None and ("app" in main_names or "*" in main_names) else None,
        has_main_py="main.py" in texts,
        has_app_py=files.is_file("app.py"),
        app_script=snapshot.app_script,
        app_file=snapshot.app_file,
        has_app_sh=snapshot.app_sh,
        script_text=snapshot.script_text,
        streamlit_file=streamlit,
        gradio_file=_importing(texts, "gradio"),
        fastapi_module=fastapi_module,
        fastapi_file=fastapi_file,
        scripts=tuple(scripts),
        scripts_table=scripts_table,
        flask_factory=factory,
        factory_file=factory_file,
        factory_chdir=factory_chdir,
        app_py_unserved=unserved_app(texts["app.py"]) if "app.py" in texts else None,
        script_app=unserved,
        script_module=(unserved.target or f"{script.module}:{unserved.served or unserved.name}")
        if script is not None and unserved
        else "",
        script_chdir=script.chdir if script is not None else "",
        flask_app_module=flask_module,
        flask_app_chdir=snapshot.flask_app.chdir if snapshot.flask_app is not None else "",
        flask_app_given=flask_given,
        flask_app_reason=flask_reason,
    )
    return facts, errors
