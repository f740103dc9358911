"""The registry of install methods: which one installs the app, from its files and BP_PYTHON_PACKAGE_MANAGER; what
every method provides; and everything derived from the registry (detect's list, lib/bootstrap.sh's copy of it, the
docs' table)."""

import re
from pathlib import Path

import pytest
from python_cnb import detect, tool_versions
from python_cnb.app_files import AppFiles, Entry, read_app_files
from python_cnb.errors import (
    InvalidEnvValue,
    InvalidTomlFile,
    LockfileMissing,
    LockWithoutProject,
    MisspelledFile,
    NotAFile,
    PackageManagerConflict,
    ProjectFileMissing,
    render_error,
    render_warning,
)
from python_cnb.package_managers import (
    DETECT_FILES,
    MANAGERS,
    METHODS,
    MISSPELLINGS,
    VERSION_SOURCES,
    choose_install_method,
    method_files,
    methods_table,
    named_files,
    selection_table,
)

REPO = Path(__file__).resolve().parents[2]


class PM:
    """The methods' names, as the table below uses them."""

    PIP, PIP_PROJECT, UV, POETRY, PIPENV, PDM, PYLOCK, NONE = ("pip", "pip-project", "uv", "poetry", "pipenv", "pdm",
                                                               "pylock", "none")

PROJECT = "[project]\nname = 'app'\nversion = '1'\n"
TOOL_ONLY = "[tool.ruff]\nline-length = 100\n"
# `poetry init` of Poetry 1 (no [project]), and Poetry 2's [project] with [tool.poetry].
POETRY_1 = ("[tool.poetry]\nname = 'app'\nversion = '0.1.0'\n\n[tool.poetry.dependencies]\npython = '^3.11'\n"
            "flask = '^3.0'\n\n[build-system]\nrequires = ['poetry-core']\n"
            "build-backend = 'poetry.core.masonry.api'\n")
POETRY_2 = PROJECT + "dependencies = ['flask']\n\n[tool.poetry]\npackage-mode = false\n"

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
    pytest.param({"Pipfile": ""}, "", PM.PIPENV, True, id="pipfile-without-lock"),
    pytest.param({"pyproject.toml": POETRY_1}, "", PM.POETRY, True, id="poetry-1-without-lock"),
    pytest.param({"pyproject.toml": POETRY_2}, "", PM.POETRY, True, id="poetry-2-without-lock"),
    pytest.param({"pyproject.toml": POETRY_1, "setup.py": ""}, "", PM.POETRY, True,
                 id="poetry-without-lock-with-setup-py"),
    pytest.param({"pyproject.toml": POETRY_1, "requirements.txt": ""}, "", PM.PIP, True,
                 id="poetry-project-with-requirements"),
    pytest.param({"pyproject.toml": POETRY_1, "uv.lock": ""}, "", PM.UV, True, id="poetry-project-with-uv-lock"),
    pytest.param({"pyproject.toml": POETRY_1, "Pipfile": ""}, "", PM.PIPENV, True,
                 id="poetry-project-with-pipfile"),
    pytest.param({"pyproject.toml": POETRY_1, "Poetry.lock": ""}, "", MisspelledFile, True,
                 id="poetry-project-with-misspelled-lock"),
    pytest.param({"pylock.toml": ""}, "", PM.PYLOCK, True, id="pylock"),
    pytest.param({"pylock.prod.toml": ""}, "", PM.PYLOCK, True, id="pylock-named"),
    pytest.param({"pylock.toml": "", "Pipfile": ""}, "", PackageManagerConflict, True, id="pylock-and-pipfile"),
    pytest.param({"Pylock.toml": ""}, "", MisspelledFile, True, id="capital-pylock"),
    pytest.param({"Pipfile.lock": "{}"}, "", LockWithoutProject, True, id="pipfile-lock-without-pipfile"),
    pytest.param({"uv.lock": ""}, "", LockWithoutProject, True, id="uv-lock-without-pyproject"),
    pytest.param({"poetry.lock": ""}, "", LockWithoutProject, True, id="poetry-lock-without-pyproject"),
    pytest.param({"pdm.lock": "", "pyproject.toml": PROJECT}, "", PM.PDM, True, id="pdm"),
    pytest.param({"pdm.lock": ""}, "", LockWithoutProject, True, id="pdm-lock-without-pyproject"),
    pytest.param({"PDM.lock": "", "pyproject.toml": PROJECT}, "", MisspelledFile, True, id="pdm-misspelled-lock"),
    pytest.param({"pdm.lock": "", "uv.lock": "", "pyproject.toml": PROJECT}, "", PackageManagerConflict, True,
                 id="pdm-and-uv"),
    pytest.param({"pdm.lock": "", "uv.lock": "", "pyproject.toml": PROJECT}, "pdm", PM.PDM, True, id="forced-pdm"),
    pytest.param({"pyproject.toml": PROJECT}, "pdm", LockfileMissing, True, id="forced-pdm-no-lock"),
    # A PDM project without its lock is a PEP 621 project: pip installs it (PDM does not lock at build).
    pytest.param({"pyproject.toml": PROJECT + "\n[tool.pdm]\ndistribution = true\n"}, "", PM.PIP_PROJECT, True,
                 id="pdm-project-without-lock"),
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
    pytest.param({"Pipfile": "", "requirements.txt": ""}, "pipenv", PM.PIPENV, True, id="forced-pipenv-no-lock"),
    pytest.param({"requirements.txt": ""}, "pipenv", ProjectFileMissing, True, id="forced-pipenv-no-pipfile"),
    pytest.param({"pyproject.toml": POETRY_1, "requirements.txt": ""}, "poetry", PM.POETRY, True,
                 id="forced-poetry-no-lock"),
    pytest.param({"pyproject.toml": PROJECT}, "poetry", LockfileMissing, True, id="forced-poetry-not-a-poetry-project"),
    pytest.param({"requirements.txt": ""}, "poetry", ProjectFileMissing, True, id="forced-poetry-no-pyproject"),
    pytest.param({"requirements.txt": ""}, "conda", InvalidEnvValue, True, id="unknown-manager"),
]


