"""Each reference-builder feature through pack + lifecycle + docker run."""

import subprocess

import pytest

from .conftest import docker_run

pytestmark = pytest.mark.e2e


def test_django_collectstatic_served_by_whitenoise(pack):
    image = pack.image_name("django")
    result = pack.build(image, pack.app("django_app"))
    assert result.returncode == 0, result
    assert "Running 'python manage.py collectstatic --noinput'" in result.output
    with docker_run(image) as container:
        assert container.get("/") == "Hello from Django"
        assert "color: #123456" in container.get("/static/site.css")

    # collectstatic imports Django from the restored venv; hash-based .pyc files keep it byte-identical.
    again = pack.build(image, pack.app("django_app"))
    assert again.returncode == 0, again
    assert "skipping pip" in again.output
    for layer in ("python", "venv", "web"):
        assert f"Reusing layer 'python-cnb/python:{layer}'" in again.output, again


def test_disable_collectstatic(pack):
    image = pack.image_name("django-nostatic")
    result = pack.build(image, pack.app("django_app"), env={"DISABLE_COLLECTSTATIC": "TRUE"})
    assert result.returncode == 0, result
    assert "Skipping Django collectstatic since DISABLE_COLLECTSTATIC is set" in result.output
    listing = subprocess.run(["docker", "run", "--rm", "--entrypoint", "launcher", image, "--", "ls", "/workspace"],
                             capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    assert "staticfiles" not in listing.stdout and "manage.py" in listing.stdout


@pytest.mark.parametrize(
    ("fixture", "env", "expected"),
    [
        pytest.param("setup_py_app", {}, "Hello from setup.py", id="setup-py-only"),
        pytest.param("editable_req", {}, "Hello from an editable install at /workspace/greeter/__init__.py",
                     id="editable-requirement"),
        pytest.param("app_py", {}, "Hello from app.py", id="app-py"),
        pytest.param("gunicorn_module", {"GUNICORN_APP_MODULE": "service.api:app"}, "Hello from service.api:app",
                     id="gunicorn-app-module"),
    ],
)
def test_apps_answer_on_8080(pack, fixture, env, expected):
    image = pack.image_name(fixture.replace("_", "-"))
    result = pack.build(image, pack.app(fixture), env=env)
    assert result.returncode == 0, result
    with docker_run(image) as container:
        assert container.get("/") == expected


def test_app_run_at_build_and_at_docker_run(pack):
    image = pack.image_name("app-run")
    result = pack.build(image, pack.app("app_run"), env={"APP_RUN": "GREETING=build python server.py"})
    assert result.returncode == 0, result
    with docker_run(image) as container:
        assert container.get("/GREETING") == "build"
    with docker_run(image, env={"APP_RUN": "GREETING=runtime python server.py"}) as container:
        assert container.get("/GREETING") == "runtime"


def test_gunicorn_config(pack):
    image = pack.image_name("gunicorn-config")
    result = pack.build(image, pack.app("gunicorn_config"), env={"GUNICORN_CONFIG": "config/gunicorn.conf.py"})
    assert result.returncode == 0, result
    with docker_run(image) as container:
        assert container.get("/env/CONFIG_USED") == "config/gunicorn.conf.py"
        assert container.workers(3) == 3


def test_s2i_environment_and_hooks(pack):
    image = pack.image_name("s2i-env")
    result = pack.build(image, pack.app("s2i_env"))
    assert result.returncode == 0, result
    with docker_run(image) as container:
        assert container.get("/GREETING") == "Hello from .s2i/environment"
        assert container.get("/WEB_CONCURRENCY") == "3"

    image = pack.image_name("s2i-hooks")
    result = pack.build(image, pack.app("s2i_hooks"))
    assert result.returncode == 0, result
    assert result.output.index("Logic to include before") < result.output.index("Logic to include after")
    with docker_run(image) as container:
        assert container.get("/env/HOOK_RAN") == "yes"
        assert "Logic to include before" in container.log


def test_pip_upgrade(pack):
    image = pack.image_name("pip-upgrade")
    result = pack.build(image, pack.app("app_py"), env={"PIP_UPGRADE": "TRUE"})
    assert result.returncode == 0, result
    assert "PIP_UPGRADE is set: upgrading the pip that installs the dependencies" in result.output
    assert "Successfully installed" in result.output and "pip-" in result.output
