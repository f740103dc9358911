"""How the app's web process starts. Pure: takes facts about the app, returns a decision."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

from .errors import NoWebProcess

__all__ = ["AppFacts", "Kind", "WebChoice", "choose_web_process"]


class Kind(enum.Enum):
    RUN_HOOK = ".s2i/bin/run"
    APP_RUN = "APP_RUN"
    GUNICORN = "gunicorn"
    APP_PY = "python app.py"
    NONE = "none"


@dataclass(frozen=True)
class AppFacts:
    run_hook: bool
    app_run: str
    gunicorn_app_module: str
    has_wsgi_py: bool
    has_setup_py: bool
    has_app_py: bool


@dataclass(frozen=True)
class WebChoice:
    kind: Kind
    # What the run stage does when APP_RUN is not set at launch (the default the run hook may source).
    fallback: Kind
    gunicorn_module: Optional[str]  # None: read from setup.py after install
    reason: str

    @property
    def needs_gunicorn(self) -> bool:
        return self.fallback is Kind.GUNICORN and self.kind is not Kind.APP_RUN


def _fallback(facts: AppFacts) -> tuple[Kind, Optional[str], str]:
    if facts.gunicorn_app_module.strip():
        return Kind.GUNICORN, facts.gunicorn_app_module.strip(), "GUNICORN_APP_MODULE is set"
    if facts.has_wsgi_py:
        return Kind.GUNICORN, "wsgi", "wsgi.py found"
    if facts.has_setup_py:
        return Kind.GUNICORN, None, "setup.py found"
    if facts.has_app_py:
        return Kind.APP_PY, None, "app.py found"
    return Kind.NONE, None, "nothing found"


def choose_web_process(facts: AppFacts) -> WebChoice:
    """First match wins: .s2i/bin/run, APP_RUN, GUNICORN_APP_MODULE, wsgi.py, setup.py's name, app.py."""
    fallback, module, reason = _fallback(facts)
    if facts.run_hook:
        return WebChoice(Kind.RUN_HOOK, fallback, module, ".s2i/bin/run found")
    if facts.app_run.strip():
        return WebChoice(Kind.APP_RUN, fallback, module, "APP_RUN is set")
    if fallback is Kind.NONE:
        raise NoWebProcess()
    return WebChoice(fallback, fallback, module, reason)


def module_from_dist_name(name: str) -> str:
    """setup.py --name gives a distribution name; gunicorn needs an importable module name."""
    return name.strip().replace("-", "_").replace(".", "_")
