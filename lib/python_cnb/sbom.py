"""CNB SBOM files (CycloneDX JSON) for the python and venv layers.

The lifecycle picks up <layers>/<layer>.sbom.cdx.json (declared in buildpack.toml `sbom-formats`) and puts it in
the image, where `pack sbom download` finds it. The documents carry no timestamp or random serial number: an
unchanged layer gets a byte-identical SBOM, so a rebuild still reuses everything.
Installed distributions are read from their *.dist-info directories; nothing is run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote

from .cnb import toml_io

__all__ = ["distributions", "python_document", "pypi_purl", "venv_document", "write_python_sbom",
           "write_venv_sbom"]

SPEC_VERSION = "1.5"
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


def _document(components: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {"tools": [{"vendor": "python-cnb", "name": "python-buildpack"}]},
        "components": components,
    }


def pypi_purl(name: str, version: str) -> str:
    """pkg:pypi/<name>@<version>: the name lowercased with runs of -_. as '-' (purl spec for PyPI)."""
    normalized = re.sub(r"[-_.]+", "-", name).lower()
    return f"pkg:pypi/{quote(normalized, safe='-')}@{quote(version, safe='.-_~!')}"


def python_document(version: str, sha256: str, url: str) -> Dict[str, Any]:
    """The interpreter: CPython, its version and the sha256 of the archive it was unpacked from (`url` must
    already have its credentials masked)."""
    purl = f"pkg:generic/cpython@{quote(version, safe='.')}?checksum=sha256:{sha256}"
    component: Dict[str, Any] = {
        "type": "application",
        "bom-ref": purl,
        "name": "CPython",
        "version": version,
        "description": "Python interpreter (python-build-standalone install_only build)",
        "licenses": [{"license": {"id": "PSF-2.0"}}],
        "purl": purl,
        "hashes": [{"alg": "SHA-256", "content": sha256}],
    }
    if url:
        component["externalReferences"] = [{"type": "distribution", "url": url}]
    return _document([component])


def _metadata_name_version(text: str) -> Tuple[Optional[str], Optional[str]]:
    name = version = None
    for line in text.splitlines():
        if not line.strip():
            break  # end of the headers; the description follows
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if key.strip().lower() == "name" and name is None:
            name = value.strip()
        elif key.strip().lower() == "version" and version is None:
            version = value.strip()
    return name, version


def distributions(site_packages: Iterable[Path]) -> List[Tuple[str, str]]:
    """(name, version) of each installed distribution, from METADATA (or, failing that, the directory name),
    sorted and without duplicates. Unreadable or nameless entries are skipped."""
    found: Dict[str, Tuple[str, str]] = {}
    for directory in site_packages:
        try:
            infos = sorted(directory.glob("*.dist-info"))
        except OSError:
            continue
        for info in infos:
            if not info.is_dir():
                continue
            stem_name, _, stem_version = info.name[: -len(".dist-info")].partition("-")
            try:
                text = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
            except (OSError, ValueError):
                text = ""
            name, version = _metadata_name_version(text)
            name = name or stem_name
            version = version or stem_version
            if not (name and _NAME.match(name) and version and version.isprintable()):
                continue
            found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), (name, version))
    return [found[key] for key in sorted(found)]


def venv_document(site_packages: Iterable[Path]) -> Dict[str, Any]:
    components = []
    for name, version in distributions(site_packages):
        purl = pypi_purl(name, version)
        components.append({"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl})
    return _document(components)


def _write(layers_dir: Path, layer: str, document: Dict[str, Any]) -> None:
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    toml_io.write_atomic(layers_dir / f"{layer}.sbom.cdx.json", text)


def write_python_sbom(layers_dir: Path, layer: str, version: str, sha256: str, url: str) -> None:
    _write(layers_dir, layer, python_document(version, sha256, url))


def write_venv_sbom(layers_dir: Path, venv_dir: Path) -> None:
    """The venv layer's SBOM: every distribution in its site-packages."""
    _write(layers_dir, venv_dir.name, venv_document(sorted(venv_dir.glob("lib/python3*/site-packages"))))
