"""The reference builder's extension points: .s2i/environment and the .s2i/bin/{assemble,run} hooks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Optional

from .errors import S2iEnvironmentInvalid

__all__ = ["DEFAULT_ASSEMBLE_PATH", "DEFAULT_RUN_PATH", "find_hook", "parse_environment", "rewrite_hook"]

# The paths the reference document tells users to source. They do not exist in a CNB image, so hooks are run
# from a copy in which these strings point at the buildpack's own default stages.
DEFAULT_ASSEMBLE_PATH = "/usr/libexec/s2i/assemble"
DEFAULT_RUN_PATH = "/usr/libexec/s2i/run"

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
        result[key] = _unquote(value.strip(), number, raw)
    return result


def find_hook(app_dir: Path, name: str) -> Optional[Path]:
    path = app_dir / ".s2i" / "bin" / name
    return path if path.is_file() else None


def rewrite_hook(script: str, default_path: str, replacement: Path) -> str:
    return script.replace(default_path, str(replacement))
