"""The launch-only layer that runs the app: the default run stage script, the Gunicorn config, the init that
every process runs under, the exec.d tuning program and the launch-time environment defaults. Rewritten every
build (it is tiny); identical contents give an identical image layer, which the exporter reuses."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Sequence

from ..cnb.data import Process
from ..cnb.layer import Layer, LayerTypes
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..errors import NO_WEB_PROCESS_BODY
from ..processes import Kind
from ..procfile import ProcfileEntry
from ..s2i import DEFAULT_RUN_PATH, rewrite_hook

__all__ = ["GunicornPlan", "install_web_layer", "render_run_script"]

LAYER_NAME = "web"
RUN_SCRIPT = "bin/python-buildpack-run"
INIT = "bin/python-buildpack-init"
UVICORN_WORKER = "uvicorn_worker.UvicornWorker"
OLD_UVICORN_WORKER = "uvicorn.workers.UvicornWorker"  # in uvicorn itself before 0.36

GUNICORN_CONF = '''\
"""Gunicorn settings from the Python buildpack (used unless GUNICORN_CONFIG or a root gunicorn.conf.py)."""
import os

bind = "0.0.0.0:" + os.environ.get("PORT", "8080")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "*"
accesslog = "-"
errorlog = "-"
'''


@dataclass(frozen=True)
class GunicornPlan:
    module: str  # module:callable
    config: str  # path of the config file (the app's, or the buildpack's in this layer)
    worker_class: str = ""  # "" lets the config (or Gunicorn's default, sync) decide
    chdir: str = ""  # directory to load the app from, relative to the app root


def _alias_note(name: str, alias: str) -> List[str]:
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


def render_run_script(fallback: Kind, gunicorn: Optional[GunicornPlan], procfile_command: Optional[str], *,
                      script: Optional[str] = None, script_executable: bool = True, python_file: str = "app.py",
                      migrate_dir: Optional[str] = None) -> str:
    """POSIX sh: APP_RUN at launch wins (when not blank), else the default decided at build time. Every value
    decided at build is shell-quoted. With migrate_dir (manage.py's directory), MIGRATE_ON_START runs the
    migrations first."""
    lines = [
        "#!/bin/sh",
        "# The default run stage, written by the Python buildpack. .s2i/bin/run hooks may source it.",
        *(_migrate_on_start(migrate_dir) if migrate_dir is not None else []),
        'case "${APP_RUN:-}" in',
        "  *[![:space:]]*)",
        '    echo "---> Running application from ($APP_RUN) ..."',
        '    exec /bin/sh -c "$APP_RUN" ;;',
        "esac",
    ]
    if fallback is Kind.GUNICORN and gunicorn is not None:
        lines += [
            f"default_module={shlex.quote(gunicorn.module)}",
            f"default_config={shlex.quote(gunicorn.config)}",
            f"default_worker_class={shlex.quote(gunicorn.worker_class)}",
            # APP_MODULE and APP_CONFIG are the S2I image's names; the reference builder's names win.
            *_alias_note("GUNICORN_APP_MODULE", "APP_MODULE"),
            *_alias_note("GUNICORN_CONFIG", "APP_CONFIG"),
            'module="${GUNICORN_APP_MODULE:-${APP_MODULE:-$default_module}}"',
            'config="${GUNICORN_CONFIG:-${APP_CONFIG:-$default_config}}"',
            'worker_class="${GUNICORN_WORKER_CLASS:-$default_worker_class}"',
            'set -- "$module" --config "$config" --bind "0.0.0.0:${PORT:-8080}" --access-logfile -',
            'if [ -n "$worker_class" ]; then set -- "$@" --worker-class "$worker_class"; fi',
        ]
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
    else:
        lines += [f"echo {shlex.quote(line)} >&2" for line in NO_WEB_PROCESS_BODY.splitlines()] + ["exit 1"]
    return "\n".join(lines) + "\n"


def install_web_layer(
    layers_dir: Path,
    app_dir: Path,
    python_dir: Path,
    fallback: Kind,
    gunicorn: Optional[GunicornPlan],
    procfile_command: Optional[str],
    tuning_source: str,
    init_source: str,
    launch_defaults: Mapping[str, str],
    run_hook: Optional[str],
    procfile: Sequence[ProcfileEntry] = (),
    script: Optional[str] = None,
    script_executable: bool = True,
    python_file: str = "app.py",
    migrate_dir: Optional[str] = None,
) -> List[Process]:
    """Writes the layer; returns the web process (default), one process per other Procfile entry and, for a
    Django app (migrate_dir: manage.py's directory), `migrate` unless the Procfile has one; each runs under the
    layer's init."""
    layer = Layer(layers_dir, LAYER_NAME)
    layer_dir = layer.reset()
    (layer_dir / "bin").mkdir()
    if gunicorn is not None and not gunicorn.config:
        gunicorn = GunicornPlan(gunicorn.module, str(layer_dir / "gunicorn.conf.py"), gunicorn.worker_class,
                                gunicorn.chdir)
    (layer_dir / "gunicorn.conf.py").write_text(GUNICORN_CONF, encoding="utf-8")
    run_script = layer_dir / RUN_SCRIPT
    run_script.write_text(render_run_script(fallback, gunicorn, procfile_command, script=script,
                                            script_executable=script_executable, python_file=python_file,
                                            migrate_dir=migrate_dir), encoding="utf-8")
    run_script.chmod(0o755)
    init = layer_dir / INIT
    init.write_text(init_source, encoding="utf-8")
    init.chmod(0o755)
    init_command = [str(python_dir / "bin" / "python3"), "-I", str(init)]

    exec_d = layer_dir / "exec.d"
    exec_d.mkdir()
    tuning = exec_d / "web-concurrency"
    tuning.write_text(f"#!{python_dir / 'bin' / 'python3'} -I\n{tuning_source}", encoding="utf-8")
    tuning.chmod(0o755)

    env = LayerEnv()
    defaults = {"FORWARDED_ALLOW_IPS": "*", "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8", "PORT": "8080",
                **launch_defaults}
    for name, value in sorted(defaults.items()):
        # .default: a value given to `docker run -e` (or the platform at launch) wins over build-time values.
        env.add(Scope.LAUNCH, Behavior.DEFAULT, name, value)
    env.write(layer_dir)

    command = [str(run_script)]
    if run_hook is not None:
        hook_copy = layer_dir / "s2i-run"
        hook_copy.write_text(rewrite_hook(run_hook, DEFAULT_RUN_PATH, run_script), encoding="utf-8")
        hook_copy.chmod(0o755)
        command = [str(hook_copy)] if run_hook.startswith("#!") else ["/bin/sh", str(hook_copy)]
    layer.write(LayerTypes(launch=True), {"layer_format": 1})
    processes = [Process(type="web", command=init_command + command, default=True, working_dir=str(app_dir))]
    processes += [Process(type=entry.name, command=[*init_command, "/bin/sh", "-c", entry.command],
                          working_dir=str(app_dir))
                  for entry in procfile if entry.name != "web"]
    if migrate_dir is not None and not any(entry.name == "migrate" for entry in procfile):
        processes.append(Process(type="migrate", command=[*init_command, "/bin/sh", "-c", MIGRATE],
                                 working_dir=str(app_dir / migrate_dir) if migrate_dir else str(app_dir)))
    return processes
