"""pip's cache (cache only): downloaded and built wheels kept across builds, never in the image."""

from __future__ import annotations

from pathlib import Path

from ..cnb.layer import Layer, LayerTypes
from ..output import Output

__all__ = ["prepare_pip_cache"]

LAYER_NAME = "pip-cache"
LAYER_FORMAT = 1


def prepare_pip_cache(layers_dir: Path, out: Output) -> Path:
    layer = Layer(layers_dir, LAYER_NAME)
    metadata = layer.restored_metadata()
    if metadata == {"layer_format": LAYER_FORMAT} and layer.has_contents():
        out.step("Using cached pip download/wheel cache")
    else:
        layer.reset()
        out.step("Creating a new pip download/wheel cache")
    # Written now: the cache is valid whatever happens to the install (pip writes entries atomically).
    layer.write(LayerTypes(cache=True), {"layer_format": LAYER_FORMAT})
    return layer.path