def _files(spec):
    """Every name a regular file with the given text."""
    return AppFiles({name: Entry.FILE for name in spec}, dict(spec))


@pytest.mark.parametrize(("spec", "requested", "expected", "detects"), CASES)
def test_decision_table(spec, requested, expected, detects):
    files = _files(spec)
    if isinstance(expected, str):
        assert choose_install_method(files, requested).method.name == expected
    else:
        with pytest.raises(expected) as info:
            choose_install_method(files, requested)
        title, body = render_error(info.value)
        assert title != "Internal buildpack error" and body
    # The invariant: detect passes for every app whose build installs something or explains what is wrong.
    assert detect.is_python_project(files) is detects
    if expected is not PM.NONE:
        assert detects


@pytest.mark.parametrize(("spec", "requested", "method", "lock_at_build"), [
    ({"pyproject.toml": POETRY_1}, "", PM.POETRY, True),
    ({"pyproject.toml": POETRY_1, "poetry.lock": ""}, "", PM.POETRY, False),
    ({"Pipfile": ""}, "", PM.PIPENV, True),
    ({"Pipfile": "", "Pipfile.lock": "{}"}, "pipenv", PM.PIPENV, False),
    ({"Pipfile": "", "requirements.txt": ""}, "pipenv", PM.PIPENV, True),
    ({"pyproject.toml": PROJECT}, "", PM.PIP_PROJECT, False),
])
def test_a_project_without_its_lock_is_locked_at_build(spec, requested, method, lock_at_build):
    choice = choose_install_method(_files(spec), requested)
    assert (choice.method.name, choice.lock_at_build) == (method, lock_at_build)
    if lock_at_build:
        assert choice.describe("pip").startswith(f"No {choice.method.lock.file}: locking ")
        assert "no " + choice.method.lock.file in choice.reason or requested
    else:
        assert "locking" not in choice.describe("pip")


def test_the_lock_at_build_warning_names_the_fix_and_the_reuse():
    from python_cnb.errors import LockedAtBuild

    title, body = render_warning(LockedAtBuild(lock_file="poetry.lock", project_file="pyproject.toml",
                                               fix="poetry lock", reuse_files=("pyproject.toml", "poetry.toml")))
    assert title == "No poetry.lock: this build is not reproducible"
    assert "Run 'poetry lock' in the app and commit poetry.lock" in body
    assert "keeps the versions of its first lock while pyproject.toml and poetry.toml stay the same" in body
    _, one = render_warning(LockedAtBuild(lock_file="Pipfile.lock", project_file="Pipfile", fix="pipenv lock",
                                          reuse_files=("Pipfile",)))
    assert "keeps the versions of its first lock while Pipfile stays the same" in one


