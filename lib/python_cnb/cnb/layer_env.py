"""Environment deltas for layers, as data: written to env/ dirs and applied (for tests and the harness) the
way the lifecycle does (spec: Environment Variable Modification Rules)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

__all__ = ["Behavior", "LayerEnv", "Scope", "apply_env_dir"]


class Scope(enum.Enum):
    ALL = "env"
    BUILD = "env.build"
    LAUNCH = "env.launch"


class Behavior(enum.Enum):
    OVERRIDE = "override"
    DEFAULT = "default"
    PREPEND = "prepend"
    APPEND = "append"


@dataclass(frozen=True)
class _Entry:
    scope: Scope
    behavior: Behavior
    name: str
    value: str
    delimiter: str | None


@dataclass
class LayerEnv:
    entries: list[_Entry] = field(default_factory=list)

    def add(
        self, scope: Scope, behavior: Behavior, name: str, value: str, delimiter: str | None = None
    ) -> LayerEnv:
        if behavior in (Behavior.PREPEND, Behavior.APPEND) and delimiter is None:
            # Without a .delim file the lifecycle concatenates with no separator at all.
            raise ValueError(f"{name}: prepend/append needs a delimiter")
        self.entries.append(_Entry(scope, behavior, name, value, delimiter))
        return self

    def write(self, layer_dir: Path) -> None:
        """Write env/, env.build/ and env.launch/ files. Values get no trailing newline (it would be kept)."""
        for entry in self.entries:
            directory = layer_dir / entry.scope.value
            directory.mkdir(parents=True, exist_ok=True)
            (directory / f"{entry.name}.{entry.behavior.value}").write_text(entry.value, encoding="utf-8")
            if entry.delimiter is not None:
                (directory / f"{entry.name}.delim").write_text(entry.delimiter, encoding="utf-8")

    def apply(self, scope: Scope, env: Mapping[str, str]) -> dict[str, str]:
        """The environment a process in `scope` sees after this delta (ALL entries first, then the scope's)."""
        result = dict(env)
        for wanted in (Scope.ALL, scope) if scope is not Scope.ALL else (Scope.ALL,):
            for entry in self.entries:
                if entry.scope is wanted:
                    _apply_one(result, entry.behavior, entry.name, entry.value, entry.delimiter or "")
        return result


def _apply_one(env: dict[str, str], behavior: Behavior, name: str, value: str, delim: str) -> None:
    old = env.get(name, "")
    if behavior is Behavior.OVERRIDE:
        env[name] = value
    elif behavior is Behavior.DEFAULT:
        if not old:
            env[name] = value
    elif behavior is Behavior.PREPEND:
        env[name] = value + delim + old if old else value
    else:
        env[name] = old + delim + value if old else value


def apply_env_dir(directory: Path, env: dict[str, str]) -> None:
    """Apply one env dir as the lifecycle does: file name up to the first '.' is the variable, no suffix means
    override, .delim sets the separator for prepend/append in the same dir, contents are used verbatim."""
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        name, _, suffix = path.name.partition(".")
        if suffix == "delim":
            continue
        value = path.read_text(encoding="utf-8")
        delim_file = directory / f"{name}.delim"
        delim = delim_file.read_text(encoding="utf-8") if delim_file.exists() else ""
        behavior = {"": Behavior.OVERRIDE, "override": Behavior.OVERRIDE, "default": Behavior.DEFAULT,
                    "prepend": Behavior.PREPEND, "append": Behavior.APPEND}.get(suffix)
        if behavior is None:
            continue
        _apply_one(env, behavior, name, value, delim)

