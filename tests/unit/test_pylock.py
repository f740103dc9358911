"""pylock.toml (PEP 751) on plain data: which lock file an app installs, the checks the buildpack makes of it, its
requires-python as a version source, uv's command and uv's failures explained. The uv outputs below are what the
pinned uv (0.13.9) printed on this project's machines (requirements/NOTES.md)."""

import datetime
from pathlib import Path

import pytest
from python_cnb import detect
from python_cnb.app_files import AppFiles, Entry
from python_cnb.errors import (
    ChosenFileInvalid,
    InvalidTomlFile,
    LockfileMissing,
    LockFilesAmbiguous,
    PackageManagerConflict,
    PylockArtifactUnhashed,
    PylockHashMismatch,
    PylockNoArtifact,
    PylockVersionUnsupported,
    PythonVersionConflict,
    render_error,
)
from python_cnb.package_managers import choose_install_method, pylock, version_sources
from python_cnb.package_managers.base import InstallPaths
from python_cnb.python_version import requested_python, resolve

REPO = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 7)
PATHS = InstallPaths(app_dir=Path("/workspace"), venv_dir=Path("/layers/python/venv"),
                     pip_python=Path("/layers/python/pip/venv/bin/python"), tool_bin=Path("/layers/python/uv/bin"),
                     cache_dir=Path("/layers/python/uv-cache"), link_mode="hardlink")

WHEEL = ('{ url = "https://files.example/flask-3.0.3-py3-none-any.whl", size = 101735, '
         'hashes = { sha256 = "34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3" } }')
LOCK = ('lock-version = "1.0"\ncreated-by = "uv"\nrequires-python = ">=3.12"\n\n'
        f'[[packages]]\nname = "flask"\nversion = "3.0.3"\nwheels = [{WHEEL}]\n')
PROJECT = "[project]\nname = 'app'\nversion = '1'\n"


def _files(spec):
    return AppFiles({name: Entry.FILE for name in spec}, dict(spec))


def _choose(spec, requested="", env=None):
    return choose_install_method(_files(spec), requested, env=env or {})


# ---- which file -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "env", "chosen"), [
    pytest.param({"pylock.toml": LOCK}, {}, "pylock.toml", id="pylock-toml"),
    pytest.param({"pylock.prod.toml": LOCK}, {}, "pylock.prod.toml", id="one-named-lock"),
    pytest.param({"pylock.toml": LOCK, "pylock.dev.toml": LOCK}, {}, "pylock.toml", id="the-default-wins"),
    pytest.param({"pylock.dev.toml": LOCK, "pylock.prod.toml": LOCK}, {"BP_PYTHON_PYLOCK": "pylock.prod.toml"},
                 "pylock.prod.toml", id="the-variable-names-one-of-several"),
    pytest.param({"pylock.toml": LOCK, "pylock.dev.toml": LOCK}, {"BP_PYTHON_PYLOCK": "pylock.dev.toml"},
                 "pylock.dev.toml", id="the-variable-wins-over-the-default"),
    pytest.param({"pylock.toml": LOCK, "pyproject.toml": PROJECT}, {}, "pylock.toml",
                 id="with-its-project-file"),
])
def test_the_lock_file_an_app_installs(spec, env, chosen):
    choice = _choose(spec, env=env)
    assert choice.method.name == "pylock" and choice.files == (chosen,)
    assert choice.describe("pip") == f"Installing the dependencies locked in {chosen} with uv"
    assert detect.is_python_project(_files(spec))


def test_several_named_locks_without_the_setting_fail_with_both_fixes():
    with pytest.raises(LockFilesAmbiguous) as info:
        _choose({"pylock.prod.toml": LOCK, "pylock.dev.toml": LOCK, "wsgi.py": ""})
    assert info.value.files == ("pylock.dev.toml", "pylock.prod.toml")
    title, body = render_error(info.value)
    assert title == "Several lock files found"
    assert " - pylock.dev.toml\n - pylock.prod.toml" in body
    assert "set BP_PYTHON_PYLOCK to the one to install" in body and "pylock.toml (the default)" in body


