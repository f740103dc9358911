"""CNB SBOM files (CycloneDX JSON) for the python and venv layers.

The lifecycle picks up <layers>/<layer>.sbom.cdx.json (declared in buildpack.toml `sbom-formats`) and puts it in
the image, where `pack sbom download` finds it. The documents carry no timestamp or random serial number: an
unchanged layer gets a byte-identical SBOM, so a rebuild still reuses everything.
Installed distributions come from the environment's VenvFacts; nothing is run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import quote

from .cnb import toml_io
from .venv_facts import VenvFacts

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


def distributions(facts: VenvFacts) -> List[Tuple[str, str]]:
    """(name, version) of each installed distribution, as its METADATA spells them (or, failing that, its directory
    name), sorted and without duplicates. Nameless or unprintable entries are skipped."""
    found: Dict[str, Tuple[str, str]] = {}
    for dist in sorted(facts.distributions.values(), key=lambda d: d.dist_info):
        name, version = dist.shown_name, dist.version
        if not (name and _NAME.match(name) and version and version.isprintable()):
            continue
        found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), (name, version))
    return [found[key] for key in sorted(found)]


def venv_document(facts: VenvFacts) -> Dict[str, Any]:
    components = []
    for name, version in distributions(facts):
        purl = pypi_purl(name, version)
        components.append({"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl})
    return _document(components)


def _write(layers_dir: Path, layer: str, document: Dict[str, Any]) -> None:
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    toml_io.write_atomic(layers_dir / f"{layer}.sbom.cdx.json", text)


def write_python_sbom(layers_dir: Path, layer: str, version: str, sha256: str, url: str) -> None:
    _write(layers_dir, layer, python_document(version, sha256, url))


def write_venv_sbom(layers_dir: Path, facts: VenvFacts) -> None:
    """The venv layer's SBOM: every distribution in its site-packages."""
    _write(layers_dir, facts.venv_dir.name, venv_document(facts))
