"""Free-threaded versions ('3.14t'): parsing, selection against the manifest's free-threaded builds, the log line,
and the errors; the end-of-life table and the default (the newest minor of the built-in manifest)."""

import datetime
from pathlib import Path

import pytest
from python_cnb.cnb import toml_io
from python_cnb.errors import (
    FreeThreadedUnavailable,
    PastEndOfLife,
    PythonVersionConflict,
    PythonVersionEol,
    PythonVersionMalformed,
    PythonVersionUnknown,
    VersionFileOverridden,
    render_error,
)
from python_cnb.manifest import load_manifest
from python_cnb.package_managers import VERSION_SOURCES
from python_cnb.python_version import (
    EOL_DATES,
    RequestedVersion,
    parse_python_version_file,
    parse_runtime_txt,
    parse_version_variable,
    requested_python,
    resolve,
)

REPO = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 7)
DEFAULT = ["3.11.18", "3.12.16", "3.13.18", "3.14.9", "3.14.10", "3.15.2"]
THREADED = ["3.14.9", "3.14.10", "3.15.2"]


def request(**texts):
    names = {"runtime_txt": "runtime.txt", "python_version": ".python-version", "pyproject_toml": "pyproject.toml"}
    return requested_python({names[k]: v for k, v in texts.items()}, VERSION_SOURCES)


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        pytest.param(parse_python_version_file, "3.14t\n", (3, 14, None, True), id="python-version-minor"),
        pytest.param(parse_python_version_file, "3.14.2t\n", (3, 14, 2, True), id="python-version-patch"),
        pytest.param(parse_python_version_file, "3.15t # free threading\n", (3, 15, None, True), id="comment"),
        pytest.param(parse_python_version_file, "3.14\n", (3, 14, None, False), id="default-build"),
        pytest.param(parse_runtime_txt, "python-3.15t", (3, 15, None, True), id="runtime-minor"),
        pytest.param(parse_runtime_txt, "python-3.14.2t\n", (3, 14, 2, True), id="runtime-patch"),
        pytest.param(parse_runtime_txt, "3.14t", (3, 14, None, True), id="runtime-bare"),
    ],
)
def test_parse_free_threaded(parse, text, expected):
    parsed = parse(text)
    assert (parsed.major, parsed.minor, parsed.patch, parsed.freethreaded) == expected
    assert str(parsed) == text.split("#")[0].strip().removeprefix("python-")


@pytest.mark.parametrize("value", ["3.14t", "3.14.2t", "3.15t"])
def test_a_version_variable_can_ask_for_free_threading(value):
    assert parse_version_variable(value, "GOOGLE_PYTHON_VERSION").freethreaded


@pytest.mark.parametrize("text", ["3.14T", "3t", "3.14tt", "3.14-t", "3.14 t", "t3.14", "3.14t.1", "3.14.x t"])
def test_malformed_free_threaded_versions(text):
    with pytest.raises(PythonVersionMalformed):
        parse_python_version_file(text)


@pytest.mark.parametrize(
    ("texts", "version", "freethreaded", "summary"),
    [
        pytest.param({"python_version": "3.14t"}, "3.14.10", True,
                     "Using Python 3.14.10 (free-threaded), requested 3.14t in .python-version", id="minor"),
        pytest.param({"python_version": "3.14.9t"}, "3.14.9", True,
                     "Using Python 3.14.9 (free-threaded), requested 3.14.9t in .python-version", id="exact-patch"),
        pytest.param({"runtime_txt": "python-3.15t"}, "3.15.2", True,
                     "Using Python 3.15.2 (free-threaded), requested 3.15t in runtime.txt", id="runtime-txt"),
        pytest.param({"python_version": "3.14"}, "3.14.10", False,
                     "Using Python 3.14.10 (requested 3.14 in .python-version)", id="without-t-the-default-build"),
        pytest.param({"pyproject_toml": '[project]\nrequires-python = ">=3.14"\n'}, "3.15.2", False,
                     "Using Python 3.15.2 (requires-python '>=3.14' in pyproject.toml)",
                     id="requires-python-never-selects-it"),
        pytest.param({"python_version": "3.14t", "pyproject_toml": '[project]\nrequires-python = ">=3.14"\n'},
                     "3.14.10", True, "Using Python 3.14.10 (free-threaded), requested 3.14t in .python-version",
                     id="within-requires-python"),
    ],
)
def test_resolve_free_threaded(texts, version, freethreaded, summary):
    resolution = resolve(request(**texts), DEFAULT, TODAY, THREADED)
    assert (resolution.version, resolution.freethreaded, resolution.summary()) == (version, freethreaded, summary)
    assert resolution.requested_by == (summary.rsplit(" in ", 1)[-1] if freethreaded else "")


