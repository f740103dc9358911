"""How the app's web process starts. Pure: takes facts about the app, returns a decision.

The order table (first match wins):

| rule | when it applies |
|---|---|
| .s2i/bin/run | the hook exists |
| APP_RUN | the variable is set (not blank) |
| APP_SCRIPT | the variable is set (the S2I image's shell script to run) |
| APP_FILE | the variable is set (the S2I image's Python file to run instead of app.py) |
| GUNICORN_APP_MODULE | the variable is set (or APP_MODULE, its S2I name) |
| Procfile web | the root Procfile has a `web:` line |
| wsgi.py | a root wsgi.py (its `application`, else `app`) |
| asgi.py | a root asgi.py (ASGI, under Uvicorn's worker) |
| Django | manage.py's settings module's WSGI_APPLICATION (else the single wsgi.py beside it) |
| setup.py | the project name from setup.py |
| main.py | a root main.py that defines `app` |
| app.sh | a root app.sh that is executable (the S2I image's default APP_SCRIPT) |
| FLASK_APP | the variable, or .flaskenv's line (what `flask run` reads), names a module in the app; Flask installed |
| Streamlit | a root streamlit_app.py, or an app.py or main.py that imports streamlit, with streamlit installed |
| Gradio | a root app.py or main.py that imports gradio, with gradio installed |
| FastAPI app | a FastAPI `app` where the `fastapi` command looks: app.py, api.py, app/main.py, app/app.py, app/api.py |
| project script | the one [project.scripts] (or [tool.poetry.scripts]) entry, installed; a Flask app.run(): Gunicorn |
| Flask factory | a package (at the root or under src/) whose __init__.py defines create_app(), with Flask installed |
| app.py | a root app.py, run with `python app.py`; served by Gunicorn when it is a Flask app nothing serves on 8080 |

Rules that need a package installed assume it before the install; the decision is made again after it.
"""

from __future__ import annotations

import enum
import os
import re
import shlex
from dataclasses import dataclass, field, replace
from typing import AbstractSet, Callable, List, Optional, Tuple

from .entrypoints import DjangoProject
from .web_facts import PORT, AppFacts

__all__ = ["PORT", "RULES", "AppFacts", "Kind", "Match", "Rule", "RuleEntry", "WebChoice", "choose_web_process",
           "is_asgi", "missing_frameworks", "module_from_dist_name", "starts_gunicorn"]


class Kind(enum.Enum):
    RUN_HOOK = ".s2i/bin/run"
    APP_RUN = "APP_RUN"
    GUNICORN = "gunicorn"
    PROCFILE = "Procfile web"
    SCRIPT = "shell script"
    APP_PY = "python app.py"
    COMMAND = "command"  # a command the rule names (streamlit run ..., a project script)
    NONE = "none"


class Rule(enum.Enum):
    RUN_HOOK = ".s2i/bin/run"
    APP_RUN = "APP_RUN"
    APP_SCRIPT = "APP_SCRIPT"
    APP_FILE = "APP_FILE"
    GUNICORN_APP_MODULE = "GUNICORN_APP_MODULE"
    PROCFILE_WEB = "Procfile web"
    WSGI_PY = "wsgi.py"
    ASGI_PY = "asgi.py"
    DJANGO = "Django's WSGI_APPLICATION"
    SETUP_PY = "setup.py name"
    MAIN_PY = "main.py"
    APP_SH = "app.sh"
    FLASK_APP = "FLASK_APP"
    STREAMLIT = "Streamlit"
    GRADIO = "Gradio"
    FASTAPI = "FastAPI app"
    PROJECT_SCRIPT = "project script"
    FLASK_FACTORY = "Flask factory"
    APP_PY = "app.py"
    NONE = "nothing"


