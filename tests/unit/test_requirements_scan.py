"""The install methods' reuse inputs: requirements.txt as pip reads it (includes, local projects, find-links,
pip's config files, which lines changed), the project's packaging files, and a lock method's files."""

from python_cnb.errors import FileReadError
from python_cnb.package_managers import nothing, pip_project, pip_requirements, poetry, uv_lock
from python_cnb.package_managers.requirements_scan import read_requirements_file, scan_requirements


def _digest(app_dir, method=pip_requirements, env=None):
    return method.METHOD.read_inputs(app_dir, env or {}).digest


def test_requirements_digest_follows_includes_and_local_projects(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r base.txt\n-e .\n")
    (tmp_path / "base.txt").write_text("flask==3.0\n")
    (tmp_path / "setup.py").write_text("setup(install_requires=['a'])\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    first = _digest(tmp_path)
    (tmp_path / "app.py").write_text("print(2)\n")
    assert _digest(tmp_path) == first, "app code must not invalidate"
    (tmp_path / "base.txt").write_text("flask==3.1\n")
    second = _digest(tmp_path)
    assert second != first
    (tmp_path / "setup.py").write_text("setup(install_requires=['a', 'b'])\n")
    assert _digest(tmp_path) != second


def test_lockfile_digest_covers_its_inputs(tmp_path):
    (tmp_path / "uv.lock").write_text("version = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    first = _digest(tmp_path, uv_lock)
    assert uv_lock.METHOD.read_inputs(tmp_path, {}).files == "uv.lock, pyproject.toml, uv.toml"
    (tmp_path / "main.py").write_text("print(1)\n")
    assert _digest(tmp_path, uv_lock) == first
    (tmp_path / "uv.toml").write_text("[pip]\n")
    assert _digest(tmp_path, uv_lock) != first
    (tmp_path / "uv.lock").write_text("version = 2\n")
    assert _digest(tmp_path, uv_lock) != first
    assert _digest(tmp_path, poetry) != _digest(tmp_path, uv_lock)


def test_project_digest_covers_packaging_and_pip_settings_files_only(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    first = _digest(tmp_path, pip_project)
    (tmp_path / "x.py").write_text("print(1)\n")
    assert _digest(tmp_path, pip_project) == first, "the app's code is imported from the app directory"
    (tmp_path / "setup.cfg").write_text("[metadata]\n")
    second = _digest(tmp_path, pip_project)
    (tmp_path / "pip.conf").write_text("[global]\npre = true\n")
    assert len({first, second, _digest(tmp_path, pip_project)}) == 3
    assert _digest(tmp_path, nothing) == _digest(tmp_path / "elsewhere", nothing)


def test_requirements_symlink_loop_is_a_clear_error(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r more.txt\n")
    (tmp_path / "more.txt").symlink_to("more.txt")
    try:
        _digest(tmp_path)
    except FileReadError as exc:
        assert "more.txt" in exc.path and "symlink" in exc.reason
    else:
        raise AssertionError("no error")
    (tmp_path / "requirements.txt").write_text("./loop\n")
    (tmp_path / "loop").symlink_to("loop")
    try:
        _digest(tmp_path)
    except FileReadError as exc:
        assert "loop" in exc.path
    else:
        raise AssertionError("no error")


def test_requirements_in_utf16_read_as_pip_does(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_bytes("flask==3.0.3\r\n".encode("utf-16"))  # what PowerShell's `pip freeze >` writes (BOM + LE)
    assert read_requirements_file(path) == "flask==3.0.3\r\n"
    path.write_bytes(b"\xef\xbb\xbfflask\n")
    assert read_requirements_file(path) == "flask\n"
    path.write_bytes(b"fl\xffask\n")
    try:
        read_requirements_file(path)
    except FileReadError as exc:
        assert "UTF-8" in exc.reason
    else:
        raise AssertionError("no error")


def _lib(root, name="mylib"):
    lib = root / "libs" / name
    (lib / name).mkdir(parents=True)
    (lib / "pyproject.toml").write_text(f"[project]\nname = '{name}'\nversion = '1'\n")
    (lib / name / "__init__.py").write_text("VALUE = 1\n")
    return lib


def test_non_editable_local_requirement_hashes_its_whole_tree(tmp_path):
    lib = _lib(tmp_path)
    for spec in ("./libs/mylib", "mylib @ file:./libs/mylib", "mylib[extra] @ file:./libs/mylib ; python_version>'3'"):
        (lib / "mylib" / "__init__.py").write_text("VALUE = 1\n")
        (tmp_path / "requirements.txt").write_text(spec + "\n")
        first = scan_requirements(tmp_path).digest
        for skipped in ("build/lib/mylib/x.py", "dist/mylib-1.tar.gz", "mylib.egg-info/PKG-INFO",
                        ".git/HEAD", "mylib/__pycache__/x.pyc"):
            (lib / skipped).parent.mkdir(parents=True, exist_ok=True)
            (lib / skipped).write_text(spec)
        assert scan_requirements(tmp_path).digest == first, spec
        local = scan_requirements(tmp_path).local_sources
        (lib / "mylib" / "__init__.py").write_text("VALUE = 2\n")
        assert scan_requirements(tmp_path).digest != first, spec
        assert scan_requirements(tmp_path).local_sources != local, spec
    (tmp_path / "requirements.txt").write_text("./libs/mylib\nsix==1.17.0\n")
    local = scan_requirements(tmp_path).local_sources
    (tmp_path / "requirements.txt").write_text("./libs/mylib\nsix==1.16.0\n")
    assert scan_requirements(tmp_path).local_sources == local, "requirement text is not a local source"


def test_editable_local_requirement_hashes_only_packaging_files(tmp_path):
    lib = _lib(tmp_path)
    (tmp_path / "requirements.txt").write_text("-e ./libs/mylib\n")
    first = scan_requirements(tmp_path).digest
    (lib / "mylib" / "__init__.py").write_text("VALUE = 2\n")
    assert scan_requirements(tmp_path).digest == first


def test_find_links_constraints_and_pip_config_change_the_digest(tmp_path):
    (tmp_path / "wheels").mkdir()
    (tmp_path / "links").mkdir()
    (tmp_path / "requirements.txt").write_text("--find-links ./wheels\n-c constraints.txt\nflask\n")
    (tmp_path / "constraints.txt").write_text("flask<3\n")
    env = {"PIP_FIND_LINKS": "links https://example.com/simple", "PIP_CONFIG_FILE": "conf/pip.conf"}
    digests = [scan_requirements(tmp_path, env).digest]
    (tmp_path / "wheels" / "a-1-py3-none-any.whl").write_bytes(b"1")
    digests.append(scan_requirements(tmp_path, env).digest)
    (tmp_path / "links" / "b-1-py3-none-any.whl").write_bytes(b"1")
    digests.append(scan_requirements(tmp_path, env).digest)
    (tmp_path / "constraints.txt").write_text("flask<2\n")
    digests.append(scan_requirements(tmp_path, env).digest)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "pip.conf").write_text("[global]\npre = true\n")
    digests.append(scan_requirements(tmp_path, env).digest)
    (tmp_path / "pip.conf").write_text("[global]\npre = true\n")
    digests.append(scan_requirements(tmp_path, env).digest)
    assert len(set(digests)) == len(digests)
    assert _digest(tmp_path, env=env) == digests[-1]


def test_url_includes_and_unpinned_names(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "-r https://user:secretpassword@example.com/base.txt\n-c base.txt\nflask==3.0.0\nsix>=1 \\\n  # c\n"
        "Django ~= 5.0\nrequests\n./libs/x\nurllib3 @ https://example.com/u.whl\n"
        "gunicorn===23.0.0 ; python_version>'3'\n"
        "# a comment\n--pre\n")
    (tmp_path / "base.txt").write_text("attrs\n")
    scan = scan_requirements(tmp_path)
    assert scan.url_includes == ("https://****@example.com/base.txt",)
    assert scan.unpinned == ("six", "Django", "requests")
