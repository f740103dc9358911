"""The web layer's generated files, as text: the default run stage (POSIX sh, the reference builder's
/usr/libexec/s2i/run) and the buildpack's Gunicorn config. Pure: decisions in, text out."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .errors import NO_WEB_PROCESS_BODY
from .google_paketo_compat import LAUNCH_ALIASES
from .processes import PORT, Kind
from .s2i_compat import ALIASES

__all__ = ["DEFAULT_THREADS", "DEFAULT_WORKER_CLASS", "MEMORY_TMP_DIR", "MIGRATE", "GunicornPlan",
           "render_gunicorn_conf", "render_run_script", "shell_word", "shown_command"]

# The reference builder's name -> the S2I image's name for it, for the run stage's launch-time variables.
S2I_NAME = {name: alias for alias, name in ALIASES}
# The reference builder's name -> Google's name for it (GOOGLE_ENTRYPOINT for APP_RUN), likewise.
GOOGLE_NAME = {name: alias for alias, name in LAUNCH_ALIASES}


@dataclass(frozen=True)
class GunicornPlan:
    module: str  # module:callable
    config: str  # path of the config file (the app's, or the buildpack's in the web layer)
    worker_class: str = ""  # given on the command line; "" lets the config (or Gunicorn's default, sync) decide
    chdir: str = ""  # directory to load the app from, relative to the app root
    worker_tmp_dir: bool = True  # give Gunicorn MEMORY_TMP_DIR for its heartbeat files (False: the app's config does)


# WSGI apps under the buildpack's config: Gunicorn's threaded worker (see render_gunicorn_conf).
DEFAULT_WORKER_CLASS = "gthread"
DEFAULT_THREADS = 16
# Gunicorn's advice for containers: its heartbeat files in memory. /tmp may be read-only (readOnlyRootFilesystem), or on
# a disk where the heartbeat's fchmod can block a worker.
MEMORY_TMP_DIR = "/dev/shm"

_GUNICORN_CONF = '''\
"""Gunicorn settings from the Python buildpack (used unless GUNICORN_CONFIG or a root gunicorn.conf.py).
GUNICORN_CMD_ARGS and the command line win over every setting here."""
import os

bind = "0.0.0.0:" + os.environ.get("PORT", "8080")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "*"
accesslog = "-"
errorlog = "-"


def _from_cmd_args():
    """The worker class and threads GUNICORN_CMD_ARGS gives, as Gunicorn's own parser reads them (None: not given)."""
    try:
        from gunicorn.config import Config

        config = Config()
        given = config.parser().parse_args(config.get_cmd_args_from_env())
        return getattr(given, "worker_class", None), getattr(given, "threads", None)
    except (Exception, SystemExit):  # Gunicorn reports a bad GUNICORN_CMD_ARGS itself
        return None, None


_cmd_worker_class, _cmd_threads = _from_cmd_args()
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or _cmd_worker_class or %(worker_class)r
if worker_class in ("gthread", "gunicorn.workers.gthread.ThreadWorker"):
    # A slow client holds a thread, not the whole worker. A worker takes only as many connections as it has threads:
    # the others wait in the listen queue for whichever worker has one free, as they do with sync workers (and, as
    # with them, no connection is kept alive).
    threads = _cmd_threads or %(threads)d
    worker_connections = threads
    keepalive = 0
