"""pylock.toml (PEP 751) apps, their locks made by the real tools (`uv export --format pylock.toml`, `pip lock`):
built with the real bin/build, served, rebuilt with no change (uv does not run) and with one more locked package (the
restored environment is synced in place, to exactly the new lock's set). The errors a lock can cause, each naming the
file and the fix."""

import shutil
from pathlib import Path

import pytest
from support import lock_apps
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
UV_PIN = (REPO / "requirements" / "uv.txt").read_text().strip()


def _site_packages(app) -> Path:
    return next((app.layers / "venv").glob("lib/python3.*/site-packages"))


def _distributions(app) -> dict:
    """{canonical name: version} of every distribution in the venv (what `pip freeze` lists, the project too)."""
    found = {}
    for info in _site_packages(app).glob("*.dist-info"):
        name, _, version = info.name[:-len(".dist-info")].partition("-")
        found[name.lower().replace("_", "-")] = version
    return found


def test_uv_exported_pylock_builds_serves_and_rebuilds(make_app, tmp_path):
    source = lock_apps.pylock_app(tmp_path / "src")
    app = make_app(str(source))
    assert app.detect().returncode == 0
    result = app.build()
    assert result.returncode == 0, result
    assert "Installing the dependencies locked in pylock.toml with uv" in result.output
    assert "Using Python 3.11.7" in result.output
    assert f"Installing {UV_PIN.replace('==', ' ')}" in result.output
    assert "Running 'uv pip sync --preview-features pylock --link-mode" in result.output
    assert "experimental" not in result.output, "the preview switch keeps uv's warning out of the log"
    assert "The web process uses Gunicorn, which the app does not list: adding it" in result.output
    # Exactly the lock's set for this interpreter: colorama (Windows only) is left out, docopt (an sdist only) was
    # built, and the project itself is installed (editable) as the lock lists it.
    locked = lock_apps.locked_versions(source)
    assert locked["flask"] == "3.0.3" and locked["docopt"] == "0.6.2" and "colorama" not in locked
    assert _distributions(app) == {**locked, "pylock-app": "0.1.0", "gunicorn": "27.0.1"}
    assert "marker = \"sys_platform == 'win32'\"" in (source / "pylock.toml").read_text(), "colorama's"
    assert app.layer_toml("uv")["types"] == {"launch": False, "build": False, "cache": True}
    with app.serve() as server:
        assert server.get("/") == "Hello from pylock"

    # No change: the environment is reused and uv does not run.
    app.restore_for_next_build(fresh_source=str(source))
    again = app.build()
    assert again.returncode == 0, again
    assert "Using cached virtual environment: nothing that affects it has changed; skipping uv" in again.output
    assert "Running 'uv pip sync" not in again.output

    # One more locked package (Gunicorn, with its dependency packaging): uv's exact sync updates the restored
    # environment in place, to the new lock's set, and only what it added is compiled.
    changed = lock_apps.pylock_app(tmp_path / "changed", extra=("gunicorn==23.0.0",))
    app.restore_for_next_build(fresh_source=str(changed))
    third = app.build()
    assert third.returncode == 0, third
    assert "Updating the cached virtual environment in place since:\n - The dependency files (" in third.output
    assert f"Using cached {UV_PIN.replace('==', ' ')}" in third.output
    assert "adding it" not in third.output, "Gunicorn comes from the lock now"
    new = lock_apps.locked_versions(changed)
    assert new["gunicorn"] == "23.0.0" and "packaging" in new
    assert _distributions(app) == {**new, "pylock-app": "0.1.0"}
    site = _site_packages(app)
    assert len(list(site.glob("gunicorn/__pycache__/*.pyc"))) == len(list(site.glob("gunicorn/*.py")))
    with app.serve() as server:
        assert server.get("/") == "Hello from pylock"


