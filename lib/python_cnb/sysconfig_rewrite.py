"""Make the interpreter's build configuration describe this machine, not python-build-standalone's.

python-build-standalone records the compilers of its own build machine in sysconfig (CC='clang -pthread',
cross compilers such as /usr/bin/aarch64-linux-gnu-gcc, llvm-ar) and its install prefix (/install). setuptools,
meson-python and friends build C extensions with exactly those values, so on a build image with only gcc a
package built from source fails ("clang: command not found", "-I/install/include/python3.12: no Python.h").
uv rewrites these values when it installs such an interpreter; this module does the same, as pure text
functions: compiler commands become cc / c++ / ar (keeping the flags gcc accepts, dropping clang-only ones) and
the recorded prefix becomes the directory the interpreter was unpacked to.
"""

from __future__ import annotations

import ast
import json
import os
import pprint
import re
from typing import Any, Dict, List, Optional

__all__ = ["rewrite_config_json", "rewrite_makefile", "rewrite_pkgconfig", "rewrite_sysconfigdata",
           "rewrite_value"]

# Variables that hold a command: the first word is a program of the build machine.
COMMAND_VARS = frozenset({"CC", "CXX", "CPP", "LDSHARED", "LDCXXSHARED", "BLDSHARED", "LINKCC", "MAINCC", "AR",
                          "LINKFORSHARED_CC"})
# Variables that hold compiler or linker flags (clang-only ones are dropped).
_FLAG_VAR = re.compile(r"(FLAGS|^OPT$|^CCSHARED$|^CONFIGURE_|^PY_.*FLAGS|FLAGS_NODIST)")

_CLANG = re.compile(r"^clang(-\d+(\.\d+)*)?$")
_CLANGXX = re.compile(r"^clang\+\+(-\d+(\.\d+)*)?$")
_CROSS_GCC = re.compile(r"^[A-Za-z0-9_]+(-[A-Za-z0-9_.]+)+-(gcc|cc)(-\d+)?$")
_CROSS_GXX = re.compile(r"^[A-Za-z0-9_]+(-[A-Za-z0-9_.]+)+-(g\+\+|c\+\+)(-\d+)?$")
_AR = re.compile(r"^(llvm-ar(-\d+)?|[A-Za-z0-9_]+(-[A-Za-z0-9_.]+)+-ar)$")

# Flags gcc refuses (or that need clang's own runtime or linker).
_CLANG_ONLY_PREFIXES = ("-fdebug-default-version=", "-fprofile-instr-", "--rtlib=", "-rtlib=", "--unwindlib=",
                        "-unwindlib=", "-fuse-ld=lld", "--target=", "-target=", "-Wl,--thinlto", "-Werror=unguarded",
                        "-Wunguarded-availability", "-fno-sanitize-recover=")
_CLANG_ONLY = frozenset({"-Qunused-arguments", "-Wno-unused-command-line-argument", "-flto=thin",
                         "-fuse-ld=lld", "-Wno-unknown-warning-option"})
# Flags whose argument is the next word.
_CLANG_ONLY_WITH_ARG = frozenset({"-mllvm", "-target", "-Xclang"})


def _program(word: str) -> str:
    base = os.path.basename(word)
    if _CLANG.match(base) or _CROSS_GCC.match(base):
        return "cc"
    if _CLANGXX.match(base) or _CROSS_GXX.match(base):
        return "c++"
    if _AR.match(base):
        return "ar"
    if word.startswith("/") and base in ("gcc", "cc", "g++", "c++", "ar"):
        return base  # a compiler at a path of the build machine
    return word


