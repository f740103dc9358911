"""The dependencies layer (launch, build, cache): a virtual environment on the interpreter layer.

It is reused without running the installer (pip, uv, Poetry or Pipenv) when nothing that shapes it changed. When only
the requirements (or uv.lock) changed it is updated in place (see can_update_in_place); any other change rebuilds it
from scratch (with the warm package cache), so nothing removed from the requirements or the lockfile lingers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Sequence

from .._vendor.packaging.utils import canonicalize_name
from ..cnb.layer import CachedLayer, LayerTypes, cached_layer
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..errors import CommandFailed
from ..output import Output
from ..redact import redact
from ..utils import run_captured
from ..venv_layout import write_venv

__all__ = ["VenvLayerMetadata", "build_image_description", "bundled_pip_version", "cache_invalidation_reasons",
           "can_update_in_place", "create_venv", "finish_venv", "index_settings_digest", "installed_distributions",
           "libc_version", "prepare_venv", "same_requirements_structure"]

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
        if new.inputs == "requirements.txt":
            reasons.append("The requirements files (or the local projects, --find-links directories or pip "
                           "configuration files they use) have changed")
        else:
            reasons.append(f"The dependency files ({new.inputs}) have changed")
    elif old.local_sources_sha256 != new.local_sources_sha256:
        reasons.append("The local projects, --find-links directories or pip configuration files have changed")
    if old.tool != new.tool:
        reasons.append(f"The installer has changed from {old.tool} to {new.tool}")
    if old.index_settings_sha256 != new.index_settings_sha256:
        reasons.append("The package index settings (PIP_INDEX_URL or other PIP_* variables, or the tool's own) "
                       "have changed")
    if old.pip_upgrade != new.pip_upgrade:
        reasons.append(f"PIP_UPGRADE has changed from {old.pip_upgrade} to {new.pip_upgrade}")
    if old.extra_requirements != new.extra_requirements:
        reasons.append("What the buildpack adds for the web process (Gunicorn) has changed")
    if old.build_image != new.build_image:
        reasons.append(f"The build image has changed (from {old.build_image} to {new.build_image})")
    return reasons


# The install methods whose result an in-place update reproduces exactly: the pip paths (install, then uninstall what
# is no longer required, then check), and `uv sync`, which is exact by itself (it uninstalls whatever the lock does not
# name, and its uninstall removes the bytecode too). Poetry and Pipenv start fresh.
_UPDATABLE_METHODS = ("pip install -r requirements.txt", "pip install -e .", "uv pip install -r requirements.txt",
                      "uv pip install -e .", "uv sync (uv.lock)")


def can_update_in_place(old: VenvLayerMetadata, new: VenvLayerMetadata) -> bool:
    """Only the requirements or the lock (or what the buildpack adds for the web process) changed, with the same
    interpreter, installer, index settings and build image: installing what is new and removing what is no longer
    required gives the environment a fresh install would."""
    same = dataclasses.replace(old, inputs_sha256=new.inputs_sha256, extra_requirements=new.extra_requirements,
                               requirement_lines=new.requirement_lines,
                               requirements_structure_sha256=new.requirements_structure_sha256)
    # local_sources_sha256 must match: pip keeps an installed local project or find-links wheel of the same version.
    return same == new and new.package_manager in _UPDATABLE_METHODS


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


def bundled_pip_wheel(python_dir: Path) -> Optional[Path]:
    wheels = sorted(python_dir.glob("lib/python3*/ensurepip/_bundled/pip-*.whl"))
    return wheels[-1] if wheels else None


def bundled_pip_version(python_dir: Path) -> str:
    wheel = bundled_pip_wheel(python_dir)
    match = re.match(r"pip-([^-]+)-", wheel.name) if wheel else None
    return match.group(1) if match else "unknown"


def prepare_venv(layers_dir: Path, out: Output, python_dir: Path, new: VenvLayerMetadata, reusable: bool,
                 env: Mapping[str, str], installer: str, not_reusable_reason: str = "",
                 unpinned: Sequence[str] = ()) -> CachedLayer[VenvLayerMetadata]:
    """The venv layer, reused (complete: the caller runs no installer) or freshly created without pip.
    `unpinned`: requirements without an exact version, which a reused environment keeps at their first install."""
    layer = cached_layer(layers_dir, LAYER_NAME, LAYER_TYPES, new, cache_invalidation_reasons,
                         complete=lambda path: (path / "bin" / "python").exists(), reusable=reusable,
                         not_reusable_reason=not_reusable_reason or
                         "The app has a .s2i/bin/assemble hook, which may change it on every build",
                         updatable=can_update_in_place)
    if layer.reused:
        out.step(f"Using cached virtual environment: nothing that affects it has changed; skipping {installer}")
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
    elif not reusable and not_reusable_reason:
        out.step(f"The virtual environment is rebuilt on every build since {not_reusable_reason[0].lower()}"
                 f"{not_reusable_reason[1:]}")
    out.step("Creating virtual environment")
    # Without pip: the build-only pip layer installs into it (`pip --python`), so pip stays out of the image.
    create_venv(out, python_dir, layer.path, env)
    return layer


def create_venv(out: Output, python_dir: Path, target: Path, env: Mapping[str, str], with_pip: bool = False) -> None:
    """`python -m venv` with the installed interpreter, without pip unless asked; a failure shows venv's output.
    Without pip, the buildpack writes the same files itself when it knows the interpreter's layout (venv_layout)."""
    if not with_pip and write_venv(python_dir, target):
        return
    cmd = [str(python_dir / "bin" / "python3"), "-m", "venv", *([] if with_pip else ["--without-pip"]), str(target)]
    result = run_captured(cmd, env=env, cwd=target.parent)
    if result.returncode != 0:
        out.step(result.stdout + result.stderr)
        raise CommandFailed(command="python -m venv", exit_code=result.returncode)


def unpinned_note(names: Sequence[str]) -> str:
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return (f"Unpinned requirements keep the versions of their first install while nothing above changes: {shown}. "
            "Pin them (name==version), or rebuild with `pack build --clear-cache` to get the newest releases")


def finish_venv(layer: CachedLayer[VenvLayerMetadata]) -> None:
    """Called only after every install step succeeded. bin/ reaches PATH by itself (for later buildpacks and at
    launch); VIRTUAL_ENV tells tools which environment is active."""
    LayerEnv().add(Scope.ALL, Behavior.OVERRIDE, "VIRTUAL_ENV", str(layer.path)).write(layer.path)
    layer.finish()


def installed_distributions(venv_dir: Path) -> set[str]:
    """Normalised names of what is installed, read from *.dist-info dirs (no subprocess)."""
    names: set[str] = set()
    for info in venv_dir.glob("lib/python3*/site-packages/*.dist-info"):
        names.add(canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0]))
    return names
