"""The check before installing for a free-threaded interpreter: which wheels fit its ABI, what the locks and
requirements pin, and which pins have neither a fitting wheel nor an sdist. Plain data."""

import json

import pytest
from python_cnb.errors import FreeThreadedWheelsMissing, render_error
from python_cnb.freethreaded import (
    Pinned,
    fits,
    lacking_builds,
    pinned_in_lock,
    pinned_in_pipfile_lock,
    pinned_in_requirements,
    target_markers,
    with_index_files,
)

MANY = "manylinux_2_27_x86_64.manylinux_2_28_x86_64"


@pytest.mark.parametrize(
    ("filename", "version", "expected"),
    [
        pytest.param(f"numpy-2.3.4-cp314-cp314t-{MANY}.whl", "3.14.10", True, id="cp314t"),
        pytest.param(f"numpy-2.3.4-cp314-cp314-{MANY}.whl", "3.14.10", False, id="cp314-default-abi"),
        pytest.param(f"numpy-2.3.4-cp313-cp313t-{MANY}.whl", "3.14.10", False, id="cp313t-other-minor"),
        pytest.param(f"numpy-2.3.4-cp314-cp314t-{MANY}.whl", "3.15.2", False, id="cp314t-on-3.15"),
        pytest.param("numpy-2.3.4-cp314-cp314t-manylinux_2_28_aarch64.whl", "3.14.10", False, id="other-machine"),
        pytest.param("numpy-2.3.4-cp314-cp314t-musllinux_1_2_x86_64.whl", "3.14.10", False, id="musl"),
        pytest.param("numpy-2.3.4-cp314-cp314t-win_amd64.whl", "3.14.10", False, id="windows"),
        pytest.param("flask-3.1.2-py3-none-any.whl", "3.14.10", True, id="pure-python"),
        pytest.param("cryptography-46.0.3-cp311-abi3-manylinux_2_34_x86_64.whl", "3.14.10", False,
                     id="abi3-does-not-load"),
        pytest.param("pkg-1.0-cp315-abi3t-manylinux_2_34_x86_64.whl", "3.15.2", True, id="abi3t-from-3.15"),
        pytest.param("pkg-1.0-cp315-abi3t-manylinux_2_34_x86_64.whl", "3.14.10", False, id="abi3t-not-on-3.14"),
        pytest.param("pkg-1.0-cp314-cp314t-linux_x86_64.whl", "3.14.10", True, id="plain-linux-tag"),
        pytest.param("not-a-wheel.tar.gz", "3.14.10", False, id="not-a-wheel"),
    ],
)
def test_fits(filename, version, expected):
    assert fits(filename, version, "x86_64") is expected


BINARY_ONLY = ("onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_x86_64.whl",
               "onnxruntime-1.20.1-cp312-cp312-win_amd64.whl")


@pytest.mark.parametrize(
    ("pin", "lacking"),
    [
        pytest.param(Pinned("onnxruntime", "1.20.1", "uv.lock", BINARY_ONLY), True, id="binary-only-no-cp314t"),
        pytest.param(Pinned("numpy", "2.3.4", "uv.lock", (f"numpy-2.3.4-cp314-cp314t-{MANY}.whl",)), False,
                     id="has-cp314t"),
        pytest.param(Pinned("numpy", "1.26.4", "uv.lock", (f"numpy-1.26.4-cp312-cp312-{MANY}.whl",
                                                          "numpy-1.26.4.tar.gz")), False, id="sdist-can-build"),
        pytest.param(Pinned("pywin32", "311", "uv.lock", ("pywin32-311-cp314-cp314-win_amd64.whl",)), False,
                     id="no-wheel-for-this-platform-left-to-markers"),
        pytest.param(Pinned("flask", "3.1.2", "uv.lock", ("flask-3.1.2-py3-none-any.whl",)), False, id="pure"),
        pytest.param(Pinned("x", "1", "requirements.txt", ()), False, id="index-has-no-files"),
    ],
)
def test_lacking_builds(pin, lacking):
    assert lacking_builds([pin], "3.14.10", "amd64") == ([pin] if lacking else [])


