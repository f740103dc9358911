"""Layer bookkeeping: <layers>/<name>.toml + <layers>/<name>/ (Buildpack API 0.10+).

A restored <name>.toml holds only [metadata]; the lifecycle strips [types]. Every build must therefore
rewrite [types] for each layer it keeps, or the lifecycle drops the layer.
Metadata is written only after a layer's contents are complete: a build that dies half way leaves a layer
directory without a .toml, which the lifecycle neither exports nor caches, so no later build trusts it.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, List, Mapping, Optional, Tuple, Type, TypeVar

from . import toml_io

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["Layer", "LayerRef", "LayerTypes", "cached_layer", "metadata_from_toml", "uncached_layer"]

M = TypeVar("M", bound="DataclassInstance")


@dataclass(frozen=True)
class LayerTypes:
    launch: bool = False
    build: bool = False
    cache: bool = False


@dataclass(frozen=True)
class Layer:
    layers_dir: Path
    name: str

    @property
    def path(self) -> Path:
        return self.layers_dir / self.name

    @property
    def toml_path(self) -> Path:
        return self.layers_dir / f"{self.name}.toml"

    def restored_metadata(self) -> Optional[dict[str, Any]]:
        """The [metadata] table a previous build left, or None when there is none or it cannot be read."""
        if not self.toml_path.is_file():
            return None
        try:
            data = toml_io.read(self.toml_path)
        except (OSError, toml_io.TOMLDecodeError):
            return None
        metadata = data.get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def has_contents(self) -> bool:
        return self.path.is_dir()

    def forget(self) -> None:
        """Remove the description (toml, SBOM) and keep the contents: a build that dies while changing them leaves
        nothing a later build trusts."""
        self.toml_path.unlink(missing_ok=True)
        for sbom in self.layers_dir.glob(f"{self.name}.sbom.*.json"):
            sbom.unlink()

    def reset(self) -> Path:
        """Forget the layer (toml first, so no half state is ever described) and return an empty dir."""
        self.forget()
        if self.path.is_symlink() or self.path.is_file():
            self.path.unlink()
        elif self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        return self.path

    def write(self, types: LayerTypes, metadata: Mapping[str, Any]) -> None:
        toml_io.write_atomic(
            self.toml_path,
            toml_io.dumps(
                {
                    "types": {"launch": types.launch, "build": types.build, "cache": types.cache},
                    "metadata": dict(metadata),
                }
            ),
        )


def metadata_from_toml(cls: Type[M], data: Optional[Mapping[str, Any]]) -> Optional[M]:
    """A layer's metadata dataclass from its restored [metadata] table; None unless the keys are exactly the fields
    and each value has the field's type (an unknown or older layout is never trusted).

    Metadata restored from an app image went through the image's JSON label, so the lifecycle may hand integers back
    as floats (layer_format = 1.0): integral floats count as integers."""
    if data is None:
        return None
    expected = {f.name: str(f.type) for f in fields(cls)}
    if set(data) != set(expected):
        return None
    values = {}
    for name, kind in expected.items():
        value = data[name]
        if kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        wanted = {"int": int, "str": str, "bool": bool}.get(kind)
        if wanted is not None and type(value) is not wanted:
            return None
        values[name] = value
    return cls(**values)


@dataclass
class LayerRef(Generic[M]):
    """A layer of this build: reused as it was restored, updated in place, or an empty directory to fill. Every layer
    function returns one. The metadata is recorded by `finish()`, once the contents are complete, so a failed build
    never leaves a layer that a later build trusts; `before_finish` is work that must end first (a background
    compile). A reused layer is finished at once."""

    layer: Layer
    types: LayerTypes
    metadata: M
    reused: bool
    old: Optional[M] = None  # what the previous build recorded, when it could be read
    reasons: Tuple[str, ...] = ()  # why a restored layer was discarded (or is updated)
    unreadable: bool = False  # something was restored, but its metadata was missing or of an unknown layout
    updated: bool = False  # kept to be updated in place (its metadata is removed until `finish()`)
    before_finish: List[Callable[[], None]] = field(default_factory=list)
    finished: bool = False

    @property
    def path(self) -> Path:
        return self.layer.path

    def finish(self) -> None:
        if self.finished:
            return
        for step in self.before_finish:
            step()
        self.layer.write(self.types, asdict(self.metadata))
        self.finished = True

    def __enter__(self) -> LayerRef[M]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Finished whatever happens in the block: the layer's own contents are complete when it is entered."""
        self.finish()


def uncached_layer(layers_dir: Path, name: str, types: LayerTypes, metadata: M) -> LayerRef[M]:
    """A layer written anew on every build: emptied now, described by `finish()`."""
    layer = Layer(layers_dir, name)
    layer.reset()
    return LayerRef(layer, types, metadata, reused=False)


def cached_layer(
    layers_dir: Path,
    name: str,
    types: LayerTypes,
    metadata: M,
    reasons: Callable[[M, M], List[str]],
    *,
    complete: Callable[[Path], bool] = lambda path: True,
    reusable: bool = True,
    not_reusable_reason: str = "",
    updatable: Callable[[M, M], bool] = lambda old, new: False,
) -> LayerRef[M]:
    """Restore, compare, then reuse or reset: the one cycle every cached layer goes through.

    Reused when the restored metadata reads as this layer's type, the contents pass `complete`, `reasons(old, new)`
    is empty and `reusable` is true; [types] and the metadata are rewritten at once (the lifecycle drops a restored
    layer whose [types] are not rewritten). When `updatable(old, new)` says the differences can be applied in
    place, the contents are kept (`updated`) and only the metadata is removed until `finish()`. Otherwise the layer
    is emptied (toml first) and the caller fills it and calls `finish()`. The caller logs the outcome; this module
    knows no messages."""
    layer = Layer(layers_dir, name)
    old = metadata_from_toml(type(metadata), layer.restored_metadata())
    if old is not None and layer.has_contents() and complete(layer.path):
        why = reasons(old, metadata)
        if not why and reusable:
            result = LayerRef(layer, types, metadata, reused=True, old=old)
            result.finish()
            return result
        if why and reusable and updatable(old, metadata):
            layer.forget()
            return LayerRef(layer, types, metadata, reused=False, old=old, reasons=tuple(why), updated=True)
        layer.reset()
        return LayerRef(layer, types, metadata, reused=False, old=old, reasons=tuple(why or [not_reusable_reason]))
    unreadable = layer.toml_path.exists() or layer.has_contents()
    layer.reset()
    return LayerRef(layer, types, metadata, reused=False, unreadable=unreadable)