def _drop_clang_flags(words: List[str]) -> List[str]:
    kept: List[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        if word in _CLANG_ONLY_WITH_ARG:
            skip_next = True
            continue
        if word in _CLANG_ONLY or word.startswith(_CLANG_ONLY_PREFIXES):
            continue
        kept.append(word)
    return kept


def _prefix_pattern(old_prefix: str) -> re.Pattern[str]:
    # The prefix as a whole path: at the start of a word, after = , : or a quote, or right after -I / -L.
    return re.compile(r"(?:(?<![^\s=,:'\"])|(?<=-[IL]))" + re.escape(old_prefix) + r"(?=[/\s:,'\"]|$)")


def rewrite_value(name: str, value: str, old_prefix: Optional[str], new_prefix: str) -> str:
    """One configuration value, rewritten for this machine."""
    if old_prefix and old_prefix != new_prefix and old_prefix != "/":
        value = _prefix_pattern(old_prefix).sub(new_prefix.replace("\\", "\\\\"), value)
    is_command = name in COMMAND_VARS
    if not (is_command or _FLAG_VAR.search(name)) or name == "CONFIG_ARGS":
        return value
    words = value.split()
    if not words:
        return value
    if is_command and not words[0].startswith("$("):
        words[0] = _program(words[0])
    new_words = _drop_clang_flags(words)
    if new_words == value.split():
        return value  # unchanged: keep the original spacing
    return " ".join(new_words) + (" " if value.endswith(" ") and new_words else "")


def _rewrite_vars(variables: Dict[str, Any], new_prefix: str) -> Dict[str, Any]:
    old_prefix = variables.get("prefix")
    old = old_prefix if isinstance(old_prefix, str) and old_prefix.startswith("/") else None
    return {key: rewrite_value(key, value, old, new_prefix) if isinstance(value, str) else value
            for key, value in variables.items()}


def rewrite_sysconfigdata(text: str, new_prefix: str) -> str:
    """A _sysconfigdata_*.py module (`build_time_vars = {...}`) with its values rewritten.
    Raises ValueError when the text is not such a module."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"not a Python module ({exc})") from None
    variables: Optional[Dict[str, Any]] = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id == "build_time_vars":
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
                raise ValueError(f"build_time_vars is not a plain dict ({type(exc).__name__})") from None
            if isinstance(value, dict):
                variables = value
    if variables is None or len(tree.body) != 1:
        raise ValueError("it is not a single build_time_vars = {...} assignment")
    rewritten = _rewrite_vars(variables, new_prefix)
    return ("# system configuration generated and used by the sysconfig module\n"
            "# (compilers and install prefix rewritten for this machine by the Python buildpack)\n"
            f"build_time_vars = {pprint.pformat(rewritten, width=100)}\n")


def rewrite_config_json(text: str, new_prefix: str) -> str:
    """Python 3.14's _sysconfig_vars_*.json (the same variables, for tools). Raises ValueError."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if isinstance(data.get("build_time_vars"), dict):
        data["build_time_vars"] = _rewrite_vars(data["build_time_vars"], new_prefix)
    if isinstance(data.get("prefix"), str) or "build_time_vars" not in data:
        data = _rewrite_vars(data, new_prefix)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


_MAKE_ASSIGNMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>\s*[:?+]?=)(?P<space>[ \t]*)(?P<value>.*)$")


def rewrite_makefile(text: str, new_prefix: str) -> str:
    """The config-3.X/Makefile that python-config and some build tools read."""
    lines = text.split("\n")
    old_prefix = None
    for line in lines:
        match = _MAKE_ASSIGNMENT.match(line)
        if match and match.group("name") == "prefix":
            old_prefix = match.group("value").strip() or None
            break
    out = []
    for line in lines:
        match = _MAKE_ASSIGNMENT.match(line)
        if match and not line.rstrip().endswith("\\"):
            value = rewrite_value(match.group("name"), match.group("value"), old_prefix, new_prefix)
            line = f"{match.group('name')}{match.group('op')}{match.group('space')}{value}"
        out.append(line)
    return "\n".join(out)


def rewrite_pkgconfig(text: str, new_prefix: str) -> str:
    """A .pc file whose prefix= line names the build machine's prefix."""
    match = re.search(r"^prefix=(/\S*)\s*$", text, flags=re.MULTILINE)
    if not match or match.group(1) == new_prefix:
        return text
    return _prefix_pattern(match.group(1)).sub(new_prefix.replace("\\", "\\\\"), text)
