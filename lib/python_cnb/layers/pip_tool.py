"""The pip that installs into the app's environment, in a build-only cached layer (`pip`): the app's virtual
environment is created without pip, so pip (and setuptools and wheel, unless the app's requirements pull them in)
never ships in the image.

pip lives in its own virtual environment and installs into the app's as `pip --python VENV/bin/python` would (see
package_managers.installers.pip_command). It is the interpreter's bundled pip, or with PIP_UPGRADE the newest pip from
the package index (the layer is then refreshed on every build that installs).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping

from ..bytecode import compile_bytecode_before_exit
from ..cnb.layer import LayerRef, LayerTypes, cached_layer
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..errors import CommandFailed
from ..manifest import PythonBuild
from ..output import Output
from ..utils import run_streamed
from ..venv_layout import bundled_pip_version, bundled_pip_wheel, create_venv, site_packages_dirs

__all__ = ["PipToolMetadata", "cache_invalidation_reasons", "install_pip_tool", "pip_python"]

LAYER_NAME = "pip"
# 2: hash-based bytecode for pip itself (a layer without it made every pip run compile pip from source).
LAYER_FORMAT = 2


@dataclass(frozen=True)
class PipToolMetadata:
    layer_format: int
    pip_version: str  # the bundled pip's version
    python_version: str
    python_sha256: str


def cache_invalidation_reasons(old: PipToolMetadata, new: PipToolMetadata) -> List[str]:
    reasons = []
    if old.layer_format != new.layer_format:
        reasons.append("The buildpack's pip layer format has changed")
    if old.pip_version != new.pip_version:
        reasons.append(f"The bundled pip has changed from {old.pip_version} to {new.pip_version}")
    if old.python_version != new.python_version or old.python_sha256 != new.python_sha256:
        reasons.append(f"The Python interpreter has changed (from {old.python_version} to {new.python_version})")
    return reasons


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split(".")[:2]:
        if not part.isdigit():
            return (999,)  # unknown: assume new enough
        parts.append(int(part))
    return tuple(parts)


def pip_python(layer_dir: Path) -> Path:
    """The python of pip's own environment in the layer."""
    return layer_dir / "venv" / "bin" / "python"


def install_pip_tool(layers_dir: Path, out: Output, python: PythonBuild, python_dir: Path, *, upgrade: bool,
                     needed: bool, env: Mapping[str, str]) -> LayerRef[PipToolMetadata]:
    """pip's own environment (reused across builds; its python is `pip_python(layer.path)`); with `upgrade`, pip is
    upgraded from the index. When it is not `needed` (nothing gets installed) a cached one is kept for later builds,
    and nothing installed."""
    metadata = PipToolMetadata(LAYER_FORMAT, bundled_pip_version(python_dir), python.label, python.sha256)
    # build=true: later buildpacks run `python -m pip` (PYTHONPATH below) against the app's environment; never launch.
    layer = cached_layer(layers_dir, LAYER_NAME, LayerTypes(build=True, cache=True), metadata,
                         cache_invalidation_reasons,
                         complete=lambda path: pip_python(path).exists(), reusable=not (upgrade and needed),
                         not_reusable_reason="PIP_UPGRADE is set")
    pip = pip_python(layer.path)
    if layer.reused or not needed:
        return layer
    wheel = bundled_pip_wheel(python_dir)
    create_venv(out, python_dir, layer.path / "venv", env, with_pip=wheel is None)
    if wheel is not None:
        # pip is pure Python and runs as `python -m pip`: unpacking its wheel is all an install would do that
        # matters here, and takes a tenth of the time of running pip to install itself.
        for site_packages in site_packages_dirs(layer.path / "venv"):
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(site_packages)
    too_old = _version_tuple(metadata.pip_version) < (22, 3)
    if upgrade or too_old:
        out.step("PIP_UPGRADE is set: upgrading the pip that installs the dependencies" if upgrade else
                 f"The bundled pip {metadata.pip_version} cannot install into another environment (--python needs "
                 "22.3 or newer): upgrading it")
        args = ["install", "--upgrade", "pip" if upgrade else "pip>=22.3"]
        status = run_streamed(out, [str(pip), "-m", "pip", *args], env=env, cwd=layers_dir,
                              shown="pip " + " ".join(args))
        if status != 0:
            raise CommandFailed(command="pip " + " ".join(args), exit_code=status)
    pip_site = site_packages_dirs(layer.path / "venv")
    for site_packages in pip_site:
        # `pip --python` never writes pip's own bytecode, so without this every pip run compiles pip from source
        # (about half a second each, on every build). Hash-based: the lifecycle's mtime reset leaves it valid.
        compile_bytecode_before_exit(pip, site_packages, env)
    if pip_site:
        # For later buildpacks only (env.build): `python -m pip` finds pip, and it installs into sys.prefix, the venv.
        LayerEnv().add(Scope.BUILD, Behavior.PREPEND, "PYTHONPATH", str(pip_site[0]), delimiter=":").write(layer.path)
    layer.finish()
    return layer
