"""Pure helpers the methods share to build a tool's environment from the build env, and the one table that maps
pip's index settings onto uv's (uv reads no PIP_* variable)."""

from __future__ import annotations

from typing import Dict, Iterable, Mapping, Tuple

__all__ = ["PIP_TO_UV", "map_pip_settings_to_uv", "map_unless_set", "without"]

# (pip's variable, uv's, uv's older names for the same setting). uv's own variable wins when the user set it (or an
# older name of it). UV_DEFAULT_INDEX and UV_INDEX are what `uv sync --locked` checks the lock's index URLs against;
# `uv pip` reads them as it reads UV_INDEX_URL and UV_EXTRA_INDEX_URL.
PIP_TO_UV: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = (
    ("PIP_INDEX_URL", "UV_DEFAULT_INDEX", ("UV_INDEX_URL",)),
    ("PIP_EXTRA_INDEX_URL", "UV_INDEX", ("UV_EXTRA_INDEX_URL",)),
    ("PIP_TRUSTED_HOST", "UV_INSECURE_HOST", ()),
    ("PIP_CERT", "SSL_CERT_FILE", ()),  # uv's TLS ignores the system store otherwise
    ("PIP_CLIENT_CERT", "SSL_CLIENT_CERT", ()),
)


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


def map_pip_settings_to_uv(env: Dict[str, str]) -> None:
    for source, target, older in PIP_TO_UV:
        map_unless_set(env, source, target, *older)
