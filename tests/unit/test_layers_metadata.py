"""Every metadata field has an invalidation reason, and an unchanged layer has none."""

import dataclasses
from pathlib import Path

import pytest
from python_cnb.cnb.layer import LayerTypes, cached_layer, metadata_from_toml
from python_cnb.layers import python as python_layer
from python_cnb.layers import tools as tools_layer
from python_cnb.layers import venv as venv_layer
from python_cnb.package_managers import METHODS

PY = python_layer.PythonLayerMetadata(1, "3.13.15", "a" * 64, "amd64", "debian", "12")
VENV = venv_layer.VenvLayerMetadata(2, "3.13.15", "a" * 64, "pip install -r requirements.txt", "pip 25.2",
                                    "requirements.txt", "b" * 64, "c" * 64, False, "gunicorn==27.0.1",
                                    "debian 12, glibc 2.36", "e" * 64)
TOOL = tools_layer.ToolLayerMetadata(1, "uv==0.13.9", "3.13.15", "a" * 64)


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return value + "-changed"


@pytest.mark.parametrize(("module", "base"), [(python_layer, PY), (venv_layer, VENV), (tools_layer, TOOL)])
def test_every_field_invalidates(module, base):
    assert module.cache_invalidation_reasons(base, base) == []
    for field in dataclasses.fields(base):
        changed = dataclasses.replace(base, **{field.name: _changed(getattr(base, field.name))})
        assert module.cache_invalidation_reasons(base, changed), field.name


def test_python_reasons_are_worded_for_users():
    new = dataclasses.replace(PY, python_version="3.14.7", distro_version="13")
    assert python_layer.cache_invalidation_reasons(PY, new) == [
        "The Python version has changed from 3.13.15 to 3.14.7",
        "The OS has changed from debian-12 to debian-13",
    ]


@pytest.mark.parametrize("data", [None, {}, {"layer_format": 1}, {**dataclasses.asdict(PY), "extra": 1},
                                  {**dataclasses.asdict(PY), "layer_format": None, "x": 2},
                                  {**dataclasses.asdict(PY), "layer_format": "1"},
                                  {**dataclasses.asdict(PY), "sha256": 5}])
def test_unknown_metadata_is_not_trusted(data):
    assert metadata_from_toml(python_layer.PythonLayerMetadata, data) is None


def test_known_metadata_round_trips():
    assert metadata_from_toml(venv_layer.VenvLayerMetadata, dataclasses.asdict(VENV)) == VENV
    # Restored from an app image's JSON label, integers may come back as floats.
    assert metadata_from_toml(python_layer.PythonLayerMetadata, {**dataclasses.asdict(PY), "layer_format": 1.0}) == PY
    assert metadata_from_toml(python_layer.PythonLayerMetadata, {**dataclasses.asdict(PY), "layer_format": 1.5}) is None


def test_index_settings_digest_ignores_credentials_and_noise():
    digest = venv_layer.index_settings_digest
    base = digest({"PIP_INDEX_URL": "https://u:one@index.example/simple"})
    assert base == digest({"PIP_INDEX_URL": "https://u:two@index.example/simple", "PIP_CERT": "/x", "PATH": "/bin"})
    assert base != digest({"PIP_INDEX_URL": "https://other.example/simple"})
    assert base != digest({"PIP_INDEX_URL": "https://u:one@index.example/simple",
                           "PIP_EXTRA_INDEX_URL": "https://x.example"})
    # A lockfile tool: only the variables it honours count.
    uv = ("PIP_INDEX_URL", "UV_INDEX_URL")
    assert digest({"PIP_INDEX_URL": "https://a", "PIP_PRE": "1"}, uv) == digest({"PIP_INDEX_URL": "https://a"}, uv)
    assert digest({"UV_INDEX_URL": "https://a"}, uv) != digest({}, uv)


def _layer(tmp_path, metadata, **kwargs):
    return cached_layer(tmp_path, "venv", LayerTypes(launch=True, cache=True), metadata,
                        venv_layer.cache_invalidation_reasons, **kwargs)


def test_cached_layer_cycle(tmp_path):
    """new -> finish -> reused (types rewritten) -> changed (reasons, emptied) -> unreadable metadata (emptied)."""
    first = _layer(tmp_path, VENV)
    assert not first.reused and first.old is None and not first.unreadable and first.path.is_dir()
    (first.path / "marker").write_text("x")
    assert not (tmp_path / "venv.toml").exists(), "no metadata before the contents are complete"
    first.finish()
    # The lifecycle restores [metadata] only.
    (tmp_path / "venv.toml").write_text("[metadata]\n" + (tmp_path / "venv.toml").read_text().split("[metadata]\n")[1])
    again = _layer(tmp_path, VENV)
    assert again.reused and (again.path / "marker").exists()
    assert "[types]" in (tmp_path / "venv.toml").read_text()
    changed = _layer(tmp_path, dataclasses.replace(VENV, python_version="3.14.7"))
    assert not changed.reused and changed.old == VENV and not (changed.path / "marker").exists()
    assert changed.reasons == ("The Python interpreter has changed (from 3.13.15 to 3.14.7)",)
    assert not (tmp_path / "venv.toml").exists()
    (tmp_path / "venv.toml").write_text("[metadata]\nlayer_format = 'garbage'\n")
    (changed.path / "marker").write_text("x")
    broken = _layer(tmp_path, VENV)
    assert not broken.reused and broken.unreadable and not (broken.path / "marker").exists()


