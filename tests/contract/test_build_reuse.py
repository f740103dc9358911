"""The venv reuse key: every input that decides the environment's contents, changed between two builds, takes
effect (the environment is rebuilt and holds the new contents); a requirement file included by URL is never reused."""

import shutil
import subprocess
from pathlib import Path

import pytest
from support.http_server import serve_directory
from support.wheels import make_wheel as _wheel

pytestmark = pytest.mark.contract

REBUILT = "Discarding cached virtual environment since:\n - The requirements files"
REUSED = "Using cached virtual environment: nothing that affects it has changed; skipping pip"


def _site(app) -> Path:
    return next(app.layers.glob("venv/lib/python3*/site-packages"))


def _versions(app, name: str) -> list:
    return sorted(p.name for p in _site(app).glob(f"{name}-*.dist-info"))


def test_local_sources_find_links_constraints_config_and_build_image_take_effect(make_app):
    app = make_app("app_run", APP_RUN="python server.py")
    lib = app.app / "libs" / "mylib"
    (lib / "mylib").mkdir(parents=True)
    (lib / "setup.py").write_text("from setuptools import setup\n"
                                  "setup(name='mylib', version='1', packages=['mylib'])\n")
    (lib / "mylib" / "__init__.py").write_text("VALUE = 1\n")
    _wheel(app.app / "wheels", "greet", "1.0")
    (app.app / "constraints.txt").write_text("greet<=2\n")
    (app.app / "requirements.txt").write_text("--find-links ./wheels\n-c constraints.txt\n./libs/mylib\n"
                                              "greet\n")
    first = app.build()
    assert first.returncode == 0, first
    assert (_site(app) / "mylib" / "__init__.py").read_text() == "VALUE = 1\n"
    assert _versions(app, "greet") == ["greet-1.0.dist-info"]

    # Nothing changed (build output and VCS data in the local project do not count): reused, and the log says
    # once which requirements keep their first install.
    app.restore_for_next_build()
    (lib / "build" / "lib").mkdir(parents=True, exist_ok=True)  # pip's setuptools build may have left it
    (lib / "build" / "lib" / "junk.py").write_text("x = 1\n")
    (lib / ".git").mkdir()
    (lib / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    second = app.build()
    assert second.returncode == 0, second
    assert REUSED in second.output
    assert second.output.count("Unpinned requirements keep the versions of their first install") == 1
    assert "while nothing above changes: greet. Pin them (name==version), or rebuild with " \
           "`pack build --clear-cache`" in second.output

    # The local project's source (not editable: its code is copied into the environment).
    app.restore_for_next_build()
    (lib / "mylib" / "__init__.py").write_text("VALUE = 2\n")
    third = app.build()
    assert third.returncode == 0, third
    assert REBUILT in third.output
    assert (_site(app) / "mylib" / "__init__.py").read_text() == "VALUE = 2\n"

    # A new wheel in a --find-links directory.
    app.restore_for_next_build()
    _wheel(app.app / "wheels", "greet", "2.0")
    fourth = app.build()
    assert fourth.returncode == 0, fourth
    assert REBUILT in fourth.output
    assert _versions(app, "greet") == ["greet-2.0.dist-info"]

    # A constraint file (requirement-file text: the environment is updated in place).
    app.restore_for_next_build()
    (app.app / "constraints.txt").write_text("greet<2\n")
    fifth = app.build()
    assert fifth.returncode == 0, fifth
    assert "Updating the cached virtual environment in place since:\n - The requirements files" in fifth.output
    assert _versions(app, "greet") == ["greet-1.0.dist-info"]

    # PIP_FIND_LINKS: the variable, then what its directory holds.
    app.restore_for_next_build()
    app.platform_env["PIP_FIND_LINKS"] = "./more-wheels"
    (app.app / "more-wheels").mkdir()
    (app.app / "constraints.txt").write_text("greet<4\n")
    sixth = app.build()
    assert sixth.returncode == 0, sixth
    assert _versions(app, "greet") == ["greet-2.0.dist-info"]
    app.restore_for_next_build()
    _wheel(app.app / "more-wheels", "greet", "3.0")
    seventh = app.build()
    assert seventh.returncode == 0, seventh
    assert REBUILT in seventh.output
    assert _versions(app, "greet") == ["greet-3.0.dist-info"]

    # A pip configuration file the app ships (PIP_CONFIG_FILE names it): its contents, not only the variable.
    app.restore_for_next_build()
    (app.app / "pip.conf").write_text("[install]\nconstraint = constraints.txt\n")
    app.platform_env["PIP_CONFIG_FILE"] = "pip.conf"
    app.build()
    app.restore_for_next_build()
    (app.app / "pip.conf").write_text("[install]\nconstraint = constraints-old.txt\n")
    (app.app / "constraints-old.txt").write_text("greet<3\n")
    eighth = app.build()
    assert eighth.returncode == 0, eighth
    assert REBUILT in eighth.output
    assert _versions(app, "greet") == ["greet-2.0.dist-info"]

    # Another build image: wheels built on one are not reused on another.
    app.restore_for_next_build()
    app.distro_version = "13"
    ninth = app.build()
    assert ninth.returncode == 0, ninth
    assert "Discarding cached virtual environment since:\n - The build image has changed (from debian 12, glibc " \
           in ninth.output
    assert "to debian 13, glibc " in ninth.output


def test_requirements_included_by_url_are_never_reused(make_app, tmp_path):
    served = tmp_path / "served"
    _wheel(served, "greet", "1.0")
    (served / "base.txt").write_text("greet\n")
    with serve_directory(served) as url:
        app = make_app("app_run", APP_RUN="python server.py", PIP_FIND_LINKS=f"{url}/",
                       PIP_TRUSTED_HOST="127.0.0.1")
        (app.app / "requirements.txt").write_text(f"-r {url}/base.txt\n")
        first = app.build()
        assert first.returncode == 0, first
        assert (f"The virtual environment is rebuilt on every build since the requirements include {url}/base.txt "
                "by URL, which may change at any time") in first.output
        assert _versions(app, "greet") == ["greet-1.0.dist-info"]

        app.restore_for_next_build()
        _wheel(served, "greet", "2.0")
        second = app.build()
        assert second.returncode == 0, second
        assert (f"Discarding cached virtual environment since:\n - The requirements include {url}/base.txt by URL"
                in second.output)
        assert _versions(app, "greet") == ["greet-2.0.dist-info"]


def _installer_run(app, installer: str, *args: str) -> subprocess.CompletedProcess:
    venv_python = str(app.layers / "venv" / "bin" / "python")
    if installer == "uv":
        cmd = [str(app.layers / "uv" / "venv" / "bin" / "uv"), "pip", args[0], "--python", venv_python, *args[1:]]
    else:
        cmd = [str(app.layers / "pip" / "venv" / "bin" / "python"), "-m", "pip", "--python", venv_python, *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def _freeze(app, installer: str = "pip") -> list:
    result = _installer_run(app, installer, "freeze", *(["--all"] if installer == "pip" else []))
    assert result.returncode == 0, result.stderr
    return sorted(result.stdout.split())


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_incremental_update_gives_what_a_fresh_install_gives(make_app, installer):
    app = make_app("app_run", APP_RUN="python server.py", BP_PYTHON_INSTALLER=installer)
    shown = "uv pip" if installer == "uv" else "pip"
    install = "uv pip install --link-mode hardlink" if installer == "uv" else "pip install --no-compile"
    wheels = app.app / "wheels"
    _wheel(wheels, "greet", "1.0", ("dep-a",))
    _wheel(wheels, "greet", "2.0", ("dep-b[fast]",))
    _wheel(wheels, "shout", "1.0", ("dep-c",))
    _wheel(wheels, "added", "1.0", ("dep-c ; python_version < '3'",))
    _wheel(wheels, "dep-a", "1.0")
    _wheel(wheels, "dep-b", "1.0", ("dep-fast ; extra == 'fast'",))
    _wheel(wheels, "dep-c", "1.0")
    _wheel(wheels, "dep-fast", "1.0")
    _wheel(wheels, "pinned-x", "1.0")
    _wheel(wheels, "pinned-x", "2.0")
    _wheel(wheels, "wants-x2", "1.0", ("pinned-x>=2",))
    options = "--no-index\n--find-links ./wheels\n"
    (app.app / "requirements.txt").write_text(options + "greet==1.0\nshout\n")
    first = app.build()
    assert first.returncode == 0, first
    assert _freeze(app, installer) == ["dep-a==1.0", "dep-c==1.0", "greet==1.0", "shout==1.0"]

    # Added (added), removed (shout, and dep-c it pulled in), upgraded (greet, whose dependency changes).
    app.restore_for_next_build()
    (app.app / "requirements.txt").write_text(options + "greet==2.0\nadded\n")
    second = app.build()
    assert second.returncode == 0, second
    assert "Updating the cached virtual environment in place since:\n - The requirements files" in second.output
    # Only the changed lines are installed, with requirements.txt's options, from a file that does not stay behind.
    assert "Only requirement lines changed: installing greet==2.0, added" in second.output
    assert f"Running '{install} -r .python-buildpack-changed-requirements.txt'" in second.output
    assert not (app.app / ".python-buildpack-changed-requirements.txt").exists()
    assert "Removing what the requirements no longer pull in: dep-a, dep-c, shout" in second.output
    assert f"Running '{shown} uninstall " in second.output
    assert "Checked the updated environment as `pip check` does: every installed distribution's requirements are " \
           "met" in second.output
    updated = _freeze(app, installer)
    real_check = _installer_run(app, installer, "check")
    assert real_check.returncode == 0, real_check.stdout + real_check.stderr
    assert updated == ["added==1.0", "dep-b==1.0", "dep-fast==1.0", "greet==2.0"]
    assert not list(app.layers.glob("venv/lib/python3*/site-packages/shout"))
    compiled = list(app.layers.glob("venv/lib/python3*/site-packages/greet/__pycache__/*.pyc"))
    assert len(compiled) == 1

    # The same requirements from scratch.
    app.restore_for_next_build()
    shutil.rmtree(app.layers / "venv")
    (app.layers / "venv.toml").unlink()
    third = app.build()
    assert third.returncode == 0, third
    assert _freeze(app, installer) == updated

    # Anything else than the requirements (here the index settings) still starts fresh.
    app.restore_for_next_build()
    app.platform_env["PIP_PRE"] = "1"
    fourth = app.build()
    assert fourth.returncode == 0, fourth
    assert "Discarding cached virtual environment since:\n - The package index settings" in fourth.output

    # A requirement only removed: nothing to install, only the removal and the check.
    app.restore_for_next_build()
    (app.app / "requirements.txt").write_text(options + "greet==2.0\n")
    fifth = app.build()
    assert fifth.returncode == 0, fifth
    assert "The requirements only lost lines: nothing new to install" in fifth.output
    assert f"Running '{shown} install" not in fifth.output
    assert "Removing what the requirements no longer pull in: added" in fifth.output
    assert _freeze(app, installer) == ["dep-b==1.0", "dep-fast==1.0", "greet==2.0"]

    # A new line that needs another version of what an unchanged line pins: installing the changed lines alone would
    # replace it, so the whole requirements.txt is installed again, which fails as a fresh install would.
    app.restore_for_next_build()
    (app.app / "requirements.txt").write_text(options + "greet==2.0\npinned-x==1.0\n")
    sixth = app.build()
    assert sixth.returncode == 0, sixth
    assert "Only requirement lines changed: installing pinned-x==1.0" in sixth.output
    assert _freeze(app, installer) == ["dep-b==1.0", "dep-fast==1.0", "greet==2.0", "pinned-x==1.0"]
    app.restore_for_next_build()
    (app.app / "requirements.txt").write_text(options + "greet==2.0\npinned-x==1.0\nwants-x2\n")
    seventh = app.build()
    assert seventh.returncode == 1, seventh
    assert "Only requirement lines changed: installing wants-x2" in seventh.output
    assert "The requirements ask for pinned-x==1.0, but you have pinned-x 2.0." in seventh.output
    assert "The changed lines alone leave requirements unmet (see above): installing the whole requirements.txt " \
           "again" in seventh.output
    assert "[Error: Command failed]" in seventh.output, seventh
    assert f"The command '{install} -r requirements.txt' failed" in seventh.output
    assert "Traceback" not in seventh.output
    assert not (app.layers / "venv.toml").exists(), "a failed update leaves no venv a later build trusts"