@pytest.mark.parametrize(("value", "problem"), [
    ("pylock.staging.toml", "there is no such file at the app's root"),
    ("requirements.txt", "it is not a name pylock installs (pylock.toml or pylock.<name>.toml)"),
    ("locks/pylock.prod.toml", "it is not a name pylock installs (pylock.toml or pylock.<name>.toml)"),
])
def test_a_setting_that_names_no_lock_of_the_app(value, problem):
    with pytest.raises(ChosenFileInvalid) as info:
        _choose({"pylock.prod.toml": LOCK, "pylock.dev.toml": LOCK}, env={"BP_PYTHON_PYLOCK": value})
    title, body = render_error(info.value)
    assert title == "BP_PYTHON_PYLOCK names no usable lock file"
    assert f"but {problem}." in body and "The app's lock files: pylock.dev.toml, pylock.prod.toml." in body


def test_names_pep_751_does_not_give_a_lock_select_nothing():
    """pylock.a.b.toml (a dot in the name) is not a lock name: uv and pip refuse to write it."""
    files = _files({"pylock.a.b.toml": LOCK, "wsgi.py": ""})
    assert choose_install_method(files).method.name == "none"
    assert not detect.is_python_project(_files({"pylock.a.b.toml": LOCK}))


def test_pylock_next_to_another_managers_lock_is_the_usual_conflict():
    with pytest.raises(PackageManagerConflict) as info:
        _choose({"pylock.toml": LOCK, "uv.lock": "", "pyproject.toml": PROJECT})
    assert info.value.managers == ("pylock", "uv") and info.value.files == ("pylock.toml", "uv.lock")
    _, body = render_error(info.value)
    assert "BP_PYTHON_PACKAGE_MANAGER to the one to use (pylock or uv)" in body
    forced = _choose({"pylock.toml": LOCK, "uv.lock": "", "pyproject.toml": PROJECT}, "pylock")
    assert forced.method.name == "pylock" and forced.ignored == ("uv.lock",)
    other = _choose({"pylock.prod.toml": LOCK, "requirements.txt": ""}, "pip")
    assert other.method.name == "pip" and other.ignored == ("pylock.prod.toml",)
    with pytest.raises(PackageManagerConflict):
        _choose({"pylock.prod.toml": LOCK, "requirements.txt": ""})


def test_asking_for_pylock_without_a_lock_names_the_command_that_writes_one():
    with pytest.raises(LockfileMissing) as info:
        _choose({"requirements.txt": ""}, "pylock")
    title, body = render_error(info.value)
    assert title == "No pylock.toml found"
    assert "Run 'uv export --format pylock.toml -o pylock.toml' in the app and commit pylock.toml" in body


# ---- the checks of the lock ---------------------------------------------------------------------------------------

def test_the_facts_of_a_lock():
    text = LOCK.replace('requires-python = ">=3.12"\n', 'requires-python = ">=3.12"\nextras = ["web"]\n'
                        'dependency-groups = ["default", "dev"]\ndefault-groups = ["default"]\n')
    facts = pylock.read_lock(text, "pylock.toml")
    assert facts == pylock.PylockFacts(requires_python=">=3.12", default_groups=("default",),
                                       dependency_groups=("default", "dev"), extras=("web",))
    assert pylock.read_lock(LOCK.replace('"1.0"', '"1.1"'), "pylock.toml").requires_python == ">=3.12"


@pytest.mark.parametrize(("edit", "shown"), [
    (('lock-version = "1.0"', 'lock-version = "2.0"'), "lock-version '2.0'"),
    (('lock-version = "1.0"', 'lock-version = 1'), "no lock-version string"),
    (('lock-version = "1.0"\n', ''), "no lock-version string"),
])
def test_a_lock_version_other_than_1_fails(edit, shown):
    with pytest.raises(PylockVersionUnsupported) as info:
        pylock.read_lock(LOCK.replace(*edit), "pylock.prod.toml")
    title, body = render_error(info.value)
    assert title == "Unsupported lock-version in pylock.prod.toml"
    assert body.startswith(f"pylock.prod.toml has {shown}. ")
    assert "'uv export --format pylock.toml -o pylock.prod.toml'" in body


