"""The one build environment every later decision and subprocess starts from: the platform's values (pack --env, the
dashboard) over the app's .s2i/environment, the S2I image's variable names resolved to the reference builder's, and
the secrets to mask in the log. Resolved once, at the start of the build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Tuple

from .redact import secrets_in_env
from .s2i import read_environment
from .s2i_compat import resolve_s2i_variables

__all__ = ["S2I_VARIABLES", "BuildEnv", "resolve_build_env"]

S2I_VARIABLES = "Variables of the S2I Python image"  # the log section of the notes


@dataclass(frozen=True)
class BuildEnv:
    env: Mapping[str, str]  # what the build reads: .s2i/environment < platform, S2I aliases resolved
    platform: Mapping[str, str]  # the platform's values as given (pack --env), for launch-time defaults
    s2i_file: Mapping[str, str]  # .s2i/environment as written
    root: Path  # the source's root (.s2i/ and BP_PYTHON_MANIFEST paths are relative to it)
    notes: Tuple[str, ...] = ()  # one log line per S2I image variable that was set
    sources: Mapping[str, str] = field(default_factory=dict)  # reference name -> the S2I alias that gave its value
    secrets: Tuple[str, ...] = ()  # values to mask in the log

    def get(self, name: str, default: str = "") -> str:
        return self.env.get(name, default)

    def named(self, name: str) -> str:
        """The variable the user set for `name` (its S2I alias when that gave the value), for error messages."""
        return self.sources.get(name, name)


def resolve_build_env(root: Path, platform: Mapping[str, str]) -> BuildEnv:
    s2i_file = read_environment(root)
    # Values from the platform win over .s2i/environment, as in s2i.
    given: Dict[str, str] = {**s2i_file, **platform}
    resolved = resolve_s2i_variables(given)
    return BuildEnv(env=resolved.env, platform=dict(platform), s2i_file=s2i_file, root=root, notes=resolved.notes,
                    sources=resolved.sources, secrets=tuple(secrets_in_env(given)))