def test_arm64_looks_for_aarch64_wheels():
    pin = Pinned("onnxruntime", "1.20.1", "uv.lock", ("onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_aarch64.whl",))
    assert lacking_builds([pin], "3.14.10", "arm64") == [pin]
    assert lacking_builds([pin], "3.14.10", "amd64") == []


UV_LOCK = """version = 1
requires-python = ">=3.14"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "onnxruntime" }, { name = "flask" }]

[package.dev-dependencies]
dev = [{ name = "devonly" }]

[[package]]
name = "devonly"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/devonly-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", hash = "sha256:00" }]

[[package]]
name = "flask"
version = "3.1.2"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example/flask-3.1.2.tar.gz", hash = "sha256:00", size = 1 }
wheels = [{ url = "https://files.example/flask-3.1.2-py3-none-any.whl", hash = "sha256:00", size = 1 }]

[[package]]
name = "onnxruntime"
version = "1.20.1"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.example/onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_x86_64.whl", hash = "sha256:00" },
    { url = "https://files.example/onnxruntime-1.20.1-cp312-cp312-win_amd64.whl", hash = "sha256:00" },
]
"""

POETRY_LOCK = """[[package]]
name = "onnxruntime"
version = "1.20.1"
optional = false
python-versions = "*"
files = [
    {file = "onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_x86_64.whl", hash = "sha256:00"},
]

[[package]]
name = "devonly"
version = "1.0"
groups = ["dev"]
files = [
    {file = "devonly-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", hash = "sha256:00"},
]

[[package]]
name = "flask"
version = "3.1.2"
groups = ["main"]
files = [
    {file = "flask-3.1.2-py3-none-any.whl", hash = "sha256:00"},
    {file = "flask-3.1.2.tar.gz", hash = "sha256:00"},
]

[metadata]
lock-version = "2.1"
"""

PYLOCK = """lock-version = "1.0"
created-by = "uv"

[[packages]]
name = "onnxruntime"
version = "1.20.1"
wheels = [{ name = "onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_x86_64.whl", url = "https://f.example/o.whl" }]

[[packages]]
name = "flask"
version = "3.1.2"
sdist = { name = "flask-3.1.2.tar.gz", url = "https://f.example/flask-3.1.2.tar.gz" }
"""


# pdm.lock: the shape `pdm lock` writes (groups per package, files with hashes).
PDM_LOCK = """[metadata]
groups = ["default", "test"]
lock_version = "4.5.0"

[[package]]
name = "onnxruntime"
version = "1.20.1"
groups = ["default"]
files = [
    {file = "onnxruntime-1.20.1-cp312-cp312-manylinux_2_27_x86_64.whl", hash = "sha256:00"},
]

[[package]]
name = "devonly"
version = "1.0"
groups = ["test"]
files = [
    {file = "devonly-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", hash = "sha256:00"},
]

[[package]]
name = "flask"
version = "3.1.2"
groups = ["default"]
files = [
    {file = "flask-3.1.2-py3-none-any.whl", hash = "sha256:00"},
    {file = "flask-3.1.2.tar.gz", hash = "sha256:00"},
]
"""


@pytest.mark.parametrize(("file", "text"), [("uv.lock", UV_LOCK), ("poetry.lock", POETRY_LOCK),
                                            ("pdm.lock", PDM_LOCK), ("pylock.toml", PYLOCK)])
def test_locks_with_artifact_lists(file, text):
    pins = pinned_in_lock(file, text)
    assert sorted(p.name for p in pins) == ["flask", "onnxruntime"], \
        "the project itself is not a distribution, and a development group's are not installed"
    assert [(p.name, p.version, p.file) for p in lacking_builds(pins, "3.14.10", "amd64")] == [
        ("onnxruntime", "1.20.1", file)]


