"""The launch-only layer that runs the app: the default run stage script, the Gunicorn config, the exec.d
tuning program and the launch-time environment defaults. Rewritten every build (it is tiny); identical
contents give an identical image layer, which the exporter reuses."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Mapping, Optional

from ..cnb.data import Process
from ..cnb.layer import Layer, LayerTypes
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..errors import NO_WEB_PROCESS_BODY
from ..processes import Kind, WebChoice
from ..s2i import DEFAULT_RUN_PATH, rewrite_hook

__all__ = ["install_web_layer", "render_run_script"]

LAYER_NAME = "web"
RUN_SCRIPT = "bin/python-buildpack-run"

GUNICORN_CONF = '''\
"""Gunicorn settings from the Python buildpack (used unless GUNICORN_CONFIG or a root gunicorn.conf.py)."""
import os

bind = "0.0.0.0:" + os.environ.get("PORT", "8080")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "*"
accesslog = "-"
errorlog = "-"
'''


def render_run_script(choice: WebChoice, gunicorn_module: Optional[str], config: str) -> str:
    """POSIX sh: APP_RUN at launch wins, else the default decided at build time."""
    lines = [
        "#!/bin/sh",
        "# The default run stage, written by the Python buildpack. .s2i/bin/run hooks may source it.",
        'if [ -n "${APP_RUN:-}" ]; then',
        '  echo "---> Running application from ($APP_RUN) ..."',
        '  exec /bin/sh -c "$APP_RUN"',
        "fi",
    ]
    if choice.fallback is Kind.GUNICORN and gunicorn_module:
        lines += [
            f'module="${{GUNICORN_APP_MODULE:-{gunicorn_module}}}"',
            f'config="${{GUNICORN_CONFIG:-{config}}}"',
            'echo "---> Serving application with gunicorn ($module) ..."',
            'exec gunicorn "$module" --config "$config" --bind "0.0.0.0:${PORT:-8080}" --access-logfile -',
        ]
    elif choice.fallback is Kind.APP_PY:
        lines += ['echo "---> Running application from (python app.py) ..."', "exec python app.py"]
    else:
        lines += [f"echo {shlex.quote(line)} >&2" for line in NO_WEB_PROCESS_BODY.splitlines()] + ["exit 1"]
    return "\n".join(lines) + "\n"


def install_web_layer(
    layers_dir: Path,
    app_dir: Path,
    python_dir: Path,
    choice: WebChoice,
    gunicorn_module: Optional[str],
    gunicorn_config: Optional[str],
    tuning_source: str,
    launch_defaults: Mapping[str, str],
    run_hook: Optional[str],
) -> Process:
    layer = Layer(layers_dir, LAYER_NAME)
    layer_dir = layer.reset()
    (layer_dir / "bin").mkdir()
    config = gunicorn_config or str(layer_dir / "gunicorn.conf.py")
    (layer_dir / "gunicorn.conf.py").write_text(GUNICORN_CONF, encoding="utf-8")
    run_script = layer_dir / RUN_SCRIPT
    run_script.write_text(render_run_script(choice, gunicorn_module, config), encoding="utf-8")
    run_script.chmod(0o755)

    exec_d = layer_dir / "exec.d"
    exec_d.mkdir()
    tuning = exec_d / "web-concurrency"
    tuning.write_text(f"#!{python_dir / 'bin' / 'python3'} -I\n{tuning_source}", encoding="utf-8")
    tuning.chmod(0o755)

    env = LayerEnv()
    defaults = {"FORWARDED_ALLOW_IPS": "*", "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8", **launch_defaults}
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
    return Process(type="web", command=command, default=True, working_dir=str(app_dir))
