"""Apps written for OpenShift's S2I Python image: its variable names (APP_MODULE, APP_CONFIG, ...), app.sh and
APP_FILE, Gunicorn for commands that run it, Django migrations, and ENABLE_PIPENV."""

import pytest
from support import lock_apps
from support.cnb_harness import assert_clean_failure

pytestmark = pytest.mark.contract


_assert_clean_failure = assert_clean_failure


def test_app_module_and_app_config_at_build_and_launch(make_app):
    app = make_app("gunicorn_config", APP_MODULE="wsgi:application", APP_CONFIG="config/gunicorn.conf.py",
                   ENABLE_INIT_WRAPPER="1", UPGRADE_PIP_TO_LATEST="1")
    result = app.build()
    assert result.returncode == 0, result
    assert "[Variables of the S2I Python image]" in result.output
    assert ("APP_MODULE is set (the S2I image's name for GUNICORN_APP_MODULE): using it as "
            "GUNICORN_APP_MODULE=wsgi:application") in result.output
    assert "ENABLE_INIT_WRAPPER is set, but ignored: every process of the image already runs under" in result.output
    assert "PIP_UPGRADE is set: upgrading the pip that installs the dependencies" in result.output
    assert ("Web process: gunicorn wsgi:application (GUNICORN_APP_MODULE is set), config config/gunicorn.conf.py"
            in result.output)
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"
        assert server.get("/env/CONFIG_USED") == "config/gunicorn.conf.py"
    # At launch, APP_CONFIG given to `docker run -e` is honoured; GUNICORN_CONFIG wins over it.
    default_config = str(app.layers / "web" / "gunicorn.conf.py")
    with app.serve(runtime_env={"APP_CONFIG": default_config}) as server:
        assert server.get("/env/CONFIG_USED") == "<unset>"
    with app.serve(runtime_env={"APP_CONFIG": default_config,
                                "GUNICORN_CONFIG": "config/gunicorn.conf.py"}) as server:
        assert server.get("/env/CONFIG_USED") == "config/gunicorn.conf.py"
        assert "GUNICORN_CONFIG and APP_CONFIG are both set and differ: using GUNICORN_CONFIG" in server.log


def test_reference_names_win_over_the_s2i_names(make_app):
    app = make_app("gunicorn_config", APP_MODULE="nowhere:app", GUNICORN_APP_MODULE="wsgi:application")
    result = app.build()
    assert result.returncode == 0, result
    assert ("GUNICORN_APP_MODULE and APP_MODULE are both set and differ: using GUNICORN_APP_MODULE=wsgi:application"
            in result.output)


def test_app_config_that_does_not_exist_names_app_config(make_app):
    result = make_app("gunicorn_config", APP_CONFIG="missing.py").build()
    _assert_clean_failure(result, "Gunicorn config file not found")
    assert "APP_CONFIG is set to 'missing.py'" in result.output


def test_app_run_that_starts_gunicorn_gets_it_installed(make_app):
    app = make_app("wsgi_app_callable", APP_RUN="gunicorn wsgi:app --bind 0.0.0.0:$PORT")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: the APP_RUN command, run through /bin/sh" in result.output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from wsgi:app"


def test_app_sh_runs_before_app_py_and_gets_gunicorn(make_app):
    app = make_app("s2i_start")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: the shell script app.sh (app.sh found (executable))" in result.output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from app.sh via gunicorn"
        assert "app.sh starting" in server.log


def test_app_file_runs_instead_of_app_py(make_app):
    app = make_app("s2i_start", APP_FILE="server.py")
    result = app.build()
    assert result.returncode == 0, result
    assert "Web process: python server.py (APP_FILE is set)" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from server.py"


@pytest.mark.parametrize("variable", ["APP_FILE", "APP_SCRIPT"])
def test_app_file_or_script_that_does_not_exist(make_app, variable):
    result = make_app("s2i_start", **{variable: "nope/start"}).build()
    _assert_clean_failure(result, f"{variable} file not found")
    assert f"{variable} is set to 'nope/start', but there is no such file in the app." in result.output


