"""The default build stage (what `/usr/libexec/s2i/assemble` does in the reference builder): install the
dependencies into the virtual environment, add Gunicorn when the web process needs it, run collectstatic.

It runs in the buildpack's process, or, when an .s2i/bin/assemble hook sources the default stage, in a child
process started from the hook with the hook's environment (see PythonBuildpack._run_assemble_hook)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from ._vendor.packaging.requirements import InvalidRequirement, Requirement
from ._vendor.packaging.utils import canonicalize_name
from .errors import CollectstaticFailed, CommandFailed, EnvironmentCheckFailed, LockfileOutOfDate
from .installers import Installer, InstallerPaths, get_installer
from .layers.venv import installed_distributions
from .managers import get_manager
from .managers.base import InstallPaths, ToolCommand
from .output import Output
from .package_manager import PackageManager
from .project import find_manage_py
from .redact import redact
from .requirement_graph import (
    marker_env,
    read_distributions,
    required_closure,
    root_names,
    unmet_requirements,
    unmet_roots,
)
from .utils import compile_bytecode, is_truthy, run_streamed

__all__ = ["AssemblePlan", "install_requirements", "installer_env", "pip_env", "run_default_assemble"]

@dataclass(frozen=True)
class AssemblePlan:
    app_dir: str
    venv_dir: str
    pip_cache_dir: str
    package_manager: str  # PackageManager value
    tool_bin: str  # a lockfile tool's bin/ directory ("" for pip)
    tool_cache_dir: str  # that tool's cache layer ("" for pip)
    extra_requirements: str  # what the web process needs and the app may not list ('gunicorn==27.0.1'), or ""
    pip_python: str  # the python of the build-only pip layer, which installs into venv_dir (pip --python)
    install: bool  # False when the cached venv was reused
    update: bool = False  # install into the restored venv, then remove what is no longer required (pip paths)
    # What installs requirements.txt / `-e .` and the extra requirements: 'pip', or 'uv' (BP_PYTHON_INSTALLER; then
    # tool_bin and tool_cache_dir are uv's).
    installer: str = "pip"
    # requirements.txt's requirement lines, as the build's scan read them (pip -r; what an update keeps installed).
    requirements: Tuple[str, ...] = ()
    # An update where only requirement lines changed (RequirementsScan.changed_requirements): the lines to install,
    # () when the requirements only lost lines; None: the whole install. update_options: requirements.txt's own
    # option lines, which such an install carries over.
    update_lines: Optional[Tuple[str, ...]] = None
    update_options: Tuple[str, ...] = ()

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AssemblePlan:
        data = json.loads(path.read_text(encoding="utf-8"))
        lines = data.get("update_lines")
        return cls(**{**data, "requirements": tuple(data.get("requirements", ())),
                      "update_lines": tuple(lines) if lines is not None else None,
                      "update_options": tuple(data.get("update_options", ()))})


def pip_env(env: Mapping[str, str], venv_dir: Path, pip_cache_dir: Path) -> Dict[str, str]:
    """The user's build environment with the venv active and pip pointed at the cache layer."""
    result = dict(env)
    result.pop("PYTHONHOME", None)
    result["VIRTUAL_ENV"] = str(venv_dir)
    result["PATH"] = f"{venv_dir / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    result["PIP_CACHE_DIR"] = str(pip_cache_dir)
    result["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result["PIP_NO_INPUT"] = "1"
    result["PIP_PROGRESS_BAR"] = "off"  # progress bars are noise in a build log
    result["PYTHONUNBUFFERED"] = "1"
    return result


def _installer(plan: AssemblePlan) -> tuple[Installer, InstallerPaths]:
    installer = get_installer(plan.installer)
    own_cache = plan.installer != "pip" and plan.tool_cache_dir
    cache_dir = Path(plan.tool_cache_dir if own_cache else plan.pip_cache_dir)
    paths = InstallerPaths(app_dir=Path(plan.app_dir), venv_dir=Path(plan.venv_dir), pip_python=Path(plan.pip_python),
                           tool_bin=Path(plan.tool_bin), cache_dir=cache_dir,
                           link_mode=_link_mode(cache_dir, Path(plan.venv_dir)))
    return installer, paths


def _link_mode(cache_dir: Path, venv_dir: Path) -> str:
    """'hardlink' when the installer's cache and the venv are on one filesystem, else 'copy'."""
    try:
        return "hardlink" if cache_dir.stat().st_dev == venv_dir.stat().st_dev else "copy"
    except OSError:
        return "copy"


def _run(out: Output, plan: AssemblePlan, env: Mapping[str, str], command: ToolCommand, hint: str = "",
         capture: Optional[List[str]] = None) -> None:
    status = run_streamed(out, command.argv, env=env, cwd=Path(plan.app_dir), shown=command.shown, capture=capture)
    if status != 0:
        raise CommandFailed(command=command.shown, exit_code=status, hint=hint)


def installer_env(plan: AssemblePlan, env: Mapping[str, str]) -> Dict[str, str]:
    """The environment the plan's installer runs with: the user's build env, the venv active, pip's cache, and the
    installer's own settings (PIP_* mapped for uv)."""
    installer, paths = _installer(plan)
    return installer.env(pip_env(env, Path(plan.venv_dir), Path(plan.pip_cache_dir)), paths)


def install_requirements(out: Output, plan: AssemblePlan, env: Mapping[str, str], args: Sequence[str],
                         hint: str = "") -> None:
    """`pip install` (or `uv pip install`) of args into the plan's venv, without compiling bytecode. `env` is
    installer_env's."""
    installer, paths = _installer(plan)
    _run(out, plan, env, installer.install(paths, env, args), hint)


PIP_HINT = ("Check that every requirement exists on the package index (PIP_INDEX_URL if you set one), that\n"
            "version pins are compatible with each other and with the Python version, and that packages\n"
            "which compile code have the system libraries they need. The same command should work locally.")


def _dist_infos(venv: Path) -> Dict[Path, Set[Tuple[str, int, int]]]:
    """Each site-packages' *.dist-info directories, with their inode and change time: a distribution reinstalled at
    the same version (another URL, a changed lock) counts as new too."""
    found: Dict[Path, Set[Tuple[str, int, int]]] = {}
    for site in venv.glob("lib/python3*/site-packages"):
        infos = found.setdefault(site, set())
        for info in site.glob("*.dist-info"):
            try:
                stat = info.stat()
            except OSError:
                continue
            infos.add((info.name, stat.st_ino, stat.st_ctime_ns))
    return found


def run_default_assemble(plan: AssemblePlan, env: Mapping[str, str], out: Output) -> None:
    venv = Path(plan.venv_dir)
    app_dir = Path(plan.app_dir)
    run_env = pip_env(env, venv, Path(plan.pip_cache_dir))
    # An update compiles what it installed (the new *.dist-info directories' RECORDs), not the whole environment.
    before = _dist_infos(venv) if plan.install and plan.update else {}
    if plan.install:
        manager = PackageManager(plan.package_manager)
        install_env = installer_env(plan, env)
        tool = plan.installer if manager.is_pip else manager.value
        if tool != "pip" and is_truthy(env.get("PIP_UPGRADE", "")):
            out.step(f"PIP_UPGRADE is set, but ignored: {tool} installs this app's dependencies, not pip")
        if manager.is_pip:
            whole = plan.update_lines is None
            if whole:
                _install_app_requirements(plan, install_env, out, manager)
            elif plan.update_lines:
                _install_changed_lines(plan, install_env, out)
            else:
                out.step("The requirements only lost lines: nothing new to install")
            if plan.update:
                _add_extra_requirements(plan, install_env, out)
                if not _remove_unrequired(plan, install_env, out, final=whole):
                    out.step("The changed lines alone leave requirements unmet (see above): installing the whole "
                             "requirements.txt again")
                    _install_app_requirements(plan, install_env, out, manager)
                    _add_extra_requirements(plan, install_env, out)
                    _remove_unrequired(plan, install_env, out, final=True)
        else:
            _sync_lock(plan, run_env, out, manager)
        _add_extra_requirements(plan, install_env, out)
        for site_packages, infos in sorted(_dist_infos(venv).items()):
            installed = {name for name, *_ in infos - before[site_packages]} if site_packages in before else None
            compile_bytecode(venv / "bin" / "python", site_packages, run_env, only_missing=plan.update,
                             only_distributions=installed)
    _collectstatic(app_dir, venv, run_env, out)


def _install_app_requirements(plan: AssemblePlan, env: Mapping[str, str], out: Output,
                              manager: PackageManager) -> None:
    # Never compiled by the installer: the venv is compiled once afterwards, hash-based (see compile_bytecode).
    if manager is PackageManager.PIP:
        install_requirements(out, plan, env, ["-r", "requirements.txt"], PIP_HINT)
    elif manager is PackageManager.PIP_PROJECT:
        install_requirements(out, plan, env, ["-e", "."], PIP_HINT)


CHANGED_LINES_FILE = ".python-buildpack-changed-requirements.txt"


def _install_changed_lines(plan: AssemblePlan, env: Mapping[str, str], out: Output) -> None:
    """An update where only requirement lines changed: install those lines alone (what the rest asks is installed),
    from a file beside requirements.txt with its options, so relative paths and ${VAR}s read as they do there."""
    assert plan.update_lines
    out.step(f"Only requirement lines changed: installing {', '.join(redact(line) for line in plan.update_lines)}")
    path = Path(plan.app_dir) / CHANGED_LINES_FILE
    path.write_text("".join(f"{line}\n" for line in (*plan.update_options, *plan.update_lines)), encoding="utf-8")
    try:
        install_requirements(out, plan, env, ["-r", CHANGED_LINES_FILE], PIP_HINT)
    finally:
        path.unlink(missing_ok=True)


def _remove_unrequired(plan: AssemblePlan, run_env: Mapping[str, str], out: Output, final: bool = True) -> bool:
    """After an in-place update: uninstall what the requirements no longer pull in (directly or through
    dependencies), then check it as `pip check` does, and that each requirement line is met: the environment must
    be the one a fresh install gives. A failed check fails the build when final, else returns False."""
    venv = Path(plan.venv_dir)
    env_markers = marker_env(venv)
    installed = read_distributions(sorted(venv.glob("lib/python3*/site-packages")))
    requirements = [*plan.requirements, *plan.extra_requirements.split()]
    roots = root_names(requirements, env_markers)
    unused = sorted(set(installed) - required_closure(roots, installed, env_markers))
    installer, paths = _installer(plan)
    if unused:
        out.step(f"Removing what the requirements no longer pull in: {', '.join(unused)}")
        _run(out, plan, run_env, installer.uninstall(paths, unused))
    # What `pip check` verifies, read from the installed metadata: running pip (or uv) for it costs more than the rest
    # of a one-requirement update.
    kept = {name: dist for name, dist in installed.items() if name not in unused}
    problems = unmet_requirements(kept, env_markers) + unmet_roots(plan.requirements, kept, env_markers)
    if problems:
        if not final:
            for problem in problems:
                out.step(f"  {problem}")
            return False
        raise EnvironmentCheckFailed(problems=problems)
    out.step("Checked the updated environment as `pip check` does: every installed distribution's requirements are met")
    return True


def _sync_lock(plan: AssemblePlan, run_env: Mapping[str, str], out: Output, manager: PackageManager) -> None:
    tool = get_manager(manager.value)
    paths = InstallPaths(app_dir=Path(plan.app_dir), venv_dir=Path(plan.venv_dir), tool_bin=Path(plan.tool_bin),
                         cache_dir=Path(plan.tool_cache_dir),
                         link_mode=_link_mode(Path(plan.tool_cache_dir), Path(plan.venv_dir)))
    tool_env = tool.tool_env(run_env, paths)
    for command in tool.commands(paths):
        output: List[str] = []
        status = run_streamed(out, command.argv, env=tool_env, cwd=paths.app_dir, shown=command.shown, capture=output)
        if status == 0:
            continue
        text = "".join(output)
        hint = tool.failure_hint(text, tool_env)
        if tool.lock_out_of_date(text):
            raise LockfileOutOfDate(manager=tool.name, lock_file=tool.lock_file, command=command.shown,
                                    fix=tool.lock_fix, note=hint)
        raise CommandFailed(command=command.shown, exit_code=status, hint=hint or LOCK_HINT.format(lock=tool.lock_file))


LOCK_HINT = ("Check that every package in {lock} exists on the package index the lockfile names (or the one\n"
             "you configured), that the lockfile supports this Python version, and that packages which compile\n"
             "code have the system libraries they need. The same command should work locally.")


_SHOWN = {"gunicorn": "Gunicorn"}


def _add_extra_requirements(plan: AssemblePlan, run_env: Mapping[str, str], out: Output) -> None:
    """Gunicorn (and what else the web process needs) when the app's own requirements did not bring it."""
    installed = installed_distributions(Path(plan.venv_dir))
    missing = []
    for pin in plan.extra_requirements.split():
        try:
            name = canonicalize_name(Requirement(pin).name)
        except InvalidRequirement:
            name = canonicalize_name(pin)
        if name not in installed:
            missing.append(pin)
    if missing:
        names = " and ".join(_SHOWN.get(Requirement(pin).name, Requirement(pin).name) for pin in missing)
        out.step(f"The web process uses {names}, which the app does not list: adding "
                 f"{'it' if len(missing) == 1 else 'them'}")
        install_requirements(out, plan, run_env, missing, PIP_HINT)


def _collectstatic(app_dir: Path, venv: Path, env: Mapping[str, str], out: Output) -> None:
    if "django" not in installed_distributions(venv):
        return
    manage = find_manage_py(app_dir)
    if manage is None:
        out.step("Django is installed but no manage.py was found (root and three levels down): "
                 "skipping collectstatic")
        return
    if is_truthy(env.get("DISABLE_COLLECTSTATIC", "")):
        out.step("Skipping Django collectstatic since DISABLE_COLLECTSTATIC is set")
        return
    relative = manage.relative_to(app_dir)
    out.header("Generating Django static files")
    cmd = [str(venv / "bin" / "python"), "manage.py", "collectstatic", "--noinput"]
    status = run_streamed(out, cmd, env=env, cwd=manage.parent,
                          shown=f"python {relative} collectstatic --noinput")
    if status != 0:
        raise CollectstaticFailed(command=f"python {relative} collectstatic --noinput", exit_code=status)
