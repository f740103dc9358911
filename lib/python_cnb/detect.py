"""Is this a Python app? Generous, cheap and read-only: the build phase explains anything missing or wrong.

Detect passes on every file an install method is chosen by (package_managers.DETECT_FILES), misspelled names
included, so that a build of an app with only a misspelled requirements file or half a lockfile pair fails with the
fix instead of "not a Python app".
"""

from __future__ import annotations

from dataclasses import dataclass

from .app_files import AppFiles, read_app_files
from .cnb.runtime import BuildContext, DetectContext
from .errors import render_error
from .output import Output
from .package_managers import DETECT_FILES, METHODS, MISSPELLINGS, matches_pattern, named_files

__all__ = ["PATTERN_SIGNALS", "PYTHON_SIGNALS", "Detector", "is_python_project"]

_OTHER_SIGNALS = (
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "runtime.txt",
    ".python-version",
    "app.py",
    "wsgi.py",
    "asgi.py",
    "main.py",
    "manage.py",
    ".s2i",
)

PYTHON_SIGNALS = tuple(dict.fromkeys([*DETECT_FILES, *_OTHER_SIGNALS, *MISSPELLINGS]))
# The names a method's pattern selects (pylock.<name>.toml), as detect's message shows them.
PATTERN_SIGNALS = tuple(method.file_choice.shown for method in METHODS if method.file_choice is not None)


def is_python_project(files: AppFiles) -> bool:
    return any(files.has(name) for name in PYTHON_SIGNALS) or any(matches_pattern(name) for name in files.entries)


@dataclass
class Detector:
    """The detect phase, on its own: `bin/detect` imports only this and what it reads (the buildpack's directory is
    read-only under the lifecycle, so every module imported here compiles from source on every build). The build
    phase's PythonBuildpack extends it."""

    out: Output

    def detect(self, ctx: DetectContext) -> bool:
        # APP_HOME (the S2I image's app subdirectory), when the platform gives it to detect: its files count too.
        home = ctx.env.get("APP_HOME", "").strip()
        places = [ctx.app_dir / home] if home and (ctx.app_dir / home).is_dir() else []
        # So do the requirements files Paketo's BP_PIP_REQUIREMENT names (they may be in a subdirectory).
        named = named_files(ctx.env)
        if any(is_python_project(read_app_files(place)) or any((place / name).is_file() for name in named)
               for place in [*places, ctx.app_dir]):
            return True
        self.out.step(f"No Python project files found (looked for: {', '.join((*PYTHON_SIGNALS, *PATTERN_SIGNALS))}).")
        return False

    def build(self, ctx: BuildContext) -> None:
        raise NotImplementedError("the build phase runs PythonBuildpack")  # which overrides this

    def on_error(self, exc: BaseException) -> None:
        title, body = render_error(exc)
        self.out.error(title, body)
