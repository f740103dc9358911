"""A quiet HTTP server on 127.0.0.1 (an ephemeral port) in a daemon thread, for the tests and the benchmark:
`serve_directory` serves a directory's files; `serve` takes any request handler (a test's scripted one)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path
from typing import Callable, ContextManager, Iterator, Union


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """The standard library's static-file handler without its request log on stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve with `handler` on 127.0.0.1 only, on a port the system picks; yields the base URL
    (`http://127.0.0.1:PORT`, no trailing slash). On exit the server stops and its socket is closed."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve_directory(directory: Union[str, Path]) -> ContextManager[str]:
    """Serve the files under `directory` (read at each request, so files written later are served too):
    `with serve_directory(path) as url: ...`."""
    return serve(functools.partial(QuietHandler, directory=str(directory)))
