import datetime

import pytest
from python_cnb.errors import (
    InvalidTomlFile,
    PastEndOfLife,
    PythonConstraintInvalid,
    PythonConstraintUnsatisfiable,
    PythonVersionConflict,
    PythonVersionEol,
    PythonVersionMalformed,
    PythonVersionUnknown,
    TwoVersionFiles,
    VersionFileOverridden,
    render_error,
)
from python_cnb.errors import render_warning as warning_text
from python_cnb.package_managers import VERSION_SOURCES
from python_cnb.package_managers.poetry import poetry_specifiers
from python_cnb.python_version import (
    RequestedVersion,
    VersionRequest,
    parse_python_version_file,
    parse_runtime_txt,
    resolve,
    supported_range,
)
from python_cnb.python_version import requested_python as _requested_python

_NAMES = {"runtime_txt": "runtime.txt", "python_version": ".python-version", "pyproject_toml": "pyproject.toml",
          "uv_lock": "uv.lock", "pipfile": "Pipfile"}


def VersionFiles(**texts):  # noqa: N802 - reads like the value it builds
    """The texts by file name, as the analysis passes them."""
    return {_NAMES[key]: text for key, text in texts.items()}


def requested_python(files):
    return _requested_python(files, VERSION_SOURCES)

TODAY = datetime.date(2026, 11, 25)
AVAILABLE = ["3.11.16", "3.12.13", "3.12.14", "3.13.15", "3.14.7"]


# ---- runtime.txt and .python-version ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        pytest.param("python-3.12.7", (3, 12, 7), id="full"),
        pytest.param("python-3.12\n", (3, 12, None), id="minor"),
        pytest.param("  python-3.13.1  \n\n", (3, 13, 1), id="whitespace"),
        pytest.param("\ufeffpython-3.11", (3, 11, None), id="bom"),
        pytest.param("# pinned\npython-3.14.2 # newest\n", (3, 14, 2), id="comments"),
        pytest.param("3.12", (3, 12, None), id="bare"),
    ],
)
def test_parse_runtime_txt(contents, expected):
    parsed = parse_runtime_txt(contents)
    assert (parsed.major, parsed.minor, parsed.patch) == expected
    assert parsed.source == "runtime.txt"


@pytest.mark.parametrize(
    "contents", ["", "python", "python-3", "python-3.12.x", "pypy-7.3", "python-3.12\npython-3.13"]
)
def test_parse_runtime_txt_rejects(contents):
    with pytest.raises(PythonVersionMalformed) as info:
        parse_runtime_txt(contents)
    assert info.value.source == "runtime.txt"


@pytest.mark.parametrize(
    ("contents", "expected"),
    [("3.13\n", (3, 13, None)), ("3.12.4\n3.11\n", (3, 12, 4)), ("# c\n 3.14 \n", (3, 14, None))],
)
def test_parse_python_version_file(contents, expected):
    parsed = parse_python_version_file(contents)
    assert (parsed.major, parsed.minor, parsed.patch) == expected


@pytest.mark.parametrize("contents", ["", "system", "pypy3.10", "3"])
def test_parse_python_version_file_rejects(contents):
    with pytest.raises(PythonVersionMalformed):
        parse_python_version_file(contents)


# ---- every source, in order -----------------------------------------------------------------------------------
PYPROJECT = '[project]\nname = "app"\nrequires-python = "{}"\n'
POETRY = '[tool.poetry.dependencies]\npython = "{}"\nflask = "^3.0"\n'
UV_LOCK = 'version = 1\nrequires-python = "{}"\n\n[[package]]\nname = "flask"\nversion = "3.0.3"\n'
PIPFILE = '[packages]\nflask = "*"\n\n[requires]\n{} = "{}"\n'


