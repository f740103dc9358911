import re
from pathlib import Path

from python_cnb import detect
from python_cnb.cnb import toml_io
from python_cnb.errors import _RENDERERS, BuildpackError, FileReadError, render_error
from python_cnb.package_manager import PackageManager
from python_cnb.project import dependency_inputs_digest, find_manage_py, read_requirements_file, scan_requirements
from python_cnb.tool_versions import gunicorn_requirement

REPO = Path(__file__).resolve().parents[2]


def test_requirements_digest_follows_includes_and_local_projects(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r base.txt\n-e .\n")
    (tmp_path / "base.txt").write_text("flask==3.0\n")
    (tmp_path / "setup.py").write_text("setup(install_requires=['a'])\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    first = dependency_inputs_digest(tmp_path, PackageManager.PIP)
    (tmp_path / "app.py").write_text("print(2)\n")
    assert dependency_inputs_digest(tmp_path, PackageManager.PIP) == first, "app code must not invalidate"
    (tmp_path / "base.txt").write_text("flask==3.1\n")
    second = dependency_inputs_digest(tmp_path, PackageManager.PIP)
    assert second != first
    (tmp_path / "setup.py").write_text("setup(install_requires=['a', 'b'])\n")
    assert dependency_inputs_digest(tmp_path, PackageManager.PIP) != second


def test_lockfile_digest_covers_its_inputs(tmp_path):
    (tmp_path / "uv.lock").write_text("version = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    inputs = ("uv.lock", "pyproject.toml")
    first = dependency_inputs_digest(tmp_path, PackageManager.UV, inputs)
    (tmp_path / "main.py").write_text("print(1)\n")
    assert dependency_inputs_digest(tmp_path, PackageManager.UV, inputs) == first
    (tmp_path / "uv.lock").write_text("version = 2\n")
    assert dependency_inputs_digest(tmp_path, PackageManager.UV, inputs) != first
    assert dependency_inputs_digest(tmp_path, PackageManager.POETRY, inputs) != \
        dependency_inputs_digest(tmp_path, PackageManager.UV, inputs)


def test_requirements_symlink_loop_is_a_clear_error(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r more.txt\n")
    (tmp_path / "more.txt").symlink_to("more.txt")
    try:
        dependency_inputs_digest(tmp_path, PackageManager.PIP)
    except FileReadError as exc:
        assert "more.txt" in exc.path and "symlink" in exc.reason
    else:
        raise AssertionError("no error")
    (tmp_path / "requirements.txt").write_text("./loop\n")
    (tmp_path / "loop").symlink_to("loop")
    try:
        dependency_inputs_digest(tmp_path, PackageManager.PIP)
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


def test_find_manage_py_prefers_shallow(tmp_path):
    assert find_manage_py(tmp_path) is None
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "manage.py").write_text("")
    assert find_manage_py(tmp_path) == deep / "manage.py"
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "manage.py").write_text("")
    assert find_manage_py(tmp_path) == tmp_path / "z" / "manage.py"
    (tmp_path / "manage.py").write_text("")
    assert find_manage_py(tmp_path) == tmp_path / "manage.py"
    too_deep = tmp_path / "q" / "w" / "e" / "r"
    too_deep.mkdir(parents=True)


def test_shell_detect_lists_the_same_files():
    shell = (REPO / "lib" / "bootstrap.sh").read_text()
    for name in detect.PYTHON_SIGNALS:
        assert re.search(rf"(\s){re.escape(name)}(\s|;)", shell), name


def test_versions_agree():
    buildpack = toml_io.read(REPO / "buildpack.toml")
    project = toml_io.read(REPO / "pyproject.toml")
    from python_cnb import __version__
    assert buildpack["buildpack"]["version"] == project["project"]["version"] == __version__
    assert buildpack["api"] == "0.10"
    assert {(t["os"], t["arch"]) for t in buildpack["targets"]} == {("linux", "amd64"), ("linux", "arm64")}


def test_builtin_manifest_is_well_formed():
    from python_cnb.manifest import load_manifest
    builds, _ = load_manifest(toml_io.read(REPO / "buildpack.toml"), {}, REPO)
    assert {b.arch for b in builds} == {"amd64", "arm64"}
    assert all(b.url.startswith("https://github.com/astral-sh/python-build-standalone/") for b in builds)
    mirrored, _ = load_manifest(toml_io.read(REPO / "buildpack.toml"), {"BP_PYTHON_MIRROR_URL": "https://m.example/pbs/"},
                                REPO)
    assert all(b.url.startswith("https://m.example/pbs/20") for b in mirrored)


def test_gunicorn_pin():
    assert re.match(r"^gunicorn==\d+\.\d+\.\d+$", gunicorn_requirement(REPO))


def test_every_error_class_renders_without_falling_into_internal():
    import python_cnb.errors as errors
    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, BuildpackError) and c is not BuildpackError]
    assert set(classes) == set(_RENDERERS)
    for cls in classes:
        fields = {name: ("x" if name != "exit_code" and name != "line_number" else 1)
                  for name in getattr(cls, "__dataclass_fields__", {})}
        if "names" in fields:
            fields["names"] = ["PYTHONHOME"]
        if "known" in fields:
            fields["known"] = ["3.13.1"]
        if "problems" in fields:
            fields["problems"] = ["flask 3.0.0 requires click, which is not installed."]
        if "options" in fields:
            fields["options"] = [("requirements.txt", 2, "--pre", "remove it")]
        title, body = render_error(cls(**fields))
        assert title and body and title != "Internal buildpack error"


def test_unexpected_errors_say_they_are_bugs():
    title, body = render_error(ValueError("boom"))
    assert title == "Internal buildpack error"
    assert "This is a bug in the buildpack" in body and "ValueError: boom" in body


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
    assert dependency_inputs_digest(tmp_path, PackageManager.PIP, env=env) == digests[-1]


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
