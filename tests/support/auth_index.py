"""A package index on 127.0.0.1 that requires HTTP basic auth (for service-binding credentials): the files of a
tests/support/package_index.py index, served only to requests with the right Authorization header; every request
is recorded (path and whether it was authorized), never its credentials."""

from __future__ import annotations

import base64
import contextlib
import functools
from pathlib import Path
from typing import Iterator, List, Tuple

from .http_server import QuietHandler, serve


class _AuthHandler(QuietHandler):
    def __init__(self, *args, expected: str, seen: List[Tuple[str, bool]], **kwargs) -> None:  # type: ignore[no-untyped-def]
        self._expected, self._seen = expected, seen
        super().__init__(*args, **kwargs)

    def _authorized(self) -> bool:
        ok = self.headers.get("Authorization", "") == self._expected
        self._seen.append((self.path, ok))
        if not ok:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.send_header("Content-Length", "0")
            self.end_headers()
        return ok

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        if self._authorized():
            super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802
        if self._authorized():
            super().do_HEAD()


@contextlib.contextmanager
def serve_with_auth(directory: Path, user: str, password: str) -> Iterator[Tuple[str, List[Tuple[str, bool]]]]:
    """(base URL without credentials, the requests seen as (path, authorized))."""
    seen: List[Tuple[str, bool]] = []
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    handler = functools.partial(_AuthHandler, expected=f"Basic {token}", seen=seen, directory=str(directory))
    with serve(handler) as url:
        yield url, seen
