import shutil
import subprocess

import pytest

# What a build image without python3 still has (coreutils, tar, gzip, curl, awk).
NO_PYTHON_TOOLS = ("sh", "dirname", "basename", "mktemp", "cp", "awk", "sort", "tail", "cut", "sha256sum", "tar",
                   "gzip", "curl", "uname", "cat", "rm", "mkdir", "ls", "env", "printf", "readlink")


def no_python_path(tmp_path):
    tools = tmp_path / "no-python-bin"
    tools.mkdir(exist_ok=True)
    tools.chmod(0o755)
    for name in NO_PYTHON_TOOLS:
        found = shutil.which(name, path="/usr/bin:/bin")
        if found and not (tools / name).exists():
            (tools / name).symlink_to(found)
    return tools

pytestmark = pytest.mark.contract


def test_detect_passes_silently_on_a_python_app(make_app):
    result = make_app("flask_wsgi").detect()
    assert result.returncode == 0, result
    assert result.output == ""


def test_detect_imports_none_of_the_build_machinery(make_app):
    """Detect runs on every build from a read-only directory, so each module it imports compiles from source."""
    app = make_app("flask_wsgi")
    result = subprocess.run(["python3", "-I", "-X", "importtime", str(app.buildpack_dir / "lib" / "entry.py"), "detect",
                             str(app.platform), str(app.root / "plan.toml")], cwd=app.app, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "python_cnb.detect" in imported
    assert "python_cnb.package_managers" in imported, "detect's files come from the registry"
    build_modules = {"python_cnb.buildpack", "python_cnb.analysis", "python_cnb.dependencies", "python_cnb.layers",
                     "python_cnb.default_stage", "python_cnb.python_version", "python_cnb.venv_facts",
                     "python_cnb.package_managers.installers", "python_cnb.package_managers.requirements_scan",
                     "python_cnb.package_managers._pip", "python_cnb.package_managers._lock", "python_cnb.utils"}
    assert not imported & build_modules, "an install method imports what it runs inside its functions"


def test_detect_fails_with_one_sentence_naming_the_files(make_app):
    result = make_app("not_python").detect()
    assert result.returncode == 100, result
    assert "No Python project files found (looked for: requirements.txt, " in result.output
    assert result.output.count("\n") == 1


@pytest.mark.parametrize("kind", ["named python3.8", "asked"])
def test_the_shims_pass_over_a_python3_older_than_3_9(make_app, tmp_path, kind):
    """A python3 whose resolved file name shows an old version is passed over without being started; one whose
    name does not tell (a shim) is asked, and passed over when it says no. Then no candidate is left: the shell
    checks detect."""
    app = make_app("flask_wsgi")
    tools = no_python_path(tmp_path)
    started = tmp_path / "started"
    fake = tmp_path / "elsewhere" / ("python3.8" if kind == "named python3.8" else "python3")
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {started}\nexit 1\n")
    fake.chmod(0o755)
    (tools / "python3").symlink_to(fake)
    proc = subprocess.run([str(app.buildpack_dir / "bin" / "detect"), str(app.platform), "plan"], cwd=app.app,
                          env={"PATH": str(tools)}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if kind == "named python3.8":
        assert not started.exists(), "a python3.8 is too old by its name alone"
    else:
        assert started.read_text() == "-I -c import sys; sys.exit(sys.version_info < (3, 9))\n"


def test_detect_without_python3_uses_shell_checks(make_app, tmp_path):
    app = make_app("not_python")
    tools = no_python_path(tmp_path)
    for fixture_file, expected in ((None, 100), ("wsgi.py", 0)):
        if fixture_file:
            (app.app / fixture_file).write_text("")
        proc = subprocess.run([str(app.buildpack_dir / "bin" / "detect"), str(app.platform), "plan"],
                              cwd=app.app, env={"PATH": str(tools)}, capture_output=True, text=True)
        assert proc.returncode == expected, proc.stdout + proc.stderr
        if expected == 100:
            assert "No Python project files found (looked for: requirements.txt, setup.py" in proc.stdout
