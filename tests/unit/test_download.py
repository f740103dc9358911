"""URL checks, basic auth, status handling and the overall time limit of downloads, against a real HTTP server
on 127.0.0.1 (an ephemeral port)."""

from __future__ import annotations

import base64
import http.server
import io
import time
from pathlib import Path

import pytest
from python_cnb.download import DownloadError, fetch, request_for, url_problem
from python_cnb.errors import DownloadFailed, InvalidUrl, ManifestError, render_error
from python_cnb.layers.python import _obtain_archive
from python_cnb.manifest import PythonBuild, load_manifest
from python_cnb.output import Output
from support.http_server import serve


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        pytest.param("https://host.example/x", None, id="ok"),
        pytest.param("https://u:p@host.example:8443/x", None, id="ok-credentials-port"),
        pytest.param("http://[::1]:8080/x", None, id="ok-ipv6"),
        pytest.param("file:///srv/manifest.toml", None, id="ok-file"),
        pytest.param("https://host.example:abc/x", "its port is not a number", id="non-numeric-port"),
        pytest.param("https://host.example:99999/x", "its port is not a number", id="port-out-of-range"),
        pytest.param("https://host.example:/x", "empty port", id="empty-port"),
        pytest.param("https://host.example/my file.toml", "contains a space", id="space"),
        pytest.param("https://[::1/x", "unclosed or misplaced '['", id="unclosed-bracket"),
        pytest.param("https://host\x00.example/x", "control character", id="nul"),
        pytest.param("ftp://host.example/x", "the scheme ftp:// is not one of", id="ftp"),
        pytest.param("https:///x", "no host name", id="no-host"),
        pytest.param("https://" + "a" * 70 + ".example/x", "host name is not valid", id="label-too-long"),
        pytest.param("file://", "names no file", id="file-empty"),
    ],
)
def test_url_problem(url, problem):
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_credentials_become_basic_auth_and_leave_the_url():
    request = request_for("https://user%40corp:t%3Aoken@mirror.example:8443/pbs/x.tar.gz")
    assert request.full_url == "https://mirror.example:8443/pbs/x.tar.gz"
    assert request.unredirected_hdrs["Authorization"] == "Basic " + base64.b64encode(b"user@corp:t:oken").decode()
    assert "Authorization" not in request.headers  # not forwarded on a redirect
    assert not request_for("https://mirror.example/x").unredirected_hdrs


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[tuple[str, str]] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append((self.path, self.headers.get("Authorization", "")))
        if self.path == "/missing":
            self.send_error(404, "Not Found")
        elif self.path == "/broken":
            self.send_error(503, "Service Unavailable")
        elif self.path == "/private":
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"ci:s3cret").decode():
                self.send_error(401, "Unauthorized")
                return
            self._body(b"secret body")
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self._body(b"hello")

    def _body(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    _Handler.hits = []
    with serve(_Handler) as url:
        yield url


def test_fetch_sends_credentials_as_basic_auth(server):
    buffer = io.BytesIO()
    fetch(server.replace("http://", "http://ci:s3cret@") + "/private", buffer, time_limit=10)
    assert buffer.getvalue() == b"secret body"


@pytest.mark.parametrize(
    ("path", "reason", "retryable"),
    [
        pytest.param("/missing", "the server answered HTTP 404 Not Found (no file at this URL)", False, id="404"),
        pytest.param("/private", "the server answered HTTP 401 Unauthorized (check the user name", False, id="401"),
        pytest.param("/broken", "the server answered HTTP 503 Service Unavailable", True, id="503"),
    ],
)
def test_fetch_status_errors(server, path, reason, retryable):
    with pytest.raises(DownloadError) as info:
        fetch(server + path, io.BytesIO(), time_limit=10)
    assert info.value.reason.startswith(reason)
    assert info.value.retryable is retryable


def test_fetch_overall_time_limit(server):
    started = time.monotonic()
    with pytest.raises(DownloadError) as info:
        fetch(server + "/slow", io.BytesIO(), time_limit=1)
    assert time.monotonic() - started < 3
    assert "longer than the time limit of 1 seconds" in info.value.reason


def test_fetch_size_limit(server):
    with pytest.raises(DownloadError, match="larger than 3 bytes"):
        fetch(server + "/hello", io.BytesIO(), max_bytes=3, time_limit=10)


def test_unreachable_host_and_missing_file(tmp_path):
    with pytest.raises(DownloadError) as info:
        fetch((tmp_path / "nope.toml").as_uri(), io.BytesIO(), time_limit=5)
    assert not info.value.retryable


def _build(url: str) -> PythonBuild:
    return PythonBuild("3.12.1", "amd64", url, "0" * 64)


def test_archive_404_is_not_retried_and_names_the_url(server, tmp_path):
    out = Output(out=io.StringIO(), err=io.StringIO())
    url = server.replace("http://", "http://ci:s3cret@") + "/missing"
    with pytest.raises(DownloadFailed) as info:
        _obtain_archive(_build(url), out, None, tmp_path, sleep=lambda _: None)
    assert _Handler.hits == [("/missing", "Basic " + base64.b64encode(b"ci:s3cret").decode())]
    title, body = render_error(info.value)
    assert f"Downloading {server.replace('http://', 'http://****@')}/missing failed: the server answered HTTP 404" \
        in body
    assert "s3cret" not in body
    assert not list(tmp_path.iterdir()), "the partial download is removed"


def test_archive_5xx_is_retried(server, tmp_path):
    log = io.StringIO()
    with pytest.raises(DownloadFailed) as info:
        _obtain_archive(_build(server + "/broken"), Output(out=log, err=io.StringIO()), None, tmp_path,
                        sleep=lambda _: None)
    assert len(_Handler.hits) == 3
    assert "Download attempt 1 failed (the server answered HTTP 503" in log.getvalue()
    assert info.value.reason.endswith("(after 3 attempts)")


def test_archive_time_limit_covers_all_attempts(server, tmp_path):
    ticks = iter(range(0, 10_000, 400))
    with pytest.raises(DownloadFailed) as info:
        _obtain_archive(_build(server + "/broken"), Output(out=io.StringIO(), err=io.StringIO()), None, tmp_path,
                        clock=lambda: float(next(ticks)), sleep=lambda _: None, time_limit=1000)
    assert "longer than the time limit of 1000 seconds" in info.value.reason


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        pytest.param("BP_PYTHON_MANIFEST", "https://host.example:8o8o/m.toml", "its port is not a number",
                     id="manifest-port"),
        pytest.param("BP_PYTHON_MANIFEST", "https://host.example/my manifest.toml", "contains a space",
                     id="manifest-space"),
        pytest.param("BP_PYTHON_MIRROR_URL", "https://[mirror.example/pbs", "unclosed or misplaced '['",
                     id="mirror-bracket"),
        pytest.param("BP_PYTHON_MIRROR_URL", "https://u:zz9secret@mirror.example:x/pbs", "its port is not a number",
                     id="mirror-port-credentials"),
    ],
)
def test_malformed_urls_fail_before_any_download(variable, value, fragment, tmp_path):
    descriptor = {"metadata": {"python": [{"version": "3.12.1", "arch": "amd64", "sha256": "0" * 64,
                                           "url": "https://github.com/astral-sh/python-build-standalone/"
                                                  "releases/download/x/cpython.tar.gz"}]}}
    with pytest.raises(InvalidUrl) as info:
        load_manifest(descriptor, {variable: value}, tmp_path)
    title, body = render_error(info.value)
    assert title == "Invalid URL"
    assert body.startswith(f"{variable} is set to ") and fragment in body and "zz9secret" not in body


