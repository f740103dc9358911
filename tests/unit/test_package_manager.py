"""Which package manager installs the app, from its files and BP_PYTHON_PACKAGE_MANAGER; detect agrees with build."""

import pytest
from python_cnb import detect
from python_cnb.app_files import AppFiles, Entry, read_app_files
from python_cnb.errors import (
    InvalidEnvValue,
    InvalidTomlFile,
    LockfileMissing,
    LockWithoutProject,
    MisspelledFile,
    NotAFile,
    PackageManagerConflict,
    render_error,
)
from python_cnb.package_manager import MANAGER_FILES, MISSPELLINGS, PackageManager, choose_package_manager

PM = PackageManager
PROJECT = "[project]\nname = 'app'\nversion = '1'\n"
TOOL_ONLY = "[tool.ruff]\nline-length = 100\n"

# (files present, BP_PYTHON_PACKAGE_MANAGER, expected decision or error, detect passes)
CASES = [
    pytest.param({}, "", PM.NONE, False, id="empty-dir"),
    pytest.param({"README.md": ""}, "", PM.NONE, False, id="not-python"),
    pytest.param({"app.py": ""}, "", PM.NONE, True, id="app-py-only"),
    pytest.param({"runtime.txt": "python-3.12"}, "", PM.NONE, True, id="runtime-txt-only"),
    pytest.param({"requirements.txt": "flask"}, "", PM.PIP, True, id="requirements"),
    pytest.param({"requirements.txt": "", "setup.py": ""}, "", PM.PIP, True, id="requirements-with-setup-py"),
    pytest.param({"requirements.txt": "", "pyproject.toml": PROJECT}, "", PM.PIP, True,
                 id="requirements-with-pyproject"),
    pytest.param({"setup.py": ""}, "", PM.PIP_PROJECT, True, id="setup-py"),
    pytest.param({"pyproject.toml": PROJECT}, "", PM.PIP_PROJECT, True, id="pep621-no-lock"),
    pytest.param({"pyproject.toml": "[build-system]\nrequires = []\n"}, "", PM.PIP_PROJECT, True, id="build-system"),
    pytest.param({"pyproject.toml": TOOL_ONLY}, "", PM.NONE, True, id="pyproject-tool-config-only"),
    pytest.param({"pyproject.toml": "[project\n"}, "", InvalidTomlFile, True, id="pyproject-invalid"),
    pytest.param({"uv.lock": "", "pyproject.toml": PROJECT}, "", PM.UV, True, id="uv"),
    pytest.param({"poetry.lock": "", "pyproject.toml": PROJECT}, "", PM.POETRY, True, id="poetry"),
    pytest.param({"Pipfile": "", "Pipfile.lock": "{}"}, "", PM.PIPENV, True, id="pipenv"),
    pytest.param({"Pipfile": ""}, "", LockfileMissing, True, id="pipfile-without-lock"),
    pytest.param({"Pipfile.lock": "{}"}, "", LockWithoutProject, True, id="pipfile-lock-without-pipfile"),
    pytest.param({"uv.lock": ""}, "", LockWithoutProject, True, id="uv-lock-without-pyproject"),
    pytest.param({"poetry.lock": ""}, "", LockWithoutProject, True, id="poetry-lock-without-pyproject"),
    pytest.param({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT}, "", PackageManagerConflict,
                 True, id="requirements-and-uv"),
    pytest.param({"poetry.lock": "", "Pipfile.lock": "{}", "Pipfile": "", "pyproject.toml": PROJECT}, "",
                 PackageManagerConflict, True, id="poetry-and-pipenv"),
    pytest.param({"requirements.txt": "", "Pipfile": ""}, "", PackageManagerConflict, True,
                 id="requirements-and-pipfile"),
    pytest.param({"requirement.txt": ""}, "", MisspelledFile, True, id="requirement-txt"),
    pytest.param({"Requirements.txt": ""}, "", MisspelledFile, True, id="capital-requirements"),
    pytest.param({"requirements.text": ""}, "", MisspelledFile, True, id="requirements-text"),
    pytest.param({"requirements.in": ""}, "", MisspelledFile, True, id="requirements-in-only"),
    pytest.param({"requirements.in": "", "requirements.txt": ""}, "", PM.PIP, True, id="pip-tools"),
    pytest.param({"pipfile": ""}, "", MisspelledFile, True, id="lowercase-pipfile"),
    # BP_PYTHON_PACKAGE_MANAGER resolves conflicts and names the one to use.
    pytest.param({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT}, "uv", PM.UV, True,
                 id="forced-uv"),
    pytest.param({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT}, " PIP ", PM.PIP, True,
                 id="forced-pip"),
    pytest.param({"pyproject.toml": PROJECT, "uv.lock": ""}, "pip", PM.PIP_PROJECT, True, id="forced-pip-project"),
    pytest.param({"app.py": ""}, "pip", LockfileMissing, True, id="forced-pip-nothing"),
    pytest.param({"requirements.txt": ""}, "uv", LockfileMissing, True, id="forced-uv-no-lock"),
    pytest.param({"Pipfile": "", "requirements.txt": ""}, "pipenv", LockfileMissing, True, id="forced-pipenv-no-lock"),
    pytest.param({"requirements.txt": ""}, "conda", InvalidEnvValue, True, id="unknown-manager"),
]