def test_free_threaded_outside_requires_python_is_a_conflict():
    with pytest.raises(PythonVersionConflict):
        resolve(request(python_version="3.14t", pyproject_toml='[project]\nrequires-python = ">=3.15"\n'),
                DEFAULT, TODAY, THREADED)


@pytest.mark.parametrize(
    ("value", "threaded", "available", "default_build"),
    [
        pytest.param("3.13t", THREADED, ["3.14.9t", "3.14.10t", "3.15.2t"], True, id="no-3.13t-build"),
        pytest.param("3.14t", [], [], True, id="manifest-without-free-threaded-builds"),
        pytest.param("3.16t", THREADED, ["3.14.9t", "3.14.10t", "3.15.2t"], False, id="unknown-minor"),
    ],
)
def test_free_threaded_build_unavailable(value, threaded, available, default_build):
    with pytest.raises(FreeThreadedUnavailable) as info:
        resolve(request(python_version=value), DEFAULT, TODAY, threaded)
    assert (info.value.source, info.value.value) == (".python-version", value)
    assert (list(info.value.available), info.value.default_build) == (available, default_build)


def test_free_threaded_unavailable_message():
    title, body = render_error(FreeThreadedUnavailable(source=".python-version", value="3.13t",
                                                       available=["3.14.10t", "3.15.2t"], default_build=True))
    assert title == "Free-threaded Python build not available"
    assert body == (
        ".python-version asks for Python '3.13t', the free-threaded build of Python 3.13, but the\n"
        "interpreter manifest has no free-threaded build of it. Free-threaded builds it has: 3.14.10t, 3.15.2t.\n\n"
        "1. Request a free-threaded version it has, for example '3.15t'.\n"
        "2. Request '3.13' (without the 't') for the default build, which it has.\n"
        "3. Or set BP_PYTHON_MANIFEST to a manifest of your own whose entry for it has freethreaded = true\n"
        "   (see docs/python-version.md).")


def test_an_unknown_free_threaded_patch_lists_the_free_threaded_builds():
    with pytest.raises(PythonVersionUnknown) as info:
        resolve(request(python_version="3.14.2t"), DEFAULT, TODAY, THREADED)
    assert list(info.value.known) == ["3.14.9t", "3.14.10t", "3.15.2t"]
    assert info.value.value == "3.14.2t"


def test_a_free_threaded_minor_past_end_of_life_is_refused_as_such():
    with pytest.raises(PythonVersionEol):
        resolve(request(python_version="3.10t"), DEFAULT, TODAY, THREADED)


def test_a_free_threaded_build_past_end_of_life_warns():
    after = datetime.date(2030, 11, 1)
    resolution = resolve(request(python_version="3.14t"), DEFAULT, after, THREADED)
    assert resolution.warnings == (PastEndOfLife("3.14.10", datetime.date(2030, 10, 31), ".python-version",
                                                 "3.15"),)


def test_a_variable_and_a_file_that_disagree_on_free_threading_warn():
    req = requested_python({".python-version": "3.14"}, VERSION_SOURCES, ("GOOGLE_PYTHON_VERSION", "3.14t"))
    resolution = resolve(req, DEFAULT, TODAY, THREADED)
    assert resolution.freethreaded
    assert resolution.warnings == (VersionFileOverridden("GOOGLE_PYTHON_VERSION", "3.14t", "3.14.10",
                                                         ".python-version", "3.14"),)
    agreeing = requested_python({".python-version": "3.14t"}, VERSION_SOURCES, ("GOOGLE_PYTHON_VERSION", "3.14t"))
    assert resolve(agreeing, DEFAULT, TODAY, THREADED).warnings == ()


def test_the_requested_version_keeps_its_t():
    assert str(RequestedVersion(3, 14, 2, ".python-version", True)) == "3.14.2t"
    assert str(RequestedVersion(3, 14, None, ".python-version")) == "3.14"


# ---- the end-of-life table and the default --------------------------------------------------------------------
def test_end_of_life_table():
    assert EOL_DATES[(3, 11)].isoformat().startswith("2027-10")
    assert sorted(EOL_DATES) == [(3, 11), (3, 12), (3, 13), (3, 14), (3, 15)]
    assert all(EOL_DATES[a] < EOL_DATES[b] for a, b in zip(sorted(EOL_DATES), sorted(EOL_DATES)[1:]))


def _builtin():
    builds, _ = load_manifest(toml_io.read(REPO / "buildpack.toml"), {}, REPO)
    return builds