@pytest.mark.parametrize(
    ("files", "expected", "reason"),
    [
        pytest.param(VersionFiles(), "3.14.7", None, id="nothing-newest"),
        pytest.param(VersionFiles(runtime_txt="python-3.12"), "3.12.14", "requested 3.12 in runtime.txt",
                     id="runtime-txt"),
        pytest.param(VersionFiles(python_version="3.12.13\n"), "3.12.13", "requested 3.12.13 in .python-version",
                     id="python-version"),
        pytest.param(VersionFiles(pyproject_toml=PYPROJECT.format(">=3.11,<3.13")), "3.12.14",
                     "requires-python '>=3.11,<3.13' in pyproject.toml", id="pyproject-requires-python"),
        pytest.param(VersionFiles(pyproject_toml=POETRY.format("~3.12")), "3.12.14",
                     "[tool.poetry.dependencies] python '~3.12' in pyproject.toml", id="poetry"),
        pytest.param(VersionFiles(uv_lock=UV_LOCK.format("==3.13.*")), "3.13.15",
                     "requires-python '==3.13.*' in uv.lock", id="uv-lock"),
        pytest.param(VersionFiles(pipfile=PIPFILE.format("python_version", "3.12")), "3.12.14",
                     "[requires] python_version '3.12' in Pipfile", id="pipfile-python-version"),
        pytest.param(VersionFiles(pipfile=PIPFILE.format("python_full_version", "3.12.13")), "3.12.13",
                     "[requires] python_full_version '3.12.13' in Pipfile", id="pipfile-full-version"),
        pytest.param(VersionFiles(pyproject_toml='[project]\nname = "app"\n', uv_lock="version = 1\n",
                                  pipfile="[packages]\n"), "3.14.7", None, id="files-without-versions"),
        pytest.param(VersionFiles(runtime_txt="python-3.11", python_version="3.13",
                                  pyproject_toml=PYPROJECT.format(">=3.11")), "3.11.16",
                     "requested 3.11 in runtime.txt", id="runtime-txt-first"),
        pytest.param(VersionFiles(python_version="3.13", pyproject_toml=PYPROJECT.format(">=3.11"),
                                  uv_lock=UV_LOCK.format(">=3.11")), "3.13.15",
                     "requested 3.13 in .python-version", id="python-version-before-constraints"),
        pytest.param(VersionFiles(pyproject_toml=PYPROJECT.format(">=3.11"), uv_lock=UV_LOCK.format(">=3.11"),
                                  pipfile=PIPFILE.format("python_version", "3.12")), "3.12.14",
                     "requires-python '>=3.11' in pyproject.toml, requires-python '>=3.11' in uv.lock, "
                     "[requires] python_version '3.12' in Pipfile", id="all-constraints-apply"),
        pytest.param(VersionFiles(pyproject_toml=PYPROJECT.format(">=3.11") + POETRY.format("^3.11,<3.14")),
                     "3.13.15", "requires-python '>=3.11' in pyproject.toml, "
                     "[tool.poetry.dependencies] python '^3.11,<3.14' in pyproject.toml", id="pep621-and-poetry"),
    ],
)
def test_sources_and_precedence(files, expected, reason):
    resolution = resolve(requested_python(files), AVAILABLE, TODAY)
    assert (resolution.version, resolution.reason) == (expected, reason)


def test_summary_names_the_file():
    request = requested_python(VersionFiles(pyproject_toml=PYPROJECT.format(">=3.11")))
    assert resolve(request, ["3.11.7", "3.12.1"], TODAY).summary() == (
        "Using Python 3.12.1 (requires-python '>=3.11' in pyproject.toml)")
    assert resolve(requested_python({}), ["3.11.7", "3.12.1"], TODAY).summary().startswith(
        "No Python version requested in runtime.txt, .python-version, pyproject.toml, uv.lock, Pipfile, pdm.lock or "
        "pylock.toml; "
        "using the buildpack's default (the newest version it knows): Python 3.12.1")


def test_two_version_files_warn():
    request = requested_python(VersionFiles(runtime_txt="python-3.11\n", python_version="3.12\n"))
    resolution = resolve(request, AVAILABLE, TODAY)
    assert resolution.warnings == (TwoVersionFiles("runtime.txt", "3.11", ".python-version"),)
    title, body = warning_text(resolution.warnings[0])
    assert title == "Two Python version files"
    assert body.startswith("Both runtime.txt and .python-version are present; runtime.txt wins (Python 3.11).")


