"""The reference builder's extension points: .s2i/environment and the .s2i/bin/{assemble,run} hooks, and running an
assemble hook with the buildpack's default build stage in reach of what it sources."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

from .cnb.layer_env import Behavior, LayerEnv, Scope
from .errors import HookFailed, S2iEnvironmentInvalid, S2iEnvironmentValueInvalid
from .output import Output
from .utils import read_optional_text, run_streamed

__all__ = ["DEFAULT_ASSEMBLE_PATH", "DEFAULT_RUN_PATH", "find_hook", "parse_environment", "read_environment",
           "rewrite_hook", "run_assemble_hook"]

# The paths the reference document tells users to source. They do not exist in a CNB image, so hooks are run
# from a copy in which these strings point at the buildpack's own default stages.
DEFAULT_ASSEMBLE_PATH = "/usr/libexec/s2i/assemble"
DEFAULT_RUN_PATH = "/usr/libexec/s2i/run"

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Linux refuses to start a program when one "NAME=value" string of its environment, with its terminating NUL,
# is longer than MAX_ARG_STRLEN (32 pages); pip, hooks and the app would all fail with "Argument list too long".
MAX_ARG_STRLEN = 131072


def _unquote(value: str, line_number: int, line: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        if value[0] == '"':
            inner = re.sub(r'\\(["\\$`])', r"\1", inner)
        return inner
    if value[:1] in ("'", '"'):
        raise S2iEnvironmentInvalid(line_number=line_number, line=line)
    # An unquoted value ends at an inline comment (" #"), as in shell.
    return re.split(r"\s+#", value, maxsplit=1)[0].rstrip()


def parse_environment(contents: str) -> Dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; optional 'export '; single or double quotes."""
    result: Dict[str, str] = {}
    for number, raw in enumerate(contents.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise S2iEnvironmentInvalid(line_number=number, line=raw)
        result[key] = _checked(key, _unquote(value.strip(), number, raw), number)
    return result


def _checked(key: str, value: str, line_number: int) -> str:
    """Values that no process could receive in its environment fail here, naming the line, not later in a
    subprocess call."""
    if "\0" in value:
        raise S2iEnvironmentValueInvalid(line_number=line_number, name=key)
    size = len(f"{key}={value}".encode("utf-8", "surrogatepass")) + 1
    if size > MAX_ARG_STRLEN:
        raise S2iEnvironmentValueInvalid(line_number=line_number, name=key, size=size, limit=MAX_ARG_STRLEN)
    return value


def read_environment(root: Path) -> Dict[str, str]:
    """The app's .s2i/environment ({} when there is none)."""
    text = read_optional_text(root / ".s2i" / "environment")
    return parse_environment(text) if text is not None else {}


def find_hook(app_dir: Path, name: str) -> Optional[Path]:
    path = app_dir / ".s2i" / "bin" / name
    return path if path.is_file() else None


def rewrite_hook(script: str, default_path: str, replacement: Path) -> str:
    return script.replace(default_path, str(replacement))


def run_assemble_hook(out: Output, hook: Path, plan_json: str, pip: Sequence[str], env: Mapping[str, str],
                      cwd: Path) -> None:
    """Run .s2i/bin/assemble from a copy in which /usr/libexec/s2i/assemble is the buildpack's default build stage
    (the plan it runs, `plan_json`, written beside it), with `pip` and `pip3` on PATH running `pip` (the build-only
    pip against the app's environment), so that `pip install` in the hook installs into the app's environment."""
    out.header("Running .s2i/bin/assemble")
    text = read_optional_text(hook) or ""
    with tempfile.TemporaryDirectory(prefix="python-buildpack-assemble-") as tmp:
        tmp_dir = Path(tmp)
        plan_path = tmp_dir / "plan.json"
        plan_path.write_text(plan_json, encoding="utf-8")
        default_stage = tmp_dir / "default-assemble"
        entry = Path(__file__).resolve().parent.parent / "entry.py"
        default_stage.write_text(
            "# The Python buildpack's default build stage, for hooks that source /usr/libexec/s2i/assemble.\n"
            f"'{sys.executable}' -I '{entry}' assemble '{plan_path}' || exit $?\n", encoding="utf-8")
        script = tmp_dir / "assemble"
        script.write_text(rewrite_hook(text, DEFAULT_ASSEMBLE_PATH, default_stage), encoding="utf-8")
        script.chmod(0o755)
        shims = tmp_dir / "bin"
        shims.mkdir()
        argv = " ".join(f"'{part}'" for part in pip)
        for name in ("pip", "pip3"):
            shim = shims / name
            shim.write_text(f"#!/bin/sh\nexec {argv} \"$@\"\n", encoding="utf-8")
            shim.chmod(0o755)
        hook_env = LayerEnv().add(Scope.BUILD, Behavior.PREPEND, "PATH", str(shims), delimiter=":").apply(
            Scope.BUILD, env)
        cmd = [str(script)] if text.startswith("#!") else ["/bin/sh", str(script)]
        status = run_streamed(out, cmd, env=hook_env, cwd=cwd, shown=".s2i/bin/assemble")
    if status != 0:
        raise HookFailed(hook=".s2i/bin/assemble", exit_code=status)
