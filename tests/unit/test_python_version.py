import datetime

import pytest
from python_cnb.errors import PythonVersionEol, PythonVersionMalformed, PythonVersionUnknown
from python_cnb.python_version import (
    RequestedVersion,
    parse_python_version_file,
    parse_runtime_txt,
    resolve,
    supported_range,
)

TODAY = datetime.date(2026, 11, 25)
AVAILABLE = ["3.11.16", "3.12.13", "3.12.14", "3.13.15", "3.14.7"]


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        pytest.param("python-3.12.7", (3, 12, 7), id="full"),
        pytest.param("python-3.12\n", (3, 12, None), id="minor"),
        pytest.param("  python-3.13.1  \n\n", (3, 13, 1), id="whitespace"),
        pytest.param("\ufeffpython-3.11", (3, 11, None), id="bom"),
        pytest.param("# pinned\npython-3.14.2 # newest\n", (3, 14, 2), id="comments"),
        pytest.param("3.12", (3, 12, None), id="bare"),
    ],
)
def test_parse_runtime_txt(contents, expected):
    parsed = parse_runtime_txt(contents)
    assert (parsed.major, parsed.minor, parsed.patch) == expected
    assert parsed.source == "runtime.txt"


@pytest.mark.parametrize(
    "contents", ["", "python", "python-3", "python-3.12.x", "pypy-7.3", "python-3.12\npython-3.13"]
)
def test_parse_runtime_txt_rejects(contents):
    with pytest.raises(PythonVersionMalformed) as info:
        parse_runtime_txt(contents)
    assert info.value.source == "runtime.txt"


@pytest.mark.parametrize(
    ("contents", "expected"),
    [("3.13\n", (3, 13, None)), ("3.12.4\n3.11\n", (3, 12, 4)), ("# c\n 3.14 \n", (3, 14, None))],
)
def test_parse_python_version_file(contents, expected):
    parsed = parse_python_version_file(contents)
    assert (parsed.major, parsed.minor, parsed.patch) == expected


@pytest.mark.parametrize("contents", ["", "system", "pypy3.10", "3"])
def test_parse_python_version_file_rejects(contents):
    with pytest.raises(PythonVersionMalformed):
        parse_python_version_file(contents)


def req(text, source="runtime.txt"):
    parts = [int(p) for p in text.split(".")]
    return RequestedVersion(parts[0], parts[1], parts[2] if len(parts) > 2 else None, source)


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        pytest.param(None, "3.14.7", id="default-newest"),
        pytest.param("3.12", "3.12.14", id="minor-newest-patch"),
        pytest.param("3.12.13", "3.12.13", id="exact"),
        pytest.param("3.11", "3.11.16", id="oldest-supported"),
    ],
)
def test_resolve(requested, expected):
    assert resolve(req(requested) if requested else None, AVAILABLE, TODAY) == expected


@pytest.mark.parametrize("requested", ["2.7", "3.6", "3.6.15", "3.9", "3.10", "3.10.19"])
def test_resolve_eol(requested):
    with pytest.raises(PythonVersionEol) as info:
        resolve(req(requested), AVAILABLE, TODAY)
    assert info.value.supported == "3.11 to 3.14"
    assert info.value.source == "runtime.txt"


def test_eol_dates_apply_over_time():
    later = datetime.date(2027, 11, 1)
    with pytest.raises(PythonVersionEol):
        resolve(req("3.11"), AVAILABLE, later)
    assert resolve(None, AVAILABLE, later) == "3.14.7"
    assert supported_range(later) == "3.12 to 3.15"
    assert supported_range(later, AVAILABLE) == "3.12 to 3.14"
    assert supported_range(TODAY, ["3.13.1"]) == "3.13"


@pytest.mark.parametrize("requested", ["3.12.99", "3.15", "3.16", "4.0"])
def test_resolve_unknown(requested):
    with pytest.raises(PythonVersionUnknown) as info:
        resolve(req(requested), AVAILABLE, TODAY)
    assert info.value.known == AVAILABLE
