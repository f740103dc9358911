"""The table of contents: analyse the app, then one step per layer. No parsing, subprocesses or message text."""

from __future__ import annotations

import datetime
import os
import re
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from . import project
from ._vendor.packaging.version import InvalidVersion, Version
from .app_files import AppFiles, Entry, read_app_files
from .assemble import AssemblePlan, install_requirements, installer_env, pip_env, run_default_assemble
from .checks import check_web_concurrency, forbidden_env_vars
from .cnb.data import Launch
from .cnb.runtime import BuildContext
from .detect import Detector
from .entrypoints import bound_names, callable_in, find_django_project, imported_modules, module_file
from .errors import (
    NO_WEB_PROCESS_WARNING,
    AppHomeInvalid,
    EntryCallableMissing,
    ForbiddenEnvVars,
    GunicornConfigMissing,
    GunicornModuleMissing,
    HookFailed,
    NoInterpreterForArch,
    RequirementOptionsUnsupported,
    StartFileMissing,
    VersionFileUnusable,
    render_error,
)
from .installers import Installer, get_installer, requested_installer
from .layers.pip_cache import prepare_cache, prepare_pip_cache
from .layers.pip_tool import LAYER_FORMAT as PIP_TOOL_LAYER_FORMAT
from .layers.pip_tool import PipToolMetadata, install_pip_tool, write_pip_shim
from .layers.python import install_python
from .layers.tools import LAYER_FORMAT as TOOL_LAYER_FORMAT
from .layers.tools import ToolLayerMetadata, install_tool, start_prefetch
from .layers.venv import LAYER_FORMAT as VENV_LAYER_FORMAT
from .layers.venv import (
    VenvLayerMetadata,
    build_image_description,
    bundled_pip_version,
    finish_venv,
    index_settings_digest,
    installed_distributions,
    libc_version,
    prepare_venv,
    same_requirements_structure,
)
from .layers.web import OLD_UVICORN_WORKER, UVICORN_WORKER, GunicornPlan, install_web_layer
from .managers import get_manager
from .manifest import PythonBuild, load_manifest
from .output import Output
from .package_manager import PackageManager, PackageManagerChoice, choose_package_manager
from .processes import (
    AppFacts,
    Kind,
    Rule,
    WebChoice,
    choose_web_process,
    is_asgi,
    module_from_dist_name,
    without_setup_py,
)
from .procfile import ProcfileEntry, parse_procfile
from .python_version import VersionFiles, requested_python, resolve, warning_text
from .redact import SECRET_BEARING_VARS, secrets_in_env
from .s2i import DEFAULT_ASSEMBLE_PATH, find_hook, parse_environment, rewrite_hook
from .s2i_compat import resolve_s2i_variables
from .sbom import write_venv_sbom
from .tool_versions import gunicorn_requirement, read_pin, uvicorn_worker_requirement
from .utils import compile_bytecode, is_truthy, read_optional_text, run_captured, run_streamed

__all__ = ["PythonBuildpack"]

# Runtime knobs that, given at build time (pack --env, the platform), also become launch-time defaults.
# APP_MODULE and APP_CONFIG (the S2I image's names) stay under their own names: the run stage resolves them at launch.
LAUNCH_KNOBS = ("APP_RUN", "GUNICORN_APP_MODULE", "GUNICORN_CONFIG", "GUNICORN_WORKER_CLASS", "WEB_CONCURRENCY",
                "FORWARDED_ALLOW_IPS", "APP_MODULE", "APP_CONFIG", "MIGRATE_ON_START")


