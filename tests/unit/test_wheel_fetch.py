"""Fetching a binary tool's wheel (uv) straight from a simple-API index: pages, tag choice, pip's settings, the
hash check, and the scripts unpacked. The index is a real HTTP server on 127.0.0.1."""

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from python_cnb._vendor.packaging.tags import sys_tags
from python_cnb.wheel_fetch import (
    FetchFailed,
    WheelFile,
    choose_wheel,
    fetch_wheel,
    parse_project_page,
    pip_settings,
    settings_it_does_not_follow,
    unpack_scripts,
    with_index_credentials,
)
from support.http_server import serve_directory

HERE = [str(tag) for tag in sys_tags()]
PLATFORM = next(tag.platform for tag in sys_tags() if tag.interpreter == "py3" and tag.abi == "none"
                and tag.platform != "any")


def test_json_and_html_pages_list_the_files_yanked_ones_left_out():
    page = "https://index.example/simple/tool/"
    data = {"files": [
        {"filename": "tool-1.0-py3-none-any.whl", "url": "../../files/tool-1.0-py3-none-any.whl",
         "hashes": {"sha256": "aa"}},
        {"filename": "tool-0.9-py3-none-any.whl", "url": "https://cdn.example/t.whl#sha256=bb", "hashes": {}},
        {"filename": "tool-0.8-py3-none-any.whl", "url": "x.whl", "hashes": {}, "yanked": "broken"},
    ]}
    assert parse_project_page(json.dumps(data).encode(), "application/vnd.pypi.simple.v1+json", page) == [
        WheelFile("tool-1.0-py3-none-any.whl", "https://index.example/files/tool-1.0-py3-none-any.whl", "aa"),
        WheelFile("tool-0.9-py3-none-any.whl", "https://cdn.example/t.whl", "bb"),
    ]
    html = ('<html><body><a href="/f/tool-1.0-py3-none-any.whl#sha256=cc">tool-1.0-py3-none-any.whl</a>\n'
            '<a href="/f/tool-0.8.tar.gz#md5=dd" data-yanked="">tool-0.8.tar.gz</a></body></html>')
    assert parse_project_page(html.encode(), "text/html", page) == [
        WheelFile("tool-1.0-py3-none-any.whl", "https://index.example/f/tool-1.0-py3-none-any.whl", "cc")]


def test_the_wheel_for_this_machine_is_chosen():
    files = [WheelFile(name, f"https://x/{name}", "00") for name in (
        "uv-0.13.9.tar.gz", "uv-0.13.9-py3-none-win_amd64.whl", "uv-0.13.8-py3-none-any.whl",
        "uv-0.13.9-py3-none-any.whl", f"uv-0.13.9-py3-none-{PLATFORM}.whl", "not a wheel.whl")]
    assert choose_wheel(files, "uv", "0.13.9", HERE).filename == f"uv-0.13.9-py3-none-{PLATFORM}.whl"
    assert choose_wheel(files[:3], "uv", "0.13.9", HERE) is None
    assert choose_wheel(files, "UV", "0.13.8", HERE).filename == "uv-0.13.8-py3-none-any.whl"


def test_pip_settings_come_from_its_files_then_the_environment(tmp_path):
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text(
        "[global]\ncert = /certs.pem\nindex-url = https://mirror.example/simple\n[install]\ntrusted-host = mirror\n"
        "[freeze]\nall = true\n")
    env = {"HOME": str(home), "XDG_CONFIG_DIRS": str(tmp_path / "none")}
    settings = pip_settings(env)
    assert settings["PIP_CERT"][0] == "/certs.pem"
    assert settings["PIP_INDEX_URL"] == ("https://mirror.example/simple",
                                         f"index-url in {home}/.config/pip/pip.conf")
    assert "PIP_ALL" not in settings
    assert f"trusted-host in {home}/.config/pip/pip.conf" in settings_it_does_not_follow(env)
    assert settings_it_does_not_follow({**env, "PIP_CONFIG_FILE": "/dev/null"}) == []
    assert settings_it_does_not_follow({"PIP_CONFIG_FILE": "/dev/null", "PIP_EXTRA_INDEX_URL": "https://x/simple",
                                        "PIP_INDEX_URL": "https://y/simple", "PIP_CERT": "/c.pem",
                                        "PIP_NO_CACHE_DIR": "1", "PIP_FIND_LINKS": " "}) == ["PIP_EXTRA_INDEX_URL"]
    (tmp_path / "mine.conf").write_text("[global]\nno-index = true\n")
    assert settings_it_does_not_follow({"PIP_CONFIG_FILE": str(tmp_path / "mine.conf"), "HOME": str(tmp_path)}) \
        [-1:] == [f"no-index in {tmp_path}/mine.conf"]


