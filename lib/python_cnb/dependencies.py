"""The build step that installs the app's dependencies: the caches, the virtual environment, the build-only pip, the
install method's tool, then the default build stage (or the app's .s2i/bin/assemble hook, which may source it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Tuple

from . import freethreaded
from .analysis import Analysis
from .cnb.layer import LayerRef
from .cnb.layer_env import Scope
from .default_stage import StagePlan, run_default_stage
from .errors import FreeThreadedWheelsMissing, InstallerIgnoresSettings, LockedAtBuild, render_warning
from .layers.caches import install_cache
from .layers.pip_tool import install_pip_tool, pip_python
from .layers.tools import Prefetch, install_tool, tool_bin
from .layers.venv import VenvLayerMetadata, activation, install_venv, same_requirements_structure
from .output import Output
from .package_managers.base import InstallTarget
from .package_managers.installers import pip_command
from .s2i import run_assemble_hook
from .wheel_fetch import FetchFailed, project_file_names, settings_it_does_not_follow

__all__ = ["Dependencies", "check_freethreaded_builds", "install_dependencies"]


@dataclass(frozen=True)
class Dependencies:
    venv: LayerRef[VenvLayerMetadata]
    target: InstallTarget  # the environment, and the installer that adds what the web process needs


def install_dependencies(analysis: Analysis, python_dir: Path, prefetch: Optional[Prefetch],
                         out: Output) -> Dependencies:
    out.header("Installing dependencies")
    _report_method(analysis, out)
    if analysis.resolution.freethreaded:
        check_freethreaded_builds(analysis, out)
    layers_dir, env, method = analysis.layers_dir, analysis.env, analysis.install.method
    pip_cache = install_cache(layers_dir, out, "pip-cache", "pip download/wheel cache")
    venv = install_venv(analysis, out, python_dir)
    venv_env = activation(venv.path, pip_cache.path).apply(Scope.BUILD, env)
    hook = analysis.hooks.assemble
    # pip installs the pip methods' requirements (unless uv does), the lockfile apps' Gunicorn, and what an
    # .s2i/bin/assemble hook runs as `pip`.
    pip = install_pip_tool(layers_dir, out, analysis.python, python_dir,
                           upgrade=venv.metadata.pip_upgrade, env=venv_env,
                           needed=not venv.reused and (analysis.installer.name == "pip" or hook is not None))
    tool_dir = tool_cache = ""
    if analysis.pins.tool:
        tool = install_tool(layers_dir, out, analysis.python, python_dir, analysis.pins.tool,
                            needed=not venv.reused, env=venv_env, prefetch=prefetch)
        name = analysis.pins.tool.partition("==")[0]
        tool_dir = str(tool_bin(tool.path))
        tool_cache = str(install_cache(layers_dir, out, f"{name}-cache", f"{name} cache").path)
    scan, workspace = analysis.inputs.scan, analysis.install.workspace
    old = venv.old
    update_lines = (scan.changed_requirements(old.requirement_lines)
                    if venv.updated and old is not None and scan is not None and
                    same_requirements_structure(old, venv.metadata) else None)
    plan = StagePlan(app_dir=str(analysis.app_dir), venv_dir=str(venv.path), pip_cache_dir=str(pip_cache.path),
                     method=method.name, installer=analysis.installer.name, pip_python=str(pip_python(pip.path)),
                     tool_bin=tool_dir, tool_cache_dir=tool_cache, install=not venv.reused, update=venv.updated,
                     lock_at_build=analysis.install.lock_at_build,
                     extra_requirements=analysis.gunicorn_requirement,
                     requirement_files=scan.roots if scan is not None else analysis.install.files,
                     requirements=scan.requirements if scan is not None else (), update_lines=update_lines,
                     update_options=scan.top_options if scan is not None else (),
                     manage_py=analysis.snapshot.manage_py,
                     django_settings=(analysis.snapshot.django.settings_file or "") if analysis.snapshot.django else "",
                     vendor_dir=str(analysis.vendor.path) if analysis.vendor is not None else "",
                     groups=analysis.selection.groups, extras=analysis.selection.extras,
                     workspace_root=workspace.root if workspace is not None else "",
                     workspace_member=workspace.member if workspace is not None else "")
    if hook is not None:
        run_assemble_hook(out, hook, plan.dumps(), pip_command(pip_python(pip.path), venv.path), venv_env,
                          analysis.build_env.root)
    else:
        run_default_stage(plan, env, out)
    return Dependencies(venv=venv, target=InstallTarget(analysis.installer, plan.installer_paths(), venv_env))


def check_freethreaded_builds(analysis: Analysis, out: Output,
                              lookup: Optional[Callable[[str], Optional[Sequence[str]]]] = None) -> None:
    """Before installing for a free-threaded interpreter: every pinned distribution has a wheel for its ABI or an
    sdist (see freethreaded.py), else FreeThreadedWheelsMissing names them. Index lookups are skipped when pip's
    settings name other places to find packages (extra indexes, find-links), and for a vendored wheel directory."""
    python, arch, env = analysis.python, analysis.target.arch, analysis.env
    lock = analysis.install.method.lock
    scan = analysis.inputs.scan
    markers = freethreaded.target_markers(python.version, arch)
    pins = freethreaded.read_pins(analysis.app_dir, lock.file if lock is not None else None,
                                  scan.requirements if scan is not None else (),
                                  scan.roots[0] if scan is not None and scan.roots else "requirements.txt", markers)
    if lookup is None:
        offline = analysis.vendor is not None or bool(settings_it_does_not_follow(env))
        lookup = (lambda name: None) if offline else (lambda name: _index_files(name, env))
    checked = freethreaded.with_index_files(pins, lookup)
    lacking = freethreaded.lacking_builds(checked, python.version, arch)
    if lacking:
        raise FreeThreadedWheelsMissing(
            python=python.version, abi=freethreaded.abi_tag(python.version),
            platform=f"linux {freethreaded.MACHINES.get(arch, arch)}", source=analysis.resolution.requested_by,
            distributions=[(pin.name, pin.version, pin.file) for pin in lacking])
    out.step(f"Checked {len(checked)} of {len(pins)} pinned distributions for {freethreaded.abi_tag(python.version)} "
             "wheels or an sdist: all have one")


def _index_files(name: str, env: Mapping[str, str]) -> Optional[Sequence[str]]:
    try:
        return project_file_names(name, env)
    except FetchFailed:
        return None


def _reuse_files(files: str, lock_file: str) -> Tuple[str, ...]:
    """The reuse key's files without the lock that is not there ('pyproject.toml', 'poetry.toml')."""
    return tuple(name for name in files.split(", ") if name != lock_file)


