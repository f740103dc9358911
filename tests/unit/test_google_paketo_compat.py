"""The variables of Google's and Paketo's Python buildpacks, on plain data: aliases and their precedence, the settings
with no reference name (Python version, vendored wheels), BP_PIP_REQUIREMENT's and BP_PIP_FIND_LINKS's notes, the
ignored ones; and how the build env and the run stage take them."""

import pytest
from python_cnb.build_env import GOOGLE_PAKETO_VARIABLES, S2I_VARIABLES, resolve_build_env
from python_cnb.google_paketo_compat import (
    IGNORED,
    VENDOR_VARIABLES,
    VERSION_VARIABLES,
    Setting,
    resolve_google_paketo_variables,
)
from python_cnb.layers.web import LAUNCH_KNOBS


def test_google_entrypoint_becomes_app_run():
    result = resolve_google_paketo_variables({"GOOGLE_ENTRYPOINT": "gunicorn -b :8080 main:app"})
    assert result.env["APP_RUN"] == "gunicorn -b :8080 main:app"
    assert result.notes == ("GOOGLE_ENTRYPOINT is set (Google's name for APP_RUN): using it as "
                            "APP_RUN=gunicorn -b :8080 main:app",)
    assert result.sources == {"APP_RUN": "GOOGLE_ENTRYPOINT"}
    assert "GOOGLE_ENTRYPOINT" in LAUNCH_KNOBS  # a launch-time default too, resolved by the run stage


def test_app_run_wins_over_google_entrypoint():
    result = resolve_google_paketo_variables({"GOOGLE_ENTRYPOINT": "python a.py", "APP_RUN": "python b.py"})
    assert result.env["APP_RUN"] == "python b.py" and result.sources == {}
    assert result.notes == ("APP_RUN and GOOGLE_ENTRYPOINT are both set and differ: using APP_RUN=python b.py "
                            "(the reference builder's name wins; GOOGLE_ENTRYPOINT=python a.py is ignored)",)


@pytest.mark.parametrize("value", ["uv", "pip", " UV "])
def test_googles_package_manager_chooses_the_installer(value):
    result = resolve_google_paketo_variables({"GOOGLE_PYTHON_PACKAGE_MANAGER": value})
    assert result.env["BP_PYTHON_INSTALLER"] == value and result.sources["BP_PYTHON_INSTALLER"] == \
        "GOOGLE_PYTHON_PACKAGE_MANAGER"
    won = resolve_google_paketo_variables({"GOOGLE_PYTHON_PACKAGE_MANAGER": value, "BP_PYTHON_INSTALLER": "pip"})
    assert won.env["BP_PYTHON_INSTALLER"] == "pip"


def test_googles_package_manager_other_than_pip_or_uv_is_ignored():
    result = resolve_google_paketo_variables({"GOOGLE_PYTHON_PACKAGE_MANAGER": "poetry"})
    assert "BP_PYTHON_INSTALLER" not in result.env
    (note,) = result.notes
    assert note.startswith("GOOGLE_PYTHON_PACKAGE_MANAGER=poetry is ignored: here it chooses only what installs")


@pytest.mark.parametrize("variable", VERSION_VARIABLES)
def test_each_version_variable_requests_the_version(variable):
    result = resolve_google_paketo_variables({variable: " 3.12.x "})
    assert result.python_version == Setting(variable, "3.12.x")
    (note,) = result.notes
    assert note.startswith(f"{variable} is set (") and note.endswith(
        "requesting Python 3.12.x, which wins over runtime.txt and .python-version")
    assert result.env == {variable: " 3.12.x "}  # no reference name: the analysis reads the setting


def test_the_first_version_variable_wins_and_the_others_are_noted():
    result = resolve_google_paketo_variables({"BP_CPYTHON_VERSION": "3.11", "GOOGLE_RUNTIME_VERSION": "3.12",
                                              "GOOGLE_PYTHON_VERSION": "3.13"})
    assert result.python_version == Setting("GOOGLE_PYTHON_VERSION", "3.13")
    assert result.notes[1:] == (
        "GOOGLE_PYTHON_VERSION and GOOGLE_RUNTIME_VERSION are both set and differ: using GOOGLE_PYTHON_VERSION=3.13 "
        "(GOOGLE_RUNTIME_VERSION=3.12 is ignored)",
        "GOOGLE_PYTHON_VERSION and BP_CPYTHON_VERSION are both set and differ: using GOOGLE_PYTHON_VERSION=3.13 "
        "(BP_CPYTHON_VERSION=3.11 is ignored)")
    same = resolve_google_paketo_variables({"GOOGLE_PYTHON_VERSION": "3.13", "BP_CPYTHON_VERSION": "3.13"})
    assert len(same.notes) == 1