def test_pip_lock_made_pylock_installs(make_app, tmp_path):
    """`pip lock` (pip 26.3) locks for one interpreter and platform; with .python-version naming that Python the
    build installs it; built for another Python, the lock has no wheel of MarkupSafe for it."""
    source = lock_apps.pip_lock_app(tmp_path / "src")
    assert "created-by = \"pip\"" in (source / "pylock.toml").read_text()
    app = make_app(str(source))
    result = app.build()
    assert result.returncode == 0, result
    assert "Installing the dependencies locked in pylock.toml with uv" in result.output
    assert _distributions(app) == {**lock_apps.locked_versions(source), "gunicorn": "27.0.1"}
    with app.serve() as server:
        assert server.get("/") == "Hello from pip lock"

    app.restore_for_next_build(fresh_source=str(lock_apps.pip_lock_app(tmp_path / "other", python_version="3.12")))
    failed = app.build()
    assert_clean_failure(failed, "pylock.toml has nothing of markupsafe for this platform")
    assert "lists no wheel or sdist of the package 'markupsafe' that this\nPython and platform" in failed.output
    assert not (app.layers / "venv.toml").exists(), "a failed install leaves no venv a later build trusts"


def _edited(tmp_path: Path, name: str, edit) -> Path:
    source = lock_apps.pylock_app(tmp_path / name)
    edit(source)
    return source


def _rename(old: str, new: str):
    return lambda app: (app / old).rename(app / new)


def _rewrite(old: str, new: str, name: str = "pylock.toml"):
    def edit(app: Path) -> None:
        text = (app / "pylock.toml").read_text()
        assert old in text
        (app / "pylock.toml").unlink()
        (app / name).write_text(text.replace(old, new, 1))
    return edit


def _windows_only(package: str):
    """The package's Windows wheels only, without its sdist: what a lock made for Windows alone has."""
    def edit(app: Path) -> None:
        text = (app / "pylock.toml").read_text()
        start = text.index(f'name = "{package}"')
        end = text.index("[[packages]]", start)
        kept = [line for line in text[start:end].split("\n")
                if not line.startswith("sdist") and not (line.startswith("    {") and "win_amd64" not in line)]
        (app / "pylock.toml").write_text(text[:start] + "\n".join(kept) + text[end:])
    return edit


def _two_named(app: Path) -> None:
    shutil.copy(app / "pylock.toml", app / "pylock.dev.toml")
    (app / "pylock.toml").rename(app / "pylock.prod.toml")


@pytest.mark.parametrize(("edit", "title", "lines"), [
    pytest.param(_rewrite('lock-version = "1.0"', 'lock-version = "2.0"'), "Unsupported lock-version in pylock.toml",
                 ["pylock.toml has lock-version '2.0'."], id="lock-version"),
    pytest.param(_two_named, "Several lock files found",
                 [" - pylock.dev.toml\n - pylock.prod.toml", "pack build --env BP_PYTHON_PYLOCK=pylock.dev.toml"],
                 id="several-named-locks"),
    pytest.param(_rewrite('created-by = "uv"', 'created-by = "uv', "pylock.prod.toml"), "Invalid pylock.prod.toml",
                 ["pylock.prod.toml is not valid TOML at line 4, column 17"], id="invalid-toml"),
    pytest.param(_windows_only("markupsafe"), "pylock.toml has nothing of markupsafe for this platform",
                 ["The lock has wheels of it only for: `win_amd64`", "Lock for the platform the app is built on"],
                 id="windows-only-wheels"),
])
def test_lock_errors_name_the_file_and_the_fix(make_app, tmp_path, edit, title, lines):
    result = make_app(str(_edited(tmp_path, "src", edit))).build()
    assert_clean_failure(result, title)
    for line in lines:
        assert line in result.output


def test_pylock_next_to_uv_lock_is_a_conflict_until_the_setting_picks(make_app, tmp_path):
    source = lock_apps.pylock_app(tmp_path / "src", keep_uv_lock=True)
    app = make_app(str(source))
    conflict = app.build()
    assert_clean_failure(conflict, "Multiple package manager files found")
    assert "The app has files of more than one package manager (pylock, uv):\n - pylock.toml\n - uv.lock" in \
        conflict.output
    app.restore_for_next_build(fresh_source=str(source))
    app.platform_env.update(BP_PYTHON_PACKAGE_MANAGER="pylock", BP_PYTHON_PYLOCK="pylock.toml")
    chosen = app.build()
    assert chosen.returncode == 0, chosen
    assert "Installing the dependencies locked in pylock.toml with uv (BP_PYTHON_PACKAGE_MANAGER is pylock)" in \
        chosen.output
    assert "Ignoring uv.lock since BP_PYTHON_PACKAGE_MANAGER is pylock" in chosen.output