def _wheel(directory: Path, version: str = "0.13.9") -> Path:
    path = directory / f"tool-{version}-py3-none-{PLATFORM}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tool/__init__.py", "")
        archive.writestr(f"tool-{version}.data/scripts/tool", "#!/bin/sh\necho tool\n")
        archive.writestr(f"tool-{version}.data/scripts/toolx", "#!/bin/sh\necho toolx\n")
        archive.writestr(f"tool-{version}.dist-info/METADATA", "Name: tool\n")
    return path


@pytest.fixture
def index(tmp_path):
    root = tmp_path / "served"
    (root / "simple" / "tool").mkdir(parents=True)
    with serve_directory(root) as url:
        yield root, url


def _page(root: Path, wheel: Path, sha256: str) -> None:
    (root / "simple" / "tool" / "index.html").write_text(
        f'<a href="/files/{wheel.name}#sha256={sha256}">{wheel.name}</a>\n')


def test_fetch_checks_the_hash_and_unpacks_the_scripts(tmp_path, index):
    root, url = index
    (root / "files").mkdir()
    wheel = _wheel(root / "files")
    _page(root, wheel, hashlib.sha256(wheel.read_bytes()).hexdigest())
    env = {"PIP_CONFIG_FILE": "/dev/null", "PIP_INDEX_URL": f"http://user:s3cret@{url[len('http://'):]}/simple"}
    fetched = fetch_wheel("tool==0.13.9", env, tmp_path / "dl", time_limit=30)
    assert fetched.read_bytes() == wheel.read_bytes() and not list((tmp_path / "dl").glob("*.part"))
    assert unpack_scripts(fetched, tmp_path / "bin") == ["tool", "toolx"]
    assert (tmp_path / "bin" / "tool").stat().st_mode & 0o111

    _page(root, wheel, "0" * 64)
    with pytest.raises(FetchFailed, match="does not have the sha256 the index states"):
        fetch_wheel("tool==0.13.9", env, tmp_path / "dl2", time_limit=30)
    assert not list((tmp_path / "dl2").iterdir())
    with pytest.raises(FetchFailed, match="lists no wheel of tool==0.14.0 for this platform") as failed:
        fetch_wheel("tool==0.14.0", env, tmp_path / "dl3", time_limit=30)
    assert "s3cret" not in failed.value.reason
    with pytest.raises(FetchFailed, match="answered HTTP 404"):
        fetch_wheel("other==1.0", env, tmp_path / "dl4", time_limit=30)


def test_a_wheel_without_scripts_is_refused(tmp_path):
    path = tmp_path / "tool-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tool/__init__.py", "")
    with pytest.raises(FetchFailed, match="has no scripts"):
        unpack_scripts(path, tmp_path / "bin")
    (tmp_path / "broken.whl").write_text("not a zip")
    with pytest.raises(FetchFailed, match="could not be unpacked"):
        unpack_scripts(tmp_path / "broken.whl", tmp_path / "bin")


def test_files_on_the_index_host_get_its_credentials():
    index = "https://me:t%40ken@repo.example:8443/simple"
    assert with_index_credentials("https://repo.example:8443/files/uv.whl", index) == \
        "https://me:t%40ken@repo.example:8443/files/uv.whl"
    for other in ("https://files.example/uv.whl", "http://repo.example:8443/uv.whl", "https://repo.example/uv.whl",
                  "https://x:y@repo.example:8443/uv.whl"):
        assert with_index_credentials(other, index) == other
    assert with_index_credentials("https://repo.example/uv.whl", "https://repo.example/simple") == \
        "https://repo.example/uv.whl"