def test_every_minor_of_the_built_in_manifest_has_an_end_of_life_date():
    minors = {tuple(int(n) for n in b.version.split(".")[:2]) for b in _builtin()}
    assert minors <= set(EOL_DATES)


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_the_default_is_the_newest_minor_of_the_built_in_manifest(arch):
    builds = [b for b in _builtin() if b.arch == arch]
    newest = max((b for b in builds if not b.freethreaded), key=lambda b: tuple(map(int, b.version.split("."))))
    resolution = resolve(request(), [b.version for b in builds if not b.freethreaded], TODAY,
                         [b.version for b in builds if b.freethreaded])
    assert resolution.version == newest.version
    assert resolution.version.startswith("3.15.") and not resolution.freethreaded
    threaded = resolve(request(python_version="3.15t"), [b.version for b in builds if not b.freethreaded], TODAY,
                       [b.version for b in builds if b.freethreaded])
    assert threaded.freethreaded and threaded.version == resolution.version


# ---- the manifest's flag, and the layouts of a free-threaded interpreter ---------------------------------------
ENTRY = ('[[python]]\nversion = "3.14.10"\narch = "amd64"\n'
         'url = "https://github.com/astral-sh/python-build-standalone/releases/download/1/a.tar.gz"\n'
         f'sha256 = "{"a" * 64}"\n')


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param("", False, id="a-manifest-from-before-free-threading-reads-as-before"),
        pytest.param("freethreaded = false\n", False, id="false"),
        pytest.param("freethreaded = true\n", True, id="true"),
    ],
)
def test_manifest_free_threaded_flag(tmp_path, extra, expected):
    (tmp_path / "m.toml").write_text(ENTRY + extra)
    builds, _ = load_manifest({}, {"BP_PYTHON_MANIFEST": "m.toml"}, tmp_path)
    assert [(b.version, b.freethreaded, b.label, b.described) for b in builds] == [
        ("3.14.10", expected, "3.14.10t" if expected else "3.14.10",
         "3.14.10 (free-threaded)" if expected else "3.14.10")]
    mirrored, _ = load_manifest({}, {"BP_PYTHON_MANIFEST": "m.toml", "BP_PYTHON_MIRROR_URL": "https://m.example"},
                                tmp_path)
    assert mirrored[0].freethreaded is expected and mirrored[0].url == "https://m.example/1/a.tar.gz"


def test_a_free_threaded_flag_that_is_not_a_boolean_is_refused(tmp_path):
    from python_cnb.errors import ManifestError
    (tmp_path / "m.toml").write_text(ENTRY + 'freethreaded = "yes"\n')
    with pytest.raises(ManifestError) as info:
        load_manifest({}, {"BP_PYTHON_MANIFEST": "m.toml"}, tmp_path)
    assert info.value.reason == "entry 1 has freethreaded 'yes', not true or false"


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_the_built_in_manifest_has_free_threaded_builds_of_3_14_and_3_15(arch):
    threaded = sorted(b.version.rsplit(".", 1)[0] for b in _builtin() if b.arch == arch and b.freethreaded)
    assert threaded == ["3.14", "3.15"]
    assert all("-freethreaded-install_only_stripped.tar.gz" in b.url for b in _builtin() if b.freethreaded)
    assert not any("freethreaded" in b.url for b in _builtin() if not b.freethreaded)


def _threaded_prefix(root):
    """The parts of a free-threaded python-build-standalone tree the layout code reads (lib/python3.14t)."""
    lib = root / "lib" / "python3.14t"
    (lib / "venv" / "scripts" / "posix").mkdir(parents=True)
    (lib / "venv" / "__init__.py").write_text("")
    (lib / "site-packages").mkdir()
    (root / "bin").mkdir()
    (root / "bin" / "python3").write_text("")
    (root / "include" / "python3.14t").mkdir(parents=True)
    (root / "include" / "python3.14t" / "patchlevel.h").write_text(
        "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 14\n#define PY_MICRO_VERSION 10\n")
    return root


def test_a_free_threaded_layout_gets_the_real_venv_and_its_paths_are_found(tmp_path):
    from python_cnb.bytecode import cache_tag
    from python_cnb.venv_layout import site_packages_dirs, stdlib_dirs, write_venv
    prefix = _threaded_prefix(tmp_path / "python")
    assert write_venv(prefix, tmp_path / "venv") is False, "python -m venv writes it"
    assert not (tmp_path / "venv").exists()
    assert site_packages_dirs(prefix) == [prefix / "lib" / "python3.14t" / "site-packages"]
    assert stdlib_dirs(prefix) == [prefix / "lib" / "python3.14t"]
    assert cache_tag(prefix / "bin" / "python3") == "cpython-314", "sys.implementation.cache_tag has no 't'"