def test_a_switch_without_its_project_installs_what_its_tool_imported():
    """ENABLE_PIPENV with requirements.txt and no Pipfile: the S2I image's Pipenv imported requirements.txt."""
    choice = choose_install_method(_files({"requirements.txt": "flask"}), "pipenv", "ENABLE_PIPENV")
    assert choice.method.name == PM.PIP and not choice.lock_at_build and choice.ignored == ()
    assert choice.note == ("ENABLE_PIPENV is set, but the app has no Pipfile: installing requirements.txt instead, as "
                           "the S2I image did (its pipenv imported requirements.txt)")
    assert choice.describe("pip") == "Installing dependencies from requirements.txt with pip"
    # BP_PYTHON_PACKAGE_MANAGER=pipenv is the buildpack's own setting: it needs a Pipfile.
    with pytest.raises(ProjectFileMissing) as info:
        choose_install_method(_files({"requirements.txt": "flask"}), "pipenv")
    title, body = render_error(info.value)
    assert title == "No Pipfile found"
    assert body.startswith("BP_PYTHON_PACKAGE_MANAGER is pipenv, but the app has no Pipfile")
    # With uv.lock too, the switch still installs requirements.txt, and says it ignores uv.lock.
    both = choose_install_method(_files({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT}), "pipenv",
                                 "ENABLE_PIPENV")
    assert both.method.name == PM.PIP and both.ignored == ("uv.lock",)


def test_detect_looks_at_every_file_build_reads():
    for method in METHODS:
        assert set(method.files) <= set(detect.PYTHON_SIGNALS), method.name
        assert set(method.misspellings) <= set(detect.PYTHON_SIGNALS), method.name
        if method.lock is not None:
            assert {method.lock.file, method.lock.project_file} <= set(detect.PYTHON_SIGNALS), method.name
    assert set(DETECT_FILES) | set(MISSPELLINGS) <= set(detect.PYTHON_SIGNALS)


def test_bootstrap_detect_lists_the_same_files():
    """lib/bootstrap.sh runs detect when the build image has no python3: its list is a copy of detect's."""
    shell = (REPO / "lib" / "bootstrap.sh").read_text()
    missing = [name for name in detect.PYTHON_SIGNALS if not re.search(rf"(\s){re.escape(name)}(\s|;)", shell)]
    assert not missing, f"add {', '.join(missing)} to the detect list in lib/bootstrap.sh"
    # The names a method's pattern selects, as one glob each (pylock.<name>.toml).
    globs = [shown.replace("<name>", "*") for shown in detect.PATTERN_SIGNALS]
    assert globs == ["pylock.*.toml"] and all(f"for name in {glob} " in shell for glob in globs)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_every_method_provides_what_the_registry_needs(method):
    assert method.manager in MANAGERS and method.label and method.installing and method.default_reason
    assert bool(method.files) != (method.applies is not None), "files select it, or `applies` does"
    assert bool(method.tool) != method.installer_option, "its own tool, or pip/uv as installer"
    if method.tool:
        assert tool_versions.read_pin(REPO, method.tool).startswith(f"{method.tool}==")
    if method.lock is not None:
        assert method.lock.file in method.files
    for wrong, right in method.misspellings.items():
        assert right in (*method.files, "requirements.txt") and wrong != right
    assert "{installer}" not in method.installing or method.installer_option
    if method.lock is not None and method.lock.generate:
        assert method.lock.generate[0] == method.tool and method.lock.fix.split()[0] == method.tool
        assert method.lock.owned_by and method.lock.locking.startswith(f"No {method.lock.file}: ")
    if method.lock is not None and method.lock.imports:
        assert any(method.lock.imports in other.files for other in METHODS if other is not method)
    assert method.index_settings is None or all(name.isupper() for name in method.index_settings)


def test_names_labels_and_files_are_unique():
    for values in ([m.name for m in METHODS], [m.label for m in METHODS], DETECT_FILES, [*MISSPELLINGS]):
        assert len(values) == len(set(values)), values
    assert MANAGERS == ("pip", "uv", "poetry", "pipenv", "pdm", "pylock")
    assert [source.file for source in VERSION_SOURCES] == ["uv.lock", "pyproject.toml", "Pipfile", "pdm.lock",
                                                          "pylock.toml"]


def test_the_docs_table_is_the_registrys():
    """docs/dependencies.md shows methods_table() between its markers: regenerate it with
    `python3 -c 'import sys; sys.path.insert(0, "lib"); from python_cnb.package_managers import methods_table;
    print(methods_table())'`."""
    text = (REPO / "docs" / "dependencies.md").read_text()
    start, end = "<!-- install-methods-table:start -->\n", "\n<!-- install-methods-table:end -->"
    assert start in text and end in text
    assert text.split(start, 1)[1].split(end, 1)[0].strip() == methods_table()
    start, end = "<!-- selection-table:start -->\n", "\n<!-- selection-table:end -->"
    assert start in text and end in text
    assert text.split(start, 1)[1].split(end, 1)[0].strip() == selection_table()


