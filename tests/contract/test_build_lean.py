"""pip is a build tool: the app's environment is created without it and installed into by a build-only pip, so an
app that does not list pip cannot import it at run time; an assemble hook's `pip install` still installs into it."""

import os

import pytest

from .test_build_reuse import _wheel

pytestmark = pytest.mark.contract


def _size(directory) -> int:
    return sum(os.lstat(os.path.join(root, name)).st_size
               for root, _, files in os.walk(directory) for name in files)


def test_no_pip_in_the_image_and_hooks_still_install(make_app):
    app = make_app("app_run", APP_RUN="python -c 'import greet; print(\"greet\", greet.VERSION); import pip'")
    _wheel(app.app / "wheels", "greet", "1.0")
    _wheel(app.app / "wheels", "shout", "1.0")
    (app.app / "requirements.txt").write_text("--find-links ./wheels\ngreet\n")
    hook = app.app / ".s2i" / "bin" / "assemble"
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\n. /usr/libexec/s2i/assemble\n"
                    "pip install --no-index --find-links ./wheels shout\n")
    hook.chmod(0o755)
    result = app.build()
    assert result.returncode == 0, result
    assert "Successfully installed shout-1.0" in result.output

    site = next(app.layers.glob("venv/lib/python3*/site-packages"))
    installed = sorted(p.name for p in site.glob("*.dist-info"))
    assert installed == ["greet-1.0.dist-info", "shout-1.0.dist-info"]
    assert not (app.layers / "venv" / "bin" / "pip").exists()
    assert _size(app.layers / "venv") < 200_000, _size(app.layers / "venv")
    assert app.layer_toml("pip")["types"] == {"launch": False, "build": True, "cache": True}
    assert (app.layers / "pip" / "env.build" / "PYTHONPATH.prepend").is_file(), "later buildpacks get pip"

    run = app.run_process("web")
    assert "greet 1.0" in run.output
    assert "ModuleNotFoundError: No module named 'pip'" in run.output
    assert run.returncode != 0


def test_a_dependency_that_requires_pip_gets_it(make_app):
    app = make_app("app_run", APP_RUN="python -c 'import pip; print(\"pip\", pip.__version__)'")
    (app.app / "requirements.txt").write_text("pip\n")
    result = app.build()
    assert result.returncode == 0, result
    run = app.run_process("web")
    assert run.returncode == 0 and "\npip " in run.output, run
