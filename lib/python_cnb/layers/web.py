"""The launch-only layer that runs the app, and the web process's decisions that wait for the install.

`configure_web_process` (after the dependencies install): the project name setup.py gives, the GUNICORN_APP_MODULE
check, WSGI or ASGI (and Uvicorn's worker when an ASGI app does not list it), Django's migrate process.
`install_web`: the default run stage script, the Gunicorn config, the init every process runs under, the exec.d tuning
program and the launch-time environment defaults, then the log's account of the web process. Rewritten every build (it
is tiny); identical contents give an identical image layer, which the exporter reuses. `web_processes`: launch.toml's
processes for it."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

from .._vendor.packaging.version import Version
from ..bytecode import compile_bytecode
from ..cnb.data import Process
from ..cnb.layer import LayerRef, LayerTypes, uncached_layer
from ..cnb.layer_env import Behavior, LayerEnv, Scope
from ..entrypoints import imported_modules, module_file, required_imports
from ..errors import GunicornModuleMissing, NoWebProcess, WebFrameworkMissing, render_warning
from ..google_paketo_compat import LAUNCH_ALIASES
from ..output import Output
from ..package_managers.base import InstallTarget
from ..package_managers.installers import run_install
from ..processes import (
    PORT,
    AppFacts,
    Kind,
    Rule,
    WebChoice,
    choose_web_process,
    is_asgi,
    missing_frameworks,
    module_from_dist_name,
    without_setup_py,
)
from ..redact import SECRET_BEARING_VARS
from ..run_script import (
    DEFAULT_THREADS,
    DEFAULT_WORKER_CLASS,
    MIGRATE,
    GunicornPlan,
    render_gunicorn_conf,
    render_run_script,
    shown_command,
)
from ..s2i import DEFAULT_RUN_PATH, rewrite_hook
from ..utils import is_truthy, read_optional_text, run_captured
from ..venv_facts import VenvFacts

if TYPE_CHECKING:
    from ..analysis import Analysis

__all__ = ["WebLayerMetadata", "WebPlan", "configure_web_process", "install_web", "web_processes"]

LAYER_NAME = "web"
LAYER_FORMAT = 1
RUN_SCRIPT = "bin/python-buildpack-run"
INIT = "bin/python-buildpack-init"
HOOK_COPY = "s2i-run"
UVICORN_WORKER = "uvicorn_worker.UvicornWorker"
OLD_UVICORN_WORKER = "uvicorn.workers.UvicornWorker"  # in uvicorn itself before 0.36
_SOURCES = Path(__file__).resolve().parent.parent  # launch_tuning.py and process_init.py ship in the layer

# Runtime knobs that, given at build time (pack --env, the platform), also become launch-time defaults.
# APP_MODULE and APP_CONFIG (the S2I image's names) and Google's GOOGLE_ENTRYPOINT stay under their own names: the run
# stage resolves them at launch.
LAUNCH_KNOBS = ("APP_RUN", "GUNICORN_APP_MODULE", "GUNICORN_CONFIG", "GUNICORN_WORKER_CLASS", "WEB_CONCURRENCY",
                "FORWARDED_ALLOW_IPS", "APP_MODULE", "APP_CONFIG", "MIGRATE_ON_START",
                *(alias for alias, _ in LAUNCH_ALIASES))


@dataclass(frozen=True)
class WebLayerMetadata:
    layer_format: int


@dataclass(frozen=True)
class WebPlan:
    choice: WebChoice
    gunicorn: Optional[GunicornPlan]  # when Gunicorn serves the app (the run stage's default)
    migrate_dir: Optional[str]  # manage.py's directory (relative, "" for the root) when Django is installed
    facts: VenvFacts  # the environment as the web process gets it


# ---- after the install ------------------------------------------------------------------------------------------
def configure_web_process(analysis: Analysis, target: InstallTarget, out: Output) -> WebPlan:
    """`target`: the app's environment, as the dependencies were installed into it. The rules are tried again with
    what it holds (before the install, a rule that needs a package assumed it)."""
    out.header("Configuring the web process")
    facts = VenvFacts.read(target.paths.venv_dir)
    app_facts = replace(analysis.facts, installed=frozenset(facts.distributions),
                        scripts_installed=_scripts(target.paths.venv_dir))
    choice = choose_web_process(app_facts)
    if choice.fallback_rule is Rule.SETUP_PY:
        choice = _with_setup_py_name(analysis, app_facts, choice, target, out)
    gunicorn: Optional[GunicornPlan] = None
    if choice.kind is Kind.APP_PY:
        path = analysis.app_dir / choice.python_file
        _check_frameworks(analysis, path, read_optional_text(path) or "", f"python {choice.python_file}", "", facts)
    if choice.fallback is Kind.GUNICORN and choice.gunicorn_module is not None:
        choice, gunicorn = _gunicorn(analysis, choice, facts)
        missing = [pin for name, pin, needed in (
            ("gunicorn", analysis.pins.gunicorn, choice.needs_gunicorn),
            ("uvicorn-worker", analysis.pins.uvicorn_worker,
             choice.needs_gunicorn and gunicorn.worker_class == UVICORN_WORKER)) if needed and not facts.has(name)]
        if missing:
            facts = _add(missing, target, out)
    manage = analysis.snapshot.manage_py
    migrate_dir = None
    if facts.has("django") and manage is not None:
        migrate_dir = str(Path(manage).parent) if Path(manage).parent != Path(".") else ""
    return WebPlan(choice, gunicorn, migrate_dir, facts)


def _scripts(venv_dir: Path) -> frozenset[str]:
    try:
        return frozenset(os.listdir(venv_dir / "bin"))
    except OSError:
        return frozenset()


def _with_setup_py_name(analysis: Analysis, facts: AppFacts, choice: WebChoice, target: InstallTarget,
                        out: Output) -> WebChoice:
    """The setup.py rule's module: the project name `python setup.py --name` gives (else setup.py's static
    `name=`); without one, the rules after setup.py decide."""
    result = run_captured([str(target.paths.venv_dir / "bin" / "python"), "setup.py", "--name"], env=target.env,
                          cwd=analysis.app_dir)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    name = lines[-1] if result.returncode == 0 and lines else analysis.snapshot.setup_py_name
    if name is not None:
        return replace(choice, gunicorn_module=module_from_dist_name(name))
    out.step("Could not read the project name from setup.py (python setup.py --name)")
    again = choose_web_process(without_setup_py(facts, "python setup.py --name gave no name"))
    # .s2i/bin/run and APP_RUN still chose the web command; only what they fall back to changes.
    return again if choice.kind is Kind.GUNICORN else replace(again, kind=choice.kind, rule=choice.rule,
                                                              reason=choice.reason)


def _check_frameworks(analysis: Analysis, path: Path, source: str, command: str, chdir: str, facts: VenvFacts) -> None:
    """The web process's file must find the frameworks it imports: in the environment or among the app's files."""
    imports = required_imports(source)
    local = {name for name in imports if module_file(analysis.app_dir / chdir, name) is not None
             or module_file(analysis.app_dir, name) is not None}
    missing = missing_frameworks(imports, facts.top_level | local)
    if missing:
        install, files = analysis.install, analysis.snapshot.files
        read = install.files or install.method.files or tuple(
            name for name in ("pyproject.toml", "setup.py") if files.is_file(name))
        raise WebFrameworkMissing(path=str(path.relative_to(analysis.app_dir)), command=command, names=missing,
                                  files=read, conda=files.is_file("environment.yml"))


def _gunicorn(analysis: Analysis, choice: WebChoice, facts: VenvFacts) -> tuple[WebChoice, GunicornPlan]:
    """Gunicorn's module (checked when GUNICORN_APP_MODULE names it), and its worker class: Uvicorn's for an ASGI
    app, unless GUNICORN_WORKER_CLASS or the app's Gunicorn config sets one."""
    module = choice.gunicorn_module or ""
    module_name = module.split(":", 1)[0].strip()
    module_path = module_file(analysis.app_dir / choice.chdir, module_name)
    if choice.fallback_rule is Rule.GUNICORN_APP_MODULE and module_path is None \
            and module_name.split(".", 1)[0] not in facts.top_level:
        raise GunicornModuleMissing(value=module, module=module_name,
                                    variable=analysis.build_env.named("GUNICORN_APP_MODULE"))
    source = (read_optional_text(module_path) or "") if module_path is not None else ""
    if module_path is not None:
        _check_frameworks(analysis, module_path, source, f"gunicorn {module}", choice.chdir, facts)
    django = choice.django
    asgi = is_asgi(choice.fallback_rule, imported_modules(source), frozenset(facts.distributions),
                   django is not None and django.asgi_module is not None)
    if asgi and django is not None and django.asgi_module is not None:
        module = django.asgi_module
        choice = replace(choice, gunicorn_module=module, reason=choice.reason + "; ASGI server installed, so "
                         f"its {module.split(':')[0].replace('.', '/')}.py")
    worker_class = analysis.env.get("GUNICORN_WORKER_CLASS", "").strip()
    if not worker_class and asgi and "worker_class" not in analysis.snapshot.gunicorn_config_names:
        worker_class = UVICORN_WORKER
        uvicorn = facts.distributions.get("uvicorn")
        version = uvicorn.parsed_version() if uvicorn is not None else None
        if not facts.has("uvicorn-worker") and version is not None and version < Version("0.36") and \
                facts.site_packages is not None and (facts.site_packages / "uvicorn" / "workers.py").is_file():
            # uvicorn-worker needs uvicorn >= 0.36; installing it would upgrade the app's pinned uvicorn.
            # Older uvicorn releases ship the same worker class themselves.
            worker_class = OLD_UVICORN_WORKER
    names = analysis.snapshot.gunicorn_config_names
    return choice, GunicornPlan(module=module, config=analysis.snapshot.gunicorn_config or "",
                                worker_class=worker_class, chdir=choice.chdir,
                                worker_tmp_dir="worker_tmp_dir" not in names)


