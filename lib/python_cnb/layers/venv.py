"""The dependencies layer (launch, build, cache): a virtual environment on the interpreter layer.

It is reused without running the installer (pip, uv, Poetry or Pipenv) when nothing that shapes it changed. When only
the dependency files changed and the install method updates in place (see can_update_in_place), it is updated in
place; any other change rebuilds it from scratch (with the warm package cache), so nothing removed from the
requirements or the lockfile lingers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, List, Mapping, Optional, Sequence

from ..cnb.layer import LayerRef, LayerTypes, cached_layer
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..output import Output
from ..redact import redact
from ..sbom import write_venv_sbom
from ..utils import is_truthy
from ..venv_facts import VenvFacts
from ..venv_layout import bundled_pip_version, create_venv

if TYPE_CHECKING:
    from ..analysis import Analysis

__all__ = ["VenvLayerMetadata", "activation", "build_image_description", "cache_invalidation_reasons",
           "can_update_in_place", "finish_venv", "index_settings_digest", "install_venv", "libc_version",
           "same_requirements_structure", "venv_metadata"]

LAYER_NAME = "venv"
LAYER_FORMAT = 4
LAYER_TYPES = LayerTypes(launch=True, build=True, cache=True)

# PIP_* variables that cannot change which packages get installed; everything else counts.
_PIP_SETTINGS_IGNORED = {
    "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_INPUT", "PIP_PROGRESS_BAR",
    "PIP_DEFAULT_TIMEOUT", "PIP_TIMEOUT", "PIP_RETRIES", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_QUIET",
    "PIP_VERBOSE", "PIP_UPGRADE", "PIP_ROOT_USER_ACTION", "PIP_NO_WARN_SCRIPT_LOCATION", "PIP_NO_COLOR",
}


@dataclass(frozen=True)
class VenvLayerMetadata:
    layer_format: int
    python_version: str
    python_sha256: str
    package_manager: str  # how it was installed ('pip install -r requirements.txt', 'uv sync (uv.lock)', ...)
    tool: str  # the installer and its version ('pip 24.3.1' bundled with the interpreter, 'uv 0.13.9')
    inputs: str  # the files whose contents decide it, for messages ('requirements.txt', 'uv.lock and pyproject.toml')
    inputs_sha256: str
    index_settings_sha256: str
    pip_upgrade: bool
    extra_requirements: str  # what the buildpack adds for the web process ('gunicorn==27.0.1'), space-separated
    build_image: str  # the build image's distro and C library ('debian 12, glibc 2.36'): wheels built here need them
    local_sources_sha256: str  # pip -r: local project trees, --find-links contents, pip config files ("" otherwise)
    # pip -r: short digests of the requirement lines, and of everything else in the files (see RequirementsScan); an
    # update that only removes lines installs nothing ("" otherwise).
    requirement_lines: str = ""
    requirements_structure_sha256: str = ""
    # BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS ('groups docs; extras s3'; '' when none: earlier releases'
    # environments read as that).
    selection: str = ""


def cache_invalidation_reasons(old: VenvLayerMetadata, new: VenvLayerMetadata) -> List[str]:
    reasons = []
    if old.layer_format != new.layer_format:
        reasons.append("The buildpack's dependencies layer format has changed")
    if old.python_version != new.python_version or old.python_sha256 != new.python_sha256:
        reasons.append(f"The Python interpreter has changed (from {old.python_version} to {new.python_version})")
    if old.package_manager != new.package_manager:
        reasons.append(f"The install method has changed from '{old.package_manager}' to '{new.package_manager}'")
    elif old.inputs_sha256 != new.inputs_sha256 or old.inputs != new.inputs or \
            old.requirement_lines != new.requirement_lines or \
            old.requirements_structure_sha256 != new.requirements_structure_sha256:
        if new.package_manager.endswith("pip install -r requirements.txt"):  # requirements.txt or BP_PIP_REQUIREMENT
            reasons.append("The requirements files (or the local projects, --find-links directories or pip "
                           "configuration files they use) have changed")
        else:
            reasons.append(f"The dependency files ({new.inputs}) have changed")
    elif old.local_sources_sha256 != new.local_sources_sha256:
        reasons.append("The local projects, --find-links directories or pip configuration files have changed")
    if old.selection != new.selection:
        reasons.append(f"The selected dependency groups and extras (BP_PYTHON_DEPENDENCY_GROUPS, BP_PYTHON_EXTRAS) "
                       f"have changed from '{old.selection or 'none'}' to '{new.selection or 'none'}'")
    if old.tool != new.tool:
        reasons.append(f"The installer has changed from {old.tool} to {new.tool}")
    if old.index_settings_sha256 != new.index_settings_sha256:
        reasons.append("The package index settings (PIP_INDEX_URL or other PIP_* variables, the tool's own, or the "
                       "vendored wheels) have changed")
    if old.pip_upgrade != new.pip_upgrade:
        reasons.append(f"PIP_UPGRADE has changed from {old.pip_upgrade} to {new.pip_upgrade}")
    if old.extra_requirements != new.extra_requirements:
        reasons.append("What the buildpack adds for the web process (Gunicorn) has changed")
    if old.build_image != new.build_image:
        reasons.append(f"The build image has changed (from {old.build_image} to {new.build_image})")
    return reasons


def can_update_in_place(old: VenvLayerMetadata, new: VenvLayerMetadata) -> bool:
    """Only the dependency files (or what the buildpack adds for the web process) changed, with the same interpreter,
    install method, installer, index settings and build image. Whether installing into the restored environment then
    gives the one a fresh install would is the install method's to say (`updates_in_place`)."""
    same = dataclasses.replace(old, inputs_sha256=new.inputs_sha256, extra_requirements=new.extra_requirements,
                               requirement_lines=new.requirement_lines,
                               requirements_structure_sha256=new.requirements_structure_sha256)
    # local_sources_sha256 must match: pip keeps an installed local project or find-links wheel of the same version.
    return same == new


