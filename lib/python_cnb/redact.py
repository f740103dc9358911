"""Keep credentials out of logs, layer metadata and the image."""

from __future__ import annotations

import re
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["redact", "redact_url", "secrets_in_env"]

# scheme://userinfo@host  ->  scheme://****@host
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@")

# Shorter passwords are masked only inside URLs: replacing every "abc" in the log would hide more than it protects.
MIN_SECRET_LENGTH = 4
# A URL with a user name and no password (https://TOKEN@host) usually carries an access token as the "user";
# one this long is masked everywhere, a short one is taken for a plain user name.
MIN_TOKEN_LENGTH = 16

# Variables whose values may carry URLs with credentials.
SECRET_BEARING_VARS = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST",
                       "BP_PYTHON_MIRROR_URL", "BP_PYTHON_MANIFEST",
                       # the lockfile tools' own index settings (uv, Pipenv, PDM)
                       "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS",
                       "PIPENV_PYPI_MIRROR", "PDM_PYPI_URL")
# Variables whose whole value is a secret (masked when at least MIN_SECRET_LENGTH long).
SECRET_VARS = ("PDM_PYPI_PASSWORD",)


def redact_url(url: str) -> str:
    """The URL without user name and password (also usable as a cache key: credentials don't change packages)."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # a malformed URL (bad port, unclosed '['): mask by pattern
        return _URL_USERINFO.sub(r"\g<scheme>****@", url)
    return urlunsplit((parts.scheme, f"****@{host}", parts.path, parts.query, parts.fragment))


def secrets_in_env(env: Mapping[str, str]) -> list[str]:
    """The secret values embedded in URL-valued variables, to be masked wherever they show up in the log.

    URLs themselves are masked by their whole user:password@ part (see redact). Beyond that, only values that
    are secrets on their own are masked: passwords and a lone token (https://TOKEN@host), in raw and
    percent-decoded form. A user name is not a secret: masking it everywhere would turn an index user called
    "pip" into "****" throughout the log."""
    found: set[str] = set()
    for name in SECRET_BEARING_VARS:
        for token in env.get(name, "").split():
            for match in _URL_USERINFO.finditer(token):
                userinfo = match.group("userinfo")
                user, colon, password = userinfo.partition(":")
                candidates = [userinfo] if colon else []
                if colon and len(password) >= MIN_SECRET_LENGTH:
                    candidates.append(password)
                elif not colon and len(user) >= MIN_TOKEN_LENGTH:
                    candidates.append(user)
                found.update(candidates)
                found.update(unquote(c) for c in candidates)
    found.update(value for value in (env.get(name, "") for name in SECRET_VARS) if len(value) >= MIN_SECRET_LENGTH)
    return sorted((s for s in found if s), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    text = _URL_USERINFO.sub(r"\g<scheme>****@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text