# ---- Poetry's syntax -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("constraint", "allowed", "refused"),
    [
        pytest.param("^3.11", ["3.11.0", "3.14.7"], ["3.10.9", "4.0.0"], id="caret-minor"),
        pytest.param("^3.11.4", ["3.11.4", "3.13.0"], ["3.11.3", "4.0.0"], id="caret-patch"),
        pytest.param("^3", ["3.0.0", "3.99.0"], ["4.0.0"], id="caret-major"),
        pytest.param("^0.2.3", ["0.2.9"], ["0.3.0"], id="caret-zero-major"),
        pytest.param("~3.12", ["3.12.0", "3.12.14"], ["3.11.16", "3.13.0"], id="tilde-minor"),
        pytest.param("~3.12.2", ["3.12.2", "3.12.14"], ["3.12.1", "3.13.0"], id="tilde-patch"),
        pytest.param("~3", ["3.0.0", "3.14.7"], ["4.0.0"], id="tilde-major"),
        pytest.param("~=3.12", ["3.12.0", "3.14.7"], ["3.11.16", "4.0.0"], id="compatible-release"),
        pytest.param("3.11.*", ["3.11.0", "3.11.16"], ["3.12.0"], id="wildcard"),
        pytest.param("3.*", ["3.0.0", "3.14.7"], ["4.0.0"], id="major-wildcard"),
        pytest.param("*", ["3.14.7", "2.7.18"], [], id="any"),
        pytest.param("3.12", ["3.12.0", "3.12.14"], ["3.13.0"], id="bare-minor-is-any-patch"),
        pytest.param("3.12.1", ["3.12.1"], ["3.12.2"], id="bare-patch-is-exact"),
        pytest.param("==3.12.1", ["3.12.1"], ["3.12.2"], id="exact"),
        pytest.param(">=3.10,<4.0", ["3.10.0", "3.14.7"], ["3.9.18", "4.0.0"], id="pep440-range"),
        pytest.param(">=3.10 <3.13", ["3.12.14"], ["3.13.0"], id="space-separated"),
        pytest.param(">= 3.10, < 3.13", ["3.12.14"], ["3.13.0"], id="spaces-after-operators"),
        pytest.param(">=3.8,<3.9 || >=3.12", ["3.8.10", "3.13.0"], ["3.11.16"], id="or"),
        pytest.param("^3.11,!=3.12.*", ["3.11.16", "3.13.0"], ["3.12.14"], id="exclusion"),
    ],
)
def test_poetry_specifiers(constraint, allowed, refused):
    alternatives = poetry_specifiers(constraint)
    for version in allowed:
        assert any(s.contains(version) for s in alternatives), version
    for version in refused:
        assert not any(s.contains(version) for s in alternatives), version


@pytest.mark.parametrize("constraint", ["^3.x", "~", ">=3.11 ||", "^*", ">=three", "~=3"])
def test_poetry_specifiers_reject(constraint):
    with pytest.raises(PythonConstraintInvalid) as info:
        poetry_specifiers(constraint)
    assert (info.value.file, info.value.key, info.value.value) == (
        "pyproject.toml", "[tool.poetry.dependencies] python", constraint)


# ---- invalid inputs --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("files", "file", "key"),
    [
        pytest.param(VersionFiles(pyproject_toml=PYPROJECT.format("3.11+")), "pyproject.toml", "requires-python",
                     id="pep440-garbage"),
        pytest.param(VersionFiles(pyproject_toml='[project]\nrequires-python = 3.11\n'), "pyproject.toml",
                     "requires-python", id="not-a-string"),
        pytest.param(VersionFiles(uv_lock=UV_LOCK.format("=>3.11")), "uv.lock", "requires-python", id="uv-lock"),
        pytest.param(VersionFiles(pipfile=PIPFILE.format("python_version", "3.x")), "Pipfile",
                     "[requires] python_version", id="pipfile"),
        pytest.param(VersionFiles(pyproject_toml=POETRY.format("^three")), "pyproject.toml",
                     "[tool.poetry.dependencies] python", id="poetry"),
    ],
)
def test_invalid_constraints(files, file, key):
    with pytest.raises(PythonConstraintInvalid) as info:
        requested_python(files)
    assert (info.value.file, info.value.key) == (file, key)
    title, body = render_error(info.value)
    assert title == "Invalid Python version requirement"
    assert f"{key} in {file} is not a valid version requirement" in body