_ADDED = {"gunicorn": "The web process uses Gunicorn, which the app does not list: adding it",
          "uvicorn-worker": "The web process is an ASGI app and uses Uvicorn's worker class, which the app does not "
                            "list: adding it"}


def _add(pins: List[str], target: InstallTarget, out: Output) -> VenvFacts:
    """What the web process needs and the environment lacks after the install (the decision changed with what it
    installed, or an ASGI app wants Uvicorn's worker)."""
    for pin in pins:
        out.step(_ADDED[pin.partition("==")[0]])
    env, venv_dir = target.installer_env, target.paths.venv_dir
    run_install(out, target.installer, target.paths, env, pins)
    facts = VenvFacts.read(venv_dir)
    if facts.site_packages is not None:
        # The rest of the environment is compiled already: only what this install added.
        compile_bytecode(venv_dir / "bin" / "python", facts.site_packages, env, only_missing=True)
    return facts


# ---- the layer --------------------------------------------------------------------------------------------------
def install_web(analysis: Analysis, python_dir: Path, plan: WebPlan, out: Output) -> LayerRef[WebLayerMetadata]:
    layer = uncached_layer(analysis.layers_dir, LAYER_NAME, LayerTypes(launch=True), WebLayerMetadata(LAYER_FORMAT))
    layer_dir = layer.path
    (layer_dir / "bin").mkdir()
    choice = plan.choice
    conf_worker_class = (plan.gunicorn.worker_class if plan.gunicorn else "") or DEFAULT_WORKER_CLASS
    (layer_dir / "gunicorn.conf.py").write_text(render_gunicorn_conf(conf_worker_class), encoding="utf-8")
    run_script = layer_dir / RUN_SCRIPT
    run_script.write_text(render_run_script(
        choice.fallback, _with_config(plan.gunicorn, layer_dir), choice.procfile_command, script=choice.script,
        script_executable=choice.script is not None and analysis.snapshot.script_executable,
        python_file=choice.python_file, migrate_dir=plan.migrate_dir, command=choice.command,
        command_env=choice.command_env), encoding="utf-8")
    run_script.chmod(0o755)
    init = layer_dir / INIT
    init.write_text((_SOURCES / "process_init.py").read_text(encoding="utf-8"), encoding="utf-8")
    init.chmod(0o755)
    exec_d = layer_dir / "exec.d"
    exec_d.mkdir()
    tuning = exec_d / "launch-tuning"
    tuning.write_text(f"#!{python_dir / 'bin' / 'python3'} -I\n"
                      f"{(_SOURCES / 'launch_tuning.py').read_text(encoding='utf-8')}", encoding="utf-8")
    tuning.chmod(0o755)
    env = LayerEnv()
    for name, value in sorted(_launch_defaults(analysis).items()):
        # .default: a value given to `docker run -e` (or the platform at launch) wins over build-time values.
        env.add(Scope.LAUNCH, Behavior.DEFAULT, name, value)
    env.write(layer_dir)
    run_hook = analysis.hooks.run
    if run_hook is not None:
        hook_copy = layer_dir / HOOK_COPY
        hook_copy.write_text(rewrite_hook(run_hook, DEFAULT_RUN_PATH, run_script), encoding="utf-8")
        hook_copy.chmod(0o755)
    layer.finish()
    _describe(analysis, plan, layer_dir, out)
    return layer


