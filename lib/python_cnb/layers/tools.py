"""A package manager's own tool (uv, Poetry, Pipenv, PDM) in a cache-only layer: installed from its pin in
requirements/<tool>.txt with the app's interpreter, reused across builds, never in the image.

The tool gets a virtual environment of its own under <layer>/venv, so nothing of it can shadow the app's
environment, and there is no <layer>/bin for the lifecycle to put on anyone's PATH. uv, one binary in a platform
wheel, is fetched straight from the package index instead (see wheel_fetch), in a thread that starts before the
interpreter is installed (start_prefetch), and only its binaries land in <layer>/venv/bin; pip installs it when the
user's pip settings ask for what the direct fetch does not do, or when the fetch fails.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional

from ..bytecode import compile_bytecode_before_exit
from ..cnb.layer import Layer, LayerRef, LayerTypes, cached_layer, metadata_from_toml
from ..errors import ToolInstallFailed
from ..manifest import PythonBuild
from ..output import Output
from ..utils import run_streamed
from ..venv_layout import bundled_pip_wheel, create_venv, site_packages_dirs
from ..wheel_fetch import FetchFailed, fetch_wheel, settings_it_does_not_follow, unpack_scripts

__all__ = ["Prefetch", "ToolLayerMetadata", "cache_invalidation_reasons", "install_tool", "start_prefetch",
           "tool_bin"]

# Tools that are one binary in a platform wheel, with no Python dependencies.
BINARY_TOOLS = frozenset({"uv"})

# 2: hash-based bytecode for the tool (the lifecycle's mtime reset made pip's timestamp-based .pyc files stale, so
# every build compiled Poetry or Pipenv from source again: about 1.5 s of each Poetry run).
LAYER_FORMAT = 2


@dataclass(frozen=True)
class ToolLayerMetadata:
    layer_format: int
    requirement: str  # 'uv==0.13.9'; a tool that holds back dependencies: 'pdm==2.29.4 hishel[httpx2]==1.4.0'
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


def tool_bin(layer_dir: Path) -> Path:
    """The directory holding the tool's executables (never on anyone's PATH)."""
    return layer_dir / "venv" / "bin"


def _complete(name: str, layer_dir: Path) -> bool:
    return (layer_dir / "venv" / "bin" / name).exists() if name in BINARY_TOOLS else _tool_python(layer_dir).exists()


class Prefetch:
    """A binary tool's wheel, downloading in a thread (started before the interpreter is installed)."""

    def __init__(self, requirement: str, env: Mapping[str, str]) -> None:
        self.requirement = requirement
        self.directory = Path(tempfile.mkdtemp(prefix="python-cnb-prefetch-"))
        self._wheel: Optional[Path] = None
        self._failure = ""
        self._discarded = False
        self._thread = threading.Thread(target=self._run, args=(dict(env),), daemon=True)
        self._thread.start()

    def _run(self, env: Mapping[str, str]) -> None:
        try:
            wheel = fetch_wheel(self.requirement, env, self.directory)
            unpack_scripts(wheel, self.directory / "bin")
            wheel.unlink()
            self._wheel = wheel
        except FetchFailed as exc:
            self._failure = exc.reason
        except Exception as exc:  # noqa: BLE001 - whatever it is, pip installs the tool instead
            self._failure = f"{type(exc).__name__}: {exc}"
        finally:
            if self._discarded:
                shutil.rmtree(self.directory, ignore_errors=True)

    def wheel(self) -> Optional[Path]:
        """The wheel that was downloaded (gone by now: its scripts are in `directory`/bin), or None (then `failure`
        says why)."""
        self._thread.join()
        return self._wheel

    @property
    def failure(self) -> str:
        return self._failure

    def discard(self) -> None:
        """Remove the download, now or (when it is still running: the build did not need it) when it ends."""
        self._discarded = True
        if not self._thread.is_alive():
            shutil.rmtree(self.directory, ignore_errors=True)


def _metadata(requirement: str, python: PythonBuild) -> ToolLayerMetadata:
    return ToolLayerMetadata(LAYER_FORMAT, requirement, python.label, python.sha256)


