"""The installers of the pip paths (pip, and uv with BP_PYTHON_INSTALLER=uv), on plain data: the commands, the
PIP_* settings mapped for uv, the requirement-file options uv cannot honour, and the option scan that finds them."""

import dataclasses
from pathlib import Path

import pytest
from python_cnb.default_stage import _link_mode
from python_cnb.errors import InvalidEnvValue, RequirementOptionsUnsupported, render_error
from python_cnb.layers.venv import index_settings_digest
from python_cnb.package_managers.base import InstallPaths
from python_cnb.package_managers.installers import get_installer, requested_installer
from python_cnb.package_managers.requirements_scan import RequirementOption, scan_requirements

PATHS = InstallPaths(app_dir=Path("/workspace"), venv_dir=Path("/layers/p/venv"),
                     pip_python=Path("/layers/p/pip/venv/bin/python"), tool_bin=Path("/layers/p/uv/venv/bin"),
                     cache_dir=Path("/layers/p/uv-cache"))
PIP = get_installer("pip")
UV = get_installer("uv")


@pytest.mark.parametrize(("value", "expected"), [("", "pip"), ("  ", "pip"), ("pip", "pip"), ("uv", "uv"),
                                                 (" UV ", "uv")])
def test_requested_installer(value, expected):
    assert requested_installer({"BP_PYTHON_INSTALLER": value}).name == expected


def test_an_unknown_installer_names_the_choices():
    with pytest.raises(InvalidEnvValue) as info:
        requested_installer({"BP_PYTHON_INSTALLER": "conda"})
    assert info.value.name == "BP_PYTHON_INSTALLER" and info.value.expected == "one of pip, uv"


def test_pip_commands_run_the_build_only_pip_against_the_venv():
    command = PIP.install(PATHS, {}, ["-r", "requirements.txt"])
    assert command.argv == ("/layers/p/pip/venv/bin/python", "-m", "pip", "--python", "/layers/p/venv/bin/python",
                            "install", "--no-compile", "-r", "requirements.txt")
    assert command.shown == "pip install --no-compile -r requirements.txt"
    assert PIP.uninstall(PATHS, ["six"]).shown == "pip uninstall --yes six"
    assert PIP.env({"PIP_INDEX_URL": "x"}, PATHS) == {"PIP_INDEX_URL": "x"}
    assert PIP.unsupported([RequirementOption("requirements.txt", 1, "--prefer-binary")]) == []


def test_uv_commands_install_into_the_venv_by_the_link_mode_chosen():
    linked = UV.install(dataclasses.replace(PATHS, link_mode="hardlink"), {}, ["-r", "requirements.txt"])
    assert linked.shown == "uv pip install --link-mode hardlink -r requirements.txt"
    command = UV.install(PATHS, {"PIP_NO_BINARY": "lxml,psycopg2", "PIP_ONLY_BINARY": ":all:"}, ["-e", "."])
    assert command.argv == ("/layers/p/uv/venv/bin/uv", "pip", "install", "--python", "/layers/p/venv/bin/python",
                            "--link-mode", "copy", "--no-binary", "lxml", "--no-binary", "psycopg2",
                            "--only-binary", ":all:", "-e", ".")
    assert command.shown == ("uv pip install --link-mode copy --no-binary lxml --no-binary psycopg2 --only-binary "
                             ":all: -e .")
    assert UV.uninstall(PATHS, ["six", "idna"]).argv[-2:] == ("six", "idna")
    assert UV.uninstall(PATHS, ["six"]).shown == "uv pip uninstall six"


def test_uv_gets_the_pip_settings_mapped():
    env = UV.env({"PATH": "/usr/bin", "PIP_INDEX_URL": "https://u:p@mirror.example/simple",
                  "PIP_EXTRA_INDEX_URL": "https://a.example/simple https://b.example/simple",
                  "PIP_TRUSTED_HOST": "a.example b.example", "PIP_FIND_LINKS": "./wheels /opt/wheels",
                  "PIP_CERT": "/etc/ca.pem", "PIP_PRE": "true", "PIP_NO_INDEX": "1",
                  "UV_CACHE_DIR": "/elsewhere", "UV_NO_CONFIG": "0", "UV_COMPILE_BYTECODE": "1"}, PATHS)
    # uv's current names for them (UV_INDEX_URL and UV_EXTRA_INDEX_URL are its older ones), as for `uv sync`
    assert env["UV_DEFAULT_INDEX"] == "https://u:p@mirror.example/simple"
    assert env["UV_INDEX"] == "https://a.example/simple https://b.example/simple"
    assert env["UV_INSECURE_HOST"] == "a.example b.example"
    assert env["UV_FIND_LINKS"] == "./wheels,/opt/wheels"
    assert env["SSL_CERT_FILE"] == "/etc/ca.pem"
    assert env["UV_PRERELEASE"] == "allow" and env["UV_NO_INDEX"] == "1"
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match", "pip's behaviour across indexes"
    assert env["UV_CACHE_DIR"] == "/layers/p/uv-cache" and env["UV_NO_CONFIG"] == "1"
    assert env["UV_PYTHON_DOWNLOADS"] == "never" and "UV_COMPILE_BYTECODE" not in env


