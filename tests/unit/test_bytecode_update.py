"""The bytecode of an environment updated in place: the plan (pure), the RECORD reading, the removal of what an
uninstaller left, and the whole step on a real tree compiled by the real interpreter."""

import importlib.util
import io
import os
import shutil
import sys
from pathlib import Path

import pytest
from python_cnb.bytecode import compile_bytecode
from python_cnb.bytecode_update import (
    BytecodeUpdate,
    describe,
    plan_bytecode_update,
    read_baseline,
    record_modules,
    remove_stale_bytecode,
    update_bytecode,
)
from python_cnb.output import Output
from python_cnb.venv_facts import Distribution, VenvFacts

TAG = sys.implementation.cache_tag


def _dist(name: str, version: str, stamp: int = 1) -> Distribution:
    return Distribution(name=name, version=version, shown_name=name, dist_info=f"{name}-{version}.dist-info",
                        stamp=(stamp, stamp))


FLASK, SIX_OLD, SIX_NEW, IDNA = _dist("flask", "3.0.3"), _dist("six", "1.16.0"), _dist("six", "1.17.0"), \
    _dist("idna", "3.7")
MODULES = {FLASK.dist_info: frozenset({"flask/__init__.py", "shared/__init__.py"}),
           SIX_OLD.dist_info: frozenset({"six.py"}), SIX_NEW.dist_info: frozenset({"six.py"}),
           IDNA.dist_info: frozenset({"idna/__init__.py", "idna/core.py", "shared/__init__.py"})}


def _by_name(*dists: Distribution) -> dict:
    return {d.name: d for d in dists}


@pytest.mark.parametrize(("before", "after", "expected"), [
    pytest.param((FLASK,), (FLASK, SIX_OLD), BytecodeUpdate(compile=frozenset({SIX_OLD.dist_info}),
                                                            added=("six 1.16.0",)), id="added"),
    pytest.param((FLASK, SIX_OLD), (FLASK, SIX_NEW),
                 BytecodeUpdate(compile=frozenset({SIX_NEW.dist_info}), changed=("six 1.17.0 (was 1.16.0)",)),
                 id="upgraded: its module is compiled, not removed"),
    pytest.param((FLASK, SIX_OLD), (FLASK, _dist("six", "1.16.0", stamp=2)),
                 BytecodeUpdate(compile=frozenset({SIX_OLD.dist_info}), changed=("six 1.16.0 (reinstalled)",)),
                 id="reinstalled at the same version"),
    pytest.param((FLASK, IDNA), (FLASK,),
                 BytecodeUpdate(compile=frozenset(), removed=("idna 3.7",),
                                stale=frozenset({"idna/__init__.py", "idna/core.py"})),
                 id="removed: a module another distribution also lists stays"),
    pytest.param((FLASK, SIX_OLD), (FLASK, SIX_OLD), BytecodeUpdate(compile=frozenset()), id="nothing changed"),
])
def test_plan(before, after, expected):
    new = {d.dist_info: MODULES[d.dist_info] for d in after}
    assert plan_bytecode_update(_by_name(*before), _by_name(*after), MODULES, new) == expected


def test_plan_without_records():
    # A new distribution without a RECORD: the whole environment; a removed one without: a sweep for orphans.
    assert plan_bytecode_update(_by_name(FLASK), _by_name(FLASK, SIX_OLD), MODULES, {SIX_OLD.dist_info: None}).whole
    plan = plan_bytecode_update(_by_name(FLASK, SIX_OLD), _by_name(FLASK), {SIX_OLD.dist_info: None}, {})
    assert plan.sweep and not plan.whole and plan.stale == frozenset()


def test_describe():
    update = BytecodeUpdate(compile=frozenset({"a", "b"}), added=("six 1.16.0",), changed=("idna 3.10 (was 3.7)",),
                            removed=("certifi 2024.1.1",))
    assert describe(update, 3) == ("Compiled bytecode for 2 new distributions (six 1.16.0, idna 3.10 (was 3.7)), not "
                                   "the whole environment; removed 3 .pyc files the uninstall of certifi 2024.1.1 left")
    assert describe(update, 0).endswith("not the whole environment; uninstalled certifi 2024.1.1, with its bytecode")
    assert describe(BytecodeUpdate(compile=frozenset({"a"}), added=("six 1.16.0",)), 0) == \
        "Compiled bytecode for 1 new distribution (six 1.16.0), not the whole environment"
    assert describe(BytecodeUpdate(compile=frozenset()), 0) == \
        "The update installed no distribution: no bytecode to compile"
    assert describe(BytecodeUpdate(compile=frozenset({"a"}), whole=True), 0).startswith(
        "Compiled bytecode for the whole environment")


def test_record_modules(tmp_path):
    info = tmp_path / "pkg-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("pkg/__init__.py,sha256=x,1\npkg/./sub/m.py,,\n../../../bin/tool.py,,\n"
                                 "/abs/x.py,,\npkg/__pycache__/m.cpython-312.pyc,,\npkg/data.txt,,\n"
                                 '"pkg/a,b.py",sha256=y,2\r\n"pkg/say ""hi"".py",,\n\n')
    assert record_modules(tmp_path, ["pkg-1.0.dist-info", "gone-1.0.dist-info"]) == {
        "pkg-1.0.dist-info": frozenset({"pkg/__init__.py", "pkg/sub/m.py", "pkg/a,b.py", 'pkg/say "hi".py'}),
        "gone-1.0.dist-info": None}


