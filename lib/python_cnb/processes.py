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
| app.py | a root app.py, run with `python app.py` |
"""

from __future__ import annotations

import enum
import os
import re
import shlex
from dataclasses import dataclass, field, replace
from typing import AbstractSet, Optional, Tuple

from .entrypoints import DjangoProject

__all__ = ["AppFacts", "Kind", "Rule", "WebChoice", "choose_web_process", "is_asgi", "module_from_dist_name",
           "starts_gunicorn"]


class Kind(enum.Enum):
    RUN_HOOK = ".s2i/bin/run"
    APP_RUN = "APP_RUN"
    GUNICORN = "gunicorn"
    PROCFILE = "Procfile web"
    SCRIPT = "shell script"
    APP_PY = "python app.py"
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
    APP_PY = "app.py"
    NONE = "nothing"


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


def _fallback(facts: AppFacts, skipped: list[str]) -> Tuple[Kind, Rule, Optional[str], str, str]:
    """(kind, rule, gunicorn module, chdir, reason) of the first rule from GUNICORN_APP_MODULE on that applies."""
    if facts.app_script:
        return Kind.SCRIPT, Rule.APP_SCRIPT, None, "", "APP_SCRIPT is set"
    skipped.append("APP_SCRIPT: not set")
    if facts.app_file:
        return Kind.APP_PY, Rule.APP_FILE, None, "", "APP_FILE is set"
    skipped.append("APP_FILE: not set")
    module = facts.gunicorn_app_module.strip()
    if module:
        return Kind.GUNICORN, Rule.GUNICORN_APP_MODULE, module, "", "GUNICORN_APP_MODULE is set"
    skipped.append("GUNICORN_APP_MODULE: not set")
    if facts.procfile_web is not None:
        return Kind.PROCFILE, Rule.PROCFILE_WEB, None, "", "the Procfile has a web process"
    skipped.append("Procfile web: " + ("the Procfile has no web process" if facts.has_procfile else "no Procfile"))
    if facts.wsgi_module is not None:
        return Kind.GUNICORN, Rule.WSGI_PY, facts.wsgi_module, "", "wsgi.py found"
    skipped.append("wsgi.py: not at the root")
    if facts.asgi_module is not None:
        return Kind.GUNICORN, Rule.ASGI_PY, facts.asgi_module, "", "asgi.py found"
    skipped.append("asgi.py: not at the root")
    if facts.django is not None:
        django = facts.django
        return Kind.GUNICORN, Rule.DJANGO, django.wsgi_module, django.chdir, f"Django project: {django.source}"
    skipped.append(f"Django: {facts.django_reason}")
    if facts.has_setup_py:
        return Kind.GUNICORN, Rule.SETUP_PY, None, "", "setup.py found"
    skipped.append(f"setup.py name: {facts.setup_py_reason}")
    if facts.main_module is not None:
        return Kind.GUNICORN, Rule.MAIN_PY, facts.main_module, "", "main.py defines app"
    skipped.append("main.py: " + ("it does not define app" if facts.has_main_py else "not at the root"))
    if facts.has_app_sh:
        return Kind.SCRIPT, Rule.APP_SH, None, "", "app.sh found (executable)"
    skipped.append("app.sh: not at the root, or not executable")
    if facts.has_app_py:
        return Kind.APP_PY, Rule.APP_PY, None, "", "app.py found"
    skipped.append("app.py: not at the root")
    return Kind.NONE, Rule.NONE, None, "", "nothing found"


def choose_web_process(facts: AppFacts) -> WebChoice:
    """First match wins: .s2i/bin/run, APP_RUN, APP_SCRIPT, APP_FILE, GUNICORN_APP_MODULE, Procfile web, wsgi.py,
    asgi.py, Django's WSGI_APPLICATION, setup.py's name, main.py's app, app.sh, app.py. With nothing, kind is NONE
    (the build warns)."""
    rest: list[str] = []
    kind, rule, module, chdir, reason = _fallback(facts, rest)
    script = (facts.app_script or "app.sh") if kind is Kind.SCRIPT else None
    command = {Kind.PROCFILE: facts.procfile_web or "", Kind.SCRIPT: facts.script_text}.get(kind, "")
    chosen = WebChoice(kind=kind, rule=rule, fallback=kind, fallback_rule=rule, gunicorn_module=module,
                       reason=reason, chdir=chdir, procfile_command=facts.procfile_web,
                       django=facts.django if rule is Rule.DJANGO else None, script=script,
                       python_file=facts.app_file if rule is Rule.APP_FILE else "app.py",
                       command_starts_gunicorn=starts_gunicorn(command))
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
