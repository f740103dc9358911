"""A package manager's own tool (uv, Poetry, Pipenv) in a cache-only layer: installed from its pin in
requirements/<tool>.txt with the app's interpreter, reused across builds, never in the image.

The tool gets a virtual environment of its own under <layer>/venv, so nothing of it can shadow the app's
environment, and there is no <layer>/bin for the lifecycle to put on anyone's PATH.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping

from ..cnb.layer import Layer, LayerTypes, cached_layer
from ..errors import CommandFailed
from ..output import Output
from ..utils import run_streamed
from .venv import bundled_pip_wheel, create_venv

__all__ = ["ToolLayerMetadata", "cache_invalidation_reasons", "install_tool"]

LAYER_FORMAT = 1


@dataclass(frozen=True)
class ToolLayerMetadata:
    layer_format: int
    requirement: str  # 'uv==0.13.9'
    python_version: str
    python_sha256: str


def cache_invalidation_reasons(old: ToolLayerMetadata, new: ToolLayerMetadata) -> List[str]:
    reasons = []
    if old.layer_format != new.layer_format:
        reasons.append("The buildpack's tool layer format has changed")
    if old.requirement != new.requirement:
        reasons.append(f"The pinned version has changed from {old.requirement} to {new.requirement}")
    if old.python_version != new.python_version or old.python_sha256 != new.python_sha256:
        reasons.append(f"The Python interpreter has changed (from {old.python_version} to {new.python_version})")
    return reasons


def _tool_python(layer_dir: Path) -> Path:
    return layer_dir / "venv" / "bin" / "python"


def install_tool(layers_dir: Path, out: Output, python_dir: Path, metadata: ToolLayerMetadata, *, needed: bool,
                 env: Mapping[str, str]) -> Path:
    """The tool's bin/ directory. When it is not `needed` (the app's environment was reused) a cached tool is kept for
    later builds but nothing is installed."""
    name, _, version = metadata.requirement.partition("==")
    shown = f"{name} {version}"
    bin_dir = Layer(layers_dir, name).path / "venv" / "bin"
    if not needed and not Layer(layers_dir, name).toml_path.exists():
        return bin_dir
    layer = cached_layer(layers_dir, name, LayerTypes(cache=True), metadata, cache_invalidation_reasons,
                         complete=lambda path: _tool_python(path).exists())
    if layer.reused:
        if needed:
            out.step(f"Using cached {shown}")
        return bin_dir
    if layer.old is not None:
        out.step(f"Discarding cached {name} since:")
        out.bullet_list(layer.reasons)
    if not needed:
        return bin_dir
    out.step(f"Installing {shown}")
    wheel = bundled_pip_wheel(python_dir)
    create_venv(out, python_dir, layer.path / "venv", env, with_pip=wheel is None)
    # The interpreter's bundled pip, run from its wheel, installs the tool into the tool's own venv.
    pip = [f"{wheel}/pip"] if wheel else ["-m", "pip"]
    cmd = [str(_tool_python(layer.path)), *pip, "install", "--quiet", metadata.requirement]
    status = run_streamed(out, cmd, env=env, cwd=layers_dir, shown=f"pip install {metadata.requirement}")
    if status != 0:
        raise CommandFailed(command=f"pip install {metadata.requirement}", exit_code=status,
                            hint="The buildpack installs its pinned tool from the package index (PIP_INDEX_URL if "
                                 "you set one).\nCheck that the index serves it.")
    layer.finish()
    return bin_dir