def _with_config(gunicorn: Optional[GunicornPlan], layer_dir: Path) -> Optional[GunicornPlan]:
    """The buildpack's config (in this layer) when the app has none."""
    if gunicorn is None or gunicorn.config:
        return gunicorn
    return replace(gunicorn, config=str(layer_dir / "gunicorn.conf.py"))


def _launch_defaults(analysis: Analysis) -> Dict[str, str]:
    defaults = {"FORWARDED_ALLOW_IPS": "*", "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8", "PORT": "8080"}
    defaults.update({k: v for k, v in analysis.build_env.s2i_file.items()
                     if not k.startswith("PIP_") and k not in SECRET_BEARING_VARS})
    platform = analysis.build_env.platform
    defaults.update({k: platform[k] for k in LAUNCH_KNOBS if platform.get(k, "").strip()})
    return defaults


def web_processes(analysis: Analysis, python_dir: Path, plan: WebPlan, layer_dir: Path) -> List[Process]:
    """The web process (default), one process per other Procfile entry and, for a Django app, `migrate` unless the
    Procfile has one; each runs under the layer's init, in the app's directory."""
    init = [str(python_dir / "bin" / "python3"), "-I", str(layer_dir / INIT)]
    run_hook, app_dir = analysis.hooks.run, analysis.app_dir
    command = [str(layer_dir / RUN_SCRIPT)]
    if run_hook is not None:
        hook_copy = str(layer_dir / HOOK_COPY)
        command = [hook_copy] if run_hook.startswith("#!") else ["/bin/sh", hook_copy]
    procfile = analysis.snapshot.procfile
    processes = [Process(type="web", command=init + command, default=True, working_dir=str(app_dir))]
    processes += [Process(type=entry.name, command=[*init, "/bin/sh", "-c", entry.command], working_dir=str(app_dir))
                  for entry in procfile if entry.name != "web"]
    if plan.migrate_dir is not None and not any(entry.name == "migrate" for entry in procfile):
        processes.append(Process(type="migrate", command=[*init, "/bin/sh", "-c", MIGRATE],
                                 working_dir=str(app_dir / plan.migrate_dir) if plan.migrate_dir else str(app_dir)))
    return processes


