"""A pinned tool that is one binary in a platform wheel (uv), fetched straight from the package index.

`pip install uv==X` costs about 3 s of a cold build, most of it pip starting from the interpreter's bundled wheel
and installing a 40 MB binary it first unpacks into a venv. The wheel itself is a single download (0.1 to 0.5 s)
that can run while the interpreter is unpacked. This module finds it on the index pip would use (PIP_INDEX_URL,
else PyPI) through the simple repository API (PEP 691 JSON, or the PEP 503 HTML every index serves), picks the file
whose platform tag fits this machine best, checks the sha256 the index states, and unpacks the wheel's scripts.

It only does what pip would do with the same settings, read as pip reads them (its configuration files, then PIP_*
variables): the index URL (with credentials) and the certificate bundle. When the user has pip settings it does not
follow (extra indexes, find-links, trusted hosts, a proxy or client certificate for pip, ...),
`settings_it_does_not_follow` names them and the caller runs pip instead. Any failure (an index without the file,
a TLS error, a hash mismatch) is a FetchFailed, and the caller falls back to pip as well.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from ._vendor.packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from .download import DownloadError, fetch, request_for, url_problem
from .redact import redact, redact_url

if TYPE_CHECKING:  # the network, HTML and zip modules load when a tool is fetched: a cached build fetches nothing
    import ssl

__all__ = ["FetchFailed", "WheelFile", "choose_wheel", "fetch_wheel", "parse_project_page", "pip_settings",
           "project_file_names", "settings_it_does_not_follow", "unpack_scripts", "with_index_credentials"]

DEFAULT_INDEX = "https://pypi.org/simple"
# PIP_* variables that do not change which file pip would fetch for a pinned binary-only wheel, or how.
_NEUTRAL_PIP_VARIABLES = frozenset({
    "PIP_INDEX_URL", "PIP_CERT", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_INPUT",
    "PIP_PROGRESS_BAR", "PIP_UPGRADE", "PIP_NO_COMPILE", "PIP_COMPILE", "PIP_DEFAULT_TIMEOUT", "PIP_TIMEOUT",
    "PIP_RETRIES", "PIP_QUIET", "PIP_VERBOSE", "PIP_ROOT_USER_ACTION", "PIP_PRE", "PIP_PREFER_BINARY",
    "PIP_ONLY_BINARY", "PIP_REQUIRE_VIRTUALENV", "PIP_BREAK_SYSTEM_PACKAGES", "PIP_EXISTS_ACTION", "PIP_SRC",
    "PIP_NO_WARN_SCRIPT_LOCATION", "PIP_NO_PYTHON_VERSION_WARNING", "PIP_UPGRADE_STRATEGY", "PIP_USER",
})
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
PAGE_LIMIT_BYTES = 32 << 20


class FetchFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WheelFile:
    filename: str
    url: str
    sha256: str  # "" when the index states none (then the wheel is not taken)


def _pip_config_files(env: Mapping[str, str]) -> List[Path]:
    """The configuration files pip reads on Linux, in its order (later ones win): global, user, PIP_CONFIG_FILE.
    PIP_CONFIG_FILE=/dev/null: none at all."""
    config = env.get("PIP_CONFIG_FILE", "").strip()
    if config == os.devnull:
        return []
    config_dirs = [d for d in env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":") if d]
    files = [Path(d) / "pip" / "pip.conf" for d in config_dirs] + [Path("/etc/pip.conf")]
    home = env.get("HOME", "")
    if home:
        files += [Path(home) / ".pip" / "pip.conf",
                  Path(env.get("XDG_CONFIG_HOME") or f"{home}/.config") / "pip" / "pip.conf"]
    if config:
        files.append(Path(config))
    return files


def pip_settings(env: Mapping[str, str]) -> Dict[str, Tuple[str, str]]:
    """What pip's `install` would use: {PIP_NAME: (value, where it is set)} from its configuration files
    ([global], then [install]) and PIP_* variables, which win. A file pip could not read either is an entry
    PIP_CONFIG_FILE naming it."""
    found: Dict[str, Tuple[str, str]] = {}
    for path in _pip_config_files(env):
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            found["PIP_CONFIG_FILE"] = (str(path), str(path))
            continue
        for section in ("global", "install"):
            if parser.has_section(section):
                for key, value in parser.items(section):
                    found["PIP_" + key.upper().replace("-", "_")] = (value.strip(), f"{key} in {path}")
    for name, value in env.items():
        if name.startswith("PIP_") and name != "PIP_CONFIG_FILE" and value.strip():
            found[name] = (value.strip(), name)
    return found


def settings_it_does_not_follow(env: Mapping[str, str]) -> List[str]:
    """The user's pip settings a direct fetch would ignore (then pip must install the tool), as shown to them."""
    return sorted(where for name, (_, where) in pip_settings(env).items() if name not in _NEUTRAL_PIP_VARIABLES)


