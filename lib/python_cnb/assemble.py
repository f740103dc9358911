"""The default build stage (what `/usr/libexec/s2i/assemble` does in the reference builder): install the
dependencies into the virtual environment, add Gunicorn when the web process needs it, run collectstatic.

It runs in the buildpack's process, or, when an .s2i/bin/assemble hook sources the default stage, in a child
process started from the hook with the hook's environment (see PythonBuildpack._run_assemble_hook)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Mapping

from .errors import CollectstaticFailed, CommandFailed
from .layers.venv import installed_distributions
from .output import Output
from .project import InstallMode, find_manage_py
from .utils import compile_bytecode, run_streamed

__all__ = ["AssemblePlan", "is_truthy", "pip_env", "run_default_assemble"]

TRUTHY = {"1", "true", "yes", "on"}


def is_truthy(value: str) -> bool:
    return value.strip().lower() in TRUTHY


@dataclass(frozen=True)
class AssemblePlan:
    app_dir: str
    venv_dir: str
    pip_cache_dir: str
    install_mode: str  # InstallMode name
    gunicorn_requirement: str  # "" when the web process does not need Gunicorn
    install: bool  # False when the cached venv was reused

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AssemblePlan:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


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


def _pip(out: Output, plan: AssemblePlan, env: Mapping[str, str], args: list[str], hint: str = "") -> None:
    venv = Path(plan.venv_dir)
    cmd = [str(venv / "bin" / "python"), "-m", "pip", *args]
    status = run_streamed(out, cmd, env=env, cwd=Path(plan.app_dir), shown="pip " + " ".join(args))
    if status != 0:
        raise CommandFailed(command="pip " + " ".join(args), exit_code=status, hint=hint)


PIP_HINT = ("Check that every requirement exists on the package index (PIP_INDEX_URL if you set one), that\n"
            "version pins are compatible with each other and with the Python version, and that packages\n"
            "which compile code have the system libraries they need. The same command should work locally.")


def run_default_assemble(plan: AssemblePlan, env: Mapping[str, str], out: Output) -> None:
    venv = Path(plan.venv_dir)
    app_dir = Path(plan.app_dir)
    run_env = pip_env(env, venv, Path(plan.pip_cache_dir))
    if plan.install:
        if is_truthy(env.get("PIP_UPGRADE", "")):
            out.step("PIP_UPGRADE is set: upgrading pip, setuptools and wheel first")
            _pip(out, plan, run_env, ["install", "--upgrade", "pip", "setuptools", "wheel"], PIP_HINT)
        mode = InstallMode[plan.install_mode]
        # --no-compile: the venv is compiled once below, with hash-based .pyc files (see compile_bytecode).
        if mode is InstallMode.REQUIREMENTS:
            _pip(out, plan, run_env, ["install", "--no-compile", "-r", "requirements.txt"], PIP_HINT)
        elif mode is InstallMode.EDITABLE:
            out.step("No requirements.txt, but the app is installable: installing it in editable mode "
                     "(the modern 'python setup.py develop')")
            _pip(out, plan, run_env, ["install", "--no-compile", "-e", "."], PIP_HINT)
        else:
            out.step("No requirements.txt, setup.py or installable pyproject.toml: no dependencies to install")
        if plan.gunicorn_requirement and "gunicorn" not in installed_distributions(venv):
            out.step("The web process uses Gunicorn, which the app does not list: adding it")
            _pip(out, plan, run_env, ["install", "--no-compile", plan.gunicorn_requirement], PIP_HINT)
        for site_packages in sorted(venv.glob("lib/python3*/site-packages")):
            compile_bytecode(venv / "bin" / "python", site_packages, run_env)
    _collectstatic(app_dir, venv, run_env, out)


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