@dataclass(frozen=True)
class WebChoice:
    kind: Kind
    rule: Rule
    # What the run stage does when APP_RUN is not set at launch (the default the run hook may source).
    fallback: Kind
    fallback_rule: Rule
    gunicorn_module: Optional[str]  # None for the setup.py rule until the name is read after the install
    reason: str  # why the chosen rule applies
    skipped: Tuple[str, ...] = ()  # why each earlier rule did not apply
    chdir: str = ""  # Gunicorn's --chdir (Django with manage.py below the root)
    procfile_command: Optional[str] = None
    procfile_web_unused: bool = False  # the Procfile has web, but .s2i/bin/run or APP_RUN chose the web command
    django: Optional[DjangoProject] = field(default=None, compare=False)
    script: Optional[str] = None  # the shell script run by Kind.SCRIPT (APP_SCRIPT or app.sh)
    python_file: str = "app.py"  # the file Kind.APP_PY runs (APP_FILE or app.py)
    command_starts_gunicorn: bool = False  # the chosen command (APP_RUN, the script, Procfile web) runs gunicorn
    command: Tuple[str, ...] = ()  # what Kind.COMMAND runs (PORT stands for the port)
    command_env: Tuple[Tuple[str, str], ...] = ()  # its environment defaults (PORT stands for the port)

    @property
    def needs_gunicorn(self) -> bool:
        return self.fallback is Kind.GUNICORN and self.kind is not Kind.APP_RUN

    @property
    def installs_gunicorn(self) -> bool:
        """Gunicorn is added to the environment when the app does not list it."""
        return self.needs_gunicorn or self.command_starts_gunicorn


_SEPARATORS = re.compile(r"&&|\|\||[;|\n&()]")
_PYTHON = re.compile(r"^python(3(\.\d+)?)?$")


def starts_gunicorn(command: str) -> bool:
    """Whether a shell command (or a script's text) runs Gunicorn: a simple command, after variable assignments and
    exec/env/nohup, whose program is gunicorn or `python -m gunicorn`."""
    for part in _SEPARATORS.split(command):
        try:
            words = shlex.split(part, comments=True)
        except ValueError:
            words = part.split()
        while words and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]) or words[0] in ("exec", "env", "nohup")):
            words.pop(0)
        if not words:
            continue
        program = os.path.basename(words[0])
        if program == "gunicorn":
            return True
        if _PYTHON.match(program) and words[1:3] == ["-m", "gunicorn"]:
            return True
    return False


@dataclass(frozen=True)
class Match:
    """What a rule chooses when it applies."""

    kind: Kind
    reason: str  # why it applies, for the log
    gunicorn_module: Optional[str] = None  # Kind.GUNICORN's module:callable (None: known only after the install)
    chdir: str = ""  # Gunicorn's --chdir
    command: Tuple[str, ...] = ()  # Kind.COMMAND's argv (PORT stands for the port)
    command_env: Tuple[Tuple[str, str], ...] = ()  # environment defaults for it


@dataclass(frozen=True)
class RuleEntry:
    """One rule of the ladder: whether it applies to the app (and what it then chooses), else why not (the log)."""

    rule: Rule
    match: Callable[[AppFacts], Optional[Match]]
    why_not: Callable[[AppFacts], str]
    label: str = ""  # how the log names the rule when it did not apply (the rule's own name when empty)


def _when(condition: bool, match: Match) -> Optional[Match]:
    return match if condition else None


