"""The S2I Python image's variables: aliases and their precedence, the Pipenv switches, the ignored ones."""

import pytest
from python_cnb.s2i_compat import resolve_s2i_variables


@pytest.mark.parametrize("alias, name, value", [
    ("APP_MODULE", "GUNICORN_APP_MODULE", "mysite.wsgi:application"),
    ("APP_CONFIG", "GUNICORN_CONFIG", "config/gunicorn.py"),
    ("UPGRADE_PIP_TO_LATEST", "PIP_UPGRADE", "1"),
])
def test_alias_alone_becomes_the_reference_name(alias, name, value):
    result = resolve_s2i_variables({alias: value})
    assert result.env[name] == value
    assert result.notes == (f"{alias} is set (the S2I image's name for {name}): using it as {name}={value}",)
    assert result.named(name) == alias


def test_reference_name_wins_and_the_log_says_so_when_they_differ():
    result = resolve_s2i_variables({"APP_MODULE": "a:app", "GUNICORN_APP_MODULE": "b:app"})
    assert result.env["GUNICORN_APP_MODULE"] == "b:app"
    assert result.notes == ("GUNICORN_APP_MODULE and APP_MODULE are both set and differ: using "
                            "GUNICORN_APP_MODULE=b:app (the reference builder's name wins; APP_MODULE=a:app is "
                            "ignored)",)
    assert result.named("GUNICORN_APP_MODULE") == "GUNICORN_APP_MODULE"


def test_same_value_under_both_names_is_not_worth_a_note():
    assert resolve_s2i_variables({"APP_CONFIG": "g.py", "GUNICORN_CONFIG": "g.py"}).notes == ()


def test_blank_alias_is_unset():
    result = resolve_s2i_variables({"APP_MODULE": "  "})
    assert "GUNICORN_APP_MODULE" not in result.env and result.notes == ()


def test_nothing_set_changes_nothing():
    env = {"PATH": "/bin", "APP_RUN": "python x.py"}
    result = resolve_s2i_variables(env)
    assert result.env == env and result.notes == ()


@pytest.mark.parametrize("switch", ["ENABLE_PIPENV", "ENABLE_MICROPIPENV"])
def test_pipenv_switches_choose_pipenv(switch):
    result = resolve_s2i_variables({switch: "true"})
    assert result.env["BP_PYTHON_PACKAGE_MANAGER"] == "pipenv"
    assert result.notes[0].startswith(f"{switch} is set: installing with Pipenv")


def test_bp_python_package_manager_wins_over_enable_pipenv():
    result = resolve_s2i_variables({"ENABLE_PIPENV": "1", "BP_PYTHON_PACKAGE_MANAGER": "uv"})
    assert result.env["BP_PYTHON_PACKAGE_MANAGER"] == "uv"
    assert result.notes == ("ENABLE_PIPENV is set, but BP_PYTHON_PACKAGE_MANAGER=uv wins",)


def test_false_pipenv_switch_is_ignored_with_a_note():
    result = resolve_s2i_variables({"ENABLE_PIPENV": "false"})
    assert "BP_PYTHON_PACKAGE_MANAGER" not in result.env
    assert result.notes == ("ENABLE_PIPENV=false is not true (1, true, yes, on): ignored",)


@pytest.mark.parametrize("name", ["ENABLE_INIT_WRAPPER", "DISABLE_SETUP_PY_PROCESSING", "PIN_PIPENV_VERSION"])
def test_meaningless_variables_are_logged_as_ignored_with_the_reason(name):
    (note,) = resolve_s2i_variables({name: "1"}).notes
    assert note.startswith(f"{name} is set, but ignored: ") and len(note) > len(name) + 40


def test_disable_migrate_says_migrations_do_not_run_on_start_unless_asked():
    (note,) = resolve_s2i_variables({"DISABLE_MIGRATE": "1"}).notes
    assert "migrations do not run on start unless MIGRATE_ON_START=true" in note


def test_app_home_is_noted():
    (note,) = resolve_s2i_variables({"APP_HOME": "src/site"}).notes
    assert note.startswith("APP_HOME is set: building the app in src/site")


def test_enable_pipenv_without_a_pipfile_installs_requirements_txt():
    """As the S2I image did: its Pipenv imported requirements.txt. With neither, the error names ENABLE_PIPENV."""
    from python_cnb.app_files import AppFiles, Entry
    from python_cnb.errors import ProjectFileMissing, render_error
    from python_cnb.package_managers import choose_install_method

    def files(*names):
        return AppFiles({name: Entry.FILE for name in names}, {})

    resolved = resolve_s2i_variables({"ENABLE_PIPENV": "1"})
    requested_by = resolved.sources["BP_PYTHON_PACKAGE_MANAGER"]
    fallback = choose_install_method(files("requirements.txt"), "pipenv", requested_by)
    assert fallback.method.name == "pip"
    assert fallback.note.startswith("ENABLE_PIPENV is set, but the app has no Pipfile: installing requirements.txt")
    for names in ((), ("app.py",), ("setup.py",)):
        with pytest.raises(ProjectFileMissing) as caught:
            choose_install_method(files(*names), "pipenv", requested_by)
        title, body = render_error(caught.value)
        assert title == "No Pipfile found"
        assert body.startswith("ENABLE_PIPENV is set (install with pipenv), but the app has neither a Pipfile nor a "
                               "requirements.txt")
        assert "or unset ENABLE_PIPENV" in body
    choice = choose_install_method(files("requirements.txt", "Pipfile", "Pipfile.lock"), "pipenv", requested_by)
    assert choice.method.name == "pipenv" and choice.reason == "ENABLE_PIPENV is set"
    assert choice.ignored == ("requirements.txt",)
    unlocked = choose_install_method(files("requirements.txt", "Pipfile"), "pipenv", requested_by)
    assert unlocked.method.name == "pipenv" and unlocked.lock_at_build
