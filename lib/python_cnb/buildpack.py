"""The table of contents: analyse the app, then one step per layer. No parsing, subprocesses or message text."""

from __future__ import annotations

import datetime
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional

from . import project
from .assemble import AssemblePlan, is_truthy, pip_env, run_default_assemble
from .checks import check_web_concurrency, forbidden_env_vars
from .cnb.data import Launch
from .cnb.runtime import BuildContext, DetectContext
from .detect import PYTHON_SIGNALS, is_python_project
from .errors import (
    ForbiddenEnvVars,
    GunicornConfigMissing,
    HookFailed,
    NoInterpreterForArch,
    NoWebProcess,
    render_error,
)
from .layers.pip_cache import prepare_pip_cache
from .layers.python import install_python
from .layers.venv import LAYER_FORMAT as VENV_LAYER_FORMAT
from .layers.venv import VenvLayerMetadata, bundled_pip_version, finish_venv, pip_settings_digest, prepare_venv
from .layers.web import install_web_layer
from .manifest import load_manifest
from .output import Output
from .processes import AppFacts, Kind, WebChoice, choose_web_process, module_from_dist_name
from .python_version import DEFAULT_SOURCE, RequestedVersion, parse_python_version_file, parse_runtime_txt, resolve
from .redact import SECRET_BEARING_VARS, secrets_in_env
from .s2i import DEFAULT_ASSEMBLE_PATH, find_hook, parse_environment, rewrite_hook
from .sbom import write_venv_sbom
from .tool_versions import gunicorn_requirement
from .utils import read_optional_text, run_captured, run_streamed

__all__ = ["PythonBuildpack"]