# The rules after .s2i/bin/run and APP_RUN (which choose the command but keep what the run stage falls back to), in
# order: the first whose `match` gives a Match wins. A new rule is an entry here (and its Rule, and the facts it reads
# in AppFacts).
RULES: Tuple[RuleEntry, ...] = (
    RuleEntry(Rule.APP_SCRIPT, lambda f: _when(bool(f.app_script), Match(Kind.SCRIPT, "APP_SCRIPT is set")),
              lambda f: "not set"),
    RuleEntry(Rule.APP_FILE, lambda f: _when(bool(f.app_file), Match(Kind.APP_PY, "APP_FILE is set")),
              lambda f: "not set"),
    RuleEntry(Rule.GUNICORN_APP_MODULE,
              lambda f: _when(bool(f.gunicorn_app_module.strip()), Match(
                  Kind.GUNICORN, "GUNICORN_APP_MODULE is set", f.gunicorn_app_module.strip())),
              lambda f: "not set"),
    RuleEntry(Rule.PROCFILE_WEB,
              lambda f: _when(f.procfile_web is not None, Match(Kind.PROCFILE, "the Procfile has a web process")),
              lambda f: "the Procfile has no web process" if f.has_procfile else "no Procfile"),
    RuleEntry(Rule.WSGI_PY,
              lambda f: _when(f.wsgi_module is not None, Match(Kind.GUNICORN, "wsgi.py found", f.wsgi_module)),
              lambda f: "not at the root"),
    RuleEntry(Rule.ASGI_PY,
              lambda f: _when(f.asgi_module is not None, Match(Kind.GUNICORN, "asgi.py found", f.asgi_module)),
              lambda f: "not at the root"),
    RuleEntry(Rule.DJANGO,
              lambda f: Match(Kind.GUNICORN, f"Django project: {f.django.source}", f.django.wsgi_module,
                              f.django.chdir) if f.django is not None else None,
              lambda f: f.django_reason, label="Django"),
    RuleEntry(Rule.SETUP_PY, lambda f: _when(f.has_setup_py, Match(Kind.GUNICORN, "setup.py found")),
              lambda f: f.setup_py_reason),
    RuleEntry(Rule.MAIN_PY,
              lambda f: _when(f.main_module is not None, Match(Kind.GUNICORN, "main.py defines app", f.main_module)),
              lambda f: "it does not define app" if f.has_main_py else "not at the root"),
    RuleEntry(Rule.APP_SH, lambda f: _when(f.has_app_sh, Match(Kind.SCRIPT, "app.sh found (executable)")),
              lambda f: "not at the root, or not executable"),
    RuleEntry(Rule.FLASK_APP, lambda f: _when(f.flask_app_module is not None and f.has("flask"), Match(
        Kind.GUNICORN, f"{f.flask_app_given}, which `flask run` would load", f.flask_app_module, f.flask_app_chdir)),
              lambda f: "flask is not installed" if f.flask_app_module is not None else f.flask_app_reason),
    RuleEntry(Rule.STREAMLIT, lambda f: _streamlit(f),
              lambda f: "streamlit is not installed" if f.streamlit_file is not None else
              "no streamlit_app.py, and no app.py or main.py that imports streamlit"),
    RuleEntry(Rule.GRADIO, lambda f: _gradio(f),
              lambda f: "gradio is not installed" if f.gradio_file is not None else
              "no app.py or main.py that imports gradio"),
    RuleEntry(Rule.FASTAPI, lambda f: _when(f.fastapi_module is not None, Match(
        Kind.GUNICORN, f"{f.fastapi_file} defines a FastAPI app", f.fastapi_module)),
              lambda f: "no FastAPI app in app.py, api.py, app/main.py, app/app.py or app/api.py"),
    RuleEntry(Rule.PROJECT_SCRIPT, lambda f: _project_script(f), lambda f: _why_no_script(f)),
    RuleEntry(Rule.FLASK_FACTORY, lambda f: _when(f.flask_factory is not None and f.has("flask"), Match(
        Kind.GUNICORN, f"{f.factory_file} defines create_app()", f"{f.flask_factory}:create_app()", f.factory_chdir)),
              lambda f: "flask is not installed" if f.flask_factory is not None else
              "no package whose __init__.py defines create_app()"),
    RuleEntry(Rule.APP_PY, lambda f: _app_py(f) if f.has_app_py else None, lambda f: "not at the root"),
)


def _streamlit(facts: AppFacts) -> Optional[Match]:
    """`streamlit run FILE` on 0.0.0.0:$PORT, headless (Streamlit's own options for a server)."""
    name = facts.streamlit_file
    if name is None or not facts.has("streamlit"):
        return None
    why = "found" if name == "streamlit_app.py" else "imports streamlit"
    return Match(Kind.COMMAND, f"{name} {why}", command=(
        "streamlit", "run", name, "--server.port", PORT, "--server.address", "0.0.0.0", "--server.headless", "true"))


