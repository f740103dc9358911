"""Downloads from user-chosen URLs (BP_PYTHON_MANIFEST, BP_PYTHON_MIRROR_URL and the manifest's entries).

- URLs are checked before anything is fetched (url_problem), so a typo is reported as such and not as whatever
  urllib or http.client happens to raise for it.
- Credentials in the URL (https://user:token@host/...) are sent as HTTP basic auth: urllib alone would take
  them for part of the host name. The header is not forwarded on redirects (to another host, say).
- One overall time limit covers the whole download, however slowly the server trickles bytes.
- DownloadError says whether a retry can help: an HTTP 4xx answer (404 and friends) will not change.
"""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, BinaryIO, Callable, Optional, Sequence
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:  # the network modules load when something is fetched: a cached build fetches nothing
    import socket
    import ssl
    import urllib.error
    import urllib.request

__all__ = ["DownloadError", "fetch", "request_for", "url_problem"]

CHUNK = 1 << 20
# Client errors that can change on a retry: request timeout and rate limiting.
_RETRYABLE_4XX = (408, 429)


class DownloadError(Exception):
    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def url_problem(url: str, schemes: Sequence[str] = ("http", "https", "file")) -> Optional[str]:
    """Why `url` cannot be downloaded from, in words for the user, or None when it can."""
    if any(c.isspace() for c in url):
        return "it contains a space or other white space (percent-encode it, for example %20)"
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        return "it contains a control character"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a non-numeric or out-of-range port
    except ValueError as exc:
        text = str(exc)
        if "IPv6" in text:
            return "its host has an unclosed or misplaced '[' (an IPv6 address is written as [::1])"
        if "Port" in text or "port" in text:
            return "its port is not a number from 0 to 65535"
        return text
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        shown = ", ".join(f"{s}://" for s in schemes)
        return f"it must start with {shown}" if not scheme else f"the scheme {scheme}:// is not one of {shown}"
    if scheme in ("http", "https"):
        if not parts.hostname:
            return "it has no host name"
        if parts.port is None and parts.netloc.endswith(":"):
            return "it has an empty port after ':'"
        try:
            parts.hostname.encode("idna")
        except UnicodeError:
            return "its host name is not valid"
        if port == 0:
            return "its port is not a number from 1 to 65535"
    elif scheme == "file" and not parts.path:
        return "it names no file"
    return None


def request_for(url: str) -> urllib.request.Request:
    """A request for `url`, with user and password moved from the URL to an Authorization header."""
    import urllib.request

    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return urllib.request.Request(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    request = urllib.request.Request(urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)))
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    # Unredirected: a redirect to another host (a CDN) must not receive the credentials.
    request.add_unredirected_header("Authorization", f"Basic {token}")
    return request


def _status_reason(exc: urllib.error.HTTPError) -> str:
    reason = f"the server answered HTTP {exc.code}" + (f" {exc.reason}" if exc.reason else "")
    if exc.code in (401, 403):
        reason += " (check the user name and token in the URL)"
    elif exc.code == 404:
        reason += " (no file at this URL)"
    return reason


def fetch(url: str, dest: BinaryIO, *, time_limit: float, max_bytes: Optional[int] = None,
          clock: Callable[[], float] = time.monotonic, context: Optional[ssl.SSLContext] = None) -> None:
    """Copy the body at `url` into `dest`, within `time_limit` seconds in all (TLS verified with `context`, by
    default the system's certificates). Raises DownloadError."""
    import http.client
    import socket
    import urllib.error
    import urllib.request

    started = clock()

    def remaining() -> float:
        left = time_limit - (clock() - started)
        if left <= 0:
            raise DownloadError(f"it took longer than the time limit of {time_limit:.0f} seconds", retryable=False)
        return left

    try:
        with urllib.request.urlopen(request_for(url), timeout=remaining(),  # noqa: S310 - checked
                                    context=context) as response:
            received = 0
            # read1: whatever has arrived (up to CHUNK), so a trickling server meets the time limit checks.
            read = getattr(response, "read1", response.read)
            while True:
                sock = _socket_of(response)
                if sock is not None:
                    sock.settimeout(remaining())
                chunk = read(CHUNK)
                if not chunk:
                    break
                received += len(chunk)
                if max_bytes is not None and received > max_bytes:
                    raise DownloadError(f"it is larger than {max_bytes} bytes", retryable=False)
                dest.write(chunk)
                remaining()
    except urllib.error.HTTPError as exc:
        raise DownloadError(_status_reason(exc), retryable=exc.code >= 500 or exc.code in _RETRYABLE_4XX) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        if isinstance(reason, socket.gaierror):
            text = f"the host name could not be resolved ({text})"
        raise DownloadError(text, retryable=not isinstance(reason, FileNotFoundError)) from None
    except (TimeoutError, socket.timeout):
        remaining()  # the overall limit, if that is what ran out
        raise DownloadError("the server stopped answering (timed out)", retryable=True) from None
    except (http.client.HTTPException, ConnectionError) as exc:
        raise DownloadError(f"the connection failed ({type(exc).__name__}: {exc})", retryable=True) from None
    except OSError as exc:
        raise DownloadError(exc.strerror or str(exc), retryable=False) from None
    except ValueError as exc:  # what urllib and http.client still raise for a URL they dislike
        raise DownloadError(f"the URL was refused ({exc})", retryable=False) from None


def _socket_of(response: object) -> Optional[socket.socket]:
    """The socket under an http.client response (None for file:// and anything unexpected)."""
    import socket

    fp = getattr(response, "fp", None)
    raw = getattr(fp, "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None
