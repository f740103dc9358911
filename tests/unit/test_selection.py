"""BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS: parsing, checking against what each kind of project defines,
PEP 735 expansion, and what each install method's commands become. Plain data."""

from dataclasses import replace
from pathlib import Path

import pytest
from python_cnb.errors import (
    DependencyGroupInvalid,
    DependencyGroupsUnsupported,
    InvalidEnvValue,
    UnknownDependencyGroup,
    render_error,
)
from python_cnb.layers.venv import cache_invalidation_reasons, can_update_in_place
from python_cnb.package_managers import pip_project, pipenv, poetry, uv_lock
from python_cnb.package_managers.base import InstallPaths
from python_cnb.package_managers.selection import (
    NOTHING,
    Declared,
    Selection,
    check_selection,
    group_requirements,
    pyproject_declared,
    read_selection,
)

from tests.unit.test_layers_metadata import VENV

PATHS = InstallPaths(app_dir=Path("/workspace"), venv_dir=Path("/layers/venv"), pip_python=Path("/layers/pip/python"),
                     tool_bin=Path("/layers/tool/bin"), cache_dir=Path("/layers/cache"))

PYPROJECT = {
    "project": {"name": "app", "version": "1", "optional-dependencies": {"S3": ["boto3"], "redis": ["redis"]}},
    "dependency-groups": {
        "test": ["pytest>=8", {"include-group": "lint"}],
        "lint": ["ruff"],
        "docs": ["sphinx", {"include-group": "lint"}],
    },
}


def test_nothing_selected_by_default():
    assert read_selection({}) == NOTHING
    assert not read_selection({"BP_PYTHON_DEPENDENCY_GROUPS": " , ", "BP_PYTHON_EXTRAS": ""})


def test_comma_lists_are_trimmed_and_deduplicated_as_names_normalise():
    selection = read_selection({"BP_PYTHON_DEPENDENCY_GROUPS": " docs, test ,Docs", "BP_PYTHON_EXTRAS": "s3"})
    assert selection == Selection(groups=("docs", "test"), extras=("s3",))
    assert selection.describe() == "groups docs, test; extras s3"


@pytest.mark.parametrize("value", ["docs test", "docs;test", "-docs", "dócs", "a/b"])
def test_a_value_that_is_not_a_list_of_names(value):
    with pytest.raises(InvalidEnvValue) as info:
        read_selection({"BP_PYTHON_DEPENDENCY_GROUPS": value})
    assert "BP_PYTHON_DEPENDENCY_GROUPS" in render_error(info.value)[0] + render_error(info.value)[1]


def test_names_are_spelled_as_the_project_spells_them():
    declared = pyproject_declared(PYPROJECT)
    checked = check_selection(Selection(groups=("DOCS",), extras=("s3",)), declared, "uv sync (uv.lock)")
    assert checked == Selection(groups=("docs",), extras=("S3",))


def test_an_unknown_group_names_those_the_project_defines():
    with pytest.raises(UnknownDependencyGroup) as info:
        check_selection(Selection(groups=("test", "typing")), pyproject_declared(PYPROJECT), "uv sync (uv.lock)")
    title, body = render_error(info.value)
    assert title == "BP_PYTHON_DEPENDENCY_GROUPS: no dependency group 'typing' in pyproject.toml"
    assert "It defines these dependency groups: docs, lint, test." in body
    assert "unset BP_PYTHON_DEPENDENCY_GROUPS" in body


def test_an_unknown_extra_when_the_project_defines_none():
    declared = pyproject_declared({"project": {"name": "app"}})
    with pytest.raises(UnknownDependencyGroup) as info:
        check_selection(Selection(extras=("s3",)), declared, "pip install -e .")
    title, body = render_error(info.value)
    assert title == "BP_PYTHON_EXTRAS: no extra 's3' in pyproject.toml"
    assert "It defines no extras." in body


def test_a_requirements_file_has_nothing_to_select():
    with pytest.raises(DependencyGroupsUnsupported) as info:
        check_selection(Selection(groups=("dev",)), None, "pip install -r requirements.txt", "requirements.txt")
    title, body = render_error(info.value)
    assert title == "BP_PYTHON_DEPENDENCY_GROUPS does not apply to this app"
    assert "'pip install -r requirements.txt', and requirements.txt has no dependency groups" in body


def test_pipenv_has_categories_and_no_extras():
    pipfile = {"source": [{"url": "https://pypi.org/simple"}], "packages": {"flask": "*"},
               "dev-packages": {"pytest": "*"}, "docs": {"sphinx": "*"}, "requires": {"python_version": "3.12"}}
    declared = pipenv.declared(pipfile)
    assert declared.groups == ("dev-packages", "docs")
    checked = check_selection(Selection(groups=("dev", "docs")), declared, pipenv.METHOD.label,
                              aliases=pipenv.METHOD.group_aliases)
    assert checked.groups == ("dev-packages", "docs")
    with pytest.raises(UnknownDependencyGroup) as info:
        check_selection(Selection(groups=("test",)), declared, pipenv.METHOD.label)
    assert "It defines these categories: dev-packages, docs." in render_error(info.value)[1]
    with pytest.raises(DependencyGroupsUnsupported) as unsupported:
        check_selection(Selection(extras=("s3",)), declared, pipenv.METHOD.label)
    assert "Pipfile has no optional dependencies (extras)" in render_error(unsupported.value)[1]


