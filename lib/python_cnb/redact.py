"""Keep credentials out of logs, layer metadata and the image."""

from __future__ import annotations

import re
from typing import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

__all__ = ["redact", "redact_url", "secrets_in_env"]

# scheme://userinfo@host  ->  scheme://****@host
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@")

# Variables whose values may carry URLs with credentials.
SECRET_BEARING_VARS = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST",
                       "BP_PYTHON_MIRROR_URL", "BP_PYTHON_MANIFEST")


def redact_url(url: str) -> str:
    """The URL without user name and password (also usable as a cache key: credentials don't change packages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _URL_USERINFO.sub(r"\g<scheme>****@", url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"****@{host}", parts.path, parts.query, parts.fragment))


def secrets_in_env(env: Mapping[str, str]) -> list[str]:
    """The user names and passwords embedded in URL-valued variables, to be masked wherever they show up."""
    found: list[str] = []
    for name in SECRET_BEARING_VARS:
        for token in env.get(name, "").split():
            for match in _URL_USERINFO.finditer(token):
                userinfo = match.group("userinfo")
                found.append(userinfo)
                found.extend(part for part in userinfo.split(":") if len(part) >= 3)
    return sorted(set(found), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    text = _URL_USERINFO.sub(r"\g<scheme>****@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text