@pytest.mark.parametrize(
    ("files", "path", "line", "column"),
    [
        pytest.param(VersionFiles(pyproject_toml='[project]\nname = "app"\nrequires-python = >=3.11\n'),
                     "pyproject.toml", 3, 19, id="pyproject"),
        pytest.param(VersionFiles(uv_lock='version = 1\n[[package]\n'), "uv.lock", 2, 10, id="uv-lock"),
        pytest.param(VersionFiles(pipfile='[requires]\npython_version = "3.12\n'), "Pipfile", 2, 23, id="pipfile"),
        pytest.param(VersionFiles(pyproject_toml='[project]\nrequires-python = ">=3.11'), "pyproject.toml", 2, 26,
                     id="end-of-document"),
    ],
)
def test_invalid_toml_names_file_line_and_column(files, path, line, column):
    with pytest.raises(InvalidTomlFile) as info:
        requested_python(files)
    assert (info.value.path, info.value.line, info.value.column) == (path, line, column)
    title, body = render_error(info.value)
    assert title == f"Invalid {path}"
    assert body.startswith(f"{path} is not valid TOML at line {line}, column {column}: ")


def test_tables_of_the_wrong_type_are_not_constraints():
    files = VersionFiles(pyproject_toml='project = "x"\ntool = 1\n', uv_lock='requires-python = ">=3.12"\n',
                         pipfile='requires = "3.11"\n')
    assert resolve(requested_python(files), AVAILABLE, TODAY).reason == "requires-python '>=3.12' in uv.lock"


# ---- conflicts and no match ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("files", "source", "constraint_file", "constraint_key"),
    [
        pytest.param(VersionFiles(runtime_txt="python-3.11", pyproject_toml=PYPROJECT.format(">=3.12")),
                     "runtime.txt", "pyproject.toml", "requires-python", id="runtime-vs-pyproject"),
        pytest.param(VersionFiles(python_version="3.13", pyproject_toml=POETRY.format("~3.12")),
                     ".python-version", "pyproject.toml", "[tool.poetry.dependencies] python", id="poetry"),
        pytest.param(VersionFiles(python_version="3.12.13", uv_lock=UV_LOCK.format(">=3.12.14")),
                     ".python-version", "uv.lock", "requires-python", id="patch-vs-uv-lock"),
        pytest.param(VersionFiles(runtime_txt="python-3.14", pipfile=PIPFILE.format("python_version", "3.12")),
                     "runtime.txt", "Pipfile", "[requires] python_version", id="pipfile"),
    ],
)
def test_explicit_version_outside_a_constraint(files, source, constraint_file, constraint_key):
    with pytest.raises(PythonVersionConflict) as info:
        resolve(requested_python(files), AVAILABLE, TODAY)
    error = info.value
    assert (error.source, error.constraint_file, error.constraint_key) == (source, constraint_file, constraint_key)


def test_conflict_message():
    files = VersionFiles(runtime_txt="python-3.11\n", pyproject_toml=PYPROJECT.format(">=3.12"))
    with pytest.raises(PythonVersionConflict) as info:
        resolve(requested_python(files), AVAILABLE, TODAY)
    title, body = render_error(info.value)
    assert title == "Python version files disagree"
    assert body == (
        "runtime.txt asks for Python 3.11 (Python 3.11.16), but pyproject.toml declares requires-python '>=3.12',\n"
        "which that version does not satisfy.\n\n"
        "1. Change runtime.txt to a version that satisfies '>=3.12', for example 'python-3.14'\n"
        "   (this buildpack has 3.12.13, 3.12.14, 3.13.15, 3.14.7), or delete runtime.txt to get the newest one.\n"
        "2. Or, if your app works on Python 3.11, change requires-python in pyproject.toml to include it.")


