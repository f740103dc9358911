"""A lock change updates the restored environment in place, per manager (uv, Poetry, Pipenv, PDM and pylock.toml), and
ends where a fresh install does: one app, locked by the real tool, built fresh, then rebuilt on the layers the
lifecycle keeps with one locked package added, upgraded and removed again (lock_apps.LOCK_CHANGES). After each change
the environment holds exactly what the lock installs, its bytecode is that of the installed sources (and of nothing
else), and only what changed was compiled; after the last one it is the fresh build's, file for file and .pyc for
.pyc."""

import re
import subprocess
from pathlib import Path
from typing import Dict

import pytest
from python_cnb.cnb import toml_io
from support import lock_apps
from support.cnb_harness import LAYER_MTIME

pytestmark = pytest.mark.contract

APPS = {
    # kind: (generator, options, what the build installs beside the lock's versions: the project itself, where it is
    # installed). Gunicorn is locked, so only the change itself is installed.
    "uv": (lock_apps.uv_app, {}, set()),
    "poetry": (lock_apps.poetry_app, {}, {"poetry-app"}),  # package mode: Poetry installs the project, not locked
    "pipenv": (lock_apps.pipenv_app, {}, set()),
    "pdm": (lock_apps.pdm_app, {}, set()),  # an application (`distribution = false`): the project is not installed
    # `uv export` lists the project in pylock.toml as an editable directory entry, which has no version to lock.
    "pylock": (lock_apps.pylock_app, {}, {"pylock-app"}),
}
EXTRA = ("gunicorn==23.0.0",)
SIX_VERSION = {"added": "1.16.0", "upgraded": "1.17.0"}


def _site(app) -> Path:
    return next((app.layers / "venv").glob("lib/python3.*/site-packages"))


def _distributions(site: Path) -> Dict[str, str]:
    """{canonical name: version} of every *.dist-info directory: what `pip freeze` lists."""
    found = {}
    for info in site.glob("*.dist-info"):
        name, _, version = info.name[:-len(".dist-info")].partition("-")
        found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def _tree(site: Path) -> Dict[str, bytes]:
    """Every file of the environment (the bytecode with its contents; a RECORD's hashes depend on nothing else)."""
    return {str(p.relative_to(site)): p.read_bytes() if p.suffix == ".pyc" else b""
            for p in site.rglob("*") if p.is_file()}


def _python(app, code: str) -> str:
    result = subprocess.run([str(app.layers / "venv" / "bin" / "python"), "-c", code], capture_output=True, text=True,
                            check=False, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# Run with the environment's interpreter: every .pyc under site-packages is hash-based and was compiled from the
# source beside it (PEP 552's hash, which only that interpreter computes), and every module outside tests has one.
CHECK_BYTECODE = """
import importlib.util, pathlib, re, sys
site = pathlib.Path(sys.argv[1])
tag = sys.implementation.cache_tag
problems = []
for pyc in site.rglob("__pycache__/*.pyc"):
    source = pyc.parent.parent / (pyc.name.split(".", 1)[0] + ".py")
    data = pyc.read_bytes()
    if not source.is_file():
        problems.append(f"no source: {pyc}")
    elif int.from_bytes(data[4:8], "little") & 1 != 1 or data[8:16] != importlib.util.source_hash(source.read_bytes()):
        problems.append(f"stale: {pyc}")
for source in site.rglob("*.py"):
    if "__pycache__" not in source.parts and not re.search(r"/(test|tests|idle_test)/", str(source)):
        if not (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").is_file():
            problems.append(f"not compiled: {source}")
print("\\n".join(problems[:10]) or "ok")
"""


@pytest.mark.parametrize("kind", list(APPS))
def test_lock_change_updates_in_place_as_a_fresh_install(make_app, tmp_path, kind):
    generator, options, project = APPS[kind]
    apps = lock_apps.lock_changes(generator, tmp_path / "src", extra=EXTRA, **options)
    _, base = apps[0]
    app = make_app(str(base))
    first = app.build()
    assert first.returncode == 0, first
    site = _site(app)
    fresh_tree, fresh = _tree(site), _distributions(site)
    # What the fresh build adds beside the lock's versions (the project itself, when it is installed).
    own = {name: version for name, version in fresh.items() if name not in lock_apps.locked_versions(base)}
    assert set(own) == project, own
    if kind == "pylock":
        assert {"name": "pylock-app", "directory": {"path": ".", "editable": True}} in \
            toml_io.loads((base / "pylock.toml").read_text())["packages"]

    for change, source in apps[1:]:
        app.restore_for_next_build(fresh_source=str(source))
        flask_pyc = next((_site(app) / "flask" / "__pycache__").glob("app.*.pyc"))
        result = app.build()
        assert result.returncode == 0, result
        assert "Updating the cached virtual environment in place since:\n - The dependency files (" in \
            result.output, change
        site = _site(app)
        assert _distributions(site) == {**lock_apps.locked_versions(source), **own}, change
        assert _python(app, CHECK_BYTECODE.replace("sys.argv[1]", repr(str(site)))) == "ok", change
        # Only what changed was compiled: Flask's bytecode is the restored file, untouched.
        assert flask_pyc.stat().st_mtime == LAYER_MTIME, change
        compiled = re.search(r"^Compiled bytecode for (\d+) new distributions? \((.*)\), not the whole environment",
                             result.output, re.MULTILINE)
        if change in SIX_VERSION:
            assert compiled is not None, result.output
            assert "six " + SIX_VERSION[change] in compiled.group(2) and "Flask" not in compiled.group(2)
            assert int(compiled.group(1)) <= 2, compiled.group(0)  # six, and Poetry's project reinstalled
            assert _python(app, "import six; print(six.__version__)") == SIX_VERSION[change]
        else:
            assert re.search(r"; (uninstalled six 1\.17\.0, with its bytecode|removed 1 \.pyc file the uninstall of "
                             r"six 1\.17\.0 left)$", result.output, re.MULTILINE), result.output
            assert not list(site.glob("__pycache__/six.*")) and not (site / "six.py").exists()
            # The same environment as the fresh build, file for file and .pyc for .pyc.
            assert _distributions(site) == fresh
            assert _tree(site) == fresh_tree
    with app.serve() as server:
        assert server.get("/").startswith("Hello from")
