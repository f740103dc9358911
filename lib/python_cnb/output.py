"""The only code that writes the build log. Format:

    [Section header]
    Plain step line
    Running 'pip install -r requirements.txt'
          indented output of the command
    [Warning: title]  / [Error: title]   (on stderr)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence, TextIO

from .redact import redact

__all__ = ["Output"]

INDENT = "      "


@dataclass
class Output:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], float] = time.monotonic
    secrets: list[str] = field(default_factory=list)

    def _write(self, stream: TextIO, text: str) -> None:
        stream.write(redact(text, self.secrets))
        stream.flush()

    def header(self, title: str) -> None:
        self._write(self.out, f"\n[{title}]\n")

    def step(self, text: str) -> None:
        self._write(self.out, f"{text}\n")

    def section(self, title: str, lines: Sequence[str]) -> None:
        """A header and its step lines; nothing at all when there are no lines."""
        if lines:
            self.header(title)
            for line in lines:
                self.step(line)

    def bullet_list(self, lines: Iterable[str]) -> None:
        for line in lines:
            self._write(self.out, f" - {line}\n")

    def command_line(self, line: str) -> None:
        """One line of a streamed subprocess's output, indented under its 'Running ...' step."""
        self._write(self.out, f"{INDENT}{line.rstrip()}\n" if line.strip() else "\n")

    def warning(self, title: str, body: str) -> None:
        self._write(self.err, f"\n[Warning: {title}]\n{body.rstrip()}\n")

    def error(self, title: str, body: str) -> None:
        self._write(self.err, f"\n[Error: {title}]\n{body.rstrip()}\n")
