"""venv_layout.write_venv on fake interpreter trees, one per release shape (only the files it reads: bin/python3,
lib/python3.X/venv/__init__.py and its script templates, include/python3.X/patchlevel.h): pyvenv.cfg, the python
links, the include directory, the .gitignore, the prompt, the activation scripts' quoting (gh-124651), and the
shapes it does not know, for which it writes nothing and returns False so that the caller runs `python -m venv`.
tests/contract/test_venv_layout.py compares the result with the real venv of this machine's interpreters."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
from pathlib import Path
from typing import Callable, Dict, NamedTuple, Tuple

import pytest
from python_cnb.venv_layout import write_venv
from support.python_archive import default_source_root

# The lines of venv/__init__.py that decide the prompt and the quoting (as the real releases have them).
OLD_PROMPT = "        context.prompt = '(%s) ' % prompt\n"  # 3.9 to 3.12
NEW_PROMPT = "        context.prompt = self.prompt if self.prompt is not None else context.env_name\n"  # 3.13+
QUOTING = "        quote = shlex.quote\n"  # venv with the fix for gh-124651

# One template line per placeholder venv substitutes, so that every substitution shows in the written file.
TEMPLATE = ("DIR=__VENV_DIR__\nNAME=__VENV_NAME__\nPROMPT=__VENV_PROMPT__\nBIN=__VENV_BIN_NAME__\n"
            "PYTHON=__VENV_PYTHON__\n")
SCRIPTS = {"common/activate": 0o644, "common/Activate.ps1": 0o644, "posix/activate.csh": 0o644,
           "posix/activate.fish": 0o644}
INSTALLED = ("activate", "Activate.ps1", "activate.csh", "activate.fish")
GITIGNORE = "# Created by venv; see https://docs.python.org/3/library/venv.html\n*\n"
PI_THON = "\U0001d70bthon"  # 3.14's 𝜋thon


# The venv packages of this machine's interpreters (pyenv's, Debian's), to check that the lines above are theirs.
MACHINE_VENVS = [path for path in sorted(default_source_root().glob("3.*/lib/python3.*/venv/__init__.py"))
                 + sorted(Path("/usr/lib").glob("python3.*/venv/__init__.py"))
                 if path.parent.parent.name.split(".")[1].isdigit() and int(path.parent.parent.name.split(".")[1]) >= 9]


def fake_python(root: Path, version: str, venv_source: str = OLD_PROMPT, *, lib_name: str = "",
                headers: bool = True) -> Path:
    """A CPython installation tree as python-build-standalone lays it out, with only what write_venv reads."""
    major, minor, micro = version.split(".")
    name = lib_name or f"python{major}.{minor}"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / name).write_text("#!/bin/sh\n")
    (root / "bin" / name).chmod(0o755)
    (root / "bin" / "python3").symlink_to(name)
    venv = root / "lib" / name / "venv"
    venv.mkdir(parents=True)
    (venv / "__init__.py").write_text(f"import shlex\n\n\nclass EnvBuilder:\n    def ensure_directories(self):\n"
                                      f"{venv_source}")
    for script, mode in SCRIPTS.items():
        path = venv / "scripts" / script
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TEMPLATE)
        path.chmod(mode)
    if headers:
        (root / "include" / name).mkdir(parents=True)
        (root / "include" / name / "patchlevel.h").write_text(
            "#define PY_RELEASE_LEVEL_FINAL  0xF\n"
            f"#define PY_MAJOR_VERSION        {major}\n#define PY_MINOR_VERSION        {minor}\n"
            f"#define PY_MICRO_VERSION        {micro}\n#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_FINAL\n"
            f'#define PY_VERSION              "{version}"\n')
    return root


def tree(root: Path) -> Dict[str, Tuple[str, ...]]:
    """Every entry under root: ("link", target), ("dir",) or ("file",) (modes depend on the umask)."""
    found: Dict[str, Tuple[str, ...]] = {}
    for directory, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            key = os.path.relpath(path, root)
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[key] = ("dir",)
            else:
                found[key] = ("file",)
    return found


class Shape(NamedTuple):
    version: str
    venv_source: str
    include: str  # the include directory venv makes
    gitignore: bool
    links: Tuple[str, ...]  # the links in bin/ to python3
    records_command: bool  # pyvenv.cfg records executable and command
    prompt: str  # __VENV_PROMPT__ for an environment named "venv"


RELEASES = [
    pytest.param(Shape("3.9.18", OLD_PROMPT, "include", False, ("python", "python3.9"), False, "(venv) "), id="3.9"),
    pytest.param(Shape("3.10.13", OLD_PROMPT, "include", False, ("python", "python3.10"), False, "(venv) "),
                 id="3.10"),
    pytest.param(Shape("3.11.7", OLD_PROMPT, "include/python3.11", False, ("python", "python3.11"), True, "(venv) "),
                 id="3.11"),
    pytest.param(Shape("3.12.1", OLD_PROMPT, "include/python3.12", False, ("python", "python3.12"), True, "(venv) "),
                 id="3.12"),
    pytest.param(Shape("3.13.0", NEW_PROMPT, "include/python3.13", True, ("python", "python3.13"), True, "venv"),
                 id="3.13"),
    pytest.param(Shape("3.14.0", NEW_PROMPT + QUOTING, "include", True, ("python", "python3.14", PI_THON), True,
                       "venv"), id="3.14"),
]


def _write(tmp_path: Path, shape: Shape) -> Tuple[Path, Path]:
    python_dir = fake_python(tmp_path / "python", shape.version, shape.venv_source)
    target = tmp_path / "layers" / "venv"
    assert write_venv(python_dir, target) is True
    return python_dir, target


@pytest.mark.parametrize("shape", RELEASES)
def test_pyvenv_cfg(tmp_path, shape):
    python_dir, target = _write(tmp_path, shape)
    home = python_dir / "bin"
    expected = f"home = {home}\ninclude-system-site-packages = false\nversion = {shape.version}\n"
    if shape.records_command:
        minor = shape.version.rsplit(".", 1)[0]
        expected += (f"executable = {os.path.realpath(home / f'python{minor}')}\n"  # python3 resolved
                     f"command = {home}/python3 -m venv --without-pip {target}\n")
    assert (target / "pyvenv.cfg").read_text() == expected


@pytest.mark.parametrize("shape", RELEASES)
def test_the_whole_tree(tmp_path, shape):
    """Directories, links and files: the include directory, the .gitignore and 𝜋thon where the release has them."""
    python_dir, target = _write(tmp_path, shape)
    lib = f"lib/python{shape.version.rsplit('.', 1)[0]}"
    expected: Dict[str, Tuple[str, ...]] = {
        "bin": ("dir",), "lib": ("dir",), lib: ("dir",), f"{lib}/site-packages": ("dir",), "lib64": ("link", "lib"),
        "pyvenv.cfg": ("file",), "bin/python3": ("link", str(python_dir / "bin" / "python3")),
        **{f"bin/{name}": ("link", "python3") for name in shape.links},
        **{f"bin/{name}": ("file",) for name in INSTALLED},
        "include": ("dir",), shape.include: ("dir",),
    }
    if shape.gitignore:
        expected[".gitignore"] = ("file",)
    assert tree(target) == expected
    if shape.gitignore:
        assert (target / ".gitignore").read_text() == GITIGNORE


@pytest.mark.parametrize("shape", RELEASES)
def test_activation_scripts_get_the_release_s_prompt(tmp_path, shape):
    """"(venv) " before 3.13, the bare name after (the shell scripts; no shape here quotes a name like "venv")."""
    _, target = _write(tmp_path, shape)
    for name in ("activate", "activate.csh", "activate.fish"):
        assert (target / "bin" / name).read_text() == (
            f"DIR={target}\nNAME=venv\nPROMPT={shape.prompt}\nBIN=bin\nPYTHON={target}/bin/python3\n"), name


@pytest.mark.parametrize(
    ("venv_source", "posix", "powershell"),
    [
        pytest.param(OLD_PROMPT, lambda value: value, lambda value: value, id="before-gh-124651-as-is"),
        pytest.param(OLD_PROMPT + QUOTING, shlex.quote, lambda value: "'" + value.replace("'", "''") + "'",
                     id="gh-124651-fix-quoted"),
    ],
)
def test_substituted_paths_are_quoted_as_the_release_s_venv_quotes_them(tmp_path, venv_source, posix, powershell):
    """gh-124651: a venv with the fix shell-quotes what it substitutes (PowerShell's way in .ps1 files); one without
    it substitutes the values as they are. A path with a space and a quote shows the difference."""
    python_dir = fake_python(tmp_path / "python", "3.11.9", venv_source)
    target = tmp_path / "my layers'dir" / "venv"
    assert write_venv(python_dir, target) is True
    values = {"DIR": str(target), "NAME": "venv", "PROMPT": "(venv) ", "BIN": "bin",
              "PYTHON": str(target / "bin" / "python3")}
    for name in INSTALLED:
        quote = powershell if name.endswith(".ps1") else posix
        assert (target / "bin" / name).read_text() == "".join(f"{key}={quote(value)}\n"
                                                               for key, value in values.items()), name
    activate = (target / "bin" / "activate").read_text()
    if QUOTING in venv_source:
        assert f"DIR='{tmp_path}/my layers'\"'\"'dir/venv'\n" in activate
        assert f"DIR='{tmp_path}/my layers''dir/venv'\n" in (target / "bin" / "Activate.ps1").read_text()
    else:
        assert f"DIR={tmp_path}/my layers'dir/venv\n" in activate


@pytest.mark.skipif(not MACHINE_VENVS, reason="no CPython 3.9+ with its venv package on this machine")
@pytest.mark.parametrize("source", MACHINE_VENVS, ids=lambda path: f"{path.parents[3]}/{path.parents[1].name}")
def test_the_fake_venv_lines_are_the_real_releases(source):
    """The prompt line the fakes use is the real one of each release (the quoting depends on the patch release and
    the distribution's patches: 3.11.7 from python.org has none, Debian's 3.11.2 has the fix)."""
    text = source.read_text(encoding="utf-8")
    minor = int(source.parent.parent.name.split(".")[1])
    assert (OLD_PROMPT in text, NEW_PROMPT in text) == ((True, False) if minor < 13 else (False, True))


def test_scripts_are_installed_as_venv_installs_them(tmp_path):
    """common/ and posix/ (their subdirectories kept, file modes copied), not nt/ or other folders; a template that is
    not UTF-8 is skipped."""
    python_dir = fake_python(tmp_path / "python", "3.12.1")
    scripts = python_dir / "lib" / "python3.12" / "venv" / "scripts"
    (scripts / "common" / "extra").mkdir()
    (scripts / "common" / "extra" / "hook").write_text("run __VENV_PYTHON__\n")
    (scripts / "common" / "extra" / "hook").chmod(0o755)
    (scripts / "posix" / "binary.dat").write_bytes(b"\xff\xfe__VENV_DIR__")
    (scripts / "nt").mkdir()
    (scripts / "nt" / "activate.bat").write_text("set VIRTUAL_ENV=__VENV_DIR__\n")
    (scripts / "macos").mkdir()
    (scripts / "macos" / "activate.zsh").write_text("__VENV_DIR__\n")
    target = tmp_path / "venv"
    assert write_venv(python_dir, target) is True
    files = {name for name, entry in tree(target / "bin").items() if entry[0] != "link"}
    assert files == {*INSTALLED, "extra", "extra/hook"}
    assert (target / "bin" / "extra" / "hook").read_text() == f"run {target}/bin/python3\n"
    assert stat.S_IMODE((target / "bin" / "extra" / "hook").stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "bin" / "activate").stat().st_mode) == 0o644


def test_writing_again_over_the_environment_gives_the_same_tree(tmp_path):
    python_dir = fake_python(tmp_path / "python", "3.14.0", NEW_PROMPT)
    target = tmp_path / "venv"
    assert write_venv(python_dir, target) is True
    first = tree(target)
    assert write_venv(python_dir, target) is True
    assert tree(target) == first


def _free_threaded(root: Path) -> None:
    fake_python(root, "3.13.0", NEW_PROMPT, lib_name="python3.13t")


def _header_of_another_release(root: Path) -> None:
    fake_python(root, "3.12.1")
    header = root / "include" / "python3.12" / "patchlevel.h"
    header.write_text(header.read_text().replace("MINOR_VERSION        12", "MINOR_VERSION        13"))


def _header_without_micro(root: Path) -> None:
    fake_python(root, "3.12.1")
    header = root / "include" / "python3.12" / "patchlevel.h"
    header.write_text(header.read_text().replace("PY_MICRO_VERSION", "PY_NO_VERSION"))


def _two_libraries(root: Path) -> None:
    fake_python(root, "3.12.1")
    shutil.copytree(root / "lib" / "python3.12", root / "lib" / "python3.13")


def _remove(relative: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        fake_python(root, "3.12.1")
        path = root / relative
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return make


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_free_threaded, id="free-threaded-python3.13t"),
        pytest.param(lambda root: fake_python(root, "3.15.0", NEW_PROMPT), id="newer-than-3.14"),
        pytest.param(lambda root: fake_python(root, "3.8.18"), id="older-than-3.9"),
        pytest.param(lambda root: fake_python(root, "3.12.1", headers=False), id="no-headers"),
        pytest.param(_header_of_another_release, id="header-of-another-release"),
        pytest.param(_header_without_micro, id="header-without-a-micro-version"),
        pytest.param(_two_libraries, id="two-python3.X-libraries"),
        pytest.param(_remove("lib/python3.12/venv/scripts"), id="no-venv-templates"),
        pytest.param(_remove("lib/python3.12/venv/__init__.py"), id="no-venv-package"),
        pytest.param(_remove("bin/python3"), id="no-bin-python3"),
    ],
)
def test_an_unknown_shape_writes_nothing_and_leaves_it_to_venv(tmp_path, make):
    make(tmp_path / "python")
    assert write_venv(tmp_path / "python", tmp_path / "venv") is False
    assert not (tmp_path / "venv").exists()