def start_prefetch(layers_dir: Path, requirement: str, python: PythonBuild,
                   env: Mapping[str, str]) -> Optional[Prefetch]:
    """Start fetching a binary tool's wheel (`requirement`, '' for none) when the build will need it: the cached layer
    is missing or stale, and the user's pip settings are all the direct fetch follows."""
    if not requirement:
        return None
    metadata = _metadata(requirement, python)
    name = metadata.requirement.partition("==")[0]
    if name not in BINARY_TOOLS or settings_it_does_not_follow(env):
        return None
    layer = Layer(layers_dir, name)
    if metadata_from_toml(ToolLayerMetadata, layer.restored_metadata()) == metadata and _complete(name, layer.path):
        return None
    return Prefetch(metadata.requirement, env)


def install_tool(layers_dir: Path, out: Output, python: PythonBuild, python_dir: Path, requirement: str, *,
                 needed: bool, env: Mapping[str, str], prefetch: Optional[Prefetch] = None
                 ) -> LayerRef[ToolLayerMetadata]:
    """The tool's layer (its executables in `tool_bin(layer.path)`). When it is not `needed` (the app's environment
    was reused) a cached tool is kept for later builds but nothing is installed."""
    try:
        return _install_tool(layers_dir, out, python_dir, _metadata(requirement, python), needed=needed, env=env,
                             prefetch=prefetch)
    finally:
        if prefetch is not None:
            prefetch.discard()


def _install_tool(layers_dir: Path, out: Output, python_dir: Path, metadata: ToolLayerMetadata, *, needed: bool,
                  env: Mapping[str, str], prefetch: Optional[Prefetch]) -> LayerRef[ToolLayerMetadata]:
    # The tool's own pin comes first; any that follow are dependencies it holds back (tool_versions.read_pin).
    name, _, version = metadata.requirement.split()[0].partition("==")
    shown = f"{name} {version}"
    types = LayerTypes(cache=True)
    if not needed and not Layer(layers_dir, name).toml_path.exists():
        return LayerRef(Layer(layers_dir, name), types, metadata, reused=False)
    layer = cached_layer(layers_dir, name, types, metadata, cache_invalidation_reasons,
                         complete=lambda path: _complete(name, path))
    bin_dir = tool_bin(layer.path)
    if layer.reused:
        if needed:
            out.step(f"Using cached {shown}")
        return layer
    if layer.old is not None:
        out.step(f"Discarding cached {name} since:")
        out.bullet_list(layer.reasons)
    if not needed:
        return layer
    out.step(f"Installing {shown}")
    if name in BINARY_TOOLS:
        why_not = settings_it_does_not_follow(env)
        if why_not:
            out.step(f"Installing it with pip, which follows your pip settings: {', '.join(why_not)}")
        else:
            prefetch = prefetch or Prefetch(metadata.requirement, env)
            wheel = prefetch.wheel()
            try:
                if wheel is None:
                    raise FetchFailed(prefetch.failure)
                bin_dir.mkdir(parents=True, exist_ok=True)
                for script in sorted((prefetch.directory / "bin").iterdir()):
                    shutil.move(str(script), bin_dir / script.name)
                out.step(f"Fetched {wheel.name} from the package index (sha256 checked)")
                layer.finish()
                return layer
            except (FetchFailed, OSError) as exc:
                reason = exc.reason if isinstance(exc, FetchFailed) else str(exc)
                out.step(f"Fetching it from the package index directly did not work ({reason}); installing it "
                         "with pip")
                shutil.rmtree(layer.path, ignore_errors=True)
                layer.path.mkdir(parents=True)
    wheel_dir = bundled_pip_wheel(python_dir)
    create_venv(out, python_dir, layer.path / "venv", env, with_pip=wheel_dir is None)
    # The interpreter's bundled pip, run from its wheel, installs the tool into the tool's own venv.
    pip = [f"{wheel_dir}/pip"] if wheel_dir else ["-m", "pip"]
    cmd = [str(_tool_python(layer.path)), *pip, "install", "--quiet", *metadata.requirement.split()]
    status = run_streamed(out, cmd, env=env, cwd=layers_dir, shown=f"pip install {metadata.requirement}")
    if status != 0:
        raise ToolInstallFailed(command=f"pip install {metadata.requirement}", exit_code=status)
    # pip's own .pyc files are timestamp-based: valid for this build, stale once the lifecycle has reset the layer's
    # mtimes. Rewritten hash-based in the background (the tool runs meanwhile on pip's), before the process exits.
    for site_packages in site_packages_dirs(layer.path / "venv"):
        compile_bytecode_before_exit(_tool_python(layer.path), site_packages, env)
    layer.finish()
    return layer