def test_django_migrate_process_type_and_migrate_on_start(make_app):
    app = make_app("django_sqlite", DISABLE_MIGRATE="1")
    result = app.build()
    assert result.returncode == 0, result
    assert "DISABLE_MIGRATE is set: nothing to disable, since migrations do not run on start unless" in result.output
    assert ("Django migrations: process type migrate runs 'python manage.py migrate --noinput' "
            "(docker run --entrypoint migrate IMAGE") in result.output
    assert "Migrations do not run when the web process starts unless MIGRATE_ON_START=true" in result.output
    processes = {p["type"]: p for p in app.launch_toml()["processes"]}
    assert set(processes) == {"web", "migrate"}
    with app.serve() as server:
        assert server.get("/") == "Hello from Django; migrated: no"
    migrate = app.run_process("migrate")
    assert migrate.returncode == 0, migrate
    assert "Applying auth.0001_initial... OK" in migrate.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Django; migrated: yes"
    # Opt in at launch: a fresh database is migrated before the web process starts.
    with app.serve(runtime_env={"MIGRATE_ON_START": "true",
                                "DATABASE_PATH": str(app.app / "fresh.sqlite3")}) as server:
        assert server.get("/") == "Hello from Django; migrated: yes"
        assert "Running Django migrations (MIGRATE_ON_START is set)" in server.log


def test_migrate_on_start_at_build_is_a_launch_default(make_app):
    app = make_app("django_sqlite", MIGRATE_ON_START="true")
    result = app.build()
    assert result.returncode == 0, result
    assert "MIGRATE_ON_START is set: the web process runs the migrations before it starts" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Django; migrated: yes"


def test_enable_pipenv_picks_pipenv_over_requirements_txt(make_app, tmp_path):
    source = lock_apps.pipenv_app(tmp_path / "src")
    (source / "requirements.txt").write_text("flask\n")
    app = make_app(str(source), ENABLE_PIPENV="true")
    result = app.build()
    assert result.returncode == 0, result
    assert "ENABLE_PIPENV is set: installing with Pipenv, as BP_PYTHON_PACKAGE_MANAGER=pipenv would" in result.output
    assert "Running 'pipenv sync" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Pipenv"


def test_enable_pipenv_without_a_pipfile_installs_requirements_txt(make_app):
    """As the S2I image did: its Pipenv imported requirements.txt."""
    app = make_app("flask_wsgi", ENABLE_PIPENV="true")
    result = app.build()
    assert result.returncode == 0, result
    assert ("ENABLE_PIPENV is set, but the app has no Pipfile: installing requirements.txt instead, as the S2I image "
            "did (its pipenv imported requirements.txt)") in result.output
    assert "Installing dependencies from requirements.txt with pip" in result.output
    assert "Running 'pip install" in result.output
    assert "Running 'pipenv" not in result.output and "Installing pipenv" not in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"


def test_enable_pipenv_with_nothing_to_install_names_enable_pipenv(make_app):
    app = make_app("app_py", ENABLE_MICROPIPENV="1")
    result = app.build()
    _assert_clean_failure(result, "No Pipfile found")
    assert ("ENABLE_MICROPIPENV is set (install with pipenv), but the app has neither a Pipfile nor a requirements.txt"
            in result.output)


def test_app_home_subdirectory(make_app):
    app = make_app("app_home", APP_HOME="src/site")
    assert app.detect().returncode == 0
    result = app.build()
    assert result.returncode == 0, result
    assert "APP_HOME is set: building the app in src/site" in result.output
    assert "Web process: gunicorn wsgi (wsgi.py found)" in result.output
    web = next(p for p in app.launch_toml()["processes"] if p["type"] == "web")
    assert web["working-dir"] == str(app.app / "src" / "site")
    with app.serve() as server:
        assert server.get("/") == "Hello from src/site"
        assert server.get("/cwd") == str(app.app / "src" / "site")
        assert "still in the image" in server.get("/readme")


def test_monorepo_subdirectory_with_its_own_version_and_requirements(make_app):
    # The root's runtime.txt and requirements.txt (a package that does not exist) are not used.
    app = make_app("monorepo", APP_HOME="services/api/", APP_RUN="gunicorn wsgi")
    result = app.build()
    assert result.returncode == 0, result
    assert "Using Python 3.11." in result.output and "runtime.txt" in result.output
    assert "no-such-package" not in result.output
    assert "The web process uses Gunicorn, which the app does not list: adding it" in result.output
    with app.serve() as server:
        assert server.get("/") == "Hello from services/api on Python 3.11"
        assert server.get("/cwd") == str(app.app / "services" / "api")


@pytest.mark.parametrize("value, problem", [
    ("src/nope", "there is no such directory in the source"),
    ("../elsewhere", "it must be a directory inside the source, relative to its root"),
    ("README.md", "it is a file"),
])
def test_app_home_that_is_not_a_directory_of_the_source(make_app, value, problem):
    result = make_app("app_home", APP_HOME=value).build()
    _assert_clean_failure(result, "Invalid APP_HOME")
    assert f"APP_HOME is set to '{value}', but {problem}." in result.output
    assert "relative to the root of the source (for example 'src/site'), or unset it" in result.output


def test_detect_without_app_home_sees_no_python_app_at_the_root(make_app):
    app = make_app("app_home")
    assert app.detect().returncode != 0