def same_requirements_structure(old: VenvLayerMetadata, new: VenvLayerMetadata) -> bool:
    """An update in place where only requirement lines changed: the same options, includes and constraints around
    them, and the same additions for the web process. The lines the last install had are satisfied; installing the
    others is all there is to do (see RequirementsScan.changed_requirements)."""
    return (bool(new.requirements_structure_sha256) and
            old.requirements_structure_sha256 == new.requirements_structure_sha256 and
            old.extra_requirements == new.extra_requirements)


def libc_version() -> str:
    """The C library of the build image ('glibc 2.36'), as the buildpack's process sees it."""
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        found = None
    if found:
        return found
    name, version = platform.libc_ver()
    return f"{name} {version}".strip() or "unknown libc"


def build_image_description(distro_name: str, distro_version: str, libc: str) -> str:
    distro = f"{distro_name} {distro_version}".strip() or "unknown distro"
    return f"{distro}, {libc}"


def index_settings_digest(env: Mapping[str, str], names: Optional[Iterable[str]] = None,
                          extra: Iterable[str] = ()) -> str:
    """Hash of the settings that decide where packages come from, with URL credentials removed first: a new
    password does not change the packages, and no secret (even hashed) goes into image metadata.
    `names`: the variables a lockfile tool honours; None means pip's (every PIP_* that can change the result).
    `extra`: more variables that count (an installer's own, such as uv's UV_INDEX_URL)."""
    chosen = sorted(set(names) & set(env)) if names is not None else \
        sorted(n for n in env if n.startswith("PIP_") and n not in _PIP_SETTINGS_IGNORED)
    chosen += sorted(set(extra) & set(env) - set(chosen))
    digest = hashlib.sha256()
    for name in chosen:
        digest.update(f"{name}={redact(env[name])}\n".encode())
    return digest.hexdigest()


def venv_metadata(analysis: Analysis, python_dir: Path) -> VenvLayerMetadata:
    """Everything that decides the environment's contents: it is reused only while all of it is unchanged."""
    method, installer, inputs, env = analysis.install.method, analysis.installer, analysis.inputs, analysis.env
    scan = inputs.scan
    label = method.label
    if method.installer_option and not method.installs_nothing and installer.name != "pip":
        label = f"{installer.name} {label}"  # 'uv pip install -r requirements.txt'
    if analysis.pins.tool:
        tool = analysis.pins.tool.replace("==", " ")
    else:
        tool = f"pip {bundled_pip_version(python_dir)} (bundled with Python)"
    settings = (index_settings_digest(env, method.index_settings) if method.index_settings is not None
                else index_settings_digest(env, extra=installer.index_settings))
    if analysis.vendor is not None:
        # Vendored wheels, installed with no index, are where the packages come from: their files count with the
        # index settings (a field of their own would make every existing environment unreadable once).
        settings = hashlib.sha256(f"{settings}\nvendor:{analysis.vendor.digest}".encode()).hexdigest()
    return VenvLayerMetadata(
        layer_format=LAYER_FORMAT, python_version=analysis.python.label, python_sha256=analysis.python.sha256,
        package_manager=label, tool=tool, inputs=inputs.files, inputs_sha256=inputs.digest,
        index_settings_sha256=settings,
        pip_upgrade=method.installer_option and installer.name == "pip" and is_truthy(env.get("PIP_UPGRADE", "")),
        extra_requirements=" ".join(analysis.web_requirements),
        build_image=build_image_description(analysis.target.distro_name, analysis.target.distro_version,
                                            libc_version()),
        local_sources_sha256=scan.local_sources if scan is not None else "",
        requirement_lines=scan.requirement_lines if scan is not None else "",
        requirements_structure_sha256=scan.structure if scan is not None else "",
        selection=analysis.selection.describe())