def test_explicit_version_errors_come_before_conflicts():
    files = VersionFiles(runtime_txt="python-3.10", pyproject_toml=PYPROJECT.format(">=3.12"))
    with pytest.raises(PythonVersionEol):
        resolve(requested_python(files), AVAILABLE, TODAY)


def test_constraint_without_a_match():
    files = VersionFiles(pyproject_toml=PYPROJECT.format(">=3.15"))
    with pytest.raises(PythonConstraintUnsatisfiable) as info:
        resolve(requested_python(files), AVAILABLE, TODAY)
    assert info.value.available == AVAILABLE
    title, body = render_error(info.value)
    assert title == "No Python version matches the requirement"
    assert body == ("requires-python '>=3.15' in pyproject.toml matches none of the Python versions this buildpack "
                    "has: 3.11.16, 3.12.13, 3.12.14, 3.13.15, 3.14.7.\n\n"
                    "Change it in pyproject.toml to include one of them.")


def test_constraints_that_exclude_each_other():
    files = VersionFiles(pyproject_toml=PYPROJECT.format(">=3.13"), pipfile=PIPFILE.format("python_version", "3.12"))
    with pytest.raises(PythonConstraintUnsatisfiable) as info:
        resolve(requested_python(files), AVAILABLE, TODAY)
    _, body = render_error(info.value)
    assert body.startswith("No Python version this buildpack has satisfies all of:\n"
                           " - requires-python '>=3.13' in pyproject.toml\n"
                           " - [requires] python_version '3.12' in Pipfile\n")
    assert body.endswith("Change them in Pipfile and pyproject.toml so that together they include one of those "
                         "versions.")


def test_old_versions_in_a_manifest_do_not_satisfy_constraints():
    files = VersionFiles(pyproject_toml=PYPROJECT.format("<3.11"))
    with pytest.raises(PythonConstraintUnsatisfiable) as info:
        resolve(requested_python(files), ["3.10.19", *AVAILABLE], TODAY)
    assert info.value.available == AVAILABLE


# ---- resolution and end of life --------------------------------------------------------------------------------
def req(text, source="runtime.txt"):
    parts = [int(p) for p in text.split(".")]
    return VersionRequest(RequestedVersion(parts[0], parts[1], parts[2] if len(parts) > 2 else None, source))


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        pytest.param(None, "3.14.7", id="default-newest"),
        pytest.param("3.12", "3.12.14", id="minor-newest-patch"),
        pytest.param("3.12.13", "3.12.13", id="exact"),
        pytest.param("3.11", "3.11.16", id="oldest-supported"),
    ],
)
def test_resolve(requested, expected):
    resolution = resolve(req(requested) if requested else VersionRequest(), AVAILABLE, TODAY)
    assert resolution.version == expected
    assert resolution.warnings == ()


@pytest.mark.parametrize("requested", ["2.7", "3.6", "3.6.15", "3.9", "3.10", "3.10.19"])
def test_resolve_eol(requested):
    with pytest.raises(PythonVersionEol) as info:
        resolve(req(requested), AVAILABLE, TODAY)
    assert info.value.supported == "3.11 to 3.14"
    assert info.value.source == "runtime.txt"


def test_versions_before_3_11_are_refused_even_in_a_custom_manifest():
    with pytest.raises(PythonVersionEol):
        resolve(req("3.10"), ["3.10.19", *AVAILABLE], TODAY)
    assert resolve(VersionRequest(), ["3.10.19"] + AVAILABLE[:1], TODAY).version == "3.11.16"


@pytest.mark.parametrize("requested", ["3.12.99", "3.15", "3.16", "4.0"])
def test_resolve_unknown(requested):
    with pytest.raises(PythonVersionUnknown) as info:
        resolve(req(requested), AVAILABLE, TODAY)
    assert info.value.known == AVAILABLE


AFTER_311_EOL = datetime.date(2027, 11, 1)