def parse_project_page(body: bytes, content_type: str, page_url: str) -> List[WheelFile]:
    """The files of a simple-API project page (PEP 691 JSON or PEP 503 HTML), yanked ones left out."""
    files: List[WheelFile] = []
    if "json" in content_type:
        data = json.loads(body)
        for entry in data.get("files", []):
            if entry.get("yanked"):
                continue
            url, fragment = urldefrag(urljoin(page_url, entry["url"]))
            sha256 = (entry.get("hashes") or {}).get("sha256", "")
            files.append(WheelFile(entry["filename"], url, sha256 or _fragment_sha256(fragment)))
        return files
    import html.parser

    class _Anchors(html.parser.HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.links: List[Tuple[Dict[str, Optional[str]], str]] = []
            self._open: Optional[Dict[str, Optional[str]]] = None
            self._text: List[str] = []

        def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
            if tag == "a":
                self._open, self._text = dict(attrs), []

        def handle_data(self, data: str) -> None:
            if self._open is not None:
                self._text.append(data)

        def handle_endtag(self, tag: str) -> None:
            if tag == "a" and self._open is not None:
                self.links.append((self._open, "".join(self._text).strip()))
                self._open = None

    parser = _Anchors()
    parser.feed(body.decode("utf-8", errors="replace"))
    for attrs, text in parser.links:
        href = attrs.get("href")
        if not href or "data-yanked" in attrs:
            continue
        url, fragment = urldefrag(urljoin(page_url, href))
        filename = text or url.rsplit("/", 1)[-1]
        files.append(WheelFile(filename, url, _fragment_sha256(fragment)))
    return files


def _fragment_sha256(fragment: str) -> str:
    algorithm, _, value = fragment.partition("=")
    return value if algorithm == "sha256" else ""


def choose_wheel(files: Iterable[WheelFile], name: str, version: str, tags: List[str]) -> Optional[WheelFile]:
    """The wheel of name==version whose tags rank best in `tags` (this machine's, best first)."""
    rank = {tag: index for index, tag in enumerate(tags)}
    best: Optional[Tuple[int, WheelFile]] = None
    for candidate in files:
        if not candidate.filename.endswith(".whl"):
            continue
        try:
            wheel_name, wheel_version, _, wheel_tags = parse_wheel_filename(candidate.filename)
        except InvalidWheelFilename:
            continue
        if wheel_name != canonicalize_name(name) or str(wheel_version) != version:
            continue
        score = min((rank[str(tag)] for tag in wheel_tags if str(tag) in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, candidate)
    return best[1] if best else None


def _ssl_context(env: Mapping[str, str], settings: Mapping[str, Tuple[str, str]]) -> Optional[ssl.SSLContext]:
    cafile = settings["PIP_CERT"][0] if "PIP_CERT" in settings else next(
        (env[name] for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if env.get(name, "").strip()), "")
    if not cafile:
        return None
    import ssl

    try:
        if os.path.isdir(cafile):
            return ssl.create_default_context(capath=cafile)
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise FetchFailed(f"the certificate bundle {cafile} could not be read ({exc})") from None


def _get_page(url: str, context: Optional[ssl.SSLContext], time_limit: float) -> Tuple[bytes, str, str]:
    import urllib.error
    import urllib.request

    request = request_for(url)
    request.add_header("Accept", _ACCEPT)
    try:
        with urllib.request.urlopen(request, timeout=time_limit, context=context) as response:  # noqa: S310 - checked
            body = response.read(PAGE_LIMIT_BYTES + 1)
            if len(body) > PAGE_LIMIT_BYTES:
                raise FetchFailed(f"the index page {redact_url(url)} is larger than {PAGE_LIMIT_BYTES} bytes")
            return body, response.headers.get("Content-Type", ""), response.geturl()
    except urllib.error.HTTPError as exc:
        raise FetchFailed(f"{redact_url(url)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchFailed(f"{redact_url(url)} could not be read ({redact(str(exc))})") from None


def _project_page(name: str, env: Mapping[str, str],
                  time_limit: float) -> Tuple[List[WheelFile], str, str, Optional[ssl.SSLContext]]:
    """(the files of `name`'s page on the index pip would use, the page's URL, the index URL, the TLS context)."""
    settings = pip_settings(env)
    index = settings.get("PIP_INDEX_URL", ("", ""))[0] or DEFAULT_INDEX
    problem = url_problem(index, ("http", "https"))
    if problem:
        raise FetchFailed(f"the index URL {redact_url(index)} cannot be used: {problem}")
    context = _ssl_context(env, settings)
    page_url = f"{index.rstrip('/')}/{canonicalize_name(name)}/"
    body, content_type, final_url = _get_page(page_url, context, time_limit)
    try:
        return parse_project_page(body, content_type, final_url), page_url, index, context
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchFailed(f"the index page {redact_url(page_url)} could not be parsed ({exc})") from None


def project_file_names(name: str, env: Mapping[str, str], time_limit: float = 30.0) -> List[str]:
    """The file names (wheels and sdists, yanked ones left out) of `name` on the index pip would use. Raises
    FetchFailed."""
    return [file.filename for file in _project_page(name, env, time_limit)[0]]


def fetch_wheel(requirement: str, env: Mapping[str, str], dest_dir: Path, time_limit: float = 120.0) -> Path:
    """Download the wheel of `requirement` ('uv==0.13.9') for this machine into dest_dir, its sha256 checked
    against the index's. Raises FetchFailed."""
    name, _, version = requirement.partition("==")
    if not name or not version:
        raise FetchFailed(f"{requirement} is not pinned with ==")
    from ._vendor.packaging.tags import sys_tags

    files, page_url, index, context = _project_page(name, env, time_limit)
    wheel = choose_wheel(files, name, version, [str(tag) for tag in sys_tags()])
    if wheel is None:
        raise FetchFailed(f"{redact_url(page_url)} lists no wheel of {requirement} for this platform")
    if not wheel.sha256:
        raise FetchFailed(f"{redact_url(page_url)} states no sha256 for {wheel.filename}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    partial = dest_dir / f"{wheel.filename}.part"
    download_url = with_index_credentials(wheel.url, index)
    try:
        with partial.open("wb") as handle:
            fetch(download_url, handle, time_limit=time_limit, context=context)
    except DownloadError as exc:
        raise FetchFailed(f"{redact_url(wheel.url)} could not be downloaded: {exc.reason}") from None
    digest = hashlib.sha256()
    with partial.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != wheel.sha256.lower():
        partial.unlink(missing_ok=True)
        raise FetchFailed(f"{wheel.filename} does not have the sha256 the index states")
    target = dest_dir / wheel.filename
    partial.rename(target)
    return target


def with_index_credentials(url: str, index: str) -> str:
    """A file URL on the index's own host gets the index URL's user and password, as pip gives them (a file on
    another host, a CDN, does not)."""
    file_parts, index_parts = urlsplit(url), urlsplit(index)
    if index_parts.username is None or file_parts.username is not None:
        return url
    if (file_parts.scheme, file_parts.hostname, file_parts.port) != \
            (index_parts.scheme, index_parts.hostname, index_parts.port):
        return url
    userinfo = index_parts.netloc.rsplit("@", 1)[0]
    return urlunsplit(file_parts._replace(netloc=f"{userinfo}@{file_parts.netloc}"))


def unpack_scripts(wheel: Path, bin_dir: Path) -> List[str]:
    """The wheel's scripts (`<name>-<version>.data/scripts/*`) into bin_dir, executable; their names. Raises
    FetchFailed for a wheel that is not a zip or has no scripts."""
    import zipfile

    bin_dir.mkdir(parents=True, exist_ok=True)
    names: List[str] = []
    try:
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                if len(parts) != 3 or not parts[0].endswith(".data") or parts[1] != "scripts" or not parts[2]:
                    continue
                target = bin_dir / parts[2]
                with archive.open(info) as source, target.open("wb") as dest:
                    shutil.copyfileobj(source, dest, 1 << 20)
                target.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
                names.append(parts[2])
    except (zipfile.BadZipFile, OSError) as exc:
        raise FetchFailed(f"{wheel.name} could not be unpacked ({exc})") from None
    if not names:
        raise FetchFailed(f"{wheel.name} has no scripts")
    return names
