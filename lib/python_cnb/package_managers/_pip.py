"""What the pip methods (requirements files, the project itself) share: installing with the installer (pip or uv
pip), and an update in place of the restored environment that ends where a fresh install would (install what is new,
uninstall what nothing requires any more, check what `pip check` checks)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from ..errors import CommandFailed, EnvironmentCheckFailed
from ..redact import redact
from ..requirement_graph import required_closure, root_names, unmet_requirements, unmet_roots
from ..utils import run_streamed
from ..venv_facts import VenvFacts
from .base import InstallStep
from .installers import run_install

__all__ = ["CHANGED_LINES_FILE", "install_app"]

CHANGED_LINES_FILE = ".python-buildpack-changed-requirements.txt"


def install_app(step: InstallStep, args: Optional[Sequence[str]]) -> None:
    """Install `args` (['-r', 'requirements.txt'], ['-e', '.']; None: nothing of the app's own), or on an update of
    only some requirement lines those lines alone; after an update, remove what is no longer required and check."""
    whole = step.update_lines is None
    if whole:
        if args:
            run_install(step.out, step.installer, step.paths, step.installer_env, args)
    elif step.update_lines:
        _install_changed_lines(step)
    else:
        step.out.step("The requirements only lost lines: nothing new to install")
    if not step.update:
        return
    step.add_extras()
    if not _remove_unrequired(step, final=whole):
        step.out.step("The changed lines alone leave requirements unmet (see above): installing the whole "
                      "requirements.txt again")
        if args:
            run_install(step.out, step.installer, step.paths, step.installer_env, args)
        step.add_extras()
        _remove_unrequired(step, final=True)


def _install_changed_lines(step: InstallStep) -> None:
    """Install only the changed lines (what the rest asks is installed), from a file beside requirements.txt with its
    options, so relative paths and ${VAR}s read as they do there."""
    lines = step.update_lines or ()
    step.out.step(f"Only requirement lines changed: installing {', '.join(redact(line) for line in lines)}")
    path = step.paths.app_dir / CHANGED_LINES_FILE
    path.write_text("".join(f"{line}\n" for line in (*step.update_options, *lines)), encoding="utf-8")
    try:
        run_install(step.out, step.installer, step.paths, step.installer_env, ["-r", CHANGED_LINES_FILE])
    finally:
        path.unlink(missing_ok=True)


def _remove_unrequired(step: InstallStep, final: bool) -> bool:
    """Uninstall what the requirements no longer pull in (directly or through dependencies), then check as `pip check`
    does, and that each requirement line is met: the environment must be the one a fresh install gives. A failed
    check fails the build when final, else returns False."""
    facts = VenvFacts.read(Path(step.paths.venv_dir))
    installed, markers = facts.distributions, facts.marker_env
    roots = root_names([*step.requirements, *step.extra_requirements], markers)
    unused = sorted(set(installed) - required_closure(roots, installed, markers,
                                                      frozenset(step.selection.extras)))
    if unused:
        step.out.step(f"Removing what the requirements no longer pull in: {', '.join(unused)}")
        command = step.installer.uninstall(step.paths, unused)
        status = run_streamed(step.out, command.argv, env=step.installer_env, cwd=step.paths.app_dir,
                              shown=command.shown)
        if status != 0:
            raise CommandFailed(command=command.shown, exit_code=status)
    # What `pip check` verifies, read from the installed metadata: running pip (or uv) for it costs more than the rest
    # of a one-requirement update.
    kept = {name: dist for name, dist in installed.items() if name not in unused}
    problems = unmet_requirements(kept, markers) + unmet_roots(step.requirements, kept, markers)
    if problems:
        if not final:
            for problem in problems:
                step.out.step(f"  {problem}")
            return False
        raise EnvironmentCheckFailed(problems=problems)
    step.out.step("Checked the updated environment as `pip check` does: every installed distribution's requirements "
                  "are met")
    return True