@pytest.mark.parametrize("variable", VENDOR_VARIABLES)
def test_each_vendor_variable_names_the_wheels(variable):
    result = resolve_google_paketo_variables({variable: "vendor"})
    assert result.vendor_dir == Setting(variable, "vendor")
    whose = "Google's buildpack" if variable.startswith("GOOGLE") else "Paketo's pip-install"
    assert result.notes == (f"{variable} is set ({whose}): installing into the app's environment from the wheels in "
                            "vendor only, with no package index",)
    both = resolve_google_paketo_variables({"GOOGLE_VENDOR_PIP_DEPENDENCIES": "a", "BP_PIP_DEST_PATH": "b"})
    assert both.vendor_dir == Setting("GOOGLE_VENDOR_PIP_DEPENDENCIES", "a")


def test_bp_pip_requirement_is_noted_and_kept_for_the_pip_method():
    result = resolve_google_paketo_variables({"BP_PIP_REQUIREMENT": "requirements/base.txt  requirements/prod.txt"})
    assert result.env["BP_PIP_REQUIREMENT"] == "requirements/base.txt  requirements/prod.txt"
    assert result.notes == ("BP_PIP_REQUIREMENT is set (Paketo's pip-install): installing requirements/base.txt and "
                            "requirements/prod.txt instead of requirements.txt",)


def test_bp_pip_find_links_adds_to_pip_find_links():
    assert resolve_google_paketo_variables({"BP_PIP_FIND_LINKS": "./wheels"}).env["PIP_FIND_LINKS"] == "./wheels"
    result = resolve_google_paketo_variables({"BP_PIP_FIND_LINKS": "./wheels", "PIP_FIND_LINKS": "/mnt/more"})
    assert result.env["PIP_FIND_LINKS"] == "./wheels /mnt/more"
    assert result.notes == ("BP_PIP_FIND_LINKS is set (Paketo's pip-install): adding ./wheels to PIP_FIND_LINKS",)


@pytest.mark.parametrize("name", [*IGNORED, "GOOGLE_FUNCTION_TARGET", "BP_PIPENV_PYPI_MIRROR", "BP_POETRY_GROUPS"])
def test_meaningless_variables_are_logged_as_ignored_with_the_reason(name):
    (note,) = resolve_google_paketo_variables({name: "true"}).notes
    assert note.startswith(f"{name} is set, but ignored: ") and len(note) > len(name) + 40


def test_nothing_set_changes_nothing():
    env = {"PATH": "/bin", "APP_RUN": "python x.py", "BP_PYTHON_INSTALLER": "uv", "GOOGLE_DEVMODE": " "}
    result = resolve_google_paketo_variables(env)
    assert result.env == env and result.notes == () and result.python_version is None and result.vendor_dir is None


def test_the_build_env_resolves_both_families_in_their_own_sections(tmp_path):
    (tmp_path / ".s2i").mkdir()
    (tmp_path / ".s2i" / "environment").write_text("APP_MODULE=wsgi:app\nBP_CPYTHON_VERSION=3.12\n")
    build_env = resolve_build_env(tmp_path, {"GOOGLE_ENTRYPOINT": "python server.py"})
    assert [title for title, _ in build_env.sections][:2] == [S2I_VARIABLES, GOOGLE_PAKETO_VARIABLES]
    assert build_env.env["GUNICORN_APP_MODULE"] == "wsgi:app" and build_env.env["APP_RUN"] == "python server.py"
    assert build_env.named("GUNICORN_APP_MODULE") == "APP_MODULE" and build_env.named("APP_RUN") == "GOOGLE_ENTRYPOINT"
    assert build_env.python_version == Setting("BP_CPYTHON_VERSION", "3.12") and build_env.vendor_dir is None
