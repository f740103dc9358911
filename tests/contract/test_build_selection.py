"""BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS with the real tools: a uv project (a group and an extra; unset
again, the environment is rebuilt without them), Poetry's, Pipenv's and PDM's dev groups, a pip-installed project's
PEP 735 group and extra, and the errors for a name the project does not define and for a requirements.txt app."""

from pathlib import Path

import pytest
from support import lock_apps
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract


def _site_packages(app) -> Path:
    return next((app.layers / "venv").glob("lib/python3.*/site-packages"))


def _installed(app, name: str) -> bool:
    return bool(list(_site_packages(app).glob(f"{name}-*.dist-info")))


def test_uv_group_and_extra_then_unset(make_app, tmp_path):
    source = lock_apps.uv_app(tmp_path / "src", optional={"compat": ["six"]})
    app = make_app(str(source), BP_PYTHON_DEPENDENCY_GROUPS="Dev", BP_PYTHON_EXTRAS="compat")
    result = app.build()
    assert result.returncode == 0, result
    assert "Also installing the groups dev; extras compat (BP_PYTHON_DEPENDENCY_GROUPS, BP_PYTHON_EXTRAS)" in \
        result.output
    assert "Running 'uv sync --locked --no-default-groups --no-compile-bytecode --group dev --extra compat" in \
        result.output
    assert _installed(app, "pytest") and _installed(app, "six") and _installed(app, "flask")
    with app.serve() as server:
        assert server.get("/") == "Hello from uv"

    # Unset: the development group and the extra leave the image.
    del app.platform_env["BP_PYTHON_DEPENDENCY_GROUPS"], app.platform_env["BP_PYTHON_EXTRAS"]
    app.restore_for_next_build(fresh_source=str(source))
    again = app.build()
    assert again.returncode == 0, again
    assert ("Discarding cached virtual environment since:\n - The selected dependency groups and extras "
            "(BP_PYTHON_DEPENDENCY_GROUPS, BP_PYTHON_EXTRAS) have changed from 'groups dev; extras compat' to "
            "'none'") in again.output
    assert not _installed(app, "pytest") and not _installed(app, "six") and _installed(app, "flask")


DEV_GROUPS = {
    # kind: (the dev group's name, what it becomes in the log, the command)
    "poetry": ("dev", "dev", "poetry sync --only main,dev"),
    "pipenv": ("dev", "dev-packages", "pipenv sync --categories 'packages dev-packages'"),
    "pdm": ("test", "test", "pdm sync --clean-unselected -G test"),
}


@pytest.mark.parametrize("kind", list(DEV_GROUPS))
def test_poetry_pipenv_and_pdm_dev_groups(make_app, tmp_path, kind):
    name, group, command = DEV_GROUPS[kind]
    source = getattr(lock_apps, f"{kind}_app")(tmp_path / "src")
    app = make_app(str(source), BP_PYTHON_DEPENDENCY_GROUPS=name)
    result = app.build()
    assert result.returncode == 0, result
    assert f"Running '{command}" in result.output
    assert f"Also installing the groups {group} (" in result.output
    assert _installed(app, "pytest") and _installed(app, "flask")


def test_unknown_group_names_the_defined_ones(make_app, tmp_path):
    source = lock_apps.uv_app(tmp_path / "src")
    result = make_app(str(source), BP_PYTHON_DEPENDENCY_GROUPS="docs").build()
    assert_clean_failure(result, "BP_PYTHON_DEPENDENCY_GROUPS: no dependency group 'docs' in pyproject.toml")
    assert "It defines these dependency groups: dev." in result.output
    assert "Installing uv" not in result.output, "fails before anything is installed"


PROJECT = """\
[project]
name = "grouped"
version = "1.0"
dependencies = ["flask==3.0.3"]

[project.optional-dependencies]
compat = ["six"]

[dependency-groups]
lint = ["iniconfig"]
test = [{include-group = "lint"}, "pluggy"]

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
py-modules = ["wsgi"]
"""


def test_pip_project_group_and_extra(make_app, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "pyproject.toml").write_text(PROJECT)
    (source / "wsgi.py").write_text("from flask import Flask\n\napplication = Flask(__name__)\n\n\n"
                                    "@application.get('/')\ndef hello():\n    return 'Hello from groups'\n")
    app = make_app(str(source), BP_PYTHON_DEPENDENCY_GROUPS="test", BP_PYTHON_EXTRAS="compat")
    result = app.build()
    assert result.returncode == 0, result
    assert "Running 'pip install --no-compile -e .[compat] iniconfig pluggy'" in result.output
    for name in ("six", "iniconfig", "pluggy", "flask"):
        assert _installed(app, name), name
    with app.serve() as server:
        assert server.get("/") == "Hello from groups"

    # The same project again with a changed pyproject.toml: an update in place keeps the group and the extra.
    (source / "pyproject.toml").write_text(PROJECT.replace('version = "1.0"', 'version = "1.1"'))
    app.restore_for_next_build(fresh_source=str(source))
    again = app.build()
    assert again.returncode == 0, again
    assert "Updating the cached virtual environment in place" in again.output
    for name in ("six", "iniconfig", "pluggy", "flask"):
        assert _installed(app, name), name


def test_requirements_txt_has_no_groups(make_app):
    result = make_app("flask_wsgi", BP_PYTHON_EXTRAS="s3").build()
    assert_clean_failure(result, "BP_PYTHON_EXTRAS does not apply to this app")
    assert "requirements.txt has no optional dependencies (extras)" in result.output
