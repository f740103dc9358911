"""Package index credentials from service bindings (the CNB and servicebinding.io layout: `$SERVICE_BINDING_ROOT`,
else `<platform>/bindings`; one directory per binding with a `type` file). kpack refuses secrets in build env, so
this is how a private index's credentials reach a build there.

- type `pip`: the binding's `pip.conf` ([global] and [install]); its index settings become the PIP_* variables
  (index-url -> PIP_INDEX_URL, ...) unless the build env sets them, so every tool gets them the way it gets those
  (uv's UV_* mapping, Pipenv, Poetry's source credentials).
- type `netrc`: the binding's `.netrc`, as NETRC (pip, uv and Pipenv read it; Poetry gets its sources' credentials
  from it).

Build-only: the values go into the build env the tools run with, never into a layer's env, its metadata or a file
the build writes; every password they hold is masked in the log."""

from __future__ import annotations

import configparser
import netrc
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Tuple

from .errors import BindingInvalid
from .redact import secrets_in_env

__all__ = ["BindingSettings", "PIP_CONF_KEYS", "binding_settings", "find_bindings", "netrc_credentials"]

# pip.conf keys whose values decide where packages come from, and the variable each becomes.
PIP_CONF_KEYS = {"index-url": "PIP_INDEX_URL", "extra-index-url": "PIP_EXTRA_INDEX_URL",
                 "trusted-host": "PIP_TRUSTED_HOST", "find-links": "PIP_FIND_LINKS", "cert": "PIP_CERT",
                 "client-cert": "PIP_CLIENT_CERT", "no-index": "PIP_NO_INDEX"}
_TYPES = {"pip": "pip.conf", "netrc": ".netrc"}


@dataclass(frozen=True)
class Binding:
    name: str
    type: str  # 'pip' or 'netrc' (others are not this buildpack's)
    path: Path  # the binding's directory


@dataclass(frozen=True)
class BindingSettings:
    env: Mapping[str, str]  # the variables to add to the build env
    notes: Tuple[str, ...]  # for the log: which binding gave what (names only, never values)
    secrets: Tuple[str, ...]  # values to mask in the log


def find_bindings(env: Mapping[str, str]) -> List[Binding]:
    """The pip and netrc bindings, by name. A binding of another type is someone else's and is left alone."""
    root_value = env.get("SERVICE_BINDING_ROOT", "").strip()
    platform = env.get("CNB_PLATFORM_DIR", "").strip()
    root = Path(root_value) if root_value else Path(platform) / "bindings" if platform else None
    if root is None or not root.is_dir():
        return []
    found = []
    for directory in sorted(root.iterdir()):
        try:
            kind = (directory / "type").read_text(encoding="utf-8").strip().lower()
        except (OSError, UnicodeDecodeError):
            continue
        if kind in _TYPES:
            found.append(Binding(directory.name, kind, directory))
    return found


def _pip_conf(binding: Binding) -> Dict[str, str]:
    """{PIP_NAME: value} of the binding's pip.conf index settings."""
    path = binding.path / _TYPES["pip"]
    parser = configparser.RawConfigParser()
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise BindingInvalid(name=binding.name, type=binding.type, file=_TYPES["pip"],
                             problem="there is no such file in the binding") from None
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise BindingInvalid(name=binding.name, type=binding.type, file=_TYPES["pip"],
                             problem=f"it cannot be read ({type(exc).__name__})") from None
    found: Dict[str, str] = {}
    for section in ("global", "install"):
        if parser.has_section(section):
            for key, value in parser.items(section):
                name = PIP_CONF_KEYS.get(key.lower())
                if name is not None and value.strip():
                    found[name] = " ".join(value.split())
    if not found:
        raise BindingInvalid(name=binding.name, type=binding.type, file=_TYPES["pip"],
                             problem="it sets none of " + ", ".join(PIP_CONF_KEYS) + " in [global] or [install]")
    return found


def netrc_credentials(path: Path) -> Dict[str, Tuple[str, str]]:
    """{host: (login, password)} of a .netrc file."""
    parsed = netrc.netrc(str(path))
    return {host: (login or "", password or "") for host, (login, _, password) in parsed.hosts.items()}


def _netrc(binding: Binding) -> Tuple[str, List[str]]:
    path = binding.path / _TYPES["netrc"]
    try:
        hosts = netrc_credentials(path)
    except FileNotFoundError:
        raise BindingInvalid(name=binding.name, type=binding.type, file=_TYPES["netrc"],
                             problem="there is no such file in the binding") from None
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError) as exc:
        line = f" (line {exc.lineno})" if isinstance(exc, netrc.NetrcParseError) and exc.lineno else ""
        raise BindingInvalid(name=binding.name, type=binding.type, file=_TYPES["netrc"],
                             problem=f"it cannot be read{line}") from None
    return str(path), [password for _, password in hosts.values() if password]


def binding_settings(bindings: List[Binding], env: Mapping[str, str]) -> BindingSettings:
    """What the bindings add to the build env: a setting the build env already has wins, with a note."""
    added: Dict[str, str] = {}
    notes: List[str] = []
    secrets: List[str] = []
    for binding in bindings:
        if binding.type == "pip":
            values = _pip_conf(binding)
        else:
            path, passwords = _netrc(binding)
            values = {"NETRC": path}
            secrets.extend(passwords)
        used = [name for name in values if name not in env and name not in added]
        kept = [name for name in values if name in env]
        added.update({name: values[name] for name in used})
        if used:
            notes.append(f"Service binding {binding.name} (type {binding.type}): {', '.join(used)} for the build "
                         "only")
        if kept:
            notes.append(f"Service binding {binding.name} (type {binding.type}): {', '.join(kept)} already set in "
                         "the build env, which wins")
    secrets.extend(secrets_in_env(added))
    return BindingSettings(env=added, notes=tuple(notes), secrets=tuple(dict.fromkeys(s for s in secrets if s)))