def test_remove_stale_bytecode(tmp_path):
    files = ["__pycache__/six.{t}.pyc", "__pycache__/six.{t}.opt-1.pyc", "__pycache__/six.cpython-39.pyc",
             "__pycache__/kept.{t}.pyc", "kept.py", "gone/__pycache__/m.{t}.pyc", "ns/a/__pycache__/m.{t}.pyc",
             "ns/b.py"]
    for name in files:
        (tmp_path / name.format(t=TAG)).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name.format(t=TAG)).write_text("")
    # kept.py is still there (another distribution's): its bytecode stays.
    assert remove_stale_bytecode(tmp_path, ["six.py", "kept.py", "gone/m.py", "ns/a/m.py", "never.py"], TAG) == 4
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["__pycache__", f"__pycache__/kept.{TAG}.pyc", "__pycache__/six.cpython-39.pyc", "kept.py", "ns",
                    "ns/b.py"], "emptied directories go (they would import as namespace packages); others stay"


def _write_dist(site: Path, name: str, version: str, files: dict) -> None:
    for path, text in files.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text)
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in files) + f"{info.name}/RECORD,,\n")


def _uninstall_as_uv_does(site: Path, name: str, version: str, files: dict) -> None:
    """uv's uninstall: the RECORD's files, and a directory left with only __pycache__ (but not site-packages')."""
    for path in files:
        (site / path).unlink()
        parent = (site / path).parent
        if parent != site and [p.name for p in parent.iterdir()] == ["__pycache__"]:
            shutil.rmtree(parent)
    shutil.rmtree(site / f"{name}-{version}.dist-info")


def _source_matches(pyc: Path, source: Path) -> bool:
    """The hash-based .pyc was compiled from this source (PEP 552: flags, then the source's hash)."""
    data = pyc.read_bytes()
    return int.from_bytes(data[4:8], "little") & 1 == 1 and \
        data[8:16] == importlib.util.source_hash(source.read_bytes())


def test_update_bytecode_compiles_what_changed_and_removes_what_went(tmp_path):
    python = Path(sys.executable)
    if not list((python.parent.parent / "lib").glob("python3.*")):
        pytest.skip("needs a venv-style interpreter (lib/python3.X)")
    venv = tmp_path / "venv"
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    site.mkdir(parents=True)
    kept = {"kept/__init__.py": "K = 1\n"}
    six_old, six_new = {"six.py": "__version__ = '1.16.0'\n"}, {"six.py": "__version__ = '1.17.0'\n"}
    idna = {"idna/__init__.py": "I = 1\n", "idna/core.py": "C = 1\n", "idna_top.py": "T = 1\n"}
    _write_dist(site, "kept", "1.0", kept)
    _write_dist(site, "six", "1.16.0", six_old)
    _write_dist(site, "idna", "3.7", idna)
    compile_bytecode(python, site, {})
    kept_pyc = site / "kept" / "__pycache__" / f"__init__.{TAG}.pyc"
    kept_stat = kept_pyc.stat()
    baseline = read_baseline(venv)

    # six upgraded, idna removed, new added: what uv's uninstall leaves is the old six's .pyc and idna_top's.
    _uninstall_as_uv_does(site, "six", "1.16.0", six_old)
    _write_dist(site, "six", "1.17.0", six_new)
    _uninstall_as_uv_does(site, "idna", "3.7", idna)
    _write_dist(site, "new", "2.0", {"new/__init__.py": "N = 1\n"})
    assert (site / "__pycache__" / f"idna_top.{TAG}.pyc").exists()
    log = io.StringIO()
    update_bytecode(Output(out=log, err=log), python, site, {}, baseline, VenvFacts.read(venv))

    assert _source_matches(site / "__pycache__" / f"six.{TAG}.pyc", site / "six.py"), "not the old six's bytecode"
    assert _source_matches(site / "new" / "__pycache__" / f"__init__.{TAG}.pyc", site / "new" / "__init__.py")
    assert not (site / "__pycache__" / f"idna_top.{TAG}.pyc").exists() and not (site / "idna").exists()
    after = kept_pyc.stat()
    assert (after.st_ino, after.st_mtime_ns) == (kept_stat.st_ino, kept_stat.st_mtime_ns), "untouched"
    assert log.getvalue() == ("Compiled bytecode for 2 new distributions (new 2.0, six 1.17.0 (was 1.16.0)), not the "
                              "whole environment; removed 1 .pyc file the uninstall of idna 3.7 left\n")
    # What a fresh install and a whole compile give: the same .pyc files, byte for byte.
    in_place = {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*.pyc")}
    for pycache in site.rglob("__pycache__"):
        shutil.rmtree(pycache)
    compile_bytecode(python, site, {})
    assert {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*.pyc")} == in_place
    assert os.listdir(site / "__pycache__") == [f"six.{TAG}.pyc"]