def _files(spec):
    return AppFiles.of(**spec)


@pytest.mark.parametrize(("spec", "requested", "expected", "detects"), CASES)
def test_decision_table(spec, requested, expected, detects):
    files = _files(spec)
    if isinstance(expected, PM):
        assert choose_package_manager(files, requested).manager is expected
    else:
        with pytest.raises(expected) as info:
            choose_package_manager(files, requested)
        title, body = render_error(info.value)
        assert title != "Internal buildpack error" and body
    # The invariant: detect passes for every app whose build installs something or explains what is wrong.
    assert detect.is_python_project(files) is detects
    if expected is not PM.NONE:
        assert detects


def test_detect_looks_at_every_file_build_reads():
    for names in MANAGER_FILES.values():
        assert set(names) <= set(detect.PYTHON_SIGNALS)
    assert set(MISSPELLINGS) <= set(detect.PYTHON_SIGNALS)


@pytest.mark.parametrize("kind", [Entry.DIRECTORY, Entry.DANGLING])
def test_requirements_that_is_not_a_file(kind):
    files = AppFiles({"requirements.txt": kind}, {})
    assert detect.is_python_project(files)
    with pytest.raises(NotAFile) as info:
        choose_package_manager(files)
    assert info.value.kind == kind.value
    assert "requirements.txt" in render_error(info.value)[1]


def test_snapshot_sees_dangling_links_and_directories(tmp_path):
    (tmp_path / "requirements.txt").symlink_to("../shared/requirements.txt")
    (tmp_path / "Pipfile").mkdir()
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    files = read_app_files(tmp_path)
    assert files.entries == {"requirements.txt": Entry.DANGLING, "Pipfile": Entry.DIRECTORY,
                             "pyproject.toml": Entry.FILE}
    assert files.text("pyproject.toml") == PROJECT and files.text("Pipfile") is None


def test_conflict_error_lists_files_and_both_fixes():
    files = _files({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT})
    with pytest.raises(PackageManagerConflict) as info:
        choose_package_manager(files)
    title, body = render_error(info.value)
    assert title == "Multiple package manager files found"
    assert " - requirements.txt\n - uv.lock" in body
    assert "delete the files of the package manager you do not use" in body
    assert "BP_PYTHON_PACKAGE_MANAGER" in body


def test_misspelling_names_both_files():
    with pytest.raises(MisspelledFile) as info:
        choose_package_manager(_files({"Requirements.txt": ""}))
    title, body = render_error(info.value)
    assert title == "Found Requirements.txt instead of requirements.txt"
    assert "Rename Requirements.txt to requirements.txt" in body


def test_forced_manager_lists_ignored_files():
    choice = choose_package_manager(_files({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT}), "uv")
    assert choice.ignored == ("requirements.txt",)
    assert "BP_PYTHON_PACKAGE_MANAGER is uv" in choice.describe()


def test_invalid_toml_names_line_and_column():
    with pytest.raises(InvalidTomlFile) as info:
        choose_package_manager(_files({"pyproject.toml": "[project]\nname = \n"}))
    title, body = render_error(info.value)
    assert title == "Invalid pyproject.toml"
    assert "at line 2, column 8" in body
