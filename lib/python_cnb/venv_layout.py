"""What `python3 -m venv --without-pip TARGET` writes, written by the buildpack itself.

Running venv starts the new interpreter before its standard library has any bytecode (that compiles in the
background while the dependencies install), so it compiles venv's imports from source: 0.2 s alone and 0.3 s
beside the compile, on every cold build. The result is a handful of files this module writes in a few
milliseconds: pyvenv.cfg, the python links, the site-packages directory and the activation scripts, which come
from the interpreter's own templates (`lib/python3.X/venv/scripts`) with venv's substitutions.

What venv writes differs between releases, and this follows each difference (checked against the real venv of every
release on the test machines, see tests/contract/test_venv_layout.py):
- 3.11+: pyvenv.cfg also records `executable` and `command`;
- 3.11 to 3.13 name the include directory `include/python3.X`, the others `include`;
- 3.13+: the prompt is the directory's name (before: "(name) "; read from venv's own source);
- 3.13+: a `.gitignore` that ignores the whole environment;
- 3.14: a `𝜋thon` link beside `python3.14`;
- releases with the fix for gh-124651 (their venv quotes with shlex) quote what they substitute into the scripts.
An interpreter it does not know the shape of (no venv templates, a free-threaded `python3.Xt` library, no version
header, a release after 3.14) gets the real `python -m venv`: `write_venv` returns False and writes nothing."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from .errors import CommandFailed
from .output import Output
from .utils import run_captured

__all__ = ["bundled_pip_version", "bundled_pip_wheel", "create_venv", "site_packages_dirs", "stdlib_dirs",
           "write_venv"]

_NEWEST_KNOWN_MINOR = 14


def create_venv(out: Output, python_dir: Path, target: Path, env: Mapping[str, str], with_pip: bool = False) -> None:
    """The one way the buildpack makes a virtual environment (the app's, and the build-only pip's and tools'): written
    by `write_venv` when it knows the interpreter's layout, else `python -m venv` (without pip unless asked), whose
    output is shown when it fails."""
    if not with_pip and write_venv(python_dir, target):
        return
    cmd = [str(python_dir / "bin" / "python3"), "-m", "venv", *([] if with_pip else ["--without-pip"]), str(target)]
    result = run_captured(cmd, env=env, cwd=target.parent)
    if result.returncode != 0:
        out.step(result.stdout + result.stderr)
        raise CommandFailed(command="python -m venv", exit_code=result.returncode)


def site_packages_dirs(prefix: Path) -> List[Path]:
    """The site-packages directories of an environment or interpreter prefix (lib/python3.X/site-packages)."""
    return sorted(prefix.glob("lib/python3*/site-packages"))


def stdlib_dirs(python_dir: Path) -> List[Path]:
    """The interpreter's standard library directories (lib/python3.X)."""
    return sorted(lib for lib in python_dir.glob("lib/python3*") if lib.is_dir())


def bundled_pip_wheel(python_dir: Path) -> Optional[Path]:
    """The pip wheel the interpreter bundles for ensurepip."""
    wheels = sorted(python_dir.glob("lib/python3*/ensurepip/_bundled/pip-*.whl"))
    return wheels[-1] if wheels else None


def bundled_pip_version(python_dir: Path) -> str:
    wheel = bundled_pip_wheel(python_dir)
    match = re.match(r"pip-([^-]+)-", wheel.name) if wheel else None
    return match.group(1) if match else "unknown"


def write_venv(python_dir: Path, target: Path) -> bool:
    """Write the environment venv would create at `target` for the interpreter in `python_dir` (symlinks, without
    pip); False, with nothing written, when the interpreter's layout is not one this knows."""
    found = _interpreter(python_dir)
    if found is None:
        return False
    lib, minor, version, venv_source = found
    env_dir = os.path.abspath(str(target))
    home = os.path.join(os.path.abspath(str(python_dir)), "bin")
    base = os.path.join(home, "python3")

    os.makedirs(env_dir, exist_ok=True)
    if minor >= 13:
        with open(os.path.join(env_dir, ".gitignore"), "w", encoding="utf-8") as handle:
            handle.write("# Created by venv; see https://docs.python.org/3/library/venv.html\n*\n")
    include = os.path.join(env_dir, "include", lib.name) if minor in (11, 12, 13) else os.path.join(env_dir, "include")
    os.makedirs(include, exist_ok=True)
    os.makedirs(os.path.join(env_dir, "lib", lib.name, "site-packages"), exist_ok=True)
    if not os.path.lexists(os.path.join(env_dir, "lib64")):
        os.symlink("lib", os.path.join(env_dir, "lib64"))
    bin_dir = os.path.join(env_dir, "bin")
    os.makedirs(bin_dir, exist_ok=True)

    with open(os.path.join(env_dir, "pyvenv.cfg"), "w", encoding="utf-8") as handle:
        handle.write(f"home = {home}\ninclude-system-site-packages = false\nversion = {version}\n")
        if minor >= 11:
            handle.write(f"executable = {os.path.realpath(base)}\n"
                         f"command = {base} -m venv --without-pip {env_dir}\n")

    env_exe = os.path.join(bin_dir, "python3")
    if not os.path.islink(env_exe):
        os.symlink(base, env_exe)
    for name in ("python", f"python3.{minor}", *(("𝜋thon",) if minor == 14 else ())):
        if not os.path.lexists(os.path.join(bin_dir, name)):
            os.symlink("python3", os.path.join(bin_dir, name))

    name = os.path.basename(env_dir)
    values = {"__VENV_DIR__": env_dir, "__VENV_NAME__": name,
              "__VENV_PROMPT__": f"({name}) " if "'(%s) ' % prompt" in venv_source else name,
              "__VENV_BIN_NAME__": "bin", "__VENV_PYTHON__": env_exe}
    quoting = "shlex.quote" in venv_source
    _install_scripts(lib / "venv" / "scripts", bin_dir, values, quoting)
    return True


def _interpreter(python_dir: Path) -> Optional[Tuple[Path, int, str, str]]:
    """(lib/python3.X, X, "3.X.Y", venv's source) of a CPython layout this module knows, else None."""
    libs = [lib for lib in python_dir.glob("lib/python3.*") if (lib / "venv" / "__init__.py").is_file()]
    if len(libs) != 1 or not (python_dir / "bin" / "python3").exists():
        return None
    lib = libs[0]
    match = re.fullmatch(r"python3\.(\d+)", lib.name)
    if match is None or not 9 <= int(match.group(1)) <= _NEWEST_KNOWN_MINOR:
        return None
    minor = int(match.group(1))
    version = _header_version(python_dir / "include" / lib.name / "patchlevel.h")
    if version is None or not version.startswith(f"3.{minor}.") or not (lib / "venv" / "scripts").is_dir():
        return None
    try:
        return lib, minor, version, (lib / "venv" / "__init__.py").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _header_version(patchlevel: Path) -> Optional[str]:
    """"3.X.Y" from Python's patchlevel.h (venv writes sys.version_info[:3], without a pre-release suffix)."""
    try:
        text = patchlevel.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    parts = [re.search(rf"^#define\s+PY_{part}_VERSION\s+(\d+)\s*$", text, re.MULTILINE)
             for part in ("MAJOR", "MINOR", "MICRO")]
    if any(part is None for part in parts):
        return None
    return ".".join(part.group(1) for part in parts if part is not None)


def _quote_ps1(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _install_scripts(scripts: Path, bin_dir: str, values: Dict[str, str], quoting: bool) -> None:
    """venv's install_scripts on POSIX: the files under scripts/common and scripts/posix (subdirectories kept), the
    placeholders replaced; a file that is not UTF-8 is skipped, as venv skips it."""
    top = str(scripts)
    quote: Callable[[str], str] = shlex.quote if quoting else (lambda value: value)
    for root, dirs, files in os.walk(top):
        if root == top:
            dirs[:] = [d for d in dirs if d in ("common", "posix")]
            continue
        suffix = os.path.relpath(root, top).split(os.sep)[1:]
        destination = os.path.join(bin_dir, *suffix)
        os.makedirs(destination, exist_ok=True)
        for file_name in files:
            source = os.path.join(root, file_name)
            with open(source, "rb") as handle:
                data = handle.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            file_quote = _quote_ps1 if quoting and file_name.endswith(".ps1") else quote
            for placeholder, value in values.items():
                text = text.replace(placeholder, file_quote(value))
            out = os.path.join(destination, file_name)
            with open(out, "wb") as handle:
                handle.write(text.encode("utf-8"))
            shutil.copymode(source, out)
