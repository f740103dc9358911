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
    uv_app(dest, optional={"compat": ["six"]})  with [project.optional-dependencies]
    uv_workspace_app(dest)        a uv workspace: the root app, members packages/greeting and services/api (an app
                                  with a path dependency on libs/shared, not a member), one uv.lock
    uv_script_app(dest)           `uv init --package` shape whose one [project.scripts] entry serves the app
    uv_dev_server_app(dest)       the same shape whose script's main() calls Flask's app.run() (127.0.0.1:5000)
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
    pdm_app(dest)                 `pdm init -n` (an application: `distribution = false`, requires-python ==X.Y.* of
                                  the interpreter), `pdm add flask==3.0.3`, `pdm add -dG test pytest`
    pdm_app(dest, package=True)   `pdm init -n --dist` (pdm-backend, src layout) whose package wsgi.py imports
    pdm_app(dest, stale=True)     a dependency added to pyproject.toml after locking
    pylock_app(dest)              `uv init --app`, `uv add flask==3.0.3 docopt==0.6.2` (docopt has an sdist only)
                                  and colorama for Windows only,
                                  then `uv export --format pylock.toml`: pylock.toml and pyproject.toml, no uv.lock;
                                  wsgi.py at the root (the project itself is a package, in the lock as editable)
    pylock_app(dest, keep_uv_lock=True)  the same with uv.lock still there (two managers' files)
    pip_lock_app(dest)            `pip lock -r requirements.txt -o pylock.toml` with pip 26.3 (PIP_LOCK_PIN), for this
                                  interpreter and platform only; requirements.txt removed, .python-version X.Y added
                                  (python_version=None: none, so the build may pick another Python)
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

__all__ = ["uv_app", "uv_workspace_app", "poetry_app", "poetry_init_app", "pipenv_app", "pdm_app", "pylock_app",
           "pip_lock_app", "locked_versions", "dev_only", "default_index_url", "tool_bin", "tool_pin",
           "LOCK_CHANGES", "lock_changes", "locked_project", "poetry_source"]

# `pip lock` (experimental) needs pip 26.1 or newer; the buildpack's own pip is the interpreter's bundled one.
PIP_LOCK_PIN = "pip==26.3"


# ---- the apps ----------------------------------------------------------------------------------------------------

def _flask_module(kind: str) -> str:
    return ("from flask import Flask\n\napplication = Flask(__name__)\n\n\n@application.get(\"/\")\n"
            f"def hello() -> str:\n    return \"Hello from {kind}\"\n")


def uv_app(dest: Path, *, package: bool = False, stale: bool = False, index_url: Optional[str] = None,
           extra: Sequence[str] = (), optional: Mapping[str, Sequence[str]] = {}) -> Path:  # noqa: B006
    """optional: [project.optional-dependencies] (extra name -> requirements)."""
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
    if optional:
        files["pyproject.toml"] += "\n[project.optional-dependencies]\n" + "".join(
            f"{extra_name} = [{', '.join(repr(req) for req in reqs)}]\n" for extra_name, reqs in optional.items())
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


def uv_dev_server_app(dest: Path) -> Path:
    """`uv init --package web` and `uv add flask`, with the app written where uv put the code: src/web/__init__.py
    defines the Flask app and the one script's main() calls `app.run()` (Flask's 127.0.0.1:5000)."""
    files: Dict[str, str] = {
        "README.md": "",
        "pyproject.toml": (
            '[project]\nname = "web"\nversion = "0.1.0"\ndescription = "Add your description here"\n'
            'readme = "README.md"\nrequires-python = ">=3.11"\n'
            f'dependencies = [\n    "flask=={FLASK}",\n]\n\n[project.scripts]\nweb = "web:main"\n\n'
            '[build-system]\nrequires = ["uv_build>=0.13.9,<0.14.0"]\nbuild-backend = "uv_build"\n'),
        "src/web/__init__.py": (
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get(\"/\")\ndef hello() -> str:\n"
            "    return \"Hello from web, run with app.run() in main()\"\n\n\n"
            "def main() -> None:\n    app.run(debug=False)\n"),
    }
    app = _generated("uv", files, ("uv.lock",), default_index_url(), _lock_uv)
    return _copy(app, dest)


def uv_workspace_app(dest: Path, *, index_url: Optional[str] = None, greeting: str = "Hello",
                     extra: Sequence[str] = ()) -> Path:
    """A uv workspace made as `uv init` + `uv init --lib packages/greeting` + `uv init --app services/api` and
    `uv add` would: the root project (an app, wsgi.py) depends on the member greeting; the member services/api (an
    app of its own, wsgi.py) depends on greeting and on libs/shared, a path dependency that is not a member. One
    uv.lock at the root. greeting: what greeting.hello() says (a change to a member's code); extra: more
    dependencies of services/api (a changed lock)."""
    build = '[build-system]\nrequires = ["uv_build>=0.13.9,<0.14.0"]\nbuild-backend = "uv_build"\n'
    files: Dict[str, str] = {
        "README.md": "",
        "pyproject.toml": (
            '[project]\nname = "acme-web"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            f'dependencies = ["flask=={FLASK}", "greeting"]\n\n[dependency-groups]\ndev = ["pytest"]\n\n'
            '[tool.uv.sources]\ngreeting = { workspace = true }\n\n'
            '[tool.uv.workspace]\nmembers = ["packages/*", "services/*"]\n'),
        "wsgi.py": ("from flask import Flask\nfrom greeting import hello\n\napplication = Flask(__name__)\n\n\n"
                    "@application.get(\"/\")\ndef index() -> str:\n    return hello(\"the workspace root\")\n"),
        "packages/greeting/pyproject.toml": (
            '[project]\nname = "greeting"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n\n'
            + build),
        "packages/greeting/src/greeting/__init__.py": (
            f"def hello(who: str) -> str:\n    return f\"{greeting} from {{who}}\"\n"),
        "services/api/pyproject.toml": (
            '[project]\nname = "acme-api"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            f'dependencies = {json.dumps([f"flask=={FLASK}", "greeting", "shared", *extra])}\n\n'
            '[tool.uv.sources]\ngreeting = { workspace = true }\nshared = { path = "../../libs/shared" }\n'),
        "services/api/wsgi.py": (
            "from flask import Flask\nfrom greeting import hello\nfrom shared import NAME\n\n"
            "application = Flask(__name__)\n\n\n@application.get(\"/\")\ndef index() -> str:\n"
            "    return hello(f\"the api, with {NAME}\")\n"),
        "libs/shared/pyproject.toml": (
            '[project]\nname = "shared"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n' + build),
        "libs/shared/src/shared/__init__.py": 'NAME = "libs/shared"\n',
    }
    # The lock does not depend on the member's code: lock once, then write the greeting.
    app = _generated("uv", {**files, "packages/greeting/src/greeting/__init__.py": ""}, ("uv.lock",),
                     index_url or default_index_url(), _lock_uv)
    _copy(app, dest)
    code = "packages/greeting/src/greeting/__init__.py"
    (dest / code).write_text(files[code])
    return dest


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


def pdm_app(dest: Path, *, package: bool = False, stale: bool = False, index_url: Optional[str] = None,
            extra: Sequence[str] = ()) -> Path:
    """Made by PDM itself (`pdm init`, `pdm add`), locked against `index_url` (PDM_PYPI_URL). `extra`: more `pdm add`
    arguments for the main dependencies."""
    files: Dict[str, str] = {}
    if package:
        files["src/pdm_app/__init__.py"] = _flask_module("PDM package")
        files["wsgi.py"] = "from pdm_app import application\n\n__all__ = [\"application\"]\n"
    else:
        files["wsgi.py"] = _flask_module("PDM")
    url = index_url or default_index_url()
    app = _generated("pdm", {**files, ".options": json.dumps([package, list(extra)])}, ("pdm.lock",), url,
                     lambda work, _: _lock_pdm(work, url, package, extra))
    return _copy(app, dest, stale_edit=_add_dependency_to_pdm_pyproject if stale else None)


def _add_dependency_to_pdm_pyproject(app: Path) -> None:
    path = app / "pyproject.toml"
    text = path.read_text()
    edited = text.replace('dependencies = ["flask', 'dependencies = ["requests", "flask', 1)
    assert edited != text, text
    path.write_text(edited)


def pylock_app(dest: Path, *, extra: Sequence[str] = (), keep_uv_lock: bool = False,
               index_url: Optional[str] = None) -> Path:
    """What a uv user who ships the standard lock has: `uv init --app` (this uv makes it a package: src/ layout,
    uv_build, one [project.scripts] entry), `uv add` of Flask, docopt (an sdist only, built at install), colorama
    (on Windows only) and `extra`, then `uv export --format pylock.toml -o pylock.toml` (which lists the project
    itself as editable). wsgi.py at the root serves "Hello from pylock"."""
    url = index_url or default_index_url()
    # colorama installs anywhere: left out here, it shows that the lock's marker was evaluated.
    requirements = (f"flask=={FLASK}", "docopt==0.6.2", "colorama==0.4.6; sys_platform == 'win32'", *extra)
    files = {"wsgi.py": _flask_module("pylock").replace("from flask import Flask\n",
                                                         "import docopt  # noqa: F401\nfrom flask import Flask\n")}
    pin = f"{_pin('uv')} {' '.join(requirements)}"
    app = _generated("pylock", files, ("pylock.toml", "uv.lock"), url,
                     lambda work, index: _export_pylock(work, index, requirements), pin=pin)
    _copy(app, dest)
    if not keep_uv_lock:
        (dest / "uv.lock").unlink()
    return dest


def pip_lock_app(dest: Path, *, python_version: Optional[str] = "{}.{}".format(*sys.version_info[:2]),
                 index_url: Optional[str] = None) -> Path:
    """`pip lock -r requirements.txt -o pylock.toml` of Flask with pip 26.3: a lock for this interpreter and
    platform (one wheel per package, no requires-python). The app ships pylock.toml, wsgi.py and .python-version."""
    url = index_url or default_index_url()
    files = {"requirements.txt": f"flask=={FLASK}\n", "wsgi.py": _flask_module("pip lock")}
    app = _generated("pip-lock", files, ("pylock.toml",), url, _pip_lock, pin=PIP_LOCK_PIN)
    _copy(app, dest)
    (dest / "requirements.txt").unlink()
    if python_version is not None:
        (dest / ".python-version").write_text(f"{python_version}\n")
    return dest


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
    """The app of these files (pyproject.toml among them) locked by the tool ('uv', 'poetry', or 'pylock': `uv lock`
    then `uv export --format pylock.toml`, the app shipping pylock.toml and no uv.lock), cached like the others,
    copied to dest: for apps of other shapes (the benchmark's heavy app). python: the interpreter uv locks with
    (default: this one)."""
    if tool == "uv":
        app = _generated(tool, files, ("uv.lock",), index_url or default_index_url(),
                         lambda work, url: _lock_uv(work, url, python or sys.executable))
    elif tool == "pylock":
        app = _generated(tool, files, ("pylock.toml",), index_url or default_index_url(),
                         lambda work, url: _export_uv_lock(work, url, python or sys.executable),
                         pin=f"{_pin('uv')} export")
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
    if (app_dir / "pylock.toml").exists():
        return _pylock_locked(toml_io.loads((app_dir / "pylock.toml").read_text()))
    if (app_dir / "uv.lock").exists():
        return _uv_locked(toml_io.loads((app_dir / "uv.lock").read_text()), main_only)
    if (app_dir / "poetry.lock").exists():
        return _poetry_locked(toml_io.loads((app_dir / "poetry.lock").read_text()), main_only)
    if (app_dir / "Pipfile.lock").exists():
        return _pipenv_locked(json.loads((app_dir / "Pipfile.lock").read_text()), main_only)
    if (app_dir / "pdm.lock").exists():
        return _pdm_locked(toml_io.loads((app_dir / "pdm.lock").read_text()), main_only)
    raise FileNotFoundError(f"no uv.lock, poetry.lock, Pipfile.lock or pdm.lock in {app_dir}")


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


def _pylock_locked(lock: Mapping[str, object]) -> Dict[str, str]:
    """The packages with a version whose marker holds here (the lock's default groups; directory entries, such as
    the project itself, have no version and are left out)."""
    groups = frozenset(lock.get("default-groups", []))  # type: ignore[arg-type]
    found: Dict[str, str] = {}
    for package in lock.get("packages", []):  # type: ignore[union-attr]
        marker = package.get("marker")
        if "version" in package and (not marker or Marker(marker).evaluate(
                {"extras": frozenset(), "dependency_groups": groups})):
            found[canonicalize_name(package["name"])] = str(package["version"])
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


def _pdm_locked(lock: Mapping[str, object], main_only: bool) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for package in lock.get("package", []):  # type: ignore[union-attr]
        if main_only and ("default" not in package.get("groups", []) or not _applies(package.get("marker"))):
            continue
        found[canonicalize_name(package["name"])] = str(package["version"])
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
    """The buildpack's pin, with any dependency it holds back ('pdm==2.29.4 hishel[httpx2]==1.4.0')."""
    from python_cnb.tool_versions import read_pin

    return read_pin(REPO, tool)


def tool_pin(tool: str) -> str:
    """The buildpack's pin of the tool (requirements/<tool>.txt), with any dependency it holds back."""
    return _pin(tool)


def tool_bin(tool: str, pin: Optional[str] = None) -> Path:
    """bin/ of a venv under the cache holding the tool at the buildpack's pin, or at `pin` (made once per pin)."""
    pin = pin or _pin(tool)
    venv = CACHE / "tools" / pin.replace("==", "-").replace(" ", "+")
    executable = venv / "bin" / tool
    if executable.exists():
        return executable.parent
    with _locked(CACHE / ".tools.flock"):
        if not executable.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", *pin.split()], check=True)
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


def _export_pylock(app: Path, index_url: Optional[str], requirements: Sequence[str]) -> None:
    uv = str(tool_bin("uv") / "uv")
    env = {"UV_CACHE_DIR": str(CACHE / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    if index_url:
        env["UV_DEFAULT_INDEX"] = index_url
    _run([uv, "init", "--app", "--vcs", "none", "--name", "pylock-app", "--python", sys.executable], app, env)
    _run([uv, "add", "--python", sys.executable, *requirements], app, env)
    _run([uv, "export", "--format", "pylock.toml", "-o", "pylock.toml"], app, env)
    shutil.rmtree(app / ".venv", ignore_errors=True)


def _export_uv_lock(app: Path, index_url: Optional[str], python: str) -> None:
    """`uv lock`, then `uv export --format pylock.toml -o pylock.toml` of that lock; uv.lock removed."""
    _lock_uv(app, index_url, python)
    env = {"UV_CACHE_DIR": str(CACHE / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    _run([str(tool_bin("uv") / "uv"), "export", "--frozen", "--format", "pylock.toml", "-o", "pylock.toml"], app, env)
    (app / "uv.lock").unlink()


def _pip_lock(app: Path, index_url: Optional[str]) -> None:
    venv = CACHE / "tools" / PIP_LOCK_PIN.replace("==", "-")
    marker = venv / ".installed"
    with _locked(CACHE / ".tools.flock"):
        if not marker.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", PIP_LOCK_PIN], check=True)
            marker.write_text(PIP_LOCK_PIN)
    # No find-links: a wheel from a local directory would be locked by its file path, which the build does not have.
    env = {name: value for name, value in os.environ.items() if name != "PIP_FIND_LINKS"}
    if index_url:
        env["PIP_INDEX_URL"] = index_url
    argv = [str(venv / "bin" / "pip"), "lock", "--quiet", "-r", "requirements.txt", "-o", "pylock.toml"]
    result = subprocess.run(argv, cwd=app, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}) in {app}:\n{result.stdout}{result.stderr}")


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


def _lock_pdm(app: Path, index_url: str, package: bool, extra: Sequence[str]) -> None:
    """`pdm init -n` (with the base interpreter: PDM makes the project its own .venv, which stays out of the app, as
    .pdm-python does, by its .gitignore), then `pdm add` without installing (--no-sync)."""
    pdm = str(tool_bin("pdm") / "pdm")
    env = {"PDM_CACHE_DIR": str(CACHE / "pdm-cache"), "PDM_CONFIG_FILE": str(app / ".no-pdm-config.toml"),
           "PDM_LOG_DIR": str(CACHE / "pdm-log"), "PDM_CHECK_UPDATE": "false", "PDM_NON_INTERACTIVE": "1",
           "PDM_PYPI_URL": index_url, "PDM_IGNORE_ACTIVE_VENV": "1", "VIRTUAL_ENV": ""}
    (app / ".options").unlink()
    package_files = {path: path.read_text() for path in app.rglob("*.py")}
    base_python = str(Path(sys.base_prefix) / "bin" / "python3")
    _run([pdm, "init", "-n", "--no-git", "--name", "pdm-app", "--python", base_python,
          *(["--dist"] if package else [])], app, env)
    for path, text in package_files.items():  # the template's src/pdm_app/__init__.py gets the Flask app
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _run([pdm, "add", "--no-sync", f"flask=={FLASK}", *extra], app, env)
    _run([pdm, "add", "--no-sync", "-dG", "test", "pytest"], app, env)
    for path in (app / ".venv", app / ".pdm-python", app / ".no-pdm-config.toml", *app.rglob("__pycache__")):
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


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