@pytest.mark.parametrize("kind", [Entry.DIRECTORY, Entry.DANGLING])
def test_requirements_that_is_not_a_file(kind):
    files = AppFiles({"requirements.txt": kind}, {})
    assert detect.is_python_project(files)
    with pytest.raises(NotAFile) as info:
        choose_install_method(files)
    assert info.value.kind == kind.value
    assert "requirements.txt" in render_error(info.value)[1]


def test_snapshot_sees_dangling_links_and_directories(tmp_path):
    (tmp_path / "requirements.txt").symlink_to("../shared/requirements.txt")
    (tmp_path / "Pipfile").mkdir()
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    files = read_app_files(tmp_path, ["pyproject.toml", "Pipfile"])
    assert files.entries == {"requirements.txt": Entry.DANGLING, "Pipfile": Entry.DIRECTORY,
                             "pyproject.toml": Entry.FILE}
    assert files.text("pyproject.toml") == PROJECT and files.text("Pipfile") is None


def test_conflict_error_lists_files_and_both_fixes():
    files = _files({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT})
    with pytest.raises(PackageManagerConflict) as info:
        choose_install_method(files)
    title, body = render_error(info.value)
    assert title == "Multiple package manager files found"
    assert " - requirements.txt\n - uv.lock" in body
    assert "delete the files of the package manager you do not use" in body
    assert "BP_PYTHON_PACKAGE_MANAGER" in body


def test_misspelling_names_both_files():
    with pytest.raises(MisspelledFile) as info:
        choose_install_method(_files({"Requirements.txt": ""}))
    title, body = render_error(info.value)
    assert title == "Found Requirements.txt instead of requirements.txt"
    assert "Rename Requirements.txt to requirements.txt" in body


def test_forced_manager_lists_ignored_files():
    choice = choose_install_method(_files({"requirements.txt": "", "uv.lock": "", "pyproject.toml": PROJECT}), "uv")
    assert choice.ignored == ("requirements.txt",)
    assert "BP_PYTHON_PACKAGE_MANAGER is uv" in choice.describe("pip")


def test_invalid_toml_names_line_and_column():
    with pytest.raises(InvalidTomlFile) as info:
        choose_install_method(_files({"pyproject.toml": "[project]\nname = \n"}))
    title, body = render_error(info.value)
    assert title == "Invalid pyproject.toml"
    assert "at line 2, column 8" in body


# ---- BP_PIP_REQUIREMENT (Paketo's pip-install): other requirements files for the pip method -------------------
NAMED = {"BP_PIP_REQUIREMENT": "requirements/prod.txt  extra.txt"}


def test_files_a_variable_names_select_the_pip_method_without_requirements_txt():
    choice = choose_install_method(_files({"app.py": ""}), env=NAMED)
    assert choice.method.name == "pip" and choice.files == ("requirements/prod.txt", "extra.txt")
    assert choice.describe("pip") == "Installing dependencies from requirements/prod.txt and extra.txt with pip"
    assert method_files(choice.method, NAMED) == choice.files and named_files(NAMED) == choice.files
    # requirements.txt itself is then not installed, and its misspellings are no error.
    assert choose_install_method(_files({"requirements.txt": "", "requirement.txt": ""}), env=NAMED).files == \
        choice.files
    assert choose_install_method(_files({"requirements.txt": ""})).describe("uv") == \
        "Installing dependencies from requirements.txt with uv"


def test_files_a_variable_names_conflict_with_another_managers_like_requirements_txt():
    with pytest.raises(PackageManagerConflict) as info:
        choose_install_method(_files({"Pipfile": "", "Pipfile.lock": "{}"}), env=NAMED)
    assert info.value.files == ("requirements/prod.txt", "extra.txt", "Pipfile", "Pipfile.lock")
    forced = choose_install_method(_files({"Pipfile": "", "Pipfile.lock": "{}"}), "pip", env=NAMED)
    assert forced.method.name == "pip" and forced.files == ("requirements/prod.txt", "extra.txt")


def test_detect_passes_on_the_files_a_variable_names(tmp_path):
    from python_cnb.cnb.runtime import DetectContext
    from python_cnb.output import Output

    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "prod.txt").write_text("flask\n")
    detector = detect.Detector(Output())
    assert detector.detect(DetectContext(tmp_path, REPO, {"BP_PIP_REQUIREMENT": "requirements/prod.txt"}))
    assert not detector.detect(DetectContext(tmp_path, REPO, {"BP_PIP_REQUIREMENT": "requirements/dev.txt"}))
    shell = (REPO / "lib" / "bootstrap.sh").read_text()
    assert "${BP_PIP_REQUIREMENT:-}; do" in shell  # its copy of the detect list
