"""Layer bookkeeping: <layers>/<name>.toml + <layers>/<name>/ (Buildpack API 0.10+).

A restored <name>.toml holds only [metadata]; the lifecycle strips [types]. Every build must therefore
rewrite [types] for each layer it keeps, or the lifecycle drops the layer.
Metadata is written only after a layer's contents are complete: a build that dies half way leaves a layer
directory without a .toml, which the lifecycle neither exports nor caches, so no later build trusts it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from . import toml_io

__all__ = ["Layer", "LayerTypes"]


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

    def reset(self) -> Path:
        """Forget the layer (toml first, so no half state is ever described) and return an empty dir."""
        self.toml_path.unlink(missing_ok=True)
        for sbom in self.layers_dir.glob(f"{self.name}.sbom.*.json"):
            sbom.unlink()
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