@pytest.mark.parametrize(
    ("contents", "fragment"),
    [
        pytest.param(b"\xff\xfe[\x00", "could not be read", id="utf16"),
        pytest.param(b"[[python]]\nversion = ", "not valid TOML", id="bad-toml"),
        pytest.param(b"python = 3", "no [[python]] entries", id="wrong-type"),
        pytest.param(b'[[python]]\nversion="3.12.1"\narch="amd64"\nsha256="' + b"0" * 64 + b'"\nurl="http://h:x/"',
                     "entry 1 has url 'http://h:x/', not usable: its port", id="entry-url"),
    ],
)
def test_garbage_manifest_files(tmp_path, contents, fragment):
    (tmp_path / "m.toml").write_bytes(contents)
    with pytest.raises(ManifestError) as info:
        load_manifest({}, {"BP_PYTHON_MANIFEST": "m.toml"}, tmp_path)
    assert fragment in info.value.reason


@pytest.mark.parametrize("location", ["does-not-exist.toml", ".", "x" * 300, "a\0b"])
def test_unreadable_manifest_paths(tmp_path, location):
    with pytest.raises(ManifestError) as info:
        load_manifest({}, {"BP_PYTHON_MANIFEST": location}, tmp_path)
    assert info.value.reason.startswith("it could not be read (")


def test_manifest_404_names_the_status(server, tmp_path):
    with pytest.raises(ManifestError) as info:
        load_manifest({}, {"BP_PYTHON_MANIFEST": server + "/missing"}, tmp_path)
    assert info.value.reason == ("it could not be downloaded: "
                                 "the server answered HTTP 404 Not Found (no file at this URL)")


def test_manifest_over_https_credentials(server, tmp_path):
    # The handler answers /private only with the right basic auth; "secret body" is then not TOML.
    with pytest.raises(ManifestError) as info:
        load_manifest({}, {"BP_PYTHON_MANIFEST": server.replace("http://", "http://ci:s3cret@") + "/private"},
                      Path(tmp_path))
    assert info.value.reason.startswith("it is not valid TOML")
