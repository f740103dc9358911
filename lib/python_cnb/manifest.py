"""The interpreter builds the buildpack can install: built in (buildpack.toml [metadata]) or the user's own."""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from .cnb import toml_io
from .download import DownloadError, fetch, url_problem
from .errors import InvalidUrl, ManifestError
from .redact import redact_url

__all__ = ["BUILT_IN", "PythonBuild", "load_manifest", "UPSTREAM_PREFIX"]

BUILT_IN = "the buildpack's built-in manifest"
UPSTREAM_PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# A manifest is a few kilobytes; these only keep a wrong URL (a whole archive, a server that never ends) short.
MANIFEST_MAX_BYTES = 10 * 1024 * 1024
MANIFEST_TIME_LIMIT_SECONDS = 60


@dataclass(frozen=True)
class PythonBuild:
    version: str
    arch: str
    url: str
    sha256: str
    # python-build-standalone's free-threaded build (`freethreaded = true`; absent means the default build, so
    # manifests written before free threading existed read as they always did).
    freethreaded: bool = False

    @property
    def label(self) -> str:
        """'3.14.10', or '3.14.10t' for the free-threaded build (pyenv's spelling): what tells two builds apart."""
        return self.version + ("t" if self.freethreaded else "")

    @property
    def described(self) -> str:
        """'3.14.10', or '3.14.10 (free-threaded)', for the log."""
        return self.version + (" (free-threaded)" if self.freethreaded else "")


def _entries(raw: object, source: str) -> list[PythonBuild]:
    if not isinstance(raw, list) or not raw:
        raise ManifestError(source=source, reason="it has no [[python]] entries")
    builds = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ManifestError(source=source, reason=f"entry {index} is not a table")
        missing = [k for k in ("version", "arch", "url", "sha256") if not isinstance(item.get(k), str)]
        if missing:
            raise ManifestError(source=source, reason=f"entry {index} lacks {', '.join(missing)}")
        if not _VERSION.match(item["version"]):
            raise ManifestError(source=source, reason=f"entry {index} has version {item['version']!r}, not X.Y.Z")
        if not _SHA256.match(item["sha256"].lower()):
            raise ManifestError(source=source, reason=f"entry {index} has a sha256 that is not 64 hex digits")
        problem = url_problem(item["url"])
        if problem:
            shown = redact_url(item["url"])
            raise ManifestError(source=source, reason=f"entry {index} has url {shown!r}, not usable: {problem}")
        freethreaded = item.get("freethreaded", False)
        if not isinstance(freethreaded, bool):
            raise ManifestError(source=source, reason=f"entry {index} has freethreaded {freethreaded!r}, not true or "
                                                      "false")
        builds.append(PythonBuild(item["version"], item["arch"], item["url"], item["sha256"].lower(), freethreaded))
    return builds


def _read_user_manifest(location: str, app_dir: Path) -> tuple[dict[str, Any], str]:
    shown = redact_url(location)
    source = f"BP_PYTHON_MANIFEST ({shown})"
    try:
        if _URL_LIKE.match(location):
            problem = url_problem(location)
            if problem:
                raise InvalidUrl(variable="BP_PYTHON_MANIFEST", url=shown, reason=problem)
            buffer = io.BytesIO()
            fetch(location, buffer, time_limit=MANIFEST_TIME_LIMIT_SECONDS, max_bytes=MANIFEST_MAX_BYTES)
            text = buffer.getvalue().decode("utf-8")
        else:
            path = Path(location)
            text = (path if path.is_absolute() else app_dir / path).read_text(encoding="utf-8")
        return toml_io.loads(text), source
    except DownloadError as exc:
        raise ManifestError(source=source, reason=f"it could not be downloaded: {exc.reason}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, toml_io.TOMLDecodeError):
            raise ManifestError(source=source, reason=f"it is not valid TOML ({exc})") from None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ManifestError(source=source, reason=f"it could not be read ({reason})") from None


def load_manifest(
    descriptor: Mapping[str, Any], env: Mapping[str, str], app_dir: Path
) -> tuple[Sequence[PythonBuild], str]:
    """(builds, where they came from). BP_PYTHON_MANIFEST replaces the built-in list; BP_PYTHON_MIRROR_URL
    rewrites the upstream download prefix of whichever list is active."""
    location = env.get("BP_PYTHON_MANIFEST", "").strip()
    if location:
        data, source = _read_user_manifest(location, app_dir)
        builds = _entries(data.get("python"), source)
    else:
        metadata = descriptor.get("metadata")
        builds = _entries(metadata.get("python") if isinstance(metadata, dict) else None, "buildpack.toml")
        source = BUILT_IN
    mirror = env.get("BP_PYTHON_MIRROR_URL", "").strip().rstrip("/")
    if mirror:
        problem = url_problem(mirror)
        if problem:
            raise InvalidUrl(variable="BP_PYTHON_MIRROR_URL", url=redact_url(mirror), reason=problem)
        builds = [dataclasses.replace(b, url=mirror + b.url[len(UPSTREAM_PREFIX):])
                  if b.url.startswith(UPSTREAM_PREFIX + "/") else b for b in builds]
    return builds, source