def test_uv_own_settings_win_over_the_pip_ones():
    env = UV.env({"PIP_INDEX_URL": "https://pip.example/simple", "UV_INDEX_URL": "https://uv.example/simple",
                  "PIP_PRE": "0", "PIP_FIND_LINKS": "./w", "UV_FIND_LINKS": "./uv-w",
                  "UV_INDEX_STRATEGY": "first-index"}, PATHS)
    assert "UV_DEFAULT_INDEX" not in env and env["UV_INDEX_URL"] == "https://uv.example/simple"
    assert "UV_PRERELEASE" not in env
    assert env["UV_FIND_LINKS"] == "./uv-w" and env["UV_INDEX_STRATEGY"] == "first-index"


def test_uv_reports_the_pip_settings_it_ignores():
    env = {"PIP_INDEX_URL": "x", "PIP_CACHE_DIR": "/c", "PIP_UPGRADE": "1", "PIP_CONFIG_FILE": "/etc/pip.conf",
           "PIP_USE_DEPRECATED": "legacy-resolver", "PIP_CONSTRAINT": "", "PATH": "/bin"}
    assert UV.ignored_settings(env) == ["PIP_CONFIG_FILE", "PIP_USE_DEPRECATED"]


def test_uv_names_the_options_it_cannot_honour_with_their_fix():
    options = [RequirementOption("requirements.txt", n, o) for n, o in enumerate(
        ["-r", "--index-url", "-i", "--extra-index-url", "--no-index", "-f", "--no-binary", "--only-binary",
         "--require-hashes", "--hash", "-c", "-e", "--pre", "--trusted-host", "--prefer-binary", "--use-feature",
         "--config-settings", "--global-option"], start=1)]
    found = UV.unsupported(options)
    assert sorted(option.option for option in found) == ["--config-settings", "--global-option", "--pre",
                                                         "--prefer-binary", "--trusted-host", "--use-feature"]
    _, body = render_error(RequirementOptionsUnsupported("uv", [(o.file, o.line, o.option) for o in found]))
    assert "requirements.txt, line 13: --pre: remove it and set PIP_PRE=1" in body
    assert "line 14: --trusted-host: remove it and set PIP_TRUSTED_HOST" in body
    assert "line 15: --prefer-binary: remove it, or build with pip (unset BP_PYTHON_INSTALLER)" in body


def test_the_requirements_scan_finds_every_option_with_file_and_line(tmp_path):
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "base.txt").write_text("six \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n"
                                                "lxml --config-settings=x=y; python_version > '3'\n")
    (tmp_path / "requirements.txt").write_text("# comment\n--index-url=https://pypi.org/simple\n\n-r reqs/base.txt\n"
                                               "--pre  # why not\nflask>=3\n")
    options = scan_requirements(tmp_path).options
    assert [(o.file, o.line, o.option) for o in options] == [
        ("requirements.txt", 2, "--index-url"), ("requirements.txt", 4, "-r"),
        ("reqs/base.txt", 1, "--hash"), ("reqs/base.txt", 1, "--hash"), ("reqs/base.txt", 4, "--config-settings"),
        ("requirements.txt", 5, "--pre")]


def test_uv_settings_are_part_of_the_reuse_key_without_credentials():
    base = index_settings_digest({"PIP_INDEX_URL": "https://a:b@x/simple"}, extra=UV.index_settings)
    assert base == index_settings_digest({"PIP_INDEX_URL": "https://c:d@x/simple"}, extra=UV.index_settings)
    assert base != index_settings_digest({"PIP_INDEX_URL": "https://x/simple", "UV_INDEX_STRATEGY": "first-index"},
                                         extra=UV.index_settings)
    assert index_settings_digest({"UV_PRERELEASE": "allow"}) == index_settings_digest({}), "pip ignores UV_*"


def test_pip_runs_its_runner_with_the_app_interpreter_when_it_has_one(tmp_path):
    runner = tmp_path / "pip" / "venv" / "lib" / "python3.12" / "site-packages" / "pip" / "__pip-runner__.py"
    runner.parent.mkdir(parents=True)
    runner.write_text("")
    paths = InstallPaths(app_dir=tmp_path, venv_dir=tmp_path / "venv", pip_python=tmp_path / "pip" / "venv" / "bin"
                         / "python", tool_bin=tmp_path, cache_dir=tmp_path)
    command = PIP.install(paths, {}, ["six"])
    assert command.argv == (str(tmp_path / "venv" / "bin" / "python"), str(runner), "install", "--no-compile", "six")
    assert command.shown == "pip install --no-compile six"


