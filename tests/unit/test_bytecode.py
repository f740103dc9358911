"""compile_bytecode writes exactly what `compileall DIR -x EXCLUDE` writes, also split between processes."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from python_cnb import bytecode
from python_cnb.bytecode import compile_bytecode
from python_cnb.layers.python import _NOT_COMPILED

EXCLUDE = r"/(test|tests|idle_test)/"


def _tree(root: Path) -> None:
    files = {
        "top.py": "A = 1\n",
        "pkg/__init__.py": "",
        "pkg/big.py": "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(300)),
        "pkg/tests/test_x.py": "B = 2\n",
        "pkg/sub/deep.py": "C = 3\n",
        "pkg/broken.py": "def (\n",
        "pkg/data.txt": "not python\n",
        "pkg/__pycache__/stray.py": "D = 4\n",
        "outside/linked.py": "E = 5\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "pkg" / "link").symlink_to(root / "outside", target_is_directory=True)
    (root / "pkg" / "alias.py").symlink_to(root / "top.py")


def _pycs(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.pyc"))}


def _compiled_tree(root: Path) -> Path:
    """The test tree, compiled whole by the interpreter running the tests (which needs a venv-style lib/python3.X
    for its cache tag); that interpreter."""
    _tree(root)
    python = Path(sys.executable)
    if not list((python.parent.parent / "lib").glob("python3.*")):
        pytest.skip("needs a venv-style interpreter (lib/python3.X)")
    compile_bytecode(python, root, {}, exclude=EXCLUDE)
    return python


def _clean(root: Path) -> None:
    for cache in list(root.rglob("__pycache__")):
        for pyc in cache.glob("*.pyc"):
            pyc.unlink()


@pytest.mark.parametrize("min_bytes", [1, 1 << 30], ids=["split", "one-process"])
def test_same_bytecode_as_compileall(tmp_path, monkeypatch, min_bytes):
    monkeypatch.setattr(bytecode, "_PARALLEL_MIN_BYTES", min_bytes)
    monkeypatch.setattr(bytecode, "_workers", lambda: 2)
    _tree(tmp_path)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash",
                    "-x", EXCLUDE, str(tmp_path)], env={"PYTHONDONTWRITEBYTECODE": "1"}, check=False,
                   capture_output=True)
    expected = _pycs(tmp_path)
    assert f"pkg/__pycache__/big.{sys.implementation.cache_tag}.pyc" in expected
    assert not any("tests" in name or "broken" in name or "stray" in name for name in expected)
    _clean(tmp_path)
    compile_bytecode(Path(sys.executable), tmp_path, {}, exclude=EXCLUDE)
    assert _pycs(tmp_path) == expected
    assert all(int.from_bytes(data[4:8], "little") == 1 for data in expected.values())


def test_only_missing_compiles_what_has_no_bytecode(tmp_path):
    python = _compiled_tree(tmp_path)
    before = _pycs(tmp_path)
    tag = sys.implementation.cache_tag
    kept = tmp_path / "pkg" / "__pycache__" / f"big.{tag}.pyc"
    kept.write_bytes(b"left alone")
    (tmp_path / "pkg" / "sub" / "__pycache__" / f"deep.{tag}.pyc").unlink()
    shutil.copy(tmp_path / "top.py", tmp_path / "pkg" / "new.py")
    compile_bytecode(python, tmp_path, {}, only_missing=True, exclude=EXCLUDE)
    after = _pycs(tmp_path)
    assert after.pop(f"pkg/__pycache__/new.{tag}.pyc")[:8] == before[f"__pycache__/top.{tag}.pyc"][:8]
    assert after[f"pkg/__pycache__/big.{tag}.pyc"] == b"left alone"
    after[f"pkg/__pycache__/big.{tag}.pyc"] = before[f"pkg/__pycache__/big.{tag}.pyc"]
    assert after == before


def test_background_compiles_are_complete_when_the_process_exits(tmp_path):
    """The pip layer's compile starts after the interpreter's, and the process waits for both when it exits."""
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        directory.mkdir()
        for i in range(20):
            (directory / f"mod{i}.py").write_text("".join(f"def f{j}():\n    return {j}\n" for j in range(200)))
    lib = Path(bytecode.__file__).resolve().parents[1]
    script = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
              "from python_cnb.bytecode import compile_bytecode_before_exit, compile_bytecode_in_background;"
              "compile_bytecode_in_background(Path(sys.executable), Path(sys.argv[2]), {}, exclude='/skipped/');"
              "compile_bytecode_before_exit(Path(sys.executable), Path(sys.argv[3]), {})")
    subprocess.run([sys.executable, "-c", script, str(lib), str(first), str(second)], check=True)
    for directory in (first, second):
        flags = [int.from_bytes(p.read_bytes()[4:8], "little") for p in directory.glob("__pycache__/*.pyc")]
        assert flags == [1] * 20


def test_names_a_list_of_lines_cannot_carry_are_compiled_too(tmp_path, monkeypatch):
    monkeypatch.setattr(bytecode, "_PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(bytecode, "_workers", lambda: 2)
    names = ["plain.py", "with\nnewline.py", "with\rreturn.py", " leading.py", "caf\u00e9.py", "raw\udcff.py"]
    for name in names:
        (tmp_path / name).write_text("A = 1\n")
    compile_bytecode(Path(sys.executable), tmp_path, {"LC_ALL": "C"}, exclude=EXCLUDE)
    tag = sys.implementation.cache_tag
    compiled = sorted(p.name for p in (tmp_path / "__pycache__").iterdir())
    assert compiled == sorted(f"{name[:-3]}.{tag}.pyc" for name in names)


def test_only_distributions_compiles_what_their_records_list(tmp_path):
    python = _compiled_tree(tmp_path)
    full = _pycs(tmp_path)
    _clean(tmp_path)
    info = tmp_path / "pkg-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("pkg/__init__.py,sha256=x,0\npkg/big.py,,\npkg/tests/test_x.py,,\n"
                                 "pkg/__pycache__/stray.py,,\n../../../bin/tool.py,,\npkg/data.txt,,\n"
                                 "pkg-1.0.dist-info/RECORD,,\n")
    compile_bytecode(python, tmp_path, {}, exclude=EXCLUDE, only_distributions=["pkg-1.0.dist-info"])
    tag = sys.implementation.cache_tag
    # The same bytes a whole compile writes, for the listed modules only.
    assert _pycs(tmp_path) == {name: full[name] for name in (f"pkg/__pycache__/__init__.{tag}.pyc",
                                                               f"pkg/__pycache__/big.{tag}.pyc")}
    assert bytecode.recorded_sources(tmp_path, ["pkg-1.0.dist-info"], EXCLUDE, tag) == []
    # An older version's .pyc that an uninstaller left is compiled again: unchecked, it would never be.
    stale = tmp_path / "pkg" / "__pycache__" / f"big.{tag}.pyc"
    stale.write_bytes(full[f"pkg/__pycache__/__init__.{tag}.pyc"])
    compile_bytecode(python, tmp_path, {}, exclude=EXCLUDE, only_distributions=["pkg-1.0.dist-info"])
    assert stale.read_bytes() == full[f"pkg/__pycache__/big.{tag}.pyc"]
    # A distribution without a RECORD: the whole tree, as a cold build compiles it.
    compile_bytecode(python, tmp_path, {}, exclude=EXCLUDE, only_distributions=["gone-1.0.dist-info"])
    assert _pycs(tmp_path) == full


def test_the_standard_library_left_uncompiled_is_what_a_web_app_never_imports():
    lib = "/layers/python-cnb_python/python/lib/python3.12/"
    skipped = re.compile(_NOT_COMPILED)
    compiled = ["json/decoder.py", "decimal.py", "io.py", "datetime.py", "asyncio/base_events.py", "email/parser.py",
                "ssl.py", "encodings/__init__.py", "encodings/utf_8.py", "encodings/idna.py", "encodings/cp437.py",
                "encodings/cp1251.py", "pydoc.py", "zipfile/__init__.py"]
    left = ["test/test_json.py", "idlelib/run.py", "tkinter/__init__.py", "turtledemo/clock.py", "turtle.py",
            "pydoc_data/topics.py", "_pydecimal.py", "_pyio.py", "_pydatetime.py", "lib2to3/main.py",
            "ensurepip/__init__.py", "json/tests/test_x.py"]
    assert [name for name in compiled if skipped.search(lib + name)] == []
    assert [name for name in left if not skipped.search(lib + name)] == []
