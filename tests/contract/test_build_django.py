import pytest
from support.cnb_harness import tree_digest

pytestmark = pytest.mark.contract


def test_django_collectstatic_and_whitenoise(make_app):
    app = make_app("django_app")
    result = app.build()
    assert result.returncode == 0, result
    assert "[Generating Django static files]" in result.output
    assert "Running 'python manage.py collectstatic --noinput'" in result.output
    assert (app.app / "staticfiles" / "site.css").exists()
    with app.serve() as server:
        assert server.get("/") == "Hello from Django"
        assert "color: #123456" in server.get("/static/site.css")

    # A no-change rebuild runs collectstatic (it imports Django from the restored venv) without changing a byte
    # of the interpreter or venv layers, so the exporter can reuse their image layers.
    before = {name: tree_digest(app.layers / name) for name in ("python", "venv")}
    app.restore_for_next_build(fresh_source="django_app")
    again = app.build()
    assert again.returncode == 0, again
    assert "skipping pip" in again.output and "Running 'python manage.py collectstatic --noinput'" in again.output
    assert {name: tree_digest(app.layers / name) for name in ("python", "venv")} == before


def test_disable_collectstatic(make_app):
    app = make_app("django_app", DISABLE_COLLECTSTATIC="TRUE")
    result = app.build()
    assert result.returncode == 0, result
    assert "Skipping Django collectstatic since DISABLE_COLLECTSTATIC is set" in result.output
    assert not (app.app / "staticfiles").exists()


def test_collectstatic_failure_names_the_fix(make_app):
    app = make_app("django_app", BREAK_COLLECTSTATIC="1")
    result = app.build()
    assert result.returncode == 1, result
    assert "[Error: Unable to generate Django static files]" in result.output
    assert "DISABLE_COLLECTSTATIC=TRUE" in result.output
    assert "Traceback (most recent call last)" in result.output  # Django's own, streamed
    assert "python_cnb" not in result.output


def test_a_new_startproject_without_static_root_is_told_what_to_add(make_app):
    """`django-admin startproject` sets STATIC_URL but not STATIC_ROOT: collectstatic fails, and the error says so,
    naming the settings file and the line to add."""
    app = make_app("django_startproject")
    settings = app.app / "mysite" / "settings.py"
    settings.write_text(settings.read_text().replace("STATIC_ROOT = BASE_DIR / 'staticfiles'\n", ""))
    result = app.build()
    assert result.returncode == 1, result
    assert "You're using the staticfiles app without having set the STATIC_ROOT setting" in result.output
    assert "[Error: Unable to generate Django static files]" in result.output
    assert ("Add it to mysite/settings.py, for example:\n    STATIC_ROOT = BASE_DIR / \"staticfiles\"\n"
            in result.output), result.output
    assert "DISABLE_COLLECTSTATIC=TRUE" in result.output and "python_cnb" not in result.output


def test_collectstatic_is_skipped_when_staticfiles_is_not_installed(make_app):
    """A django-admin startproject app whose settings drop django.contrib.staticfiles: manage.py has no
    collectstatic, so the build skips it (one process: Django's own answer says so) and the app is served."""
    app = make_app("django_startproject")
    settings = app.app / "mysite" / "settings.py"
    text = settings.read_text()
    for line in ("    'django.contrib.staticfiles',\n", "    'whitenoise.middleware.WhiteNoiseMiddleware',\n"):
        assert line in text
        text = text.replace(line, "")
    settings.write_text(text)
    (app.app / "requirements.txt").write_text("django==5.2.19\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "Running 'python manage.py collectstatic --noinput'\n      Unknown command: 'collectstatic'" in result.output
    assert ("Skipping Django collectstatic since django.contrib.staticfiles is not in INSTALLED_APPS (manage.py "
            "has no collectstatic command)") in result.output
    assert "[Error:" not in result.output and "[Warning:" not in result.output
    assert not (app.app / "staticfiles").exists()
    with app.serve() as server:
        assert server.get("/") == "Hello from a django-admin startproject layout"
