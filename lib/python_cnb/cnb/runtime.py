"""Phase dispatch: turns the lifecycle's invocation into a context, calls the buildpack, maps to exit codes."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Protocol, Sequence

from . import toml_io
from .data import Target

__all__ = ["BuildContext", "Buildpack", "DetectContext", "guard", "run"]

EXIT_PASS = 0
EXIT_ERROR = 1
EXIT_DETECT_FAIL = 100


@dataclass(frozen=True)
class DetectContext:
    app_dir: Path
    buildpack_dir: Path
    env: Mapping[str, str]


@dataclass(frozen=True)
class BuildContext:
    app_dir: Path
    buildpack_dir: Path
    layers_dir: Path
    target: Target
    env: Mapping[str, str]
    buildpack_descriptor: Mapping[str, object]


class Buildpack(Protocol):
    def detect(self, ctx: DetectContext) -> bool: ...

    def build(self, ctx: BuildContext) -> None: ...

    def on_error(self, exc: BaseException) -> None: ...


class UsageError(Exception):
    pass


def _path_arg(environ: Mapping[str, str], name: str, args: Sequence[str], index: int) -> Path:
    value = environ.get(name) or (args[index] if len(args) > index else "")
    if not value:
        raise UsageError(f"{name} is not set and no positional argument {index + 1} was given")
    return Path(value)


def guard(on_error: Callable[[BaseException], None], action: Callable[[], int]) -> int:
    """The one boundary every failure crosses: `action`'s exit code, or EXIT_ERROR after `on_error` reported it."""
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - the one place every failure becomes an exit code
        on_error(exc)
        return EXIT_ERROR
    finally:
        sys.stdout.flush()


def run(phase: str, args: Sequence[str], environ: Mapping[str, str], buildpack: Buildpack) -> int:
    """Run one phase. `args` are the positional arguments the lifecycle passed (deprecated but still given)."""
    return guard(buildpack.on_error, lambda: _run(phase, args, environ, buildpack))


def _run(phase: str, args: Sequence[str], environ: Mapping[str, str], buildpack: Buildpack) -> int:
    buildpack_dir = Path(environ.get("CNB_BUILDPACK_DIR") or Path(__file__).resolve().parents[3])
    if phase == "detect":
        return EXIT_PASS if buildpack.detect(DetectContext(Path.cwd(), buildpack_dir, environ)) else EXIT_DETECT_FAIL
    if phase == "build":
        build_ctx = BuildContext(
            app_dir=Path.cwd(),
            buildpack_dir=buildpack_dir,
            layers_dir=_path_arg(environ, "CNB_LAYERS_DIR", args, 0),
            target=Target.from_env(dict(environ), platform.machine()),
            env=environ,
            buildpack_descriptor=toml_io.read(buildpack_dir / "buildpack.toml"),
        )
        buildpack.build(build_ctx)
        return EXIT_PASS
    raise UsageError(f"unknown phase {phase!r}: expected detect or build")
