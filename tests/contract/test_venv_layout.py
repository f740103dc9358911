"""The environment the buildpack writes itself (venv_layout) is, file for file, what `python -m venv --without-pip`
of the same interpreter writes, on every interpreter this machine has: pyenv's 3.9 to 3.13 (venv before the
gh-124651 fix, which substitutes paths as they are) and Debian's python3 (with it: paths shell-quoted), in a plain
path and in one with a space and a quote. And the environment works: its python is in it, `activate` sets it."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from python_cnb.venv_layout import write_venv
from support.python_archive import default_source_root

pytestmark = pytest.mark.contract

INTERPRETERS = sorted(str(path) for path in default_source_root().glob("3.*")
                      if path.name.split(".")[1].isdigit() and int(path.name.split(".")[1]) >= 9)
if any(Path("/usr/include").glob("python3.*/patchlevel.h")) and Path("/usr/bin/python3").exists():
    INTERPRETERS.append("/usr")


def _tree(root: Path) -> dict:
    found = {}
    for directory, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[os.path.relpath(path, root)] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[os.path.relpath(path, root)] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                found[os.path.relpath(path, root)] = ("file", stat.S_IMODE(info.st_mode), Path(path).read_bytes())
    return found


def test_the_machine_has_interpreters_to_compare():
    assert len(INTERPRETERS) >= 3, INTERPRETERS


@pytest.mark.parametrize("python_dir", INTERPRETERS)
@pytest.mark.parametrize("folder", ["layers", "my layers'dir"])
def test_written_environment_is_what_venv_writes(tmp_path, python_dir, folder):
    target = tmp_path / folder / "venv"
    target.parent.mkdir()
    subprocess.run([f"{python_dir}/bin/python3", "-m", "venv", "--without-pip", str(target)], check=True)
    expected = _tree(target)
    shutil.rmtree(target)

    assert write_venv(Path(python_dir), target) is True
    written = _tree(target)
    assert sorted(written) == sorted(expected)
    for name, entry in expected.items():
        assert written[name] == entry, name
    assert "bin/activate" in written and "pyvenv.cfg" in written

    prefixes = subprocess.run([str(target / "bin" / "python"), "-c", "import sys; print(sys.prefix, sys.base_prefix, "
                               "sep='|')"], check=True, capture_output=True, text=True).stdout.strip().split("|")
    assert prefixes == [str(target), os.path.realpath(python_dir)]
    activated = subprocess.run(["sh", "-c", '. "$1/bin/activate" && echo "$VIRTUAL_ENV" && command -v python',
                                "sh", str(target)], check=True, capture_output=True, text=True).stdout.split("\n")
    assert activated[:2] == [str(target), str(target / "bin" / "python")]


def test_an_interpreter_of_unknown_shape_gets_the_real_venv(tmp_path):
    python_dir = tmp_path / "python"
    (python_dir / "bin").mkdir(parents=True)
    (python_dir / "bin" / "python3").write_text("")
    (python_dir / "lib" / "python3.15" / "venv" / "scripts").mkdir(parents=True)
    (python_dir / "lib" / "python3.15" / "venv" / "__init__.py").write_text("")
    (python_dir / "include" / "python3.15").mkdir(parents=True)
    (python_dir / "include" / "python3.15" / "patchlevel.h").write_text(
        "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 15\n#define PY_MICRO_VERSION 0\n")
    assert write_venv(python_dir, tmp_path / "venv") is False
    assert not (tmp_path / "venv").exists()