# ---- the log ----------------------------------------------------------------------------------------------------
def _describe(analysis: Analysis, plan: WebPlan, layer_dir: Path, out: Output) -> None:
    """Which rule chose the web process and why the earlier ones did not apply, and the other process types."""
    choice, gunicorn = plan.choice, _with_config(plan.gunicorn, layer_dir)
    procfile = analysis.snapshot.procfile
    if choice.kind is Kind.NONE:
        out.warning(*render_warning(NoWebProcess(scripts=analysis.facts.scripts)))
    if choice.kind is Kind.RUN_HOOK:
        text = "Web process: your .s2i/bin/run (it may source the default run stage)"
    elif choice.kind is Kind.APP_RUN:
        text = "Web process: the APP_RUN command, run through /bin/sh"
    elif choice.kind is Kind.GUNICORN and gunicorn is not None:
        text = (f"Web process: gunicorn {gunicorn.module} ({choice.reason}), config "
                f"{plan.gunicorn.config if plan.gunicorn and plan.gunicorn.config else 'from the buildpack'}, "
                "listening on 0.0.0.0:8080 (PORT overrides)")
    elif choice.kind is Kind.PROCFILE:
        text = f"Web process: the Procfile's web command, run through /bin/sh: {choice.procfile_command}"
    elif choice.kind is Kind.APP_PY:
        text = f"Web process: python {choice.python_file} ({choice.reason})"
    elif choice.kind is Kind.SCRIPT:
        text = f"Web process: the shell script {choice.script} ({choice.reason})"
    elif choice.kind is Kind.COMMAND:
        env = "".join(f"{name}={value} " for name, value in choice.command_env)
        listens = PORT in choice.command or any(value == PORT for _, value in choice.command_env)
        text = (f"Web process: {env}{shown_command(choice.command)} ({choice.reason}), "
                + ("listening on 0.0.0.0:8080 (PORT overrides)" if listens else
                   "which must listen on 0.0.0.0:$PORT (8080) itself"))
    else:
        text = "Web process: none found; it runs APP_RUN if set at launch, else prints the error above and exits 1"
    out.step(text)
    if choice.skipped:
        out.step("No rule applied:" if choice.kind is Kind.NONE else
                 f"Chosen by rule '{choice.rule.value}'; the earlier rules did not apply:")
        out.bullet_list(choice.skipped)
    if gunicorn is not None and choice.kind is Kind.GUNICORN:
        _describe_gunicorn(gunicorn, own_config=bool(plan.gunicorn and plan.gunicorn.config), out=out)
    if choice.procfile_web_unused:
        out.step(f"The Procfile's web process is not used: {choice.rule.value} chose the web command")
    others = [entry.name for entry in procfile if entry.name != "web"]
    if others:
        out.step(f"Procfile process types: {', '.join(others)} (docker run --entrypoint NAME IMAGE)")
    _describe_migrations(analysis, plan, out)