def _gradio(facts: AppFacts) -> Optional[Match]:
    """`python FILE`, with Gradio's own variables for where `launch()` listens (as Hugging Face Spaces sets them)."""
    name = facts.gradio_file
    if name is None or not facts.has("gradio"):
        return None
    return Match(Kind.COMMAND, f"{name} imports gradio", command=("python", name),
                 command_env=(("GRADIO_SERVER_NAME", "0.0.0.0"), ("GRADIO_SERVER_PORT", PORT)))


def _project_script(facts: AppFacts) -> Optional[Match]:
    """The script itself; but one whose function starts its app with `app.run()` or `uvicorn.run(app)` and no host or
    port (127.0.0.1, which nothing outside the container reaches) has that app served with Gunicorn instead, as the
    app.py rule does."""
    if len(facts.scripts) != 1 or not facts.script_installed(facts.scripts[0]):
        return None
    name = facts.scripts[0]
    reason = f"{facts.scripts_table} has one entry, {name}"
    started = facts.script_app
    if started is not None and not started.runner:
        return Match(Kind.GUNICORN, f"{reason}, which does not start the {started.framework} app {facts.script_module} "
                     "its module defines (running it would exit): serving the app with Gunicorn instead",
                     facts.script_module, facts.script_chdir)
    if started is not None:
        where = (f"{started.address} unless given a host and port" if started.defaults else
                 f"listening on {started.address}")
        return Match(Kind.GUNICORN, f"{reason}, which starts the {started.framework} app {facts.script_module} with "
                     f"{started.runner} ({where}): serving it with Gunicorn instead", facts.script_module,
                     facts.script_chdir)
    return Match(Kind.COMMAND, reason, command=(name,))


def _why_no_script(facts: AppFacts) -> str:
    if not facts.scripts:
        return "no [project.scripts] or [tool.poetry.scripts] entry"
    if len(facts.scripts) > 1:
        return (f"{facts.scripts_table} has {len(facts.scripts)} entries ({', '.join(facts.scripts)}): set APP_RUN "
                "to one")
    return f"{facts.scripts[0]} is not installed (the project itself is not installed)"


def _app_py(facts: AppFacts) -> Match:
    """`python app.py`, unless it is a Flask app that `python app.py` would serve on 127.0.0.1:5000 only, or an
    application that it would not run at all (the module only defines it, for `flask run` or a server)."""
    unserved = facts.app_py_unserved
    if unserved is None:
        return Match(Kind.APP_PY, "app.py found")
    if not unserved.runner:
        why = "and nothing in it runs the app (`python app.py` would exit)"
    elif unserved.defaults:
        runner = f"{unserved.framework}'s app.run()" if unserved.runner == "app.run()" else unserved.runner
        why = f"which `python app.py` would not serve on 8080 ({runner} defaults to {unserved.address})"
    else:
        why = f"which `python app.py` would not serve on 8080 (its {unserved.runner} listens on {unserved.address})"
    module = unserved.target or f"app:{unserved.served or unserved.name}"
    return Match(Kind.GUNICORN, f"app.py defines the {unserved.framework} app {unserved.name}, {why}: serving it "
                 "with Gunicorn instead", module)


def _fallback(facts: AppFacts, skipped: List[str]) -> Tuple[Rule, Match]:
    """The first rule of RULES that applies (Rule.NONE when none does); `skipped` gets why each earlier one did not."""
    for entry in RULES:
        match = entry.match(facts)
        if match is not None:
            return entry.rule, match
        skipped.append(f"{entry.label or entry.rule.value}: {entry.why_not(facts)}")
    return Rule.NONE, Match(Kind.NONE, "nothing found")