@pytest.mark.parametrize("hashes", ['hashes = {}', 'hashes = { sha256 = "" }'])
def test_an_artifact_without_a_hash_fails(hashes):
    """uv installs an artifact with `hashes = {}` and checks nothing; PEP 751 requires a hash."""
    text = LOCK.replace('hashes = { sha256 = "34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3" }',
                        hashes)
    with pytest.raises(PylockArtifactUnhashed) as info:
        pylock.read_lock(text, "pylock.toml")
    assert (info.value.package, info.value.artifact) == ("flask", "https://files.example/flask-3.0.3-py3-none-any.whl")
    title, _ = render_error(info.value)
    assert title == "An artifact in pylock.toml has no hash"
    sdist = LOCK + '\n[[packages]]\nname = "docopt"\nversion = "0.6.2"\nsdist = { name = "docopt-0.6.2.tar.gz", ' \
                   'url = "https://files.example/docopt-0.6.2.tar.gz" }\n'
    with pytest.raises(PylockArtifactUnhashed) as sdist_info:
        pylock.read_lock(sdist, "pylock.toml")
    assert (sdist_info.value.package, sdist_info.value.artifact) == ("docopt", "docopt-0.6.2.tar.gz")


def test_directory_and_vcs_entries_need_no_hash():
    text = LOCK + ('\n[[packages]]\nname = "app"\ndirectory = { path = ".", editable = true }\n'
                   '\n[[packages]]\nname = "lib"\nvcs = { type = "git", url = "https://git.example/lib", '
                   'commit-id = "0123456789abcdef" }\n')
    assert pylock.read_lock(text, "pylock.toml").requires_python == ">=3.12"


def test_invalid_toml_names_the_chosen_file_line_and_column():
    spec = {"pylock.prod.toml": 'lock-version = "1.0"\n[[packages]\nname = "x"\n'}
    choice = _choose(spec)
    with pytest.raises(InvalidTomlFile) as info:
        requested_python(spec, version_sources(choice))
    assert (info.value.path, info.value.line, info.value.column) == ("pylock.prod.toml", 2, 11)
    title, body = render_error(info.value)
    assert title == "Invalid pylock.prod.toml" and "at line 2, column 11" in body


# ---- requires-python ------------------------------------------------------------------------------------------------

def test_requires_python_of_the_chosen_lock_is_a_version_source():
    spec = {"pylock.prod.toml": LOCK.replace(">=3.12", "<3.12"), "pylock.toml.orig": LOCK}
    choice = _choose(spec)
    request = requested_python(spec, version_sources(choice))
    assert [str(c) for c in request.constraints] == ["requires-python '<3.12' in pylock.prod.toml"]
    assert resolve(request, ["3.11.7", "3.12.1"], TODAY).version == "3.11.7"
    # The default file when the app has it, whatever method installs it.
    plain = requested_python({"pylock.toml": LOCK}, version_sources())
    assert [str(c) for c in plain.constraints] == ["requires-python '>=3.12' in pylock.toml"]
    assert "pylock.toml" in plain.looked_in


def test_a_version_file_that_the_lock_does_not_allow_is_the_usual_conflict():
    spec = {"pylock.prod.toml": LOCK, ".python-version": "3.11\n"}
    request = requested_python(spec, version_sources(_choose(spec)))
    with pytest.raises(PythonVersionConflict) as info:
        resolve(request, ["3.11.7", "3.12.1"], TODAY)
    title, body = render_error(info.value)
    assert title == "Python version files disagree"
    assert "pylock.prod.toml" in body and "'>=3.12'" in body


# ---- uv's command and its failures ----------------------------------------------------------------------------------

