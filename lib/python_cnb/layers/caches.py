"""Package caches (cache only): pip's download and wheel cache (`pip-cache`), and each tool's own (`uv-cache`,
`poetry-cache`, `pipenv-cache`). Kept across builds, never in the image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..cnb.layer import Layer, LayerRef, LayerTypes, metadata_from_toml
from ..output import Output

__all__ = ["CacheLayerMetadata", "install_cache"]

LAYER_FORMAT = 1


@dataclass(frozen=True)
class CacheLayerMetadata:
    layer_format: int


def install_cache(layers_dir: Path, out: Output, name: str, what: str) -> LayerRef[CacheLayerMetadata]:
    """The cache layer `name`, kept when it is of this format, else emptied. Finished at once: the cache is valid
    whatever happens to the install (the tools write their entries atomically)."""
    layer = Layer(layers_dir, name)
    metadata = CacheLayerMetadata(LAYER_FORMAT)
    kept = metadata_from_toml(CacheLayerMetadata, layer.restored_metadata()) == metadata and layer.has_contents()
    if kept:
        out.step(f"Using cached {what}")
    else:
        layer.reset()
        out.step(f"Creating a new {what}")
    ref = LayerRef(layer, LayerTypes(cache=True), metadata, reused=kept)
    ref.finish()
    return ref
