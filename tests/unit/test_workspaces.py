"""uv workspaces and relative paths: finding the workspace whose lock covers APP_HOME, the choice it makes, and the
local paths each method reports (inside the source, or an error naming the path). Small trees of plain files."""

from pathlib import Path

import pytest
from python_cnb.analysis import _check_local_paths
from python_cnb.app_files import read_app_files
from python_cnb.errors import LocalPathOutsideSource, render_error
from python_cnb.package_managers import choose_install_method, find_workspace, pip_requirements, uv_lock

ROOT_PYPROJECT = ('[project]\nname = "root"\nversion = "1"\n[tool.uv.workspace]\nmembers = ["services/*"]\n'
                  'exclude = ["services/legacy"]\n')
MEMBER = '[project]\nname = "{name}"\nversion = "1"\n'


def _tree(root: Path, files: dict) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def workspace(tmp_path):
    return _tree(tmp_path, {"pyproject.toml": ROOT_PYPROJECT, "uv.lock": "version = 1\n",
                            "services/api/pyproject.toml": MEMBER.format(name="api"),
                            "services/legacy/pyproject.toml": MEMBER.format(name="legacy"),
                            "tools/x/pyproject.toml": MEMBER.format(name="x")})


def test_a_member_is_installed_from_the_workspace_lock(workspace):
    app_dir = workspace / "services/api"
    enclosing = find_workspace(workspace, app_dir)
    assert enclosing is not None and enclosing.method is uv_lock.METHOD
    assert (enclosing.workspace.root, enclosing.workspace.member) == ("../..", "api")
    choice = choose_install_method(read_app_files(app_dir, ("pyproject.toml",)), enclosing=enclosing)
    assert choice.method is uv_lock.METHOD and choice.workspace == enclosing.workspace
    assert "member of the workspace in ../.." in choice.note
    asked = choose_install_method(read_app_files(app_dir, ("pyproject.toml",)), "uv", enclosing=enclosing)
    assert asked.workspace == enclosing.workspace


@pytest.mark.parametrize("member", ["services/legacy", "tools/x"])
def test_excluded_and_unlisted_directories_are_not_members(workspace, member):
    assert find_workspace(workspace, workspace / member) is None


def test_the_app_s_own_files_win_over_the_workspace(workspace):
    app_dir = workspace / "services/api"
    (app_dir / "requirements.txt").write_text("flask\n")
    choice = choose_install_method(read_app_files(app_dir, ("pyproject.toml",)),
                                   enclosing=find_workspace(workspace, app_dir))
    assert choice.method is pip_requirements.METHOD and choice.workspace is None


def test_the_source_root_itself_is_no_member(workspace):
    assert find_workspace(workspace, workspace) is None


def test_uv_lock_local_sources_are_in_the_key_and_checked(tmp_path):
    app = _tree(tmp_path / "src/app", {
        "pyproject.toml": MEMBER.format(name="app"),
        "uv.lock": ('version = 1\n[[package]]\nname = "app"\nversion = "1"\nsource = { virtual = "." }\n'
                    '[[package]]\nname = "shared"\nversion = "1"\nsource = { directory = "../shared" }\n'),
        "../shared/pyproject.toml": MEMBER.format(name="shared"), "../shared/x.py": "A = 1\n"})
    inputs = uv_lock.METHOD.read_inputs(app, {})
    assert [(p.file, p.spec) for p in inputs.local_paths] == [("uv.lock", "../shared")]
    _check_local_paths(tmp_path / "src", inputs)  # inside the source
    (tmp_path / "src/shared/x.py").write_text("A = 2\n")
    assert uv_lock.METHOD.read_inputs(app, {}).digest != inputs.digest, "the directory's tree is in the key"
    with pytest.raises(LocalPathOutsideSource) as info:
        _check_local_paths(app, inputs)  # the app alone is the source
    title, body = render_error(info.value)
    assert title == "uv.lock names a path outside the app's source"
    assert "'../shared'" in body


def test_requirements_relative_paths_are_reported(tmp_path):
    app = _tree(tmp_path / "app", {"requirements.txt": "-r ../base.txt\n-e ../lib\n../other\n/opt/abs\nflask\n",
                           "../base.txt": "six\n"})
    inputs = pip_requirements.METHOD.read_inputs(app, {})
    assert [(p.file, p.spec) for p in inputs.local_paths] == [
        ("requirements.txt", "../base.txt"), ("requirements.txt", "../lib"), ("requirements.txt", "../other")]