def test_the_scan_tells_removed_lines_from_other_changes(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("--index-url https://pypi.org/simple\nflask==3.0\nsix\n")
    first = scan_requirements(tmp_path)
    requirements.write_text("--index-url https://pypi.org/simple\nflask==3.0  # pinned\n")
    removed = scan_requirements(tmp_path)
    assert removed.structure == first.structure
    assert set(removed.requirement_lines.split()) < set(first.requirement_lines.split())
    requirements.write_text("--index-url https://mirror.example/simple\nflask==3.0\n")
    assert scan_requirements(tmp_path).structure != first.structure


def test_the_scan_names_the_changed_lines_and_the_options_an_install_of_them_carries(tmp_path):
    requirements = tmp_path / "requirements.txt"
    (tmp_path / "base.txt").write_text("six==1.16.0\n")
    requirements.write_text("--index-url https://pypi.org/simple\n-r base.txt\n--find-links ./wheels\n"
                            "flask==3.0\niniconfig==2.0.0\n")
    first = scan_requirements(tmp_path)
    requirements.write_text("--index-url https://pypi.org/simple\n-r base.txt\n--find-links ./wheels\n"
                            "flask==3.0   # pinned\niniconfig==2.1.0\nrequests ; python_version >= '3'\n")
    (tmp_path / "base.txt").write_text("six==1.17.0\n")
    changed = scan_requirements(tmp_path)
    assert changed.structure == first.structure
    assert changed.changed_requirements(first.requirement_lines) == (
        "six==1.17.0", "iniconfig==2.1.0", "requests ; python_version >= '3'")
    assert changed.top_options == ("--index-url https://pypi.org/simple", "--find-links ./wheels")
    assert changed.changed_requirements(changed.requirement_lines) == ()
    # Options that decide more than where distributions come from: only the whole install is exact.
    for text in ("flask==3.0 --hash=sha256:" + "0" * 64 + "\n", "--use-feature=truststore\nflask==3.0\n"):
        requirements.write_text(text)
        assert scan_requirements(tmp_path).changed_requirements("") is None, text
    requirements.write_text("-r base.txt\n")
    (tmp_path / "base.txt").write_text("--pre\nsix\n")
    assert scan_requirements(tmp_path).changed_requirements("") is None, "an option in an included file"


def test_uv_links_from_its_cache_only_within_one_filesystem(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "venv").mkdir()
    assert _link_mode(tmp_path / "cache", tmp_path / "venv") == "hardlink"
    assert _link_mode(Path("/proc"), tmp_path / "venv") == "copy"  # another filesystem: a link would fail
    assert _link_mode(tmp_path / "missing", tmp_path / "venv") == "copy"


def test_vendored_wheels_make_every_install_offline_with_pip_and_uv():
    """GOOGLE_VENDOR_PIP_DEPENDENCIES (or BP_PIP_DEST_PATH): pip install --no-index --find-links DIR, also for uv."""
    vendored = dataclasses.replace(PATHS, vendor_dir=Path("/workspace/vendor"))
    assert PIP.install(vendored, {}, ["-r", "requirements.txt"]).shown == (
        "pip install --no-compile --no-index --find-links /workspace/vendor -r requirements.txt")
    assert UV.install(vendored, {}, ["gunicorn==23.0.0"]).shown == (
        "uv pip install --link-mode copy --no-index --find-links /workspace/vendor gunicorn==23.0.0")
    assert "--no-index" not in PIP.install(PATHS, {}, ["-r", "requirements.txt"]).argv


def test_the_stage_plan_carries_the_requirement_files_and_the_vendored_wheels():
    from python_cnb.default_stage import StagePlan

    plan = StagePlan(app_dir="/workspace", venv_dir="/layers/p/venv", pip_cache_dir="/c", method="pip",
                     installer="uv", pip_python="/p", tool_bin="/t", tool_cache_dir="/u", install=True,
                     requirement_files=("requirements/prod.txt", "extra.txt"), vendor_dir="/workspace/vendor")
    again = StagePlan.loads(plan.dumps())
    assert again == plan and again.installer_paths().vendor_dir == Path("/workspace/vendor")
    assert dataclasses.replace(plan, vendor_dir="").paths("/c").vendor_dir is None
    assert StagePlan.loads(dataclasses.replace(plan, requirement_files=()).dumps()).requirement_files == ()


def test_the_scan_reads_the_root_files_bp_pip_requirement_names(tmp_path):
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "prod.txt").write_text("--index-url https://mirror.example/simple\nflask==3.0\n")
    (tmp_path / "extra.txt").write_text("--pre\nsix==1.17.0\n")
    (tmp_path / "requirements.txt").write_text("not-installed\n")
    scan = scan_requirements(tmp_path, {}, ("requirements/prod.txt", "extra.txt"))
    assert scan.roots == ("requirements/prod.txt", "extra.txt")
    assert scan.requirements == ("flask==3.0", "six==1.17.0")
    assert scan.top_options == ("--index-url https://mirror.example/simple", "--pre")
    assert scan.digest != scan_requirements(tmp_path).digest
    # The changed lines alone are installed from a file at the app's root: only for root files there.
    assert scan.changed_requirements("") is None
    at_root = scan_requirements(tmp_path, {}, ("extra.txt",))
    assert (at_root.changed_requirements(""), at_root.top_options) == (("six==1.17.0",), ("--pre",))
