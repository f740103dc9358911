"""The default build stage (what `/usr/libexec/s2i/assemble` does in the reference builder): install the app's
dependencies into the virtual environment with its install method, add what the web process needs (Gunicorn),
compile the new bytecode, run Django's collectstatic.

It runs in the buildpack's process, or, when an .s2i/bin/assemble hook sources the default stage, in a child process
started from the hook with the hook's environment: everything it needs is in a `StagePlan`, which is plain data."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple

from ._vendor.packaging.requirements import InvalidRequirement, Requirement
from ._vendor.packaging.utils import canonicalize_name
from .bytecode import compile_bytecode
from .bytecode_update import read_baseline, update_bytecode
from .cnb.layer_env import Scope
from .errors import CollectstaticFailed
from .layers.venv import activation
from .output import Output
from .package_managers import get_method
from .package_managers.base import Installer, InstallPaths, InstallStep, Workspace
from .package_managers.installers import get_installer, run_install
from .package_managers.selection import Selection
from .utils import is_truthy, run_streamed
from .venv_facts import VenvFacts

__all__ = ["StagePlan", "collectstatic_missing", "run_default_stage"]


@dataclass(frozen=True)
class StagePlan:
    app_dir: str
    venv_dir: str
    pip_cache_dir: str
    method: str  # the install method's name (package_managers)
    installer: str  # 'pip' or 'uv': installs the pip methods and the extra requirements
    pip_python: str  # the python of the build-only pip layer, which installs into venv_dir (pip --python)
    tool_bin: str  # the tool's bin/ directory (a lockfile tool's, or uv's as installer; "" for pip)
    tool_cache_dir: str  # that tool's cache layer ("" for pip)
    install: bool  # False when the cached venv was reused
    update: bool = False  # install into the restored venv, then remove what is no longer required
    lock_at_build: bool = False  # a lockfile method's project without its lock: write the lock first
    extra_requirements: Tuple[str, ...] = ()  # what the web process needs and the app may not list (Gunicorn)
    requirement_files: Tuple[str, ...] = ("requirements.txt",)  # what pip -r installs (BP_PIP_REQUIREMENT's files)
    requirements: Tuple[str, ...] = ()  # requirements.txt's requirement lines (pip -r; what an update keeps)
    update_lines: Optional[Tuple[str, ...]] = None  # see InstallStep
    update_options: Tuple[str, ...] = ()
    manage_py: Optional[str] = None  # relative to the app, for collectstatic
    django_settings: str = ""  # the Django settings module's file, relative to the app ("" when not known)
    vendor_dir: str = ""  # the vendored wheels every install uses instead of an index (GOOGLE_VENDOR_PIP_DEPENDENCIES)
    groups: Tuple[str, ...] = ()  # BP_PYTHON_DEPENDENCY_GROUPS, checked (see package_managers.selection)
    extras: Tuple[str, ...] = ()  # BP_PYTHON_EXTRAS
    workspace_root: str = ""  # the enclosing workspace whose lock installs the app, relative to it ('' for none)
    workspace_member: str = ""  # the app's package in it

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> StagePlan:
        data = json.loads(text)
        lines = data.get("update_lines")
        return cls(**{**data, **{key: tuple(data.get(key, ())) for key in
                                 ("extra_requirements", "requirement_files", "requirements", "update_options",
                                  "groups", "extras")
                                 if key in data},
                      "update_lines": tuple(lines) if lines is not None else None})

    def paths(self, cache_dir: str) -> InstallPaths:
        cache, venv = Path(cache_dir), Path(self.venv_dir)
        return InstallPaths(app_dir=Path(self.app_dir), venv_dir=venv, pip_python=Path(self.pip_python),
                            tool_bin=Path(self.tool_bin), cache_dir=cache, link_mode=_link_mode(cache, venv),
                            vendor_dir=Path(self.vendor_dir) if self.vendor_dir else None)

    def installer_paths(self) -> InstallPaths:
        """The installer's paths: uv's own cache when uv installs, else pip's."""
        own = self.installer != "pip" and self.tool_cache_dir
        return self.paths(self.tool_cache_dir if own else self.pip_cache_dir)


def _link_mode(cache_dir: Path, venv_dir: Path) -> str:
    """'hardlink' when the installer's cache and the venv are on one filesystem, else 'copy'."""
    try:
        return "hardlink" if cache_dir.stat().st_dev == venv_dir.stat().st_dev else "copy"
    except OSError:
        return "copy"