# Runtime knobs that, given at build time (pack --env, the platform), also become launch-time defaults.
LAUNCH_KNOBS = ("APP_RUN", "GUNICORN_APP_MODULE", "GUNICORN_CONFIG", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS")


@dataclass
class PythonBuildpack:
    out: Output
    today: datetime.date

    # ---- detect -------------------------------------------------------------------------------------------
    def detect(self, ctx: DetectContext) -> bool:
        if is_python_project(ctx.app_dir):
            return True
        self.out.step(f"No Python project files found (looked for: {', '.join(PYTHON_SIGNALS)}).")
        return False

    def on_error(self, exc: BaseException) -> None:
        title, body = render_error(exc)
        self.out.error(title, body)

    # ---- build --------------------------------------------------------------------------------------------
    def build(self, ctx: BuildContext) -> None:
        app_dir, layers_dir = ctx.app_dir, ctx.layers_dir
        s2i_env = self._s2i_environment(app_dir)
        # Values from the platform (pack --env, the dashboard) win over .s2i/environment, as in s2i.
        env: Dict[str, str] = {**s2i_env, **ctx.env}
        self.out.secrets = secrets_in_env(env)
        forbidden = forbidden_env_vars(env)
        if forbidden:
            raise ForbiddenEnvVars(names=forbidden)
        check_web_concurrency(env)

        # Analyse first, so bad configuration fails before anything slow happens.
        requested = self._requested_version(app_dir)
        builds, manifest_source = load_manifest(ctx.buildpack_descriptor, env, app_dir)
        for_arch = [b for b in builds if b.arch == ctx.target.arch]
        if not for_arch:
            raise NoInterpreterForArch(arch=ctx.target.arch, version=str(requested or "(any)"), source=manifest_source)
        version = resolve(requested, [b.version for b in for_arch], self.today)
        build = next(b for b in for_arch if b.version == version)
        install_mode = project.install_mode(app_dir)
        assemble_hook = find_hook(app_dir, "assemble")
        run_hook = find_hook(app_dir, "run")
        choice = choose_web_process(AppFacts(
            run_hook=run_hook is not None,
            app_run=env.get("APP_RUN", ""),
            gunicorn_app_module=env.get("GUNICORN_APP_MODULE", ""),
            has_wsgi_py=(app_dir / "wsgi.py").is_file(),
            has_setup_py=(app_dir / "setup.py").is_file(),
            has_app_py=(app_dir / "app.py").is_file(),
        ))
        gunicorn_config = self._gunicorn_config(app_dir, env)

        self.out.header("Determining Python version")
        if requested is None:
            self.out.step(f"No Python version requested in runtime.txt or .python-version; using {DEFAULT_SOURCE}: "
                          f"Python {version}")
        else:
            self.out.step(f"Using Python {version} (requested {requested} in {requested.source})")
        if manifest_source != "the buildpack's built-in manifest":
            self.out.step(f"Interpreter builds come from {manifest_source}")

        self.out.header("Installing Python")
        bootstrap = ctx.env.get("PYTHON_BUILDPACK_BOOTSTRAP_ARCHIVE")
        python_dir = install_python(layers_dir, self.out, build, ctx.target, Path(bootstrap) if bootstrap else None,
                                    env={"PATH": env.get("PATH", "/usr/bin:/bin")})

        self.out.header("Installing dependencies")
        pip_cache_dir = prepare_pip_cache(layers_dir, self.out)
        gunicorn_req = gunicorn_requirement(ctx.buildpack_dir) if choice.needs_gunicorn else ""
        metadata = VenvLayerMetadata(
            layer_format=VENV_LAYER_FORMAT,
            python_version=build.version,
            python_sha256=build.sha256,
            pip_version=bundled_pip_version(python_dir),
            install_mode=install_mode.value,
            requirements_sha256=project.requirements_digest(app_dir, install_mode),
            pip_settings_sha256=pip_settings_digest(env),
            pip_upgrade=is_truthy(env.get("PIP_UPGRADE", "")),
            gunicorn=gunicorn_req,
        )
        venv_dir, reused = prepare_venv(layers_dir, self.out, python_dir, metadata,
                                        reusable=assemble_hook is None, env=env)
        plan = AssemblePlan(app_dir=str(app_dir), venv_dir=str(venv_dir), pip_cache_dir=str(pip_cache_dir),
                            install_mode=install_mode.name, gunicorn_requirement=gunicorn_req, install=not reused)
        if assemble_hook is not None:
            self._run_assemble_hook(assemble_hook, plan, env)
        else:
            run_default_assemble(plan, env, self.out)
        finish_venv(layers_dir, metadata)
        write_venv_sbom(layers_dir, venv_dir)

        self.out.header("Configuring the web process")
        module = choice.gunicorn_module
        if choice.fallback is Kind.GUNICORN and module is None:
            module = self._module_from_setup_py(app_dir, plan, env)
            if module is None:
                self.out.step("Could not read the project name from setup.py (python setup.py --name)")
                choice = self._without_setup_py(choice, app_dir)
        process = install_web_layer(
            layers_dir, app_dir, python_dir, choice, module, gunicorn_config,
            tuning_source=(Path(__file__).parent / "launch_tuning.py").read_text(encoding="utf-8"),
            launch_defaults=self._launch_defaults(ctx.env, s2i_env),
            run_hook=read_optional_text(run_hook) if run_hook is not None else None,
        )
        Launch(processes=[process]).write(layers_dir)
        self.out.step(self._describe(choice, module, gunicorn_config))

    # ---- helpers (decisions stay in their modules; these gather inputs) --------------------------------
    def _s2i_environment(self, app_dir: Path) -> Dict[str, str]:
        text = read_optional_text(app_dir / ".s2i" / "environment")
        return parse_environment(text) if text is not None else {}

    def _requested_version(self, app_dir: Path) -> Optional[RequestedVersion]:
        runtime_txt = read_optional_text(app_dir / "runtime.txt")
        version_file = read_optional_text(app_dir / ".python-version")
        if runtime_txt is not None:
            requested = parse_runtime_txt(runtime_txt)
            if version_file is not None:
                self.out.warning("Two Python version files",
                                 "Both runtime.txt and .python-version are present; runtime.txt wins "
                                 f"(Python {requested}).\nDelete the one you do not use, so they cannot disagree.")
            return requested
        if version_file is not None:
            return parse_python_version_file(version_file)
        return None

    def _gunicorn_config(self, app_dir: Path, env: Mapping[str, str]) -> Optional[str]:
        configured = env.get("GUNICORN_CONFIG", "").strip()
        if configured:
            if not (app_dir / configured).is_file():
                raise GunicornConfigMissing(path=configured)
            return configured
        return "gunicorn.conf.py" if (app_dir / "gunicorn.conf.py").is_file() else None

    def _launch_defaults(self, platform_env: Mapping[str, str], s2i_env: Mapping[str, str]) -> Dict[str, str]:
        defaults = {k: v for k, v in s2i_env.items()
                    if not k.startswith("PIP_") and k not in SECRET_BEARING_VARS}
        defaults.update({k: platform_env[k] for k in LAUNCH_KNOBS if platform_env.get(k, "").strip()})
        return defaults

    def _module_from_setup_py(self, app_dir: Path, plan: AssemblePlan, env: Mapping[str, str]) -> Optional[str]:
        venv_dir = Path(plan.venv_dir)
        result = run_captured([str(venv_dir / "bin" / "python"), "setup.py", "--name"],
                              env=pip_env(env, venv_dir, Path(plan.pip_cache_dir)), cwd=app_dir)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        if result.returncode == 0 and lines:
            return module_from_dist_name(lines[-1])
        text = read_optional_text(app_dir / "setup.py") or ""
        match = re.search(r"""\bname\s*=\s*['"]([A-Za-z0-9_.-]+)['"]""", text)
        return module_from_dist_name(match.group(1)) if match else None

    def _without_setup_py(self, choice: WebChoice, app_dir: Path) -> WebChoice:
        fallback = Kind.APP_PY if (app_dir / "app.py").is_file() else Kind.NONE
        if choice.kind in (Kind.RUN_HOOK, Kind.APP_RUN):
            return WebChoice(choice.kind, fallback, None, choice.reason)
        if fallback is Kind.NONE:
            raise NoWebProcess()
        return WebChoice(fallback, fallback, None, "app.py found")

    def _describe(self, choice: WebChoice, module: Optional[str], config: Optional[str]) -> str:
        if choice.kind is Kind.RUN_HOOK:
            return "Web process: your .s2i/bin/run (it may source the default run stage)"
        if choice.kind is Kind.APP_RUN:
            return "Web process: the APP_RUN command, run through /bin/sh"
        if choice.kind is Kind.GUNICORN:
            return (f"Web process: gunicorn {module} ({choice.reason}), config {config or 'from the buildpack'}, "
                    "listening on 0.0.0.0:8080 (PORT overrides)")
        return "Web process: python app.py (app.py found)"

    def _run_assemble_hook(self, hook: Path, plan: AssemblePlan, env: Mapping[str, str]) -> None:
        self.out.header("Running .s2i/bin/assemble")
        text = read_optional_text(hook) or ""
        with tempfile.TemporaryDirectory(prefix="python-buildpack-assemble-") as tmp:
            tmp_dir = Path(tmp)
            plan_path = tmp_dir / "plan.json"
            plan.dump(plan_path)
            default_stage = tmp_dir / "default-assemble"
            entry = Path(__file__).resolve().parent.parent / "entry.py"
            default_stage.write_text(
                "# The Python buildpack's default build stage, for hooks that source /usr/libexec/s2i/assemble.\n"
                f"'{sys.executable}' -I '{entry}' assemble '{plan_path}' || exit $?\n", encoding="utf-8")
            script = tmp_dir / "assemble"
            script.write_text(rewrite_hook(text, DEFAULT_ASSEMBLE_PATH, default_stage), encoding="utf-8")
            script.chmod(0o755)
            cmd = [str(script)] if text.startswith("#!") else ["/bin/sh", str(script)]
            hook_env = pip_env(env, Path(plan.venv_dir), Path(plan.pip_cache_dir))
            status = run_streamed(self.out, cmd, env=hook_env, cwd=Path(plan.app_dir), shown=".s2i/bin/assemble")
        if status != 0:
            raise HookFailed(hook=".s2i/bin/assemble", exit_code=status)


def run_assemble_child(plan_path: Path, env: Mapping[str, str], out: Output) -> int:
    """Entry for the default stage sourced from an assemble hook."""
    out.secrets = secrets_in_env(env)
    try:
        run_default_assemble(AssemblePlan.load(plan_path), env, out)
    except Exception as exc:  # noqa: BLE001
        title, body = render_error(exc)
        out.error(title, body)
        return 1
    return 0
