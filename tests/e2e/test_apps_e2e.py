"""Each reference-builder feature through pack + lifecycle + docker run."""

import pytest

from .conftest import build_ok, docker_run, docker_run_once

pytestmark = pytest.mark.e2e


def test_django_collectstatic_served_by_whitenoise(pack):
    image, output = build_ok(pack, "django_app")
    assert "Running 'python manage.py collectstatic --noinput'" in output
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
    image, output = build_ok(pack, "django_app", {"DISABLE_COLLECTSTATIC": "TRUE"})
    assert "Skipping Django collectstatic since DISABLE_COLLECTSTATIC is set" in output
    listing = docker_run_once(image, "--entrypoint", "launcher", args=("--", "ls", "/workspace"))
    assert listing.returncode == 0, listing.stdout
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
    image, _ = build_ok(pack, fixture, env)
    with docker_run(image) as container:
        assert container.get("/") == expected


def test_app_run_at_build_and_at_docker_run(pack):
    image, _ = build_ok(pack, "app_run", {"APP_RUN": "GREETING=build python server.py"})
    with docker_run(image) as container:
        assert container.get("/GREETING") == "build"
    with docker_run(image, env={"APP_RUN": "GREETING=runtime python server.py"}) as container:
        assert container.get("/GREETING") == "runtime"


def test_gunicorn_config(pack):
    image, _ = build_ok(pack, "gunicorn_config", {"GUNICORN_CONFIG": "config/gunicorn.conf.py"})
    with docker_run(image) as container:
        assert container.get("/env/CONFIG_USED") == "config/gunicorn.conf.py"
        assert container.workers(3) == 3


def test_s2i_environment_and_hooks(pack):
    image, _ = build_ok(pack, "s2i_env")
    with docker_run(image) as container:
        assert container.get("/GREETING") == "Hello from .s2i/environment"
        assert container.get("/WEB_CONCURRENCY") == "3"

    image, output = build_ok(pack, "s2i_hooks")
    assert output.index("Logic to include before") < output.index("Logic to include after")
    with docker_run(image) as container:
        assert container.get("/env/HOOK_RAN") == "yes"
        assert "Logic to include before" in container.log


def test_pip_upgrade(pack):
    _, output = build_ok(pack, "app_py", {"PIP_UPGRADE": "TRUE"})
    assert "PIP_UPGRADE is set: upgrading the pip that installs the dependencies" in output
    assert "Successfully installed" in output and "pip-" in output