def test_poetry_groups_and_extras_of_both_spellings():
    pyproject = {"tool": {"poetry": {"group": {"dev": {"dependencies": {"pytest": "*"}}, "docs": {}},
                                     "extras": {"pg": ["psycopg"]}}},
                 "dependency-groups": {"lint": ["ruff"]},
                 "project": {"name": "app", "optional-dependencies": {"s3": ["boto3"]}}}
    declared = poetry.declared(pyproject)
    assert sorted(declared.groups or ()) == ["dev", "docs", "lint"]
    assert sorted(declared.extras or ()) == ["pg", "s3"]


def test_uv_legacy_dev_dependencies_are_the_dev_group(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\nversion = '1'\n"
                                             "[tool.uv]\ndev-dependencies = ['pytest']\n")
    (tmp_path / "uv.lock").write_text("version = 1\n")
    declared = uv_lock.METHOD.read_inputs(tmp_path, {}).declared
    assert declared is not None and declared.groups == ("dev",)


def test_setup_py_extras_pass_unchecked_and_dynamic_ones_too():
    assert pip_project.declared({}).extras_unknown
    dynamic = {"project": {"name": "app", "dynamic": ["optional-dependencies"]}}
    assert check_selection(Selection(extras=("anything",)), pip_project.declared(dynamic),
                           "pip install -e .").extras == ("anything",)
    with pytest.raises(UnknownDependencyGroup):  # groups are still checked
        check_selection(Selection(groups=("docs",)), pip_project.declared({}), "pip install -e .")


def test_pep_735_groups_expand_includes_once_in_order():
    assert group_requirements(PYPROJECT, ["test", "docs"]) == ["pytest>=8", "ruff", "sphinx"]


@pytest.mark.parametrize("groups, problem", [
    ({"a": ["x", {"include-group": "b"}], "b": [{"include-group": "a"}]}, "includes itself"),
    ({"a": [{"include-group": "missing"}]}, "is not defined"),
    ({"a": "ruff"}, "is not a list"),
    ({"a": [3]}, "neither a requirement string"),
])
def test_a_group_that_cannot_be_expanded(groups, problem):
    with pytest.raises(DependencyGroupInvalid) as info:
        group_requirements({"dependency-groups": groups}, ["a"])
    assert problem in render_error(info.value)[1]


def test_pip_project_arguments():
    assert pip_project.install_args(PYPROJECT, NOTHING) == (("-e", "."), ())
    args, groups = pip_project.install_args(PYPROJECT, Selection(groups=("docs",), extras=("S3", "redis")))
    assert args == ("-e", ".[S3,redis]", "sphinx", "ruff") and groups == ("sphinx", "ruff")


def test_uv_poetry_and_pipenv_commands():
    selection = Selection(groups=("docs", "test"), extras=("s3",))
    assert uv_lock.commands(PATHS, selection)[0].shown == (
        "uv sync --locked --no-default-groups --no-compile-bytecode --group docs --group test --extra s3 "
        "--link-mode copy")
    assert uv_lock.commands(PATHS)[0].shown == \
        "uv sync --locked --no-default-groups --no-compile-bytecode --link-mode copy"
    assert poetry.commands(PATHS, selection=selection)[0].shown == \
        "poetry sync --only main,docs,test --no-interaction --no-ansi --extras s3"
    assert poetry.commands(PATHS, root=False, selection=selection)[0].argv[-1] == "--no-root"
    sync = pipenv.commands(PATHS, Selection(groups=("dev-packages",)))[1]
    assert sync.argv[1:] == ("sync", "--categories", "packages dev-packages")
    assert sync.shown == "pipenv sync --categories 'packages dev-packages'"
    assert pipenv.commands(PATHS)[1].shown == "pipenv sync"


def test_the_selection_is_part_of_the_reuse_key():
    old, new = VENV, replace(VENV, selection="groups docs")
    assert cache_invalidation_reasons(old, new) == [
        "The selected dependency groups and extras (BP_PYTHON_DEPENDENCY_GROUPS, BP_PYTHON_EXTRAS) have changed "
        "from 'none' to 'groups docs'"]
    assert not can_update_in_place(old, new)


def test_declared_none_means_the_method_has_none():
    assert check_selection(NOTHING, None, "x") == NOTHING
    assert check_selection(Selection(groups=("a",)), Declared(file="f", groups=("a",)), "x").groups == ("a",)


def test_pdm_groups_and_extras():
    from python_cnb.package_managers import pdm

    pyproject = {"project": {"name": "app", "optional-dependencies": {"s3": ["boto3"]}},
                 "dependency-groups": {"test": ["pytest"]}, "tool": {"pdm": {"dev-dependencies": {"lint": ["ruff"]}}}}
    declared = pdm.declared(pyproject)
    assert sorted(declared.groups or ()) == ["lint", "test"] and declared.extras == ("s3",)
    assert pdm.commands(PATHS)[1].shown == "pdm sync --prod --clean-unselected"
    assert pdm.commands(PATHS, Selection(extras=("s3",)))[1].shown == "pdm sync --prod --clean-unselected -G s3"
    assert pdm.commands(PATHS, Selection(groups=("test",), extras=("s3",)))[1].shown == \
        "pdm sync --clean-unselected -G test -G s3"


def test_pylock_groups_keep_the_lock_defaults():
    from python_cnb.package_managers import pylock

    assert pylock.commands(PATHS, "pylock.toml", Selection(groups=("docs",), extras=("s3",)), ("default",))[0].shown \
        == ("uv pip sync --preview-features pylock --group default --group docs --extra s3 --link-mode copy "
            "pylock.toml")
    assert "--group" not in pylock.commands(PATHS, "pylock.toml", NOTHING, ("default",))[0].shown