def _report_method(analysis: Analysis, out: Output) -> None:
    """The install method and the installer, and what the user asked for that does not apply."""
    choice, installer, requested = analysis.install, analysis.installer, analysis.installer_requested
    out.step(choice.describe(installer.name))
    if choice.note:
        out.step(choice.note)
    if choice.ignored:
        out.step(f"Ignoring {', '.join(choice.ignored)} since {choice.reason}")
    if analysis.selection:
        out.step(f"Also installing the {analysis.selection.describe()} (BP_PYTHON_DEPENDENCY_GROUPS, "
                 "BP_PYTHON_EXTRAS)")
    lock = choice.method.lock
    if choice.lock_at_build and lock is not None:
        out.warning(*render_warning(LockedAtBuild(lock_file=lock.file, project_file=lock.project_file, fix=lock.fix,
                                                  reuse_files=_reuse_files(analysis.inputs.files, lock.file))))
    if not choice.method.installer_option:
        vendor = analysis.build_env.vendor_dir
        ignored = [f"{analysis.build_env.named('BP_PYTHON_INSTALLER')}={requested.name}"] \
            if requested.name != "pip" else []
        ignored += [f"{vendor.variable}={vendor.value}"] if vendor is not None else []
        for setting in ignored:
            out.step(f"{setting} is ignored: it applies to requirements.txt and setup.py or pyproject.toml projects, "
                     f"and {choice.method.manager} installs this app")
        return
    if installer.name != "pip":
        out.step(f"Installer: {installer.name} ({analysis.build_env.named('BP_PYTHON_INSTALLER')}), with the PIP_* "
                 f"settings mapped to {installer.name}'s")
        ignored = installer.ignored_settings(analysis.env)
        if ignored:
            out.warning(*render_warning(InstallerIgnoresSettings(installer.name, ignored)))
