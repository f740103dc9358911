"""Package caches (cache only): pip's download and wheel cache, and each lockfile tool's own cache (uv, Poetry,
Pipenv). Kept across builds, never in the image."""

from __future__ import annotations

from pathlib import Path

from ..cnb.layer import Layer, LayerTypes
from ..output import Output

__all__ = ["prepare_cache", "prepare_pip_cache"]

LAYER_NAME = "pip-cache"
LAYER_FORMAT = 1


def prepare_cache(layers_dir: Path, out: Output, name: str, what: str) -> Path:
    layer = Layer(layers_dir, name)
    metadata = layer.restored_metadata()
    if metadata == {"layer_format": LAYER_FORMAT} and layer.has_contents():
        out.step(f"Using cached {what}")
    else:
        layer.reset()
        out.step(f"Creating a new {what}")
    # Written now: the cache is valid whatever happens to the install (the tools write entries atomically).
    layer.write(LayerTypes(cache=True), {"layer_format": LAYER_FORMAT})
    return layer.path


def prepare_pip_cache(layers_dir: Path, out: Output) -> Path:
    return prepare_cache(layers_dir, out, LAYER_NAME, "pip download/wheel cache")