def test_cached_layer_not_reusable_gives_the_reason(tmp_path):
    _layer(tmp_path, VENV).finish()
    hooked = _layer(tmp_path, VENV, reusable=False, not_reusable_reason="a hook")
    assert not hooked.reused and hooked.reasons == ("a hook",)


def test_build_image_reason_names_both_images():
    new = dataclasses.replace(VENV, build_image="ubuntu 24.04, glibc 2.39")
    assert venv_layer.cache_invalidation_reasons(VENV, new) == [
        "The build image has changed (from debian 12, glibc 2.36 to ubuntu 24.04, glibc 2.39)"]


def test_build_image_description_reads_the_c_library():
    libc = venv_layer.libc_version()
    assert libc.startswith("glibc 2."), libc
    assert venv_layer.build_image_description("debian", "12", libc) == f"debian 12, {libc}"
    assert venv_layer.build_image_description("", "", "musl") == "unknown distro, musl"


def test_unpinned_note_names_them_and_the_refresh():
    note = venv_layer.unpinned_note(["flask", "six"])
    assert "flask, six" in note and "pack build --clear-cache" in note


def test_pip_tool_layer_reasons():
    from python_cnb.layers import pip_tool

    base = pip_tool.PipToolMetadata(1, "25.2", "3.13.15", "a" * 64)
    assert pip_tool.cache_invalidation_reasons(base, base) == []
    for field in dataclasses.fields(base):
        changed = dataclasses.replace(base, **{field.name: _changed(getattr(base, field.name))})
        assert pip_tool.cache_invalidation_reasons(base, changed), field.name


def test_only_requirement_changes_on_pip_paths_and_uv_lock_update_in_place():
    assert venv_layer.can_update_in_place(VENV, dataclasses.replace(VENV, inputs_sha256="d" * 64))
    assert venv_layer.can_update_in_place(VENV, dataclasses.replace(VENV, extra_requirements=""))
    for field in dataclasses.fields(VENV):
        if field.name in ("inputs_sha256", "extra_requirements", "requirement_lines",
                          "requirements_structure_sha256"):
            continue
        changed = dataclasses.replace(VENV, inputs_sha256="d" * 64,
                                      **{field.name: _changed(getattr(VENV, field.name))})
        assert not venv_layer.can_update_in_place(VENV, changed), field.name
    # Whether the install method's update gives a fresh install's result is the method's to say.
    assert {m.name: m.updates_in_place for m in METHODS} == {"pip": True, "pip-project": True, "uv": True,
                                                             "poetry": True, "pipenv": True, "pdm": True,
                                                             "pylock": True, "none": False}
    pip_then_uv = dataclasses.replace(VENV, package_manager="uv pip install -r requirements.txt", tool="uv 0.13.9")
    assert not venv_layer.can_update_in_place(VENV, dataclasses.replace(pip_then_uv, inputs_sha256="d" * 64))


def test_updatable_layer_keeps_its_contents_until_finished(tmp_path):
    _layer(tmp_path, VENV).finish()
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").write_text("")
    new = dataclasses.replace(VENV, inputs_sha256="d" * 64)
    layer = cached_layer(tmp_path, "venv", LayerTypes(launch=True, build=True, cache=True), new,
                         venv_layer.cache_invalidation_reasons, updatable=venv_layer.can_update_in_place)
    assert layer.updated and not layer.reused and (tmp_path / "venv" / "bin" / "python").exists()
    assert not (tmp_path / "venv.toml").exists()


def test_background_compile_leaves_only_hash_based_bytecode(tmp_path):
    import py_compile
    import sys

    from python_cnb.bytecode import compile_bytecode_in_background

    (tmp_path / "kept.py").write_text("A = 1\n")
    (tmp_path / "late.py").write_text("B = 2\n")
    (tmp_path / "skipped").mkdir()
    (tmp_path / "skipped" / "x.py").write_text("C = 3\n")
    run = compile_bytecode_in_background(Path(sys.executable), tmp_path, {}, exclude=r"/skipped/")
    for process in run.processes:
        process.wait()
    # What an import running meanwhile writes: ordinary timestamp-based files, also where nothing is compiled.
    tag = sys.implementation.cache_tag
    py_compile.compile(str(tmp_path / "late.py"), cfile=str(tmp_path / "__pycache__" / f"late.{tag}.pyc"))
    py_compile.compile(str(tmp_path / "skipped" / "x.py"))
    run.wait()
    flags = {p.name: int.from_bytes(p.read_bytes()[4:8], "little") for p in tmp_path.rglob("*.pyc")}
    assert flags == {f"kept.{tag}.pyc": 1, f"late.{tag}.pyc": 1}


def test_an_update_of_only_requirement_lines_keeps_the_structure():
    old = dataclasses.replace(VENV, requirement_lines="aa bb cc", requirements_structure_sha256="s" * 64)
    lines = dataclasses.replace(old, inputs_sha256="d" * 64, requirement_lines="aa dd")
    assert venv_layer.can_update_in_place(old, lines) and venv_layer.same_requirements_structure(old, lines)
    for changed in (dataclasses.replace(lines, requirements_structure_sha256="t" * 64),
                    dataclasses.replace(lines, extra_requirements=""),
                    dataclasses.replace(lines, requirements_structure_sha256="")):
        assert not venv_layer.same_requirements_structure(old, changed), changed