@pytest.mark.parametrize(
    ("request_", "today", "version", "warning"),
    [
        pytest.param(req("3.11"), datetime.date(2027, 10, 31), "3.11.16", None, id="on-the-eol-day-no-warning"),
        pytest.param(req("3.11"), AFTER_311_EOL, "3.11.16",
                     PastEndOfLife("3.11.16", datetime.date(2027, 10, 31), "runtime.txt", "3.12 to 3.14"),
                     id="explicit-past-eol-builds-with-warning"),
        pytest.param(req("3.11.16", ".python-version"), datetime.date(2029, 1, 1), "3.11.16",
                     PastEndOfLife("3.11.16", datetime.date(2027, 10, 31), ".python-version", "3.13 to 3.14"),
                     id="years-later"),
        pytest.param(requested_python(VersionFiles(pyproject_toml=PYPROJECT.format("<3.12"))), AFTER_311_EOL,
                     "3.11.16", PastEndOfLife("3.11.16", datetime.date(2027, 10, 31), "pyproject.toml",
                                              "3.12 to 3.14"), id="constraint-past-eol"),
        pytest.param(requested_python(VersionFiles(pyproject_toml=PYPROJECT.format(">=3.11"))), AFTER_311_EOL,
                     "3.14.7", None, id="constraint-prefers-newest"),
        pytest.param(VersionRequest(), AFTER_311_EOL, "3.14.7", None, id="default"),
    ],
)
def test_end_of_life_warns_instead_of_failing(request_, today, version, warning):
    resolution = resolve(request_, AVAILABLE, today)
    assert resolution.version == version
    assert resolution.warnings == ((warning,) if warning else ())


def test_end_of_life_warning_text():
    title, body = warning_text(PastEndOfLife("3.11.16", datetime.date(2027, 10, 31), "runtime.txt", "3.12 to 3.14"))
    assert title == "Python 3.11 has reached its end of life"
    assert body == (
        "Python 3.11.16 reached its upstream end of life on 2027-10-31 and no longer gets security fixes.\n"
        "This buildpack release still installs it, but a coming release will remove it.\n\n"
        "Versions that still get fixes: 3.12 to 3.14.\n"
        "Move to a newer version in runtime.txt and check that your app works on it.")
    _, default = warning_text(PastEndOfLife("3.14.7", datetime.date(2030, 10, 31), None, "none"))
    assert default.endswith("will remove it.\n\nUse a newer release of this buildpack.")


def test_a_version_past_eol_and_gone_from_the_manifest_is_refused_as_eol():
    with pytest.raises(PythonVersionEol):
        resolve(req("3.11"), AVAILABLE[1:], AFTER_311_EOL)


def test_supported_range():
    assert supported_range(AVAILABLE) == "3.11 to 3.14"
    assert supported_range(AVAILABLE, AFTER_311_EOL) == "3.12 to 3.14"
    assert supported_range(["3.13.1"]) == "3.13"
    assert supported_range(["3.10.19"]) == "none"
    assert supported_range(["3.16.0", "3.12.1"]) == "3.12 to 3.16"


# ---- a version variable (GOOGLE_PYTHON_VERSION, BP_CPYTHON_VERSION: google_paketo_compat) ---------------------
def variable_request(files, value, name="GOOGLE_PYTHON_VERSION"):
    return _requested_python(files, VERSION_SOURCES, (name, value))


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param("3.12", "3.12.14", id="minor"), pytest.param("3.12.13", "3.12.13", id="patch"),
    pytest.param("3.12.x", "3.12.14", id="google-x"), pytest.param("3.12.*", "3.12.14", id="paketo-star"),
    pytest.param(" 3.13 ", "3.13.15", id="whitespace"),
])
def test_a_version_variable_is_an_explicit_request(value, expected):
    resolution = resolve(variable_request({}, value), AVAILABLE, TODAY)
    assert resolution.version == expected and resolution.warnings == ()
    assert resolution.reason == f"requested {value.strip().rstrip('.x*').rstrip('.')} in GOOGLE_PYTHON_VERSION"


