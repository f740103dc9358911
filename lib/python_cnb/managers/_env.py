"""Small pure helpers the manager modules share to build a tool's environment from the user's build env."""

from __future__ import annotations

from typing import Dict, Iterable, Mapping

__all__ = ["map_unless_set", "without"]


def without(env: Mapping[str, str], names: Iterable[str]) -> Dict[str, str]:
    """A copy of env without the given variables (settings that would send the tool somewhere else)."""
    drop = set(names)
    return {name: value for name, value in env.items() if name not in drop}


def map_unless_set(env: Dict[str, str], source: str, target: str, *also_target: str) -> None:
    """env[target] = env[source] when the user set source and none of the tool's own equivalents (target and
    also_target): a tool-specific setting the user gave explicitly always wins over the PIP_* one."""
    value = env.get(source, "").strip()
    if value and not any(env.get(name, "").strip() for name in (target, *also_target)):
        env[target] = value