def activation(venv_dir: Path, pip_cache_dir: Path) -> LayerEnv:
    """The environment every command that works on the app's environment runs with, as a delta over the build env:
    the venv active (VIRTUAL_ENV, its bin/ first on PATH) and pip pointed at its cache layer, quiet and unbuffered."""
    env = LayerEnv()
    env.add(Scope.BUILD, Behavior.OVERRIDE, "VIRTUAL_ENV", str(venv_dir))
    env.add(Scope.BUILD, Behavior.PREPEND, "PATH", str(venv_dir / "bin"), delimiter=":")
    env.add(Scope.BUILD, Behavior.OVERRIDE, "PIP_CACHE_DIR", str(pip_cache_dir))
    env.add(Scope.BUILD, Behavior.OVERRIDE, "PIP_DISABLE_PIP_VERSION_CHECK", "1")
    env.add(Scope.BUILD, Behavior.OVERRIDE, "PIP_NO_INPUT", "1")
    env.add(Scope.BUILD, Behavior.OVERRIDE, "PIP_PROGRESS_BAR", "off")  # progress bars are noise in a build log
    env.add(Scope.BUILD, Behavior.OVERRIDE, "PYTHONUNBUFFERED", "1")
    return env


def install_venv(analysis: Analysis, out: Output, python_dir: Path) -> LayerRef[VenvLayerMetadata]:
    """The venv layer, reused (complete: the caller runs no installer), kept to be updated in place, or freshly
    created without pip."""
    new = venv_metadata(analysis, python_dir)
    method, inputs = analysis.install.method, analysis.inputs
    url_includes = inputs.scan.url_includes if inputs.scan is not None else ()
    hook = analysis.hooks.assemble is not None
    not_reusable_reason = (f"The requirements include {', '.join(url_includes)} by URL, which may change at any time"
                           if url_includes and not hook else "")
    layer = cached_layer(analysis.layers_dir, LAYER_NAME, LAYER_TYPES, new, cache_invalidation_reasons,
                         complete=lambda path: (path / "bin" / "python").exists(),
                         reusable=not hook and not url_includes,
                         not_reusable_reason=not_reusable_reason or
                         "The app has a .s2i/bin/assemble hook, which may change it on every build",
                         updatable=lambda old, new: method.updates_in_place and can_update_in_place(old, new))
    if layer.reused:
        tool = method.tool or analysis.installer.name
        out.step(f"Using cached virtual environment: nothing that affects it has changed; skipping {tool}")
        unpinned = inputs.scan.unpinned if inputs.scan is not None else ()
        if unpinned:
            out.step(unpinned_note(unpinned))
        return layer
    if layer.updated:
        out.step("Updating the cached virtual environment in place since:")
        out.bullet_list(layer.reasons)
        return layer
    if layer.old is not None:
        out.step("Discarding cached virtual environment since:")
        out.bullet_list(layer.reasons)
    elif not_reusable_reason:
        out.step(f"The virtual environment is rebuilt on every build since {not_reusable_reason[0].lower()}"
                 f"{not_reusable_reason[1:]}")
    out.step("Creating virtual environment")
    # Without pip: the build-only pip layer installs into it (`pip --python`), so pip stays out of the image.
    create_venv(out, python_dir, layer.path, analysis.env)
    return layer


def unpinned_note(names: Sequence[str]) -> str:
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return (f"Unpinned requirements keep the versions of their first install while nothing above changes: {shown}. "
            "Pin them (name==version), or rebuild with `pack build --clear-cache` to get the newest releases")


def finish_venv(layer: LayerRef[VenvLayerMetadata], facts: VenvFacts) -> None:
    """Called only after every install step succeeded. bin/ reaches PATH by itself (for later buildpacks and at
    launch); VIRTUAL_ENV tells tools which environment is active. The SBOM lists what is installed."""
    LayerEnv().add(Scope.ALL, Behavior.OVERRIDE, "VIRTUAL_ENV", str(layer.path)).write(layer.path)
    layer.finish()
    write_venv_sbom(layer.layer.layers_dir, facts)