def run_default_stage(plan: StagePlan, build_env: Mapping[str, str], out: Output) -> None:
    venv = Path(plan.venv_dir)
    method, installer = get_method(plan.method), get_installer(plan.installer)
    env = activation(venv, Path(plan.pip_cache_dir)).apply(Scope.BUILD, build_env)
    installer_paths = plan.installer_paths()
    installer_env = installer.env(env, installer_paths)
    if plan.install:
        tool = installer.name if method.installer_option else method.manager
        if tool != "pip" and is_truthy(env.get("PIP_UPGRADE", "")):
            out.step(f"PIP_UPGRADE is set, but ignored: {tool} installs this app's dependencies, not pip")
        # An update compiles what it installed and removes the bytecode of what it uninstalled (bytecode_update).
        before = read_baseline(venv) if plan.update else None
        step = InstallStep(
            out=out, paths=installer_paths if method.installer_option else plan.paths(plan.tool_cache_dir),
            env=env, installer=installer, installer_env=installer_env, update=plan.update,
            selection=Selection(groups=plan.groups, extras=plan.extras),
            workspace=Workspace(plan.workspace_root, plan.workspace_member) if plan.workspace_root else None,
            requirement_files=plan.requirement_files, lock_at_build=plan.lock_at_build,
            requirements=plan.requirements, update_lines=plan.update_lines, update_options=plan.update_options,
            extra_requirements=plan.extra_requirements,
            add_extras=lambda: _add_extras(plan, installer, installer_paths, installer_env, out))
        method.install(step)
        # The facts after the install, read once: compiling bytecode changes no distribution, so collectstatic's
        # question is asked of them too.
        facts = _add_extras(plan, installer, installer_paths, installer_env, out)
        if facts.site_packages is not None and before is not None:
            update_bytecode(out, venv / "bin" / "python", facts.site_packages, env, before, facts)
        elif facts.site_packages is not None:
            compile_bytecode(venv / "bin" / "python", facts.site_packages, env)
    else:
        facts = VenvFacts.read(venv)
    _collectstatic(plan, facts, env, out)


_SHOWN = {"gunicorn": "Gunicorn"}


def _name(pin: str) -> str:
    try:
        return Requirement(pin).name
    except InvalidRequirement:
        return pin


def _add_extras(plan: StagePlan, installer: Installer, paths: InstallPaths, env: Mapping[str, str],
                out: Output) -> VenvFacts:
    """Gunicorn (and what else the web process needs) when the app's own requirements did not bring it; the
    environment's facts after that (read again only when it installed something)."""
    facts = VenvFacts.read(Path(plan.venv_dir))
    missing = [pin for pin in plan.extra_requirements if canonicalize_name(_name(pin)) not in facts.distributions]
    if missing:
        names = " and ".join(_SHOWN.get(_name(pin), _name(pin)) for pin in missing)
        out.step(f"The web process uses {names}, which the app does not list: adding "
                 f"{'it' if len(missing) == 1 else 'them'}")
        run_install(out, installer, paths, env, missing)
        return VenvFacts.read(Path(plan.venv_dir))
    return facts


def _collectstatic(plan: StagePlan, facts: VenvFacts, env: Mapping[str, str], out: Output) -> None:
    if not facts.has("django"):
        return
    if plan.manage_py is None:
        out.step("Django is installed but no manage.py was found (root and three levels down): "
                 "skipping collectstatic")
        return
    if is_truthy(env.get("DISABLE_COLLECTSTATIC", "")):
        out.step("Skipping Django collectstatic since DISABLE_COLLECTSTATIC is set")
        return
    out.header("Generating Django static files")
    venv, manage = Path(plan.venv_dir), Path(plan.app_dir) / plan.manage_py
    cmd = [str(venv / "bin" / "python"), "manage.py", "collectstatic", "--noinput"]
    shown = f"python {plan.manage_py} collectstatic --noinput"
    # One process in the common case: the output is streamed, and kept to tell a missing command from a failure.
    output: List[str] = []
    status = run_streamed(out, cmd, env=env, cwd=manage.parent, shown=shown, capture=output)
    if collectstatic_missing(status, output):
        out.step("Skipping Django collectstatic since django.contrib.staticfiles is not in INSTALLED_APPS "
                 "(manage.py has no collectstatic command)")
        return
    if status != 0:
        raise CollectstaticFailed(command=shown, exit_code=status, static_root_unset=static_root_unset(output),
                                  settings_file=plan.django_settings)


# What Django's ManagementUtility writes to stderr (then exits 1) for a command no installed app provides. Settings
# that fail to load raise their own error instead, so this line means the settings loaded without staticfiles.
_UNKNOWN_COLLECTSTATIC = "Unknown command: 'collectstatic'"


# What Django's staticfiles storage raises (ImproperlyConfigured) when STATIC_ROOT is not set: the settings of a fresh
# `django-admin startproject`.
_NO_STATIC_ROOT = "without having set the STATIC_ROOT setting"


def static_root_unset(output: Sequence[str]) -> bool:
    return any(_NO_STATIC_ROOT in line for line in output)


def collectstatic_missing(status: int, output: Sequence[str]) -> bool:
    """manage.py exited as Django does for an unknown command, naming collectstatic: the app does not use
    django.contrib.staticfiles, so there is nothing to collect (Heroku's buildpack skips it too)."""
    return status == 1 and any(line.startswith(_UNKNOWN_COLLECTSTATIC) for line in output)
