import json
import runpy

import pytest
from python_cnb.sysconfig_rewrite import (
    rewrite_config_json,
    rewrite_makefile,
    rewrite_pkgconfig,
    rewrite_sysconfigdata,
    rewrite_value,
)

LAYER = "/layers/python-cnb_python/python"

# What python-build-standalone's x86_64 and aarch64 (cross-compiled) builds record.
PBS_VARS = {
    "CC": "clang -pthread",
    "CXX": "clang++ -pthread",
    "CPP": "clang -E",
    "AR": "/tools/llvm/bin/llvm-ar",
    "LDSHARED": "clang -pthread -shared -L/tools/deps/lib -Wl,--exclude-libs,ALL -fuse-ld=lld ",
    "BLDSHARED": "clang -pthread -shared -L/tools/deps/lib -Wl,--exclude-libs,ALL",
    "LDCXXSHARED": "clang++ -pthread -shared",
    "LINKCC": "clang -pthread",
    "CFLAGS": "-Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fdebug-default-version=4 -fPIC -I/tools/deps/include",
    "CONFIGURE_LDFLAGS": "-L/tools/deps/lib -Wl,--exclude-libs,ALL -flto=thin -Qunused-arguments",
    "LDFLAGS": "-L/install/lib -Wl,-rpath,/install/lib",
    "CCSHARED": "-fPIC",
    "prefix": "/install",
    "exec_prefix": "/install",
    "INCLUDEPY": "/install/include/python3.12",
    "LIBDIR": "/install/lib",
    "LIBPC": "/install/lib/pkgconfig",
    "CONFIG_ARGS": "'--prefix=/install' 'CC=clang'",
    "OTHER": "/installer/x /opt/install",
    "Py_ENABLE_SHARED": 1,
}


def _module(variables):
    return "# system configuration generated and used by the sysconfig module\nbuild_time_vars = " + repr(variables)


def _load(text, tmp_path):
    path = tmp_path / "_sysconfigdata__linux_x86_64-linux-gnu.py"
    path.write_text(text)
    return runpy.run_path(str(path))["build_time_vars"]


def test_pbs_sysconfigdata(tmp_path):
    result = _load(rewrite_sysconfigdata(_module(PBS_VARS), LAYER), tmp_path)
    assert result["CC"] == "cc -pthread"
    assert result["CXX"] == "c++ -pthread"
    assert result["CPP"] == "cc -E"
    assert result["AR"] == "ar"
    assert result["LDSHARED"] == "cc -pthread -shared -L/tools/deps/lib -Wl,--exclude-libs,ALL "
    assert result["LDCXXSHARED"] == "c++ -pthread -shared"
    assert result["LINKCC"] == "cc -pthread"
    assert result["CFLAGS"] == "-Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -I/tools/deps/include"
    assert result["CONFIGURE_LDFLAGS"] == "-L/tools/deps/lib -Wl,--exclude-libs,ALL"
    assert result["LDFLAGS"] == f"-L{LAYER}/lib -Wl,-rpath,{LAYER}/lib"
    assert result["prefix"] == result["exec_prefix"] == LAYER
    assert result["INCLUDEPY"] == f"{LAYER}/include/python3.12"
    assert result["LIBPC"] == f"{LAYER}/lib/pkgconfig"
    assert result["CONFIG_ARGS"] == f"'--prefix={LAYER}' 'CC=clang'"  # a record of the build, not a command
    assert result["OTHER"] == "/installer/x /opt/install"  # other paths that merely contain the prefix
    assert result["Py_ENABLE_SHARED"] == 1
    assert result["CCSHARED"] == "-fPIC"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CC", "/usr/bin/aarch64-linux-gnu-gcc", "cc"),
        ("CXX", "/usr/bin/aarch64-linux-gnu-g++", "c++"),
        ("CC", "clang-18 -pthread", "cc -pthread"),
        ("CC", "/tools/clang-linux64/bin/clang -pthread", "cc -pthread"),
        ("CC", "gcc -pthread", "gcc -pthread"),
        ("CC", "x86_64-linux-musl-gcc", "cc"),
        ("AR", "aarch64-linux-gnu-ar", "ar"),
        ("AR", "ar", "ar"),
        ("LDSHARED", "$(CC) -shared $(PY_LDFLAGS)", "$(CC) -shared $(PY_LDFLAGS)"),
        ("CFLAGS", "-O2 -mllvm -inline-threshold=500 -g", "-O2 -g"),
        ("CFLAGS", "--target=aarch64-unknown-linux-gnu -O2", "-O2"),
        ("CC", "", ""),
    ],
)
def test_rewrite_value(name, value, expected):
    assert rewrite_value(name, value, "/install", LAYER) == expected


def test_makefile():
    text = ("prefix=\t\t/install\nCC=\t\tclang -pthread\nCXX=\t\tclang++ -pthread\nLINKCC=\t\t$(PURIFY) $(CC)\n"
            "AR=\t\t/tools/llvm/bin/llvm-ar\nCONFIGURE_CFLAGS=\t-fdebug-default-version=4 -O3\n"
            "INCLUDEDIR=\t/install/include\nLIBS=\t-lm \\\n\t-ldl\n")
    assert rewrite_makefile(text, LAYER) == (
        f"prefix=\t\t{LAYER}\nCC=\t\tcc -pthread\nCXX=\t\tc++ -pthread\nLINKCC=\t\t$(PURIFY) $(CC)\n"
        f"AR=\t\tar\nCONFIGURE_CFLAGS=\t-O3\nINCLUDEDIR=\t{LAYER}/include\nLIBS=\t-lm \\\n\t-ldl\n")


def test_pkgconfig():
    text = "prefix=/install\nexec_prefix=${prefix}\nlibdir=/install/lib\nCflags: -I${includedir}/python3.12\n"
    assert rewrite_pkgconfig(text, LAYER) == (f"prefix={LAYER}\nexec_prefix=${{prefix}}\nlibdir={LAYER}/lib\n"
                                              "Cflags: -I${includedir}/python3.12\n")
    relocatable = "prefix=${pcfiledir}/../..\n"
    assert rewrite_pkgconfig(relocatable, LAYER) == relocatable


def test_config_json():
    text = json.dumps({"build_time_vars": {"prefix": "/install", "CC": "clang -pthread"}, "version": "3.14"})
    data = json.loads(rewrite_config_json(text, LAYER))
    assert data["build_time_vars"] == {"prefix": LAYER, "CC": "cc -pthread"}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("build_time_vars = {", id="syntax-error"),
        pytest.param("import os\nbuild_time_vars = {}", id="extra-statement"),
        pytest.param("build_time_vars = [1]", id="not-a-dict"),
        pytest.param("build_time_vars = {'a': open('x')}", id="not-a-literal"),
        pytest.param("\0", id="nul"),
    ],
)
def test_garbage_sysconfigdata_raises_value_error(text):
    with pytest.raises(ValueError):  # noqa: PT011 - the caller turns any ValueError into a warning
        rewrite_sysconfigdata(text, LAYER)


@pytest.mark.parametrize("text", ["", "[1, 2]", "{", "\0"])
def test_garbage_config_json_raises_value_error(text):
    with pytest.raises(ValueError):  # noqa: PT011
        rewrite_config_json(text, LAYER)


@pytest.mark.parametrize("text", ["", "\0\0", "=\n:=\n", "prefix=\n", "CC=\\\n"])
def test_garbage_makefile_and_pc_do_not_raise(text):
    assert isinstance(rewrite_makefile(text, LAYER), str)
    assert isinstance(rewrite_pkgconfig(text, LAYER), str)