def choose_web_process(facts: AppFacts) -> WebChoice:
    """First match wins: .s2i/bin/run, APP_RUN, APP_SCRIPT, APP_FILE, GUNICORN_APP_MODULE, Procfile web, wsgi.py,
    asgi.py, Django's WSGI_APPLICATION, setup.py's name, main.py's app, app.sh, app.py. With nothing, kind is NONE
    (the build warns)."""
    rest: List[str] = []
    rule, match = _fallback(facts, rest)
    kind, module, chdir, reason = match.kind, match.gunicorn_module, match.chdir, match.reason
    script = (facts.app_script or "app.sh") if kind is Kind.SCRIPT else None
    command = {Kind.PROCFILE: facts.procfile_web or "", Kind.SCRIPT: facts.script_text}.get(kind, "")
    chosen = WebChoice(kind=kind, rule=rule, fallback=kind, fallback_rule=rule, gunicorn_module=module,
                       reason=reason, chdir=chdir, procfile_command=facts.procfile_web,
                       django=facts.django if rule is Rule.DJANGO else None, script=script,
                       python_file=facts.app_file if rule is Rule.APP_FILE else "app.py",
                       command_starts_gunicorn=starts_gunicorn(command), command=match.command,
                       command_env=match.command_env)
    unused = facts.procfile_web is not None and kind is not Kind.PROCFILE
    if facts.run_hook:
        return replace(chosen, kind=Kind.RUN_HOOK, rule=Rule.RUN_HOOK, reason=".s2i/bin/run found",
                       procfile_web_unused=facts.procfile_web is not None)
    if facts.app_run.strip():
        return replace(chosen, kind=Kind.APP_RUN, rule=Rule.APP_RUN, reason="APP_RUN is set",
                       skipped=(".s2i/bin/run: not found",), procfile_web_unused=facts.procfile_web is not None,
                       command_starts_gunicorn=starts_gunicorn(facts.app_run))
    return replace(chosen, skipped=(".s2i/bin/run: not found", "APP_RUN: not set", *rest),
                   procfile_web_unused=unused)


def without_setup_py(facts: AppFacts, why: str) -> AppFacts:
    """The facts again with the setup.py rule ruled out (its name could not be read after the install)."""
    return replace(facts, has_setup_py=False, setup_py_reason=why)


# Frameworks that are ASGI-only, WSGI frameworks, and ASGI servers (what "the app lists an ASGI server stack"
# means for Django, whose project has both wsgi.py and asgi.py).
ASGI_FRAMEWORKS = frozenset({"fastapi", "starlette", "litestar", "quart", "sanic", "blacksheep"})
WSGI_FRAMEWORKS = frozenset({"flask", "django", "bottle", "pyramid", "falcon", "webob", "werkzeug"})
ASGI_SERVERS = frozenset({"uvicorn", "daphne", "hypercorn", "channels", "granian"})


def missing_frameworks(imports: AbstractSet[str], importable: AbstractSet[str]) -> Tuple[str, ...]:
    """The web frameworks the web process's module imports unconditionally that nothing makes importable (neither the
    environment nor the app's own files): the image would stop at its first start."""
    return tuple(sorted((imports & (ASGI_FRAMEWORKS | WSGI_FRAMEWORKS)) - importable))


def is_asgi(rule: Rule, imports: AbstractSet[str], installed: AbstractSet[str], django_asgi: bool) -> bool:
    """Whether Gunicorn runs the app with Uvicorn's worker. Decided from files and installed distributions:
    - a root asgi.py is ASGI, a root wsgi.py is WSGI;
    - Django is ASGI when its project has an asgi.py and the app installs an ASGI server (uvicorn, daphne, ...);
    - otherwise the module's own imports decide (FastAPI, Starlette, Litestar, Quart are ASGI), then the
      installed frameworks (an ASGI framework and no WSGI one)."""
    if rule is Rule.ASGI_PY:
        return True
    if rule is Rule.WSGI_PY:
        return False
    if rule is Rule.DJANGO:
        return django_asgi and bool(installed & ASGI_SERVERS)
    if imports & ASGI_FRAMEWORKS:
        return True
    if imports & WSGI_FRAMEWORKS:
        return False
    return bool(installed & ASGI_FRAMEWORKS) and not installed & WSGI_FRAMEWORKS


def module_from_dist_name(name: str) -> str:
    """setup.py --name gives a distribution name; gunicorn needs an importable module name."""
    return name.strip().replace("-", "_").replace(".", "_")