@dataclass
class PythonBuildpack(Detector):
    """Detect and error reporting come from Detector (what bin/detect runs alone); this adds the build."""

    today: datetime.date

    # ---- build --------------------------------------------------------------------------------------------
    def build(self, ctx: BuildContext) -> None:
        app_dir, layers_dir = ctx.app_dir, ctx.layers_dir
        s2i_env = self._s2i_environment(app_dir)
        # Values from the platform (pack --env, the dashboard) win over .s2i/environment, as in s2i.
        given: Dict[str, str] = {**s2i_env, **ctx.env}
        self.out.secrets = secrets_in_env(given)
        # The S2I Python image's names, resolved once: every decision below sees the reference builder's names.
        s2i_variables = resolve_s2i_variables(given)
        env = s2i_variables.env
        if s2i_variables.notes:
            self.out.header("Variables of the S2I Python image")
            for note in s2i_variables.notes:
                self.out.step(note)
        # APP_HOME: every decision and step below reads the app's subdirectory; .s2i/ and the manifest stay at the root.
        root, app_dir = app_dir, self._app_home(app_dir, env)
        forbidden = forbidden_env_vars(env)
        if forbidden:
            raise ForbiddenEnvVars(names=forbidden)
        check_web_concurrency(env)

        # Analyse first, so bad configuration fails before anything slow happens.
        files = read_app_files(app_dir)
        manager_choice = choose_package_manager(files, env.get("BP_PYTHON_PACKAGE_MANAGER", ""),
                                                s2i_variables.sources.get("BP_PYTHON_PACKAGE_MANAGER", ""))
        requested = requested_python(version_files(files))
        installer_name = requested_installer(env)
        scan = project.scan_requirements(app_dir, env) if manager_choice.manager is PackageManager.PIP else None
        unsupported = get_installer(installer_name).unsupported(scan.options) if scan is not None else []
        if unsupported:
            raise RequirementOptionsUnsupported(installer=installer_name, options=[
                (option.file, option.line, option.option, fix) for option, fix in unsupported])
        builds, manifest_source = load_manifest(ctx.buildpack_descriptor, env, root)
        for_arch = [b for b in builds if b.arch == ctx.target.arch]
        if not for_arch:
            raise NoInterpreterForArch(arch=ctx.target.arch, version=str(requested.explicit or "(any)"),
                                       source=manifest_source)
        resolution = resolve(requested, [b.version for b in for_arch], self.today)
        build = next(b for b in for_arch if b.version == resolution.version)
        assemble_hook = find_hook(root, "assemble")
        run_hook = find_hook(root, "run")
        procfile = self._procfile(files)
        facts, callable_errors = self._app_facts(app_dir, files, env, run_hook is not None, procfile)
        choice = choose_web_process(facts)
        if choice.kind is Kind.GUNICORN and choice.rule in callable_errors:
            raise callable_errors[choice.rule]
        gunicorn_config = self._gunicorn_config(app_dir, env, s2i_variables.named("GUNICORN_CONFIG"))

        self.out.header("Determining Python version")
        self.out.step(resolution.summary())
        for warning in resolution.warnings:
            self.out.warning(*warning_text(warning))
        if manifest_source != "the buildpack's built-in manifest":
            self.out.step(f"Interpreter builds come from {manifest_source}")

        # A binary tool the build needs (uv) downloads while the interpreter is installed.
        manager = manager_choice.manager
        tool_pin = get_manager(manager.value).pin if not manager.is_pip else get_installer(installer_name).pin
        tool_metadata = (ToolLayerMetadata(TOOL_LAYER_FORMAT, read_pin(ctx.buildpack_dir, tool_pin), build.version,
                                           build.sha256) if tool_pin else None)
        prefetch = start_prefetch(layers_dir, tool_metadata, env) if tool_metadata else None

        self.out.header("Installing Python")
        bootstrap = ctx.env.get("PYTHON_BUILDPACK_BOOTSTRAP_ARCHIVE")
        python_dir, complete_python = install_python(layers_dir, self.out, build, ctx.target,
                                                     Path(bootstrap) if bootstrap else None,
                                                     env={"PATH": env.get("PATH", "/usr/bin:/bin")})

        try:
            self.out.header("Installing dependencies")
            self.out.step(manager_choice.describe(installer_name if manager.is_pip else "pip"))
            if manager_choice.ignored:
                self.out.step(f"Ignoring {', '.join(manager_choice.ignored)} since {manager_choice.reason}")
            installer = self._installer(installer_name, manager, env)
            pip_cache_dir = prepare_pip_cache(layers_dir, self.out)
            # Also when APP_RUN, APP_SCRIPT or the Procfile's web command runs gunicorn itself.
            gunicorn_req = gunicorn_requirement(ctx.buildpack_dir) if choice.installs_gunicorn else ""
            uvicorn_worker_req = uvicorn_worker_requirement(ctx.buildpack_dir) if choice.needs_gunicorn else ""
            # The web-server pins the buildpack may add (Gunicorn, and Uvicorn's worker for ASGI apps): a bump of either
            # rebuilds the environment.
            metadata = self._venv_metadata(ctx, app_dir, build, python_dir, manager_choice, env,
                                           " ".join(req for req in (gunicorn_req, uvicorn_worker_req) if req),
                                           installer, scan)
            url_includes = scan.url_includes if scan is not None else ()
            venv = prepare_venv(layers_dir, self.out, python_dir, metadata,
                                reusable=assemble_hook is None and not url_includes, env=env,
                                installer=installer.name if manager.is_pip else manager.value,
                                not_reusable_reason=f"The requirements include {', '.join(url_includes)} by URL, which "
                                "may change at any time" if url_includes and assemble_hook is None else "",
                                unpinned=scan.unpinned if scan is not None else ())
            pip_python = install_pip_tool(
                layers_dir, self.out, python_dir,
                PipToolMetadata(PIP_TOOL_LAYER_FORMAT, bundled_pip_version(python_dir), build.version, build.sha256),
                upgrade=metadata.pip_upgrade, env=pip_env(env, venv.path, pip_cache_dir),
                # pip installs the pip paths' requirements (unless uv does), the lockfile apps' Gunicorn, and what
                # an .s2i/bin/assemble hook runs as `pip`.
                needed=not venv.reused and (installer.name == "pip" or assemble_hook is not None))
            tool_bin = tool_cache = ""
            if tool_metadata:
                tool_bin = str(install_tool(layers_dir, self.out, python_dir, tool_metadata, needed=not venv.reused,
                                            env=pip_env(env, venv.path, pip_cache_dir), prefetch=prefetch))
                tool_cache = str(prepare_cache(layers_dir, self.out, f"{tool_pin}-cache", f"{tool_pin} cache"))
            plan = AssemblePlan(app_dir=str(app_dir), venv_dir=str(venv.path), pip_cache_dir=str(pip_cache_dir),
                                package_manager=manager.value, tool_bin=tool_bin, tool_cache_dir=tool_cache,
                                extra_requirements=gunicorn_req, pip_python=str(pip_python), install=not venv.reused,
                                update=venv.updated, installer=installer.name,
                                requirements=scan.requirements if scan is not None else (),
                                update_lines=(scan.changed_requirements(venv.old.requirement_lines)
                                              if venv.updated and venv.old is not None and scan is not None and
                                              same_requirements_structure(venv.old, metadata) else None),
                                update_options=scan.top_options if scan is not None else ())
            if assemble_hook is not None:
                self._run_assemble_hook(assemble_hook, plan, env, root)
            else:
                run_default_assemble(plan, env, self.out)
            self.out.header("Configuring the web process")
            choice, gunicorn = self._web_server(app_dir, env, facts, choice, plan, gunicorn_config, uvicorn_worker_req,
                                                s2i_variables.named("GUNICORN_APP_MODULE"))
            migrate_dir = self._migrate_dir(app_dir, venv.path)
        except BaseException:
            # The interpreter is complete whatever failed after it: the next build reuses it.
            complete_python()
            raise
        complete_python()
        finish_venv(venv)
        write_venv_sbom(layers_dir, venv.path)
        processes = install_web_layer(
            layers_dir, app_dir, python_dir, choice.fallback, gunicorn, choice.procfile_command,
            tuning_source=(Path(__file__).parent / "launch_tuning.py").read_text(encoding="utf-8"),
            init_source=(Path(__file__).parent / "process_init.py").read_text(encoding="utf-8"),
            launch_defaults=self._launch_defaults(ctx.env, s2i_env),
            run_hook=read_optional_text(run_hook) if run_hook is not None else None,
            procfile=procfile,
            script=choice.script, script_executable=choice.script is not None and self._executable(
                app_dir / choice.script), python_file=choice.python_file, migrate_dir=migrate_dir,
        )
        Launch(processes=processes).write(layers_dir)
        self._describe(choice, gunicorn, procfile)
        self._describe_migrations(migrate_dir, procfile, env)

    # ---- helpers (decisions stay in their modules; these gather inputs) --------------------------------
    def _venv_metadata(self, ctx: BuildContext, app_dir: Path, build: PythonBuild, python_dir: Path,
                       choice: PackageManagerChoice, env: Mapping[str, str], extra: str,
                       installer: Installer, scan: Optional[project.RequirementsScan]) -> VenvLayerMetadata:
        """Everything that decides the environment's contents: it is reused only while all of it is unchanged.
        `scan`: requirements.txt's, already made (pip -r only)."""
        buildpack_dir = ctx.buildpack_dir
        manager = choice.manager
        method = manager.described
        if manager.is_pip:
            tool = f"pip {bundled_pip_version(python_dir)} (bundled with Python)" if not installer.pin else \
                read_pin(buildpack_dir, installer.pin).replace("==", " ")
            if installer.name != "pip" and manager is not PackageManager.NONE:
                method = f"{installer.name} {method}"  # 'uv pip install -r requirements.txt'
            inputs = {PackageManager.PIP: "requirements.txt", PackageManager.PIP_PROJECT: "setup.py, setup.cfg and "
                      "pyproject.toml"}.get(manager, "none")
            digest = scan.digest if scan is not None else project.dependency_inputs_digest(app_dir, manager, env=env)
            settings = index_settings_digest(env, extra=installer.index_settings)
        else:
            lock_tool = get_manager(manager.value)
            tool = read_pin(buildpack_dir, lock_tool.pin).replace("==", " ")
            inputs = ", ".join(lock_tool.reuse_files)
            digest = project.dependency_inputs_digest(app_dir, manager, lock_tool.reuse_files)
            settings = index_settings_digest(env, lock_tool.index_settings)
        return VenvLayerMetadata(
            layer_format=VENV_LAYER_FORMAT, python_version=build.version, python_sha256=build.sha256,
            package_manager=method, tool=tool, inputs=inputs, inputs_sha256=digest, index_settings_sha256=settings,
            pip_upgrade=manager.is_pip and installer.name == "pip" and is_truthy(env.get("PIP_UPGRADE", "")),
            extra_requirements=extra,
            build_image=build_image_description(ctx.target.distro_name, ctx.target.distro_version, libc_version()),
            local_sources_sha256=scan.local_sources if scan is not None else "",
            requirement_lines=scan.requirement_lines if scan is not None else "",
            requirements_structure_sha256=scan.structure if scan is not None else "")

    def _installer(self, name: str, manager: PackageManager, env: Mapping[str, str]) -> Installer:
        """What installs the pip paths (BP_PYTHON_INSTALLER); a lockfile manager installs with its own tool."""
        if not manager.is_pip:
            if name != "pip":
                self.out.step(f"BP_PYTHON_INSTALLER={name} is ignored: it applies to requirements.txt and setup.py or "
                              f"pyproject.toml projects, and {manager.value} installs this app")
            return get_installer("pip")
        installer = get_installer(name)
        if installer.name != "pip":
            self.out.step(f"Installer: {installer.name} (BP_PYTHON_INSTALLER), with the PIP_* settings mapped to "
                          f"{installer.name}'s")
            ignored = installer.ignored_settings(env)
            if ignored:
                self.out.warning(f"{installer.name} ignores some pip settings",
                                 f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} set, but "
                                 f"{installer.name} does not read {'it' if len(ignored) == 1 else 'them'} and the "
                                 f"buildpack has no {installer.name} equivalent.\nUnset "
                                 f"{'it' if len(ignored) == 1 else 'them'}, set {installer.name}'s own variable, or "
                                 "unset BP_PYTHON_INSTALLER to install with pip.")
        return installer

    def _s2i_environment(self, app_dir: Path) -> Dict[str, str]:
        text = read_optional_text(app_dir / ".s2i" / "environment")
        return parse_environment(text) if text is not None else {}

    def _app_home(self, root: Path, env: Mapping[str, str]) -> Path:
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

    def _gunicorn_config(self, app_dir: Path, env: Mapping[str, str], variable: str) -> Optional[str]:
        configured = env.get("GUNICORN_CONFIG", "").strip()
        if configured:
            if not (app_dir / configured).is_file():
                raise GunicornConfigMissing(path=configured, variable=variable)
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

    # ---- the web process -------------------------------------------------------------------------------------
    def _procfile(self, files: AppFiles) -> List[ProcfileEntry]:
        text = files.text("Procfile")
        return parse_procfile(text) if text is not None else []

    def _app_facts(self, app_dir: Path, files: AppFiles, env: Mapping[str, str], run_hook: bool,
                   procfile: List[ProcfileEntry]) -> tuple[AppFacts, Dict[Rule, EntryCallableMissing]]:
        """What the order table needs, read statically from the app's files (nothing is imported or run), and
        the root wsgi.py/asgi.py that define no callable (an error only when their rule chooses Gunicorn: with
        APP_RUN, `python wsgi.py` may be a plain script)."""
        web = next((entry.command for entry in procfile if entry.name == "web"), None)
        app_script, app_file = env.get("APP_SCRIPT", "").strip(), env.get("APP_FILE", "").strip()
        for variable, path in (("APP_SCRIPT", app_script), ("APP_FILE", app_file)):
            if path and not (app_dir / path).is_file():
                raise StartFileMissing(variable=variable, path=path)
        has_app_sh = files.is_file("app.sh") and self._executable(app_dir / "app.sh")
        script_path = app_script or ("app.sh" if has_app_sh else "")
        script_text = (read_optional_text(app_dir / script_path) or "") if script_path else ""
        django, django_reason = None, "no manage.py (root and three levels down)"
        try:
            django, django_reason = find_django_project(app_dir)
        except EntryCallableMissing as exc:
            django_reason = f"{exc.path} defines neither application nor app"
        main_text = files.text("main.py")
        main_names = bound_names(main_text) if main_text is not None else None
        errors: Dict[Rule, EntryCallableMissing] = {}
        wsgi_module = self._root_module(files, "wsgi", Rule.WSGI_PY, errors)
        asgi_module = self._root_module(files, "asgi", Rule.ASGI_PY, errors)
        return AppFacts(
            run_hook=run_hook,
            app_run=env.get("APP_RUN", ""),
            gunicorn_app_module=env.get("GUNICORN_APP_MODULE", ""),
            procfile_web=web,
            has_procfile=files.is_file("Procfile"),
            wsgi_module=wsgi_module,
            asgi_module=asgi_module,
            django=django,
            django_reason=django_reason,
            has_setup_py=files.is_file("setup.py"),
            main_module="main:app" if main_names is not None and ("app" in main_names or "*" in main_names) else None,
            has_main_py=main_text is not None,
            has_app_py=files.is_file("app.py"),
            app_script=app_script,
            app_file=app_file,
            has_app_sh=has_app_sh,
            script_text=script_text,
        ), errors

    def _executable(self, path: Path) -> bool:
        return path.is_file() and os.access(path, os.X_OK)

    def _migrate_dir(self, app_dir: Path, venv_dir: Path) -> Optional[str]:
        """manage.py's directory (relative to the app, "" for the root) when Django is installed: the image gets a
        `migrate` process type there."""
        if "django" not in installed_distributions(venv_dir):
            return None
        manage = project.find_manage_py(app_dir)
        if manage is None:
            return None
        return "" if manage.parent == app_dir else str(manage.parent.relative_to(app_dir))

    def _root_module(self, files: AppFiles, name: str, rule: Rule, errors: Dict[Rule, EntryCallableMissing]
                     ) -> Optional[str]:
        """Gunicorn's module for a root wsgi.py/asgi.py: 'wsgi' (callable application, Gunicorn's default) or
        'wsgi:app'. A file that defines neither fails the build (EntryCallableMissing names both)."""
        text = files.text(f"{name}.py")
        if text is None:
            return None
        try:
            found = callable_in(text, f"{name}.py")
        except EntryCallableMissing as exc:
            errors[rule] = exc
            return name
        return name if found == "application" else f"{name}:{found}"

    def _web_server(self, app_dir: Path, env: Mapping[str, str], facts: AppFacts, choice: WebChoice,
                    plan: AssemblePlan, config: Optional[str], uvicorn_worker_req: str, module_variable: str
                    ) -> tuple[WebChoice, Optional[GunicornPlan]]:
        """After the install: the setup.py name, the GUNICORN_APP_MODULE check, WSGI or ASGI (and Uvicorn's
        worker when an ASGI app does not list it)."""
        venv_dir = Path(plan.venv_dir)
        if choice.fallback_rule is Rule.SETUP_PY:
            module = self._module_from_setup_py(app_dir, plan, env)
            if module is None:
                self.out.step("Could not read the project name from setup.py (python setup.py --name)")
                again = choose_web_process(without_setup_py(facts, "python setup.py --name gave no name"))
                # .s2i/bin/run and APP_RUN still chose the web command; only what they fall back to changes.
                choice = again if choice.kind is Kind.GUNICORN else replace(
                    again, kind=choice.kind, rule=choice.rule, reason=choice.reason)
            else:
                choice = replace(choice, gunicorn_module=module)
        if choice.fallback is not Kind.GUNICORN or choice.gunicorn_module is None:
            return choice, None
        installed = installed_distributions(venv_dir)
        module = choice.gunicorn_module
        base = app_dir / choice.chdir
        module_name = module.split(":", 1)[0].strip()
        module_path = module_file(base, module_name)
        if choice.fallback_rule is Rule.GUNICORN_APP_MODULE and module_path is None \
                and not self._installed_module(venv_dir, module_name):
            raise GunicornModuleMissing(value=module, module=module_name, variable=module_variable)
        source = (read_optional_text(module_path) or "") if module_path is not None else ""
        django = choice.django
        asgi = is_asgi(choice.fallback_rule, imported_modules(source), installed,
                       django is not None and django.asgi_module is not None)
        if asgi and django is not None and django.asgi_module is not None:
            module = django.asgi_module
            choice = replace(choice, gunicorn_module=module, reason=choice.reason + "; ASGI server installed, so "
                             f"its {module.split(':')[0].replace('.', '/')}.py")
        worker_class = env.get("GUNICORN_WORKER_CLASS", "").strip()
        if not worker_class and asgi and not self._config_sets_worker_class(app_dir, config):
            worker_class = UVICORN_WORKER
            if "uvicorn-worker" not in installed and self._old_uvicorn(venv_dir):
                # uvicorn-worker needs uvicorn >= 0.36; installing it would upgrade the app's pinned uvicorn.
                # Older uvicorn releases ship the same worker class themselves.
                worker_class = OLD_UVICORN_WORKER
        if worker_class == UVICORN_WORKER and choice.needs_gunicorn and "uvicorn-worker" not in installed \
                and uvicorn_worker_req:
            self._add_uvicorn_worker(plan, env, uvicorn_worker_req)
        return choice, GunicornPlan(module=module, config=config or "", worker_class=worker_class,
                                    chdir=choice.chdir)

    def _old_uvicorn(self, venv_dir: Path) -> bool:
        """An installed uvicorn older than 0.36 that still has uvicorn.workers (read from the files)."""
        for info in venv_dir.glob("lib/python3*/site-packages/uvicorn-*.dist-info"):
            try:
                version = Version(info.name[len("uvicorn-"):-len(".dist-info")])
            except InvalidVersion:
                continue
            if version < Version("0.36") and (info.parent / "uvicorn" / "workers.py").is_file():
                return True
        return False

    def _installed_module(self, venv_dir: Path, module: str) -> bool:
        top = module.split(".", 1)[0]
        for site in venv_dir.glob("lib/python3*/site-packages"):
            if (site / top).is_dir() or (site / f"{top}.py").is_file() or any(site.glob(f"{top}.*.so")):
                return True
        return False

    def _config_sets_worker_class(self, app_dir: Path, config: Optional[str]) -> bool:
        if not config:
            return False
        names = bound_names(read_optional_text(app_dir / config) or "")
        return names is not None and "worker_class" in names

    def _add_uvicorn_worker(self, plan: AssemblePlan, env: Mapping[str, str], requirement: str) -> None:
        venv_dir = Path(plan.venv_dir)
        self.out.step("The web process is an ASGI app and uses Uvicorn's worker class, which the app does not "
                      "list: adding it")
        run_env = installer_env(plan, env)
        install_requirements(self.out, plan, run_env, [requirement])
        # The rest of the environment is compiled already: only what this install added.
        for site_packages in sorted(venv_dir.glob("lib/python3*/site-packages")):
            compile_bytecode(venv_dir / "bin" / "python", site_packages, run_env, only_missing=True)

    def _describe(self, choice: WebChoice, gunicorn: Optional[GunicornPlan], procfile: List[ProcfileEntry]) -> None:
        """The build log: which rule chose the web process and why the earlier ones did not apply."""
        if choice.kind is Kind.NONE:
            self.out.warning("No web process found", NO_WEB_PROCESS_WARNING)
        if choice.kind is Kind.RUN_HOOK:
            text = "Web process: your .s2i/bin/run (it may source the default run stage)"
        elif choice.kind is Kind.APP_RUN:
            text = "Web process: the APP_RUN command, run through /bin/sh"
        elif choice.kind is Kind.GUNICORN and gunicorn is not None:
            text = (f"Web process: gunicorn {gunicorn.module} ({choice.reason}), config "
                    f"{gunicorn.config or 'from the buildpack'}, listening on 0.0.0.0:8080 (PORT overrides)")
        elif choice.kind is Kind.PROCFILE:
            text = f"Web process: the Procfile's web command, run through /bin/sh: {choice.procfile_command}"
        elif choice.kind is Kind.APP_PY:
            text = f"Web process: python {choice.python_file} ({choice.reason})"
        elif choice.kind is Kind.SCRIPT:
            text = f"Web process: the shell script {choice.script} ({choice.reason})"
        else:
            text = "Web process: none found; it runs APP_RUN if set at launch, else prints the error above and exits 1"
        self.out.step(text)
        if choice.skipped:
            self.out.step("No rule applied:" if choice.kind is Kind.NONE else
                          f"Chosen by rule '{choice.rule.value}'; the earlier rules did not apply:")
            self.out.bullet_list(choice.skipped)
        if gunicorn is not None and gunicorn.worker_class and choice.kind is Kind.GUNICORN:
            self.out.step(f"Gunicorn worker class: {gunicorn.worker_class}")
        if choice.procfile_web_unused:
            self.out.step(f"The Procfile's web process is not used: {choice.rule.value} chose the web command")
        others = [entry.name for entry in procfile if entry.name != "web"]
        if others:
            self.out.step(f"Procfile process types: {', '.join(others)} (docker run --entrypoint NAME IMAGE)")

    def _describe_migrations(self, migrate_dir: Optional[str], procfile: List[ProcfileEntry],
                             env: Mapping[str, str]) -> None:
        if migrate_dir is None:
            return
        where = f"{migrate_dir}/manage.py" if migrate_dir else "manage.py"
        if any(entry.name == "migrate" for entry in procfile):
            self.out.step("Django migrations: the Procfile's migrate process type is kept")
        else:
            self.out.step(f"Django migrations: process type migrate runs 'python {where} migrate --noinput' "
                          "(docker run --entrypoint migrate IMAGE, or a Kubernetes init container or Job)")
        if is_truthy(env.get("MIGRATE_ON_START", "")):
            self.out.step("MIGRATE_ON_START is set: the web process runs the migrations before it starts")
        else:
            self.out.step("Migrations do not run when the web process starts unless MIGRATE_ON_START=true "
                          "(at build or at docker run -e)")

    def _run_assemble_hook(self, hook: Path, plan: AssemblePlan, env: Mapping[str, str], cwd: Path) -> None:
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
            # `pip install` in the hook installs into the app's environment with the build-only pip.
            shims = write_pip_shim(tmp_dir / "bin", Path(plan.pip_python), Path(plan.venv_dir))
            hook_env["PATH"] = f"{shims}:{hook_env['PATH']}"
            status = run_streamed(self.out, cmd, env=hook_env, cwd=cwd, shown=".s2i/bin/assemble")
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


def version_files(files: AppFiles) -> VersionFiles:
    """The texts the Python version decision reads, from the snapshot. A dangling link or a directory where a version
    file should be fails: building without it could install another Python than the one the app chose."""
    names = ("runtime.txt", ".python-version", "pyproject.toml", "uv.lock", "Pipfile")
    for name in names:
        entry = files.entries.get(name)
        if entry is Entry.DANGLING:
            target = files.link_targets.get(name, "")
            raise VersionFileUnusable(path=name, problem=f"a symbolic link to {target!r}, which does not exist")
        if entry is Entry.DIRECTORY or entry is Entry.OTHER:
            raise VersionFileUnusable(path=name, problem=f"a {entry.value}")
    runtime_txt, python_version, pyproject_toml, uv_lock, pipfile = (files.text(name) for name in names)
    return VersionFiles(runtime_txt=runtime_txt, python_version=python_version, pyproject_toml=pyproject_toml,
                        uv_lock=uv_lock, pipfile=pipfile)
