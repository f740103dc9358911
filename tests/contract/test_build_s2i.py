import pytest

pytestmark = pytest.mark.contract


def test_s2i_environment_applies_at_build_and_launch(make_app):
    app = make_app("s2i_env")
    result = app.build()
    assert result.returncode == 0, result
    with app.serve() as server:
        assert server.get("/GREETING") == "Hello from .s2i/environment"
        assert server.get("/QUOTED") == "single quoted"
        assert server.get("/WEB_CONCURRENCY") == "3"
    with app.serve(runtime_env={"WEB_CONCURRENCY": "5"}) as server:
        assert server.get("/WEB_CONCURRENCY") == "5"


def test_s2i_assemble_and_run_hooks(make_app):
    app = make_app("s2i_hooks")
    result = app.build()
    assert result.returncode == 0, result
    before = result.output.index("Logic to include before")
    pip = result.output.index("Running 'pip install --no-compile -r requirements.txt'")
    after = result.output.index("Logic to include after")
    assert before < pip < after
    assert (app.app / "assembled.txt").read_text().startswith("Name: Flask")
    with app.serve() as server:
        assert server.get("/") == "Hello from Flask"
        assert server.get("/env/HOOK_RAN") == "yes"
        assert "Logic to include before" in server.log

    app.restore_for_next_build(fresh_source="s2i_hooks")
    again = app.build()
    assert again.returncode == 0, again
    assert "The app has a .s2i/bin/assemble hook" in again.output


def test_invalid_s2i_environment_line(make_app):
    app = make_app("s2i_env")
    (app.app / ".s2i" / "environment").write_text("GOOD=1\nthis is not a variable\n")
    result = app.build()
    assert result.returncode == 1, result
    assert "[Error: Invalid line in .s2i/environment]" in result.output
    assert "Line 2 of .s2i/environment is not KEY=VALUE: 'this is not a variable'" in result.output
    assert "Traceback" not in result.output
