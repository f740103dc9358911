"""The dependencies layer (launch, build, cache): a virtual environment on the interpreter layer.

It is reused without running pip when nothing that shapes it changed. When something did change it is
rebuilt from scratch (with the warm pip cache), so packages removed from requirements.txt do not linger.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, List, Mapping, Optional

from .._vendor.packaging.utils import canonicalize_name
from ..cnb.layer import Layer, LayerTypes
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..errors import CommandFailed
from ..output import Output
from ..redact import redact
from ..utils import run_captured

__all__ = ["VenvLayerMetadata", "bundled_pip_version", "cache_invalidation_reasons", "pip_settings_digest",
           "prepare_venv", "finish_venv"]

LAYER_NAME = "venv"
LAYER_FORMAT = 1
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
    pip_version: str
    install_mode: str
    requirements_sha256: str
    pip_settings_sha256: str
    pip_upgrade: bool
    gunicorn: str

    @classmethod
    def from_toml(cls, data: Optional[Mapping[str, Any]]) -> Optional[VenvLayerMetadata]:
        if data is None or set(data) != {f.name for f in fields(cls)}:
            return None
        try:
            return cls(**data)
        except TypeError:
            return None


def cache_invalidation_reasons(old: VenvLayerMetadata, new: VenvLayerMetadata) -> List[str]:
    reasons = []
    if old.layer_format != new.layer_format:
        reasons.append("The buildpack's dependencies layer format has changed")
    if old.python_version != new.python_version or old.python_sha256 != new.python_sha256:
        reasons.append(f"The Python interpreter has changed (from {old.python_version} to {new.python_version})")
    if old.pip_version != new.pip_version:
        reasons.append(f"The bundled pip version has changed from {old.pip_version} to {new.pip_version}")
    if old.install_mode != new.install_mode:
        reasons.append(f"The install method has changed from '{old.install_mode}' to '{new.install_mode}'")
    elif old.requirements_sha256 != new.requirements_sha256:
        reasons.append("The requirements files (or the packaging files they reference) have changed")
    if old.pip_settings_sha256 != new.pip_settings_sha256:
        reasons.append("The pip settings (PIP_INDEX_URL or other PIP_* variables) have changed")
    if old.pip_upgrade != new.pip_upgrade:
        reasons.append(f"PIP_UPGRADE has changed from {old.pip_upgrade} to {new.pip_upgrade}")
    if old.gunicorn != new.gunicorn:
        reasons.append("Whether the buildpack adds Gunicorn has changed")
    return reasons


def pip_settings_digest(env: Mapping[str, str]) -> str:
    """Hash of the PIP_* settings that shape the environment, with URL credentials removed first: a new
    password does not change the packages, and no secret (even hashed) goes into image metadata."""
    digest = hashlib.sha256()
    for name in sorted(env):
        if name.startswith("PIP_") and name not in _PIP_SETTINGS_IGNORED:
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
                 env: Mapping[str, str]) -> tuple[Path, bool]:
    """(venv path, reused). A reused venv is complete: the caller runs no installer."""
    layer = Layer(layers_dir, LAYER_NAME)
    old = VenvLayerMetadata.from_toml(layer.restored_metadata())
    if old is not None and layer.has_contents() and (layer.path / "bin" / "python").exists():
        reasons = cache_invalidation_reasons(old, new)
        if not reasons and reusable:
            out.step("Using cached virtual environment: nothing that affects it has changed; skipping pip")
            layer.write(LAYER_TYPES, asdict(new))
            return layer.path, True
        out.step("Discarding cached virtual environment since:")
        out.bullet_list(reasons or ["The app has a .s2i/bin/assemble hook, which may change it on every build"])
    venv_dir = layer.reset()
    out.step("Creating virtual environment")
    python = str(python_dir / "bin" / "python3")
    wheel = bundled_pip_wheel(python_dir)
    # The interpreter's bundled pip, installed without compiling (the whole venv is compiled once, later):
    # about a second faster than letting venv run ensurepip.
    steps = [[python, "-m", "venv", "--without-pip", str(venv_dir)],
             [str(venv_dir / "bin" / "python"), f"{wheel}/pip", "install", "--no-compile", "--no-index", "--no-deps",
              "--disable-pip-version-check", "--quiet", str(wheel)]] if wheel else \
        [[python, "-m", "venv", str(venv_dir)]]
    for cmd in steps:
        result = run_captured(cmd, env=env, cwd=layers_dir)
        if result.returncode != 0:
            out.step(result.stdout + result.stderr)
            raise CommandFailed(command="python -m venv", exit_code=result.returncode)
    return venv_dir, False


def finish_venv(layers_dir: Path, metadata: VenvLayerMetadata) -> None:
    """Called only after every install step succeeded. bin/ reaches PATH by itself (for later buildpacks and at
    launch); VIRTUAL_ENV tells tools which environment is active."""
    layer = Layer(layers_dir, LAYER_NAME)
    LayerEnv().add(Scope.ALL, Behavior.OVERRIDE, "VIRTUAL_ENV", str(layer.path)).write(layer.path)
    layer.write(LAYER_TYPES, asdict(metadata))


def installed_distributions(venv_dir: Path) -> set[str]:
    """Normalised names of what is installed, read from *.dist-info dirs (no subprocess)."""
    names: set[str] = set()
    for info in venv_dir.glob("lib/python3*/site-packages/*.dist-info"):
        names.add(canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0]))
    return names
