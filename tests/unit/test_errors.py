"""Every error and warning renders with a title and a body, none falls into "internal", and unexpected exceptions
are reported as bugs."""

import dataclasses
import datetime
import typing

import pytest
from python_cnb import errors
from python_cnb.errors import INTERNAL_ERROR_TITLE, BuildpackError, render_error, render_warning

ERROR_CLASSES = [c for c in vars(errors).values()
                 if isinstance(c, type) and issubclass(c, BuildpackError) and c is not BuildpackError]
SAMPLES = {"size": 131073, "limit": 131072,
           "names": ["PYTHONHOME"], "known": ["3.13.1"], "problems": ["flask 3.0.0 requires click, which is not "
                                                                      "installed."],
           "options": [("requirements.txt", 2, "--pre")], "constraints": ["requires-python '>=3.15'"],
           "files": ["pyproject.toml"], "available": ["3.13.1"], "satisfying": ["3.13.1"],
           "managers": ["pip", "uv"], "eol": datetime.date(2020, 1, 1),
           "distributions": [("numpy", "1.26.4", "uv.lock")], "python": "3.14.10", "default_build": True}


def _sample(cls):
    """An instance with every field filled: the samples above, else a number or a string by the field's type."""
    def value(field):
        if field.name in SAMPLES:
            return SAMPLES[field.name]
        return 3 if "int" in str(field.type) else "x"
    return cls(**{field.name: value(field) for field in dataclasses.fields(cls)})


def test_the_union_names_every_error_class():
    assert set(typing.get_args(errors.UserError)) == set(ERROR_CLASSES)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_renders_without_falling_into_internal(cls):
    title, body = render_error(_sample(cls))
    assert title and body and title != INTERNAL_ERROR_TITLE
    assert not title.endswith("."), "a short title, no period"


@pytest.mark.parametrize("cls", typing.get_args(errors.BuildWarning), ids=lambda c: c.__name__)
def test_every_warning_renders(cls):
    title, body = render_warning(_sample(cls))
    assert title and body


def test_unexpected_errors_say_they_are_bugs():
    title, body = render_error(ValueError("boom"))
    assert title == INTERNAL_ERROR_TITLE
    assert "This is a bug in the buildpack" in body and "ValueError: boom" in body


def test_a_failed_command_says_which_with_its_status_and_the_hint_of_its_kind():
    _, plain = render_error(errors.CommandFailed(command="python -m venv", exit_code=3))
    assert plain == "The command 'python -m venv' failed with exit status 3.\nSee the log output above for details."
    _, install = render_error(errors.InstallFailed(command="pip install -r requirements.txt", exit_code=1))
    assert install.startswith(plain.replace("python -m venv", "pip install -r requirements.txt").replace("3", "1"))
    assert "PIP_INDEX_URL" in install
    _, lock = render_error(errors.LockInstallFailed(command="uv sync", exit_code=2, lock_file="uv.lock"))
    assert "every package in uv.lock exists" in lock


def test_the_no_web_process_warning_names_the_projects_scripts():
    _, plain = render_warning(errors.NoWebProcess())
    assert "The project declares" not in plain and plain.startswith("ERROR: don't know how to run your application.")
    _, named = render_warning(errors.NoWebProcess(scripts=("serve", "worker")))
    assert named.endswith("The project declares the scripts serve, worker: if one starts the web server, set APP_RUN "
                          "to it\n(for example APP_RUN=serve).")


def test_collectstatic_without_static_root_names_the_settings_file_and_the_line():
    _, body = render_error(errors.CollectstaticFailed(command="python manage.py collectstatic --noinput", exit_code=1,
                                                      static_root_unset=True, settings_file="mysite/settings.py"))
    assert "STATIC_ROOT\nis not set" in body and "Add it to mysite/settings.py, for example:" in body
    _, unknown = render_error(errors.CollectstaticFailed(command="python manage.py collectstatic --noinput",
                                                         exit_code=1, static_root_unset=True))
    assert "Add it to your Django settings, for example:" in unknown


def test_a_read_only_app_directory_is_named_for_commands_that_run_in_it():
    failed = errors.CollectstaticFailed(command="python manage.py collectstatic --noinput", exit_code=1)
    _, body = render_error(failed, "/workspace")
    assert "The app directory /workspace is read-only in this build" in body
    assert "Mount the app's\nvolume writable for the build" in body
    assert render_error(failed)[1] == render_error(failed, "")[1] and "read-only" not in render_error(failed)[1]
    # An error no command in the app directory caused says nothing about it.
    unknown = errors.PythonVersionMalformed(source="runtime.txt", value="three")
    assert "read-only" not in render_error(unknown, "/workspace")[1]
