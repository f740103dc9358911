"""uv, Poetry, Pipenv, PDM and pylock.toml (uv export) apps and a PEP 621 app through pack and the lifecycle: served
on 8080, a no-change rebuild reuses every layer without running the tool, a changed lock rebuilds only the venv layer.
A Poetry project without its lock is locked at build."""

import pytest
from support import lock_apps

from .conftest import build_ok, docker_run, docker_run_once

pytestmark = pytest.mark.e2e

APPS = {
    "uv": (lock_apps.uv_app, "uv", "uv.lock", "Hello from uv"),
    "poetry": (lock_apps.poetry_app, "poetry", "poetry.lock", "Hello from Poetry"),
    "pipenv": (lock_apps.pipenv_app, "pipenv", "Pipfile.lock", "Hello from Pipenv"),
    "pdm": (lock_apps.pdm_app, "pdm", "pdm.lock", "Hello from PDM"),
    "pylock": (lock_apps.pylock_app, "uv", "pylock.toml", "Hello from pylock"),
}


@pytest.mark.parametrize("kind", list(APPS))
def test_lockfile_app(pack, kind):
    generate, tool, lock, greeting = APPS[kind]
    app = generate(pack.tmp_path / kind)
    image = pack.image_name(kind)
    first = pack.build(image, app)
    assert first.returncode == 0, first
    assert f"Installing the dependencies locked in {lock} with" in first.output
    assert "Traceback" not in first.output
    with docker_run(image) as container:
        assert container.get("/") == greeting
    # The tool and its cache are cache-only layers: not in the image.
    assert f"Adding cache layer 'python-cnb/python:{tool}'" in first.output
    assert f"Adding layer 'python-cnb/python:{tool}" not in first.output
    layers = docker_run_once(image, "--entrypoint", "launcher", args=("--", "ls", "/layers/python-cnb_python"))
    assert layers.returncode == 0, layers.stdout
    assert set(layers.stdout.split()) >= {"python", "venv", "web"}
    assert tool not in layers.stdout.split() and f"{tool}-cache" not in layers.stdout.split()
    # The tool installed into the buildpack's venv, not an environment of its own in the app.
    files = docker_run_once(image, "--entrypoint", "launcher", args=("--", "ls", "-a", "/workspace"))
    assert files.returncode == 0 and not {".venv", ".pdm-python"} & set(files.stdout.split()), files.stdout

    second = pack.build(image, app)
    assert second.returncode == 0, second
    assert f"skipping {tool}" in second.output
    for layer in ("python", "venv", "web"):
        assert f"Reusing layer 'python-cnb/python:{layer}'" in second.output, second

    changed = generate(pack.tmp_path / f"{kind}-changed", extra=("gunicorn==23.0.0",))
    (app / lock).write_text((changed / lock).read_text())
    for name in ("pyproject.toml", "Pipfile"):
        if (changed / name).exists():
            (app / name).write_text((changed / name).read_text())
    third = pack.build(image, app)
    assert third.returncode == 0, third
    assert "Updating the cached virtual environment in place since:\n - The dependency files (" in third.output
    assert f"Using cached {tool} " in third.output
    assert "Reusing layer 'python-cnb/python:python'" in third.output
    assert "Adding layer 'python-cnb/python:venv'" in third.output
    with docker_run(image) as container:
        assert container.get("/") == greeting


def test_poetry_project_without_its_lock(pack):
    """Poetry 1's `poetry init` shape without poetry.lock (and without a package): locked at build into the app, with
    a warning, installed with --no-root; the rebuild reuses the environment without locking again."""
    app = lock_apps.poetry_init_app(pack.tmp_path / "poetry-init")
    image = pack.image_name("poetry-init")
    first = pack.build(image, app)
    assert first.returncode == 0, first
    assert "[Warning: No poetry.lock: this build is not reproducible]" in first.output
    assert "Running 'poetry lock --no-interaction --no-ansi'" in first.output
    assert "Running 'poetry sync --only main --no-interaction --no-ansi --no-root'" in first.output
    assert "Traceback" not in first.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Poetry init"
    files = docker_run_once(image, "--entrypoint", "launcher", args=("--", "ls", "/workspace"))
    assert files.returncode == 0 and "poetry.lock" in files.stdout.split(), files.stdout

    second = pack.build(image, app)
    assert second.returncode == 0, second
    assert "skipping poetry" in second.output and "Running 'poetry lock" not in second.output
    assert "[Warning: No poetry.lock: this build is not reproducible]" in second.output
    assert "Reusing layer 'python-cnb/python:venv'" in second.output, second


def test_pep621_app_without_lock(pack):
    image, output = build_ok(pack, "pyproject_app")
    assert "Using Python 3.11.7 (requires-python '>=3.11,<3.12' in pyproject.toml)" in output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from a PEP 621 project"