def test_the_sync_command_names_the_lock_and_the_preview_switch():
    (command,) = pylock.commands(PATHS, "pylock.prod.toml")
    assert command.argv == ("/layers/python/uv/bin/uv", "pip", "sync", "--preview-features", "pylock", "--python",
                            "/layers/python/venv/bin/python", "--link-mode", "hardlink", "pylock.prod.toml")
    assert command.shown == "uv pip sync --preview-features pylock --link-mode hardlink pylock.prod.toml"


def test_the_tool_env_is_uv_pips():
    env = pylock.tool_env({"PIP_INDEX_URL": "https://mirror.example/simple", "UV_COMPILE_BYTECODE": "1",
                           "PATH": "/usr/bin"}, PATHS)
    assert env["UV_DEFAULT_INDEX"] == "https://mirror.example/simple"
    assert env["UV_CACHE_DIR"] == "/layers/python/uv-cache" and env["UV_PYTHON_DOWNLOADS"] == "never"
    assert "UV_COMPILE_BYTECODE" not in env and env["UV_NO_CONFIG"] == "1"


UV_NO_ARTIFACT = (
    "Using Python 3.12.1 environment at: /layers/python/venv\n"
    "error: Package `markupsafe` can't be installed because it doesn't have a source distribution or wheel for the "
    "current platform\n\n"
    "hint: You're on Linux (`manylinux_2_36_x86_64`), but `markupsafe` (v3.0.4) only has wheels for the following "
    "platform: `win_amd64`; consider adding \"sys_platform == 'linux' and platform_machine == 'x86_64'\" to "
    "`tool.uv.required-environments` to ensure uv resolves to a version with compatible wheels\n")
UV_HASH_MISMATCH = (
    "error: Failed to download `werkzeug==3.1.9`\n  cause: Hash mismatch for `werkzeug==3.1.9`\n\n"
    "         Expected:\n           sha256:6392e50c78460ba618e5b21f08a71f59c99ce99cdc6cf6e3dd7e6ccca8754fac\n\n"
    "         Computed:\n           sha256:6392e50c78460ba618e5b21f08a71f59c99ce99cdc6cf6e3dd7e6ccca8754fab\n")


def test_no_artifact_for_this_platform_names_the_package_and_the_platform():
    error = pylock.explain(UV_NO_ARTIFACT, "pylock.toml", "uv pip sync ...")
    assert isinstance(error, PylockNoArtifact)
    assert (error.package, error.platform, error.available) == (
        "markupsafe", "Linux (`manylinux_2_36_x86_64`)", "`win_amd64`")
    title, body = render_error(error)
    assert title == "pylock.toml has nothing of markupsafe for this platform"
    assert "package 'markupsafe' that this\nPython and platform (Linux (`manylinux_2_36_x86_64`)) can install" in body
    assert "The lock has wheels of it only for: `win_amd64`." in body


def test_a_hash_mismatch_names_the_package():
    error = pylock.explain(UV_HASH_MISMATCH, "pylock.toml", "uv pip sync ...")
    assert isinstance(error, PylockHashMismatch) and error.package == "werkzeug==3.1.9"
    title, _ = render_error(error)
    assert title == "A download does not match pylock.toml"
    assert pylock.explain("error: Request failed after 3 retries\n", "pylock.toml", "uv pip sync") is None


def test_the_reuse_key_is_the_chosen_lock_and_pyproject(tmp_path):
    (tmp_path / "pylock.prod.toml").write_text(LOCK)
    inputs = pylock.METHOD.read_inputs(tmp_path, {})
    assert inputs.files == "pylock.prod.toml, pyproject.toml"
    (tmp_path / "pylock.prod.toml").write_text(LOCK.replace("3.0.3", "3.0.2"))
    assert pylock.METHOD.read_inputs(tmp_path, {}).digest != inputs.digest
    (tmp_path / "pylock.prod.toml").write_text(LOCK.replace('"1.0"', '"2.0"'))
    with pytest.raises(PylockVersionUnsupported):
        pylock.METHOD.read_inputs(tmp_path, {})
