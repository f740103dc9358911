"""The reference builder's extension points: .s2i/environment and the .s2i/bin/{assemble,run} hooks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Optional

from .errors import S2iEnvironmentInvalid, S2iEnvironmentValueInvalid

__all__ = ["DEFAULT_ASSEMBLE_PATH", "DEFAULT_RUN_PATH", "find_hook", "parse_environment", "rewrite_hook"]

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
        raise S2iEnvironmentValueInvalid(
            line_number=line_number, name=key, reason="contains a NUL byte (\\0)",
            fix="Environment values cannot hold NUL bytes. Remove it (check the file's encoding: a UTF-16 file "
                "has one\nafter every ASCII character; save it as UTF-8).")
    size = len(f"{key}={value}".encode("utf-8", "surrogatepass")) + 1
    if size > MAX_ARG_STRLEN:
        raise S2iEnvironmentValueInvalid(
            line_number=line_number, name=key,
            reason=f"is {size} bytes long with its name, more than the {MAX_ARG_STRLEN} bytes Linux allows for "
                   "one environment\nvariable (MAX_ARG_STRLEN)",
            fix=f"No program could be started with it. Put the data in a file in the app and set {key} to "
                "its path,\nor shorten the value.")
    return value


def find_hook(app_dir: Path, name: str) -> Optional[Path]:
    path = app_dir / ".s2i" / "bin" / name
    return path if path.is_file() else None


def rewrite_hook(script: str, default_path: str, replacement: Path) -> str:
    return script.replace(default_path, str(replacement))
