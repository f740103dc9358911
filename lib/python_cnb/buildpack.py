"""The table of contents of a build: analyse the app (every decision, failing early), then one step per layer.

No parsing, subprocesses or message text here: each step prints its own part of the log."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from .analysis import analyse
from .build_env import resolve_build_env
from .cnb.data import Launch
from .cnb.runtime import BuildContext
from .dependencies import install_dependencies
from .detect import Detector
from .errors import render_error
from .layers.python import install_python
from .layers.tools import start_prefetch
from .layers.venv import finish_venv
from .layers.web import configure_web_process, install_web, web_processes

__all__ = ["PythonBuildpack"]


@dataclass
class PythonBuildpack(Detector):
    """Detect and error reporting come from Detector (what bin/detect runs alone); this adds the build."""

    today: datetime.date

    def build(self, ctx: BuildContext) -> None:
        build_env = resolve_build_env(ctx.app_dir, ctx.env)
        self.out.secrets = list(build_env.secrets)
        for title, notes in build_env.sections:
            self.out.section(title, notes)
        analysis = analyse(ctx, build_env, self.today)

        # A binary tool the build needs (uv) downloads while the interpreter is installed.
        prefetch = start_prefetch(analysis.layers_dir, analysis.pins.tool, analysis.python, analysis.env)
        with install_python(analysis, self.out) as python:
            dependencies = install_dependencies(analysis, python.path, prefetch, self.out)
            web = configure_web_process(analysis, dependencies.target, self.out)
        finish_venv(dependencies.venv, web.facts)
        web_layer = install_web(analysis, python.path, web, self.out)
        Launch(processes=web_processes(analysis, python.path, web, web_layer.path)).write(analysis.layers_dir)

    def on_error(self, exc: BaseException) -> None:
        """As detect's, naming a read-only app directory (the lifecycle runs the build in it) as the likely cause of
        a command's failure."""
        app_dir = Path.cwd()
        self.out.error(*render_error(exc, "" if os.access(app_dir, os.W_OK) else str(app_dir)))
