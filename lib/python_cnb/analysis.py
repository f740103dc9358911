"""Everything decided before the first slow step, as one frozen value: `analyse` reads the app once, makes every
decision with the pure functions of the modules below, and fails early, naming the file or variable and the fix,
before anything is downloaded or installed. The build's steps take this value."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from .app_files import AppFiles, Entry, read_app_files
from .build_env import BuildEnv
from .checks import check_web_concurrency, forbidden_env_vars
from .cnb.data import Target
from .cnb.runtime import BuildContext
from .errors import (
    AppHomeInvalid,
    ForbiddenEnvVars,
    LocalPathOutsideSource,
    NoInterpreterForArch,
    RequirementOptionsUnsupported,
    RequirementsFileInvalid,
    VendorDirectoryInvalid,
    VersionFileUnusable,
)
from .google_paketo_compat import Setting
from .manifest import PythonBuild, load_manifest
from .package_managers import (
    DETECT_PATTERNS,
    VERSION_SOURCES,
    InstallChoice,
    choose_install_method,
    find_workspace,
    version_sources,
)
from .package_managers.base import DependencyInputs, Installer
from .package_managers.installers import PIP, requested_installer
from .package_managers.requirements_scan import tree_digest
from .package_managers.selection import Selection, check_selection, read_selection
from .processes import AppFacts, Kind, WebChoice, choose_web_process
from .python_version import EXPLICIT_FILES, PROJECT_FILE, Resolution, requested_python, resolve
from .s2i import find_hook
from .snapshot import AppSnapshot, read_snapshot
from .tool_versions import read_pin
from .utils import read_optional_text
from .web_facts import app_facts

__all__ = ["Analysis", "Hooks", "ToolPins", "VendorDir", "analyse"]

# The root files whose texts some decision reads (the version files, the Procfile and the start modules).
_VERSION_FILES = tuple(dict.fromkeys((*EXPLICIT_FILES, PROJECT_FILE, *(source.file for source in VERSION_SOURCES))))
_TEXT_FILES = (*_VERSION_FILES, "setup.py", "Procfile", "wsgi.py", "asgi.py", "main.py", "app.py", "api.py",
               "streamlit_app.py", ".flaskenv")


@dataclass(frozen=True)
class ToolPins:
    """The requirements/*.txt pins this build uses, read once."""

    gunicorn: str  # 'gunicorn==27.0.1'
    uvicorn_worker: str  # 'uvicorn-worker==0.4.0'
    tool: str  # the install method's tool or the installer ('uv==0.13.9'), '' for pip


@dataclass(frozen=True)
class Hooks:
    assemble: Optional[Path]  # .s2i/bin/assemble
    run: Optional[str]  # the text of .s2i/bin/run


@dataclass(frozen=True)
class VendorDir:
    """The vendored wheels every install into the app's environment uses, with no index (a pip method's only)."""

    variable: str  # GOOGLE_VENDOR_PIP_DEPENDENCIES or BP_PIP_DEST_PATH
    path: Path
    digest: str  # of its files: part of the venv's reuse key


@dataclass(frozen=True)
class Analysis:
    build_env: BuildEnv
    app_dir: Path  # where the app is: the source's root, or APP_HOME below it
    layers_dir: Path
    buildpack_dir: Path
    target: Target
    snapshot: AppSnapshot
    install: InstallChoice
    installer: Installer  # what installs the pip methods and what the web process needs (pip or uv pip)
    installer_requested: Installer  # BP_PYTHON_INSTALLER's, which a lockfile method overrules
    inputs: DependencyInputs
    selection: Selection  # BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS, checked against the project
    python: PythonBuild
    resolution: Resolution
    manifest_source: str
    pins: ToolPins
    facts: AppFacts
    web: WebChoice
    hooks: Hooks
    vendor: Optional[VendorDir] = None

    @property
    def env(self) -> Mapping[str, str]:
        return self.build_env.env

    @property
    def gunicorn_requirement(self) -> Tuple[str, ...]:
        """Gunicorn, when the web process (or the command that starts it) runs it and the app may not list it."""
        return (self.pins.gunicorn,) if self.web.installs_gunicorn else ()

    @property
    def web_requirements(self) -> Tuple[str, ...]:
        """Every pin the buildpack may add for the web process: Gunicorn, and Uvicorn's worker for an app Gunicorn
        serves (added after the install, only if the app turns out to be ASGI). A bump of either rebuilds the
        environment."""
        return (*self.gunicorn_requirement, *((self.pins.uvicorn_worker,) if self.web.needs_gunicorn else ()))


def analyse(ctx: BuildContext, build_env: BuildEnv, today: datetime.date) -> Analysis:
    env = build_env.env
    app_dir = _app_home(build_env.root, env)
    forbidden = forbidden_env_vars(env)
    if forbidden:
        raise ForbiddenEnvVars(names=forbidden)
    check_web_concurrency(env)

    files = read_app_files(app_dir, _TEXT_FILES, DETECT_PATTERNS)
    install = choose_install_method(files, env.get("BP_PYTHON_PACKAGE_MANAGER", ""),
                                    build_env.sources.get("BP_PYTHON_PACKAGE_MANAGER", ""), env,
                                    find_workspace(build_env.root, app_dir))
    _check_named_files(app_dir, install)
    version_variable = build_env.python_version
    sources = version_sources(install)
    request = requested_python(_version_texts(files, tuple(source.file for source in sources)), sources,
                               (version_variable.variable, version_variable.value) if version_variable else None)
    requested = requested_installer(env)
    installer = requested if install.method.installer_option else PIP
    # A workspace member's inputs are the workspace's: its lock, its projects, their path dependencies.
    inputs = install.method.read_inputs(
        Path(os.path.normpath(app_dir / install.workspace.root)) if install.workspace else app_dir, env)
    _check_local_paths(build_env.root, inputs)
    selection = check_selection(read_selection(env), inputs.declared, install.method.label,
                                " and ".join(install.files or install.method.files), install.method.group_aliases)
    unsupported = installer.unsupported(inputs.scan.options) if inputs.scan is not None else []
    if unsupported:
        raise RequirementOptionsUnsupported(installer=installer.name, options=[
            (option.file, option.line, option.option) for option in unsupported])

    builds, manifest_source = load_manifest(ctx.buildpack_descriptor, env, build_env.root)
    for_arch = [b for b in builds if b.arch == ctx.target.arch]
    if not for_arch:
        raise NoInterpreterForArch(arch=ctx.target.arch, version=str(request.explicit or "(any)"),
                                   source=manifest_source)
    resolution = resolve(request, [b.version for b in for_arch if not b.freethreaded], today,
                         [b.version for b in for_arch if b.freethreaded])
    python = next(b for b in for_arch if (b.version, b.freethreaded) == (resolution.version, resolution.freethreaded))

    run_hook = find_hook(build_env.root, "run")
    hooks = Hooks(assemble=find_hook(build_env.root, "assemble"),
                  run=read_optional_text(run_hook) if run_hook is not None else None)
    snapshot = read_snapshot(app_dir, files, env, build_env.named("GUNICORN_CONFIG"))
    facts, callable_errors = app_facts(snapshot, env, hooks.run is not None)
    web = choose_web_process(facts)
    if web.kind is Kind.GUNICORN and web.rule.value in callable_errors:
        raise callable_errors[web.rule.value]

    tool = install.method.tool or installer.pin
    pins = ToolPins(gunicorn=read_pin(ctx.buildpack_dir, "gunicorn"),
                    uvicorn_worker=read_pin(ctx.buildpack_dir, "uvicorn-worker"),
                    tool=read_pin(ctx.buildpack_dir, tool) if tool else "")
    vendor = _vendor_dir(app_dir, build_env.vendor_dir) if install.method.installer_option else None
    return Analysis(build_env=build_env, app_dir=app_dir, layers_dir=ctx.layers_dir, buildpack_dir=ctx.buildpack_dir,
                    target=ctx.target, snapshot=snapshot, install=install, installer=installer,
                    installer_requested=requested, inputs=inputs, selection=selection, python=python,
                    resolution=resolution,
                    manifest_source=manifest_source, pins=pins, facts=facts, web=web, hooks=hooks, vendor=vendor)


def _inside(app_dir: Path, value: str) -> Optional[Path]:
    """`value` as a path in the app (relative to it, without '..'); None for anything else."""
    path = Path(value)
    return None if path.is_absolute() or ".." in path.parts else app_dir / path


def _check_named_files(app_dir: Path, install: InstallChoice) -> None:
    """The files a variable names for the install method (BP_PIP_REQUIREMENT's) must be files of the app."""
    for name in install.files:
        path = _inside(app_dir, name)
        if path is None:
            raise RequirementsFileInvalid(variable=install.method.files_variable, path=name,
                                          problem="it must be a file in the app, relative to the app's directory")
        if not path.is_file():
            raise RequirementsFileInvalid(variable=install.method.files_variable, path=name,
                                          problem="it is a directory" if path.is_dir() else
                                          "there is no such file in the app")


def _check_local_paths(root: Path, inputs: DependencyInputs) -> None:
    """What the install reads by relative path must be in the app's source: a build has nothing else."""
    source = root.resolve()
    for local in inputs.local_paths:
        if not local.path.is_relative_to(source):
            raise LocalPathOutsideSource(file=local.file, spec=local.spec, path=str(local.path))


def _vendor_dir(app_dir: Path, setting: Optional[Setting]) -> Optional[VendorDir]:
    """GOOGLE_VENDOR_PIP_DEPENDENCIES (or BP_PIP_DEST_PATH): a directory of the app; its files are read once, for
    the reuse key."""
    if setting is None:
        return None
    path = _inside(app_dir, setting.value)
    if path is None or not path.is_dir():
        problem = ("it must be a directory in the app, relative to the app's directory" if path is None else
                   "it is a file, not a directory" if path.exists() else "there is no such directory in the app")
        raise VendorDirectoryInvalid(variable=setting.variable, path=setting.value, problem=problem)
    return VendorDir(variable=setting.variable, path=path, digest=tree_digest(path))


def _app_home(root: Path, env: Mapping[str, str]) -> Path:
    """APP_HOME (the S2I image's app subdirectory): every decision and step reads the app there; .s2i/ and the
    manifest stay at the root."""
    value = env.get("APP_HOME", "").strip()
    if not value:
        return root
    if value.startswith("/") or ".." in Path(value).parts:
        raise AppHomeInvalid(value=value, problem="it must be a directory inside the source, relative to its root")
    home = root / value
    if home.is_symlink() or not home.is_dir():
        problem = ("it is a symbolic link" if home.is_symlink() else "it is a file" if home.exists()
                   else "there is no such directory in the source")
        raise AppHomeInvalid(value=value, problem=problem)
    return home


def _version_texts(files: AppFiles, chosen: Tuple[str, ...]) -> Dict[str, Optional[str]]:
    """The texts the Python version decision reads (`chosen`: the version sources' files for this install choice,
    pylock.prod.toml for instance). A dangling link or a directory where a version file should be fails: building
    without it could install another Python than the one the app chose."""
    for name in dict.fromkeys((*_VERSION_FILES, *chosen)):
        entry = files.entries.get(name)
        if entry is Entry.DANGLING:
            target = files.link_targets.get(name, "")
            raise VersionFileUnusable(path=name, problem=f"a symbolic link to {target!r}, which does not exist")
        if entry is Entry.DIRECTORY or entry is Entry.OTHER:
            raise VersionFileUnusable(path=name, problem=f"a {entry.value}")
    return {name: files.text(name) for name in dict.fromkeys((*_VERSION_FILES, *chosen))}