@pytest.mark.parametrize("value", ["3", "3.x", "~3.12", ">=3.12", "python-3.12", "3.12.1.2"])
def test_a_version_variable_that_is_not_a_version(value):
    with pytest.raises(PythonVersionMalformed) as info:
        variable_request({}, value, "BP_CPYTHON_VERSION")
    title, body = render_error(info.value)
    assert title == "Invalid Python version"
    assert body.startswith(f"The Python version in BP_CPYTHON_VERSION is not valid: '{value}'.\n\n"
                           "Set BP_CPYTHON_VERSION to a version like '3.13', '3.13.5' or '3.13.x' (any 3.13)")


def test_the_variable_wins_over_the_version_files_and_a_file_that_disagrees_is_reported():
    files = VersionFiles(runtime_txt="python-3.12.13\n", python_version="3.11\n")
    resolution = resolve(variable_request(files, "3.12"), AVAILABLE, TODAY)
    assert (resolution.version, resolution.reason) == ("3.12.14", "requested 3.12 in GOOGLE_PYTHON_VERSION")
    assert resolution.warnings == (
        VersionFileOverridden("GOOGLE_PYTHON_VERSION", "3.12", "3.12.14", "runtime.txt", "python-3.12.13"),
        VersionFileOverridden("GOOGLE_PYTHON_VERSION", "3.12", "3.12.14", ".python-version", "3.11"))
    title, body = warning_text(resolution.warnings[1])
    assert title == "GOOGLE_PYTHON_VERSION overrides .python-version"
    assert body == ("GOOGLE_PYTHON_VERSION asks for Python 3.12 and .python-version for '3.11'; the variable wins "
                    "(Python 3.12.14),\nas in Google's and Paketo's buildpacks. Change .python-version to match, or "
                    "unset GOOGLE_PYTHON_VERSION, so they cannot disagree.")


def test_a_file_that_agrees_with_the_variable_is_not_reported():
    files = VersionFiles(runtime_txt="python-3.12\n", python_version="3.12.14\n")
    assert resolve(variable_request(files, "3.12.x"), AVAILABLE, TODAY).warnings == ()


def test_a_file_the_variable_wins_over_need_not_be_a_version():
    """A pyenv virtualenv's name in .python-version is not read when the variable asks for the version."""
    resolution = resolve(variable_request(VersionFiles(python_version="myproject-env\n"), "3.13"), AVAILABLE, TODAY)
    assert resolution.version == "3.13.15"
    assert resolution.warnings == (
        VersionFileOverridden("GOOGLE_PYTHON_VERSION", "3.13", "3.13.15", ".python-version", "myproject-env"),)


def test_a_range_the_variable_does_not_satisfy_is_the_usual_conflict_naming_the_variable():
    files = VersionFiles(pyproject_toml=PYPROJECT.format(">=3.12"))
    with pytest.raises(PythonVersionConflict) as info:
        resolve(variable_request(files, "3.11", "BP_CPYTHON_VERSION"), AVAILABLE, TODAY)
    title, body = render_error(info.value)
    assert title == "BP_CPYTHON_VERSION and pyproject.toml disagree"
    assert body == (
        "BP_CPYTHON_VERSION asks for Python 3.11 (Python 3.11.16), but pyproject.toml declares requires-python "
        "'>=3.12',\nwhich that version does not satisfy.\n\n"
        "1. Change BP_CPYTHON_VERSION to a version that satisfies '>=3.12', for example '3.14'\n"
        "   (this buildpack has 3.12.13, 3.12.14, 3.13.15, 3.14.7), or unset BP_CPYTHON_VERSION to get the newest "
        "one.\n2. Or, if your app works on Python 3.11, change requires-python in pyproject.toml to include it.")


def test_a_version_the_manifest_does_not_have_names_the_variable():
    with pytest.raises(PythonVersionUnknown) as info:
        resolve(variable_request({}, "3.12.99", "GOOGLE_RUNTIME_VERSION"), AVAILABLE, TODAY)
    assert render_error(info.value)[1].startswith("GOOGLE_RUNTIME_VERSION asks for Python '3.12.99'")
