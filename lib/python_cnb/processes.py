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
from typing import AbstractSet, Callable, Dict, List, Mapping, Optional, Tuple

from .entrypoints import DjangoProject, bound_names, callable_in
from .errors import EntryCallableMissing
from .snapshot import AppSnapshot

__all__ = ["RULES", "AppFacts", "Kind", "Match", "Rule", "RuleEntry", "WebChoice", "app_facts", "choose_web_process",
           "is_asgi", "module_from_dist_name", "starts_gunicorn"]


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


def _root_module(snapshot: AppSnapshot, name: str, rule: Rule, errors: Dict[Rule, EntryCallableMissing]
                 ) -> Optional[str]:
    """Gunicorn's module for a root wsgi.py/asgi.py: 'wsgi' (callable application, Gunicorn's default) or
    'wsgi:app'. A file that defines neither is an error for its rule (EntryCallableMissing names both)."""
    text = snapshot.files.text(f"{name}.py")
    if text is None:
        return None
    try:
        found = callable_in(text, f"{name}.py")
    except EntryCallableMissing as exc:
        errors[rule] = exc
        return name
    return name if found == "application" else f"{name}:{found}"


def app_facts(snapshot: AppSnapshot, env: Mapping[str, str], run_hook: bool
              ) -> Tuple[AppFacts, Dict[Rule, EntryCallableMissing]]:
    """What the order table needs, from the snapshot (nothing is imported or run), and the root wsgi.py/asgi.py that
    define no callable (an error only when their rule chooses Gunicorn: with APP_RUN, `python wsgi.py` may be a plain
    script)."""
    files = snapshot.files
    main_text = files.text("main.py")
    main_names = bound_names(main_text) if main_text is not None else None
    errors: Dict[Rule, EntryCallableMissing] = {}
    facts = AppFacts(
        run_hook=run_hook,
        app_run=env.get("APP_RUN", ""),
        gunicorn_app_module=env.get("GUNICORN_APP_MODULE", ""),
        procfile_web=next((entry.command for entry in snapshot.procfile if entry.name == "web"), None),
        has_procfile=files.is_file("Procfile"),
        wsgi_module=_root_module(snapshot, "wsgi", Rule.WSGI_PY, errors),
        asgi_module=_root_module(snapshot, "asgi", Rule.ASGI_PY, errors),
        django=snapshot.django,
        django_reason=snapshot.django_reason,
        has_setup_py=files.is_file("setup.py"),
        main_module="main:app" if main_names is not None and ("app" in main_names or "*" in main_names) else None,
        has_main_py=main_text is not None,
        has_app_py=files.is_file("app.py"),
        app_script=snapshot.app_script,
        app_file=snapshot.app_file,
        has_app_sh=snapshot.app_sh,
        script_text=snapshot.script_text,
    )
    return facts, errors


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


@dataclass(frozen=True)
class Match:
    """What a rule chooses when it applies."""

    kind: Kind
    reason: str  # why it applies, for the log
    gunicorn_module: Optional[str] = None  # Kind.GUNICORN's module:callable (None: known only after the install)
    chdir: str = ""  # Gunicorn's --chdir


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
    RuleEntry(Rule.APP_PY, lambda f: _when(f.has_app_py, Match(Kind.APP_PY, "app.py found")),
              lambda f: "not at the root"),
)


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
