"""uv, Poetry and Pipenv apps with lockfiles made by the real tools at test time.

Lockfiles name the package index's host, so they are generated here rather than committed. Each app is made once per
set of inputs (its files, the tool's pin, the index URL, the Python version) under $PYTHON_CNB_CACHE/lock-apps and
copied from there; the tools come from the buildpack's own pins (requirements/<tool>.txt), each installed into a small
venv under the same cache, so the apps are locked by the very versions the buildpack runs.

Every app serves "Hello from <kind>" through a Flask app at wsgi.py:application (the default web process finds it),
requires Python >= 3.11 and pins flask==3.0.3, below the newest release, so a test can prove that the lock won.

    extra=("gunicorn==23.0.0",)   more main dependencies (PEP 508 strings), e.g. a lock that already has Gunicorn
    uv_app(dest)                  `uv init --app` shape: no build system, the project is not installed
    uv_app(dest, package=True)    a package (uv_build, src layout) that wsgi.py imports: it must be installed
    uv_app(dest, stale=True)      a dependency added to pyproject.toml after locking
    uv_script_app(dest)           `uv init --package` shape whose one [project.scripts] entry serves the app
    poetry_app(dest)              `poetry new` shape (PEP 621, package mode, src layout) with the primary
                                  simple-API source this network needs; wsgi.py imports the package
    poetry_app(dest, package=False)  `package-mode = false`: dependencies only, wsgi.py at the root
    poetry_app(dest, stale=True)
    poetry_app(dest, locked=False)   the same without poetry.lock (the buildpack locks it)
    poetry_init_app(dest)         Poetry 1's `poetry init` shape in an app's directory: [tool.poetry] name, version,
                                  ..., [tool.poetry.dependencies], package mode without a package; no poetry.lock
    pipenv_app(dest)              Pipfile ([packages], [dev-packages], [requires]) and Pipfile.lock
    pipenv_app(dest, stale=True)
    pipenv_app(dest, locked=False)   a hand-written Pipfile without Pipfile.lock
    pipenv_app(dest, locked_by="pipenv==2024.4.1", names=...)  locked by another Pipenv (which hashed the Pipfile
                                  differently when a name is not in its canonical form: `Flask`)
    lock_changes(uv_app, root)    the app, then one locked package added, upgraded and removed (LOCK_CHANGES)
    locked_versions(app_dir)      {distribution: version} the lock installs (main/default group, this platform)
    dev_only(app_dir)             distributions only the development group brings (pytest and its dependencies)

All take index_url (default: the one pip on this machine uses) for locking against another index.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from python_cnb._vendor.packaging.markers import Marker
from python_cnb._vendor.packaging.utils import canonicalize_name
from python_cnb.cnb import toml_io

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("PYTHON_CNB_CACHE", "/var/cache/python-cnb")) / "lock-apps"
FORMAT = "1"  # bump to regenerate every cached app
FLASK = "3.0.3"
PYPI_SIMPLE = "https://pypi.org/simple"

__all__ = ["uv_app", "poetry_app", "poetry_init_app", "pipenv_app", "locked_versions", "dev_only", "default_index_url",
           "tool_bin", "LOCK_CHANGES", "lock_changes", "locked_project", "poetry_source"]


# ---- the apps ----------------------------------------------------------------------------------------------------

def _flask_module(kind: str) -> str:
    return ("from flask import Flask\n\napplication = Flask(__name__)\n\n\n@application.get(\"/\")\n"
            f"def hello() -> str:\n    return \"Hello from {kind}\"\n")


def uv_app(dest: Path, *, package: bool = False, stale: bool = False, index_url: Optional[str] = None,
           extra: Sequence[str] = ()) -> Path:
    name = "uv-package-app" if package else "uv-app"
    kind = "uv package" if package else "uv"
    dependencies = ", ".join(f'"{req}"' for req in (f"flask=={FLASK}", *extra))
    files: Dict[str, str] = {
        "README.md": "",
        "pyproject.toml": (
            f'[project]\nname = "{name}"\nversion = "0.1.0"\ndescription = "Add your description here"\n'
            f'readme = "README.md"\nrequires-python = ">=3.11"\ndependencies = [{dependencies}]\n\n'
            '[dependency-groups]\ndev = ["pytest"]\n'),
    }
    if package:
        module = name.replace("-", "_")
        files["pyproject.toml"] += ('\n[build-system]\nrequires = ["uv_build>=0.13.9,<0.14.0"]\n'
                                    'build-backend = "uv_build"\n')
        files[f"src/{module}/__init__.py"] = _flask_module(kind)
        files["wsgi.py"] = f"from {module} import application\n\n__all__ = [\"application\"]\n"
    else:
        files["main.py"] = (f'def main() -> None:\n    print("Hello from {name}!")\n\n\n'
                            'if __name__ == "__main__":\n    main()\n')
        files["wsgi.py"] = _flask_module(kind)
    app = _generated("uv", files, ("uv.lock",), index_url or default_index_url(), _lock_uv)
    return _copy(app, dest, stale_edit=_add_dependency_to_pyproject if stale else None)


def uv_script_app(dest: Path) -> Path:
    """`uv init --package myapp` and `uv add flask`: a packaged project (src layout, uv_build) whose one
    [project.scripts] entry is its server (main() serves the Flask app on $PORT with the standard library's WSGI
    server, as a script that starts a web server would)."""
    files: Dict[str, str] = {
        "README.md": "",
        "pyproject.toml": (
            '[project]\nname = "myapp"\nversion = "0.1.0"\ndescription = "Add your description here"\n'
            'readme = "README.md"\nauthors = [\n    { name = "Test Author", email = "test@example.com" }\n]\n'
            f'requires-python = ">=3.11"\ndependencies = [\n    "flask=={FLASK}",\n]\n\n'
            '[project.scripts]\nmyapp = "myapp:main"\n\n'
            '[build-system]\nrequires = ["uv_build>=0.13.9,<0.14.0"]\nbuild-backend = "uv_build"\n'),
        "src/myapp/__init__.py": (
            "import os\nfrom wsgiref.simple_server import make_server\n\nfrom flask import Flask\n\n"
            "app = Flask(__name__)\n\n\n@app.get(\"/\")\ndef hello() -> str:\n"
            "    return \"Hello from myapp's script\"\n\n\n"
            "def main() -> None:\n    port = int(os.environ.get(\"PORT\", \"8080\"))\n"
            "    print(f\"Hello from myapp! Serving on port {port}\", flush=True)\n"
            "    make_server(\"0.0.0.0\", port, app).serve_forever()\n"),
    }
    app = _generated("uv", files, ("uv.lock",), default_index_url(), _lock_uv)
    return _copy(app, dest)


def _poetry_source(url: str) -> str:
    # The package index on the test network serves the simple API only (Poetry's PyPI source uses JSON).
    return f'[[tool.poetry.source]]\nname = "index"\nurl = "{url}"\npriority = "primary"\n'


def poetry_app(dest: Path, *, package: bool = True, stale: bool = False, locked: bool = True,
               index_url: Optional[str] = None, extra: Sequence[str] = ()) -> Path:
    """package=False: `package-mode = false` (dependency management only; the project is not installed)."""
    url = index_url or default_index_url()
    dependencies = "".join(f'    "{req}",\n' for req in (f"flask (=={FLASK})", *extra))
    tool_poetry = ('packages = [{include = "poetry_app", from = "src"}]' if package else "package-mode = false")
    files = {
        "README.md": "",
        "pyproject.toml": (
            '[project]\nname = "poetry-app"\nversion = "0.1.0"\ndescription = ""\n'
            'authors = [\n    {name = "Test Author", email = "test@example.com"}\n]\nreadme = "README.md"\n'
            f'requires-python = ">=3.11"\ndependencies = [\n{dependencies}]\n\n'
            f'[tool.poetry]\n{tool_poetry}\n\n{_poetry_source(url)}\n'
            '[build-system]\nrequires = ["poetry-core>=2.0.0,<3.0.0"]\nbuild-backend = "poetry.core.masonry.api"\n\n'
            '[dependency-groups]\ndev = [\n    "pytest"\n]\n'),
        "tests/__init__.py": "",
    }
    if package:
        files["src/poetry_app/__init__.py"] = _flask_module("Poetry")
        files["wsgi.py"] = "from poetry_app import application\n\n__all__ = [\"application\"]\n"
    else:
        files["wsgi.py"] = _flask_module("Poetry")
    if not locked:
        return _written(files, dest)
    app = _generated("poetry", files, ("poetry.lock",), url, _lock_poetry)
    return _copy(app, dest, stale_edit=_add_dependency_to_pyproject if stale else None)


def poetry_init_app(dest: Path, *, index_url: Optional[str] = None) -> Path:
    """What Poetry 1's `poetry init` writes in an app's directory (hello-poetry/), with Flask added: the project's
    metadata and dependencies in [tool.poetry], no [project], package mode without a hello_poetry package."""
    files = {
        "README.md": "",
        "pyproject.toml": (
            '[tool.poetry]\nname = "hello-poetry"\nversion = "0.1.0"\ndescription = ""\n'
            'authors = ["Test Author <test@example.com>"]\nreadme = "README.md"\n\n'
            f'[tool.poetry.dependencies]\npython = "^3.11"\nflask = "{FLASK}"\n\n'
            '[tool.poetry.group.dev.dependencies]\npytest = "*"\n\n'
            f'{_poetry_source(index_url or default_index_url())}\n'
            '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'),
        "wsgi.py": _flask_module("Poetry init"),
    }
    return _written(files, dest)


def pipenv_app(dest: Path, *, stale: bool = False, locked: bool = True, locked_by: Optional[str] = None,
               index_url: Optional[str] = None, python_version: Optional[str] = None, extra: Sequence[str] = (),
               flask: str = "flask") -> Path:
    """python_version: the Pipfile's [requires] python_version (default: this interpreter's X.Y). locked_by: the
    Pipenv that locks (a pin, default the buildpack's). flask: how the Pipfile spells Flask's name."""
    url = index_url or default_index_url()
    python_version = python_version or "{}.{}".format(*sys.version_info[:2])
    packages = "".join(f'{name} = "{spec or "*"}"\n' for name, spec in
                       (re.match(r"([A-Za-z0-9_.-]+)(.*)", req).groups() for req in extra))  # type: ignore[union-attr]
    files = {
        "Pipfile": (f'[[source]]\nurl = "{url}"\nverify_ssl = true\nname = "pypi"\n\n'
                    f'[packages]\n{flask} = "=={FLASK}"\n{packages}\n[dev-packages]\npytest = "*"\n\n'
                    f'[requires]\npython_version = "{python_version}"\n'),
        "wsgi.py": _flask_module("Pipenv"),
    }
    if not locked:
        return _written(files, dest)
    pin = locked_by or _pin("pipenv")
    app = _generated("pipenv", files, ("Pipfile.lock",), url, lambda work, _: _lock_pipenv(work, pin), pin=pin)
    return _copy(app, dest, stale_edit=_add_package_to_pipfile if stale else None)


# Successive changes of an app's lock, each a rebuild of the one before: one locked package added, upgraded, removed.
# six is one module at the top of site-packages, where an uninstaller can leave its bytecode behind.
LOCK_CHANGES: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("added", ("six==1.16.0",)), ("upgraded", ("six==1.17.0",)), ("removed", ()))


def lock_changes(generate: Callable[..., Path], root: Path, extra: Sequence[str] = (),
                 **options: object) -> List[Tuple[str, Path]]:
    """("base", the app with `extra`), then (change, the app with `extra` and the change's package) for each of
    LOCK_CHANGES, each locked by the real tool (generate: uv_app, poetry_app or pipenv_app) under root/<change>."""
    return [(change, generate(root / change, extra=(*extra, *added), **options))
            for change, added in (("base", ()), *LOCK_CHANGES)]


def locked_project(tool: str, files: Mapping[str, str], dest: Path, index_url: Optional[str] = None,
                   python: Optional[str] = None) -> Path:
    """The app of these files (pyproject.toml among them) locked by the tool ('uv' or 'poetry'), cached like the
    others, copied to dest: for apps of other shapes (the benchmark's heavy app). python: the interpreter uv locks
    with (default: this one)."""
    if tool == "uv":
        app = _generated(tool, files, ("uv.lock",), index_url or default_index_url(),
                         lambda work, url: _lock_uv(work, url, python or sys.executable))
    else:
        app = _generated(tool, files, ("poetry.lock",), index_url or default_index_url(),
                         lambda work, url: _lock_poetry(work, url, python))
    return _copy(app, dest)


def poetry_source(url: Optional[str] = None) -> str:
    """The [[tool.poetry.source]] table this network needs (the index's simple API as the primary source)."""
    return _poetry_source(url or default_index_url())


def _add_dependency_to_pyproject(app: Path) -> None:
    path = app / "pyproject.toml"
    text = path.read_text()
    edited = re.sub(r'^dependencies = \[(\s*)"flask', r'dependencies = [\1"requests",\1"flask', text, count=1,
                    flags=re.MULTILINE)
    assert edited != text, text
    path.write_text(edited)


def _add_package_to_pipfile(app: Path) -> None:
    path = app / "Pipfile"
    path.write_text(path.read_text().replace("[packages]\n", '[packages]\nrequests = "*"\n', 1))


# ---- what a lock pins ------------------------------------------------------------------------------------------

def locked_versions(app_dir: Path, *, main_only: bool = True) -> Dict[str, str]:
    """{canonical distribution name: version} that the app's lockfile installs on this platform: the main
    (Poetry), default (Pipenv) or project (uv) dependencies and what they need; with main_only=False, every
    package the lock names. The project itself is left out."""
    if (app_dir / "uv.lock").exists():
        return _uv_locked(toml_io.loads((app_dir / "uv.lock").read_text()), main_only)
    if (app_dir / "poetry.lock").exists():
        return _poetry_locked(toml_io.loads((app_dir / "poetry.lock").read_text()), main_only)
    if (app_dir / "Pipfile.lock").exists():
        return _pipenv_locked(json.loads((app_dir / "Pipfile.lock").read_text()), main_only)
    raise FileNotFoundError(f"no uv.lock, poetry.lock or Pipfile.lock in {app_dir}")


def dev_only(app_dir: Path) -> Set[str]:
    """Distributions the lock names that the main/default group does not install (pytest, pluggy, ...)."""
    return set(locked_versions(app_dir, main_only=False)) - set(locked_versions(app_dir))


def _applies(marker: Optional[str]) -> bool:
    return not marker or Marker(marker).evaluate({"extra": ""})


def _uv_locked(lock: Mapping[str, object], main_only: bool) -> Dict[str, str]:
    packages = {canonicalize_name(str(p["name"])): p for p in lock.get("package", [])}  # type: ignore[union-attr]
    roots = [n for n, p in packages.items() if any(k in p.get("source", {}) for k in ("editable", "virtual"))]
    registry = {n: str(p["version"]) for n, p in packages.items() if n not in roots}
    if not main_only:
        return registry
    found: Dict[str, str] = {}
    todo = [dep for root in roots for dep in packages[root].get("dependencies", [])]
    while todo:
        dep = todo.pop()
        name = canonicalize_name(dep["name"])
        if not _applies(dep.get("marker")):
            continue
        package = packages[name]
        optional = package.get("optional-dependencies", {})
        extra_deps = [d for extra in dep.get("extra", []) for d in optional.get(extra, [])]
        if name not in found:
            found[name] = str(package["version"])
            todo.extend(package.get("dependencies", []))
        todo.extend(extra_deps)
    return found


def _poetry_locked(lock: Mapping[str, object], main_only: bool) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for package in lock.get("package", []):  # type: ignore[union-attr]
        groups = package.get("groups", ["main"])
        markers = package.get("markers")
        if main_only:
            if "main" not in groups:
                continue
            if isinstance(markers, dict):
                markers = markers.get("main")
            if not _applies(markers):
                continue
        found[canonicalize_name(package["name"])] = str(package["version"])
    return found


def _pipenv_locked(lock: Mapping[str, Mapping[str, Mapping[str, str]]], main_only: bool) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for section in ("default",) if main_only else ("default", "develop"):
        for name, entry in lock.get(section, {}).items():
            if "version" in entry and (not main_only or _applies(entry.get("markers"))):
                found[canonicalize_name(name)] = entry["version"].lstrip("=")
    return found


# ---- generation and the cache ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def default_index_url() -> str:
    """The simple-API URL pip uses here (PIP_INDEX_URL, else pip's config, else PyPI)."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    result = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else PYPI_SIMPLE


def _pin(tool: str) -> str:
    return (REPO / "requirements" / f"{tool}.txt").read_text().strip()


def tool_bin(tool: str, pin: Optional[str] = None) -> Path:
    """bin/ of a venv under the cache holding the tool at the buildpack's pin, or at `pin` (made once per pin)."""
    pin = pin or _pin(tool)
    venv = CACHE / "tools" / pin.replace("==", "-")
    executable = venv / "bin" / tool
    if executable.exists():
        return executable.parent
    with _locked(CACHE / ".tools.flock"):
        if not executable.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", pin], check=True)
    return executable.parent


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generated(tool: str, files: Mapping[str, str], outputs: tuple, index_url: Optional[str], lock,
               pin: Optional[str] = None) -> Path:
    """The cached app for these inputs, made (files written, the tool's lock command run) when missing."""
    python = "{}.{}".format(*sys.version_info[:2])
    key_source = json.dumps([FORMAT, pin or _pin(tool), index_url, python, sorted(files.items())])
    app = CACHE / f"{tool}-{hashlib.sha256(key_source.encode()).hexdigest()[:16]}"
    if all((app / name).exists() for name in outputs):
        return app
    with _locked(CACHE / f".{tool}.flock"):
        if all((app / name).exists() for name in outputs):
            return app
        work = Path(tempfile.mkdtemp(prefix=f"{tool}-", dir=CACHE))
        try:
            for name, text in files.items():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                (work / name).write_text(text)
            lock(work, index_url)
            missing = [name for name in outputs if not (work / name).exists()]
            assert not missing, f"{tool} did not write {missing}"
            shutil.rmtree(app, ignore_errors=True)
            work.rename(app)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return app


def _run(argv: list, cwd: Path, env: Mapping[str, str]) -> None:
    result = subprocess.run(argv, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}) in {cwd}:\n{result.stdout}{result.stderr}")


def _lock_uv(app: Path, index_url: Optional[str], python: str = sys.executable) -> None:
    env = {"UV_CACHE_DIR": str(CACHE / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    if index_url:
        env["UV_DEFAULT_INDEX"] = index_url  # recorded in uv.lock exactly as given
    _run([str(tool_bin("uv") / "uv"), "lock", "--python", python], app, env)


def _lock_poetry(app: Path, index_url: Optional[str], python: Optional[str] = None) -> None:
    """python: lock for that interpreter (Poetry checks the project's requires-python against the active one)."""
    env = {"POETRY_CACHE_DIR": str(CACHE / "poetry-cache"), "POETRY_CONFIG_DIR": str(app / ".no-poetry-config"),
           "POETRY_NO_INTERACTION": "1", "POETRY_KEYRING_ENABLED": "false", "POETRY_VIRTUALENVS_CREATE": "false"}
    if python is None:
        _run([str(tool_bin("poetry") / "poetry"), "lock", "--no-ansi"], app, env)
        return
    scratch = Path(tempfile.mkdtemp(prefix="poetry-venv-", dir=CACHE))
    try:
        subprocess.run([python, "-m", "venv", "--without-pip", str(scratch)], check=True)
        _run([str(tool_bin("poetry") / "poetry"), "lock", "--no-ansi"], app, {**env, "VIRTUAL_ENV": str(scratch)})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _lock_pipenv(app: Path, pin: str) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="pipenv-venv-", dir=CACHE))
    try:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(scratch)], check=True)
        env = {"VIRTUAL_ENV": str(scratch), "PIPENV_PIPFILE": str(app / "Pipfile"),
               "PIPENV_CACHE_DIR": str(CACHE / "pipenv-cache"), "PIPENV_VERBOSITY": "-1", "PIPENV_NOSPIN": "1",
               "PIPENV_YES": "1", "PIPENV_DONT_LOAD_ENV": "1"}
        _run([str(tool_bin("pipenv", pin) / "pipenv"), "lock"], app, env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _written(files: Mapping[str, str], dest: Path) -> Path:
    """An app of these files and nothing else (no tool runs)."""
    for name, text in files.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text)
    return dest


def _copy(app: Path, dest: Path, stale_edit=None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(app, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".no-poetry-config"))
    if stale_edit is not None:
        stale_edit(dest)
    return dest
