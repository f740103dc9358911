"""docs/architecture.md stays true: every module it names exists, and every module of the buildpack is named."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "architecture.md").read_text()


def test_every_path_the_doc_names_exists():
    named = set(re.findall(r"`((?:lib|tests|requirements|docs)/[^`<> ]+)`", DOC))
    assert named
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, missing


def test_every_module_of_the_buildpack_is_in_the_map():
    modules = {str(path.relative_to(REPO)) for path in (REPO / "lib").rglob("*.py")
               if "_vendor" not in path.parts and path.name != "__init__.py" or
               path.parent.name == "package_managers" and path.name == "__init__.py"}
    missing = sorted(module for module in modules if f"`{module}`" not in DOC)
    assert not missing, f"add these to docs/architecture.md's module map: {missing}"


def test_the_build_reads_as_its_steps():
    """The steps the doc walks through are the calls of PythonBuildpack.build, in that order."""
    source = (REPO / "lib" / "python_cnb" / "buildpack.py").read_text()
    body = source[source.index("    def build("):]
    steps = ["resolve_build_env", "analyse", "install_python", "install_dependencies", "configure_web_process",
             "finish_venv", "install_web", "web_processes"]
    positions = [body.index(f"{step}(") for step in steps]
    assert positions == sorted(positions)
    assert all(f"`{step}`" in DOC for step in steps)