def _describe_gunicorn(gunicorn: GunicornPlan, *, own_config: bool, out: Output) -> None:
    if gunicorn.worker_class:
        out.step(f"Gunicorn worker class: {gunicorn.worker_class}")
    elif not own_config:
        out.step(f"Gunicorn worker class: {DEFAULT_WORKER_CLASS}, {DEFAULT_THREADS} threads per worker, so that slow "
                 "clients do not hold up the others (GUNICORN_WORKER_CLASS=sync for sync workers)")


def _describe_migrations(analysis: Analysis, plan: WebPlan, out: Output) -> None:
    if plan.migrate_dir is None:
        return
    where = f"{plan.migrate_dir}/manage.py" if plan.migrate_dir else "manage.py"
    if any(entry.name == "migrate" for entry in analysis.snapshot.procfile):
        out.step("Django migrations: the Procfile's migrate process type is kept")
    else:
        out.step(f"Django migrations: process type migrate runs 'python {where} migrate --noinput' "
                 "(docker run --entrypoint migrate IMAGE, or a Kubernetes init container or Job)")
    if is_truthy(analysis.env.get("MIGRATE_ON_START", "")):
        out.step("MIGRATE_ON_START is set: the web process runs the migrations before it starts")
    else:
        out.step("Migrations do not run when the web process starts unless MIGRATE_ON_START=true "
                 "(at build or at docker run -e)")