MARKERS = target_markers("3.14.10", "amd64")


def test_requirements_pins():
    lines = ["flask==3.1.2", "onnxruntime == 1.20.1 --hash=sha256:00", "gunicorn>=23", "requests",
             "numpy==2.*", "pywin32==311; sys_platform == 'win32'", "tomli==2.0.1; python_version < '3.11'",
             "uvloop===0.21.0; platform_machine == 'x86_64'", "pkg @ https://example.com/pkg-1.0.tar.gz",
             "Django[argon2]==5.2.1"]
    assert [(p.name, p.version) for p in pinned_in_requirements(lines, "requirements.txt", MARKERS)] == [
        ("flask", "3.1.2"), ("onnxruntime", "1.20.1"), ("uvloop", "0.21.0"), ("Django", "5.2.1")]


def test_pipfile_lock_pins():
    text = json.dumps({"_meta": {}, "default": {
        "flask": {"version": "==3.1.2", "hashes": []},
        "colorama": {"version": "==0.4.6", "markers": "sys_platform == 'win32'"},
        "local": {"path": ".", "editable": True}},
        "develop": {"pytest": {"version": "==8.0.0"}}})
    assert [(p.name, p.version, p.file) for p in pinned_in_pipfile_lock(text, MARKERS)] == [
        ("flask", "3.1.2", "Pipfile.lock")]
    assert pinned_in_pipfile_lock("{not json", MARKERS) == []


def test_index_files_fill_in_the_pins_without_files():
    pages = {"onnxruntime": [*BINARY_ONLY, "onnxruntime-1.19.0.tar.gz"], "flask": None}
    asked = []

    def lookup(name):
        asked.append(name)
        return pages[name]

    pins = [Pinned("onnxruntime", "1.20.1", "requirements.txt"), Pinned("flask", "3.1.2", "requirements.txt"),
            Pinned("Onnxruntime", "1.20.1", "requirements.txt"),
            Pinned("numpy", "2.3.4", "uv.lock", ("numpy-2.3.4.tar.gz",))]
    checked = with_index_files(pins, lookup)
    assert asked == ["onnxruntime", "flask"], "one request per name; a pin with its files asks nothing"
    assert checked[0] == Pinned("onnxruntime", "1.20.1", "requirements.txt", BINARY_ONLY), \
        "only the pinned version's files (the older release's sdist does not count)"
    assert [p.name for p in checked] == ["onnxruntime", "Onnxruntime", "numpy"], \
        "a pin the index could not answer for is not checked"


def test_the_error_names_each_distribution_and_the_fix():
    title, body = render_error(FreeThreadedWheelsMissing(
        python="3.14.10", abi="cp314t", platform="linux x86_64", source=".python-version",
        distributions=[("onnxruntime", "1.20.1", "uv.lock")]))
    assert title == "Dependencies without free-threaded wheels"
    assert body == (
        "The free-threaded Python 3.14.10 (.python-version) installs only wheels built for its ABI (cp314t) or\n"
        "distributions it can build from source. These have no cp314t wheel for linux x86_64 and no sdist,\n"
        "so installing them would fail:\n"
        "  - onnxruntime 1.20.1 (pinned in uv.lock)\n\n"
        "1. Use the default build of Python 3.14: write '3.14' in .python-version (without the 't').\n"
        "2. Or pin releases of them that publish free-threaded wheels (cp314t in the wheel's name on the\n"
        "   package index), and update the lock or requirements file.")
    _, runtime = render_error(FreeThreadedWheelsMissing("3.15.2", "cp315t", "linux aarch64", "runtime.txt", []))
    assert "write 'python-3.15' in runtime.txt" in runtime
    _, variable = render_error(FreeThreadedWheelsMissing("3.15.2", "cp315t", "linux aarch64", "BP_CPYTHON_VERSION",
                                                         []))
    assert "set BP_CPYTHON_VERSION to '3.15'" in variable
