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


def test_assemble_hook_that_replaces_the_build_stage(make_app):
    app = make_app("app_py")
    hook = app.app / ".s2i" / "bin" / "assemble"
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\necho 'my own build stage'\npython -c 'import sys; print(sys.prefix)' > prefix.txt\n")
    hook.chmod(0o755)
    (app.app / "requirements.txt").write_text("six\n")
    result = app.build()
    assert result.returncode == 0, result
    assert "my own build stage" in result.output
    assert "Running 'pip" not in result.output, "the default stage must not run unless the hook sources it"
    assert (app.app / "prefix.txt").read_text().strip() == str(app.layers / "venv")
    with app.serve() as server:
        assert server.get("/") == "Hello from app.py"


def test_failing_assemble_hook(make_app):
    app = make_app("app_py")
    hook = app.app / ".s2i" / "bin" / "assemble"
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\necho 'about to fail'\nexit 3\n")
    hook.chmod(0o755)
    result = app.build()
    assert result.returncode == 1, result
    assert "[Error: Build hook failed]\nYour .s2i/bin/assemble exited with status 3" in result.output
    assert not (app.layers / "venv.toml").exists()