'''


def render_gunicorn_conf(worker_class: str) -> str:
    """The buildpack's Gunicorn config: `worker_class` unless GUNICORN_WORKER_CLASS or GUNICORN_CMD_ARGS give one;
    threads (and as many connections per worker) when it is gthread."""
    return _GUNICORN_CONF % {"worker_class": worker_class, "threads": DEFAULT_THREADS}


def _alias_note(name: str, alias: str) -> List[str]:
    """At launch, like at build (s2i_compat, google_paketo_compat): another builder's name for `name` is used when
    `name` is not set, and the log says which wins when both are set and differ."""
    return [f'if [ -n "${{{name}:-}}" ] && [ -n "${{{alias}:-}}" ] && [ "${name}" != "${alias}" ]; then',
            f'  echo "---> {name} and {alias} are both set and differ: using {name} ({alias} is ignored)"',
            "fi"]


MIGRATE = "python manage.py migrate --noinput"


def _migrate_on_start(migrate_dir: str) -> List[str]:
    """MIGRATE_ON_START true (1, true, yes, on; any case) runs Django's migrations before the web command."""
    return [
        'case "${MIGRATE_ON_START:-}" in',
        "  1|[Tt][Rr][Uu][Ee]|[Yy][Ee][Ss]|[Oo][Nn])",
        '    echo "---> Running Django migrations (MIGRATE_ON_START is set) ..."',
        f"    (cd {shlex.quote(migrate_dir or '.')} && {MIGRATE}) || "
        '{ echo "---> Django migrations failed; not starting the web process" >&2; exit 1; } ;;',
        "esac",
    ]


def _worker_tmp_dir() -> List[str]:
    """Gunicorn's heartbeat files in MEMORY_TMP_DIR when it is a writable directory and GUNICORN_CMD_ARGS chooses
    none (else Gunicorn's default: Python's temporary directory, TMPDIR)."""
    return ['case " ${GUNICORN_CMD_ARGS:-} " in',
            '  *" --worker-tmp-dir"*) ;;',
            f'  *) if [ -d {MEMORY_TMP_DIR} ] && [ -w {MEMORY_TMP_DIR} ]; then '
            f'set -- "$@" --worker-tmp-dir {MEMORY_TMP_DIR}; fi ;;',
            "esac"]


def shell_word(word: str) -> str:
    """A word of a command the run stage runs: shell-quoted, PORT standing for "${PORT:-8080}"."""
    return '"${PORT:-8080}"' if word == PORT else shlex.quote(word)


def shown_command(command: Sequence[str]) -> str:
    """How the log shows such a command."""
    return " ".join(command)


def render_run_script(fallback: Kind, gunicorn: Optional[GunicornPlan], procfile_command: Optional[str], *,
                      script: Optional[str] = None, script_executable: bool = True, python_file: str = "app.py",
                      migrate_dir: Optional[str] = None, command: Sequence[str] = (),
                      command_env: Sequence[Tuple[str, str]] = ()) -> str:
    """POSIX sh: APP_RUN at launch wins (when not blank; else Google's GOOGLE_ENTRYPOINT), else the default decided
    at build time. Every value decided at build is shell-quoted. With migrate_dir (manage.py's directory),
    MIGRATE_ON_START runs the migrations first."""
    entrypoint = GOOGLE_NAME["APP_RUN"]
    lines = [
        "#!/bin/sh",
        "# The default run stage, written by the Python buildpack. .s2i/bin/run hooks may source it.",
        *(_migrate_on_start(migrate_dir) if migrate_dir is not None else []),
        *_alias_note("APP_RUN", entrypoint),
        'app_run="${APP_RUN:-}"',
        f'case "$app_run" in *[![:space:]]*) ;; *) app_run="${{{entrypoint}:-}}" ;; esac',
        'case "$app_run" in',
        "  *[![:space:]]*)",
        '    echo "---> Running application from ($app_run) ..."',
        '    exec /bin/sh -c "$app_run" ;;',
        "esac",
    ]
    if fallback is Kind.GUNICORN and gunicorn is not None:
        lines += [
            f"default_module={shlex.quote(gunicorn.module)}",
            f"default_config={shlex.quote(gunicorn.config)}",
            f"default_worker_class={shlex.quote(gunicorn.worker_class)}",
            # The S2I image's names (APP_MODULE, APP_CONFIG) count too; the reference builder's names win.
            *_alias_note("GUNICORN_APP_MODULE", S2I_NAME["GUNICORN_APP_MODULE"]),
            *_alias_note("GUNICORN_CONFIG", S2I_NAME["GUNICORN_CONFIG"]),
            f'module="${{GUNICORN_APP_MODULE:-${{{S2I_NAME["GUNICORN_APP_MODULE"]}:-$default_module}}}}"',
            f'config="${{GUNICORN_CONFIG:-${{{S2I_NAME["GUNICORN_CONFIG"]}:-$default_config}}}}"',
            'worker_class="${GUNICORN_WORKER_CLASS:-$default_worker_class}"',
            'set -- "$module" --config "$config" --bind "0.0.0.0:${PORT:-8080}" --access-logfile -',
            'if [ -n "$worker_class" ]; then set -- "$@" --worker-class "$worker_class"; fi',
        ]
        if gunicorn.worker_tmp_dir:
            lines += _worker_tmp_dir()
        if gunicorn.chdir:
            lines += [f"set -- \"$@\" --chdir {shlex.quote(gunicorn.chdir)}"]
        lines += [
            'echo "---> Serving application with gunicorn ($module) ..."',
            'exec gunicorn "$@"',
        ]
    elif fallback is Kind.PROCFILE and procfile_command is not None:
        lines += [
            f"command={shlex.quote(procfile_command)}",
            'echo "---> Running application from the Procfile ($command) ..."',
            'exec /bin/sh -c "$command"',
        ]
    elif fallback is Kind.SCRIPT and script is not None:
        path = script if script.startswith("/") else f"./{script}"
        run = f"exec {shlex.quote(path)}" if script_executable else f"exec /bin/sh {shlex.quote(path)}"
        lines += [f"echo {shlex.quote(f'---> Running application from script ({script}) ...')}", run]
    elif fallback is Kind.APP_PY:
        lines += [f"echo {shlex.quote(f'---> Running application from (python {python_file}) ...')}",
                  f"exec python {shlex.quote(python_file)}"]
    elif fallback is Kind.COMMAND and command:
        # A value given at launch (docker run -e) wins over the default.
        lines += [f'export {name}="${{{name}:-{"${PORT:-8080}" if value == PORT else value}}}"'
                  for name, value in command_env]
        lines += [f"echo {shlex.quote(f'---> Running application with ({shown_command(command)}) ...')}",
                  "exec " + " ".join(shell_word(word) for word in command)]
    else:
        lines += [f"echo {shlex.quote(line)} >&2" for line in NO_WEB_PROCESS_BODY.splitlines()] + ["exit 1"]
    return "\n".join(lines) + "\n"
