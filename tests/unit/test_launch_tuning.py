import pytest
from python_cnb import launch_tuning

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("limit_mib", "workers"),
    [(256, 2), (512, 2), (513, 4), (1024, 4), (1536, 6), (2048, 6), (3000, 8), (4096, 8), (4097, 10), (65536, 10)],
)
def test_concurrency_table(limit_mib, workers):
    assert launch_tuning.concurrency_for(limit_mib * MIB) == workers


def _meminfo(tmp_path, mib):
    path = tmp_path / "meminfo"
    path.write_text(f"MemTotal:       {mib * 1024} kB\nMemFree:  1 kB\n")
    return path


def test_cgroup_v2_limit(tmp_path):
    (tmp_path / "memory.max").write_text(f"{512 * MIB}\n")
    assert launch_tuning.memory_limit(tmp_path, _meminfo(tmp_path, 24000)) == 512 * MIB


def test_cgroup_v2_unlimited_uses_machine_memory(tmp_path):
    (tmp_path / "memory.max").write_text("max\n")
    assert launch_tuning.memory_limit(tmp_path, _meminfo(tmp_path, 2048)) == 2048 * MIB


def test_cgroup_v1_limit(tmp_path):
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text(f"{2 * 1024 * MIB}\n")
    assert launch_tuning.memory_limit(tmp_path, _meminfo(tmp_path, 24000)) == 2048 * MIB


def test_cgroup_v1_unlimited_sentinel(tmp_path):
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert launch_tuning.memory_limit(tmp_path, _meminfo(tmp_path, 4096)) == 4096 * MIB


def test_no_information(tmp_path):
    assert launch_tuning.memory_limit(tmp_path, tmp_path / "missing") is None
    assert launch_tuning.tuned_env({}, None) == {"WEB_CONCURRENCY": "2"}


def test_user_value_wins():
    assert launch_tuning.tuned_env({"WEB_CONCURRENCY": "7"}, 8192 * MIB) == {}
    assert launch_tuning.tuned_env({"WEB_CONCURRENCY": ""}, 8192 * MIB) == {"WEB_CONCURRENCY": "10"}


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2.5", "٣", " ", "00", "4 workers"])
def test_unusable_value_is_replaced_and_reported(value):
    env = {"WEB_CONCURRENCY": value}
    tuned = launch_tuning.tuned_env(env, 1024 * MIB)
    assert tuned == {"WEB_CONCURRENCY": "4"}
    if value.strip():
        (notice,) = launch_tuning.notices(env, tuned)
        assert notice.startswith(f"WEB_CONCURRENCY='{value.encode('unicode_escape').decode()}' is not ")
        assert notice.endswith("using WEB_CONCURRENCY=4 (from the container's memory limit) instead.")
    else:
        assert launch_tuning.notices(env, tuned) == []


@pytest.mark.parametrize("value", ["1", "12", " 3 "])
def test_usable_values(value):
    assert launch_tuning.concurrency_problem(value) is None
    assert launch_tuning.tuned_env({"WEB_CONCURRENCY": value}, None) == {}


@pytest.mark.parametrize(("value", "expected"), [("abc", "a positive whole number"), ("0", "at least 1"),
                                                 ("-1", "a positive whole number")])
def test_build_refuses_unusable_web_concurrency(value, expected):
    from python_cnb.checks import check_web_concurrency
    from python_cnb.errors import InvalidEnvValue, render_error

    with pytest.raises(InvalidEnvValue) as info:
        check_web_concurrency({"WEB_CONCURRENCY": value})
    title, body = render_error(info.value)
    assert body.startswith(f"WEB_CONCURRENCY is set to '{value}', but it must be {expected}")
    check_web_concurrency({"WEB_CONCURRENCY": "4"})
    check_web_concurrency({})


def test_exec_d_program_reports_on_stderr(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-I", launch_tuning.__file__], env={"WEB_CONCURRENCY": "abc"},
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith('WEB_CONCURRENCY = "')  # fd 3 is not open here: TOML goes to stdout
    assert ("[python buildpack] WEB_CONCURRENCY='abc' is not a positive whole number (for example 4); using"
            in result.stderr)


@pytest.mark.parametrize(
    "garbage",
    [b"\xff\xfe\x00", b"12\xc2\xb2", "\u00b2".encode(), b"", b"-5", b"max max", b"1e9", b"\x00" * 10],
)
def test_garbage_cgroup_and_meminfo_files(tmp_path, garbage):
    (tmp_path / "memory.max").write_bytes(garbage)
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_bytes(garbage)
    meminfo = tmp_path / "meminfo"
    meminfo.write_bytes(b"MemTotal: " + garbage + b" kB\n")
    assert launch_tuning.memory_limit(tmp_path, meminfo) is None
    assert launch_tuning.tuned_env({}, None) == {"WEB_CONCURRENCY": "2"}


# ---- somewhere to write: TMPDIR and HOME --------------------------------------------------------------------------
def _writable(*paths):
    return lambda path: path in paths


@pytest.mark.parametrize(
    ("env", "writable", "expected"),
    [
        pytest.param({"HOME": "/home/cnb"}, ("/tmp", "/dev/shm", "/home/cnb"), {}, id="nothing-to-do"),
        pytest.param({"HOME": "/home/cnb"}, ("/dev/shm",), {"TMPDIR": "/dev/shm", "HOME": "/dev/shm/home-1002"},
                     id="read-only-root"),
        pytest.param({"HOME": "/"}, ("/tmp", "/dev/shm"), {"HOME": "/tmp/home-1002"}, id="arbitrary-uid"),
        pytest.param({}, ("/tmp",), {"HOME": "/tmp/home-1002"}, id="no-home"),
        pytest.param({"HOME": "/home/cnb", "TMPDIR": "/scratch"}, ("/scratch", "/dev/shm"),
                     {"HOME": "/scratch/home-1002"}, id="users-tmpdir-kept"),
        pytest.param({"HOME": "/h", "TMPDIR": "/gone"}, ("/var/tmp", "/h"), {}, id="tempfile-falls-back-itself"),
        pytest.param({"HOME": "/h", "TMPDIR": "/dev/shm"}, ("/dev/shm", "/h"), {}, id="already-memory"),
        pytest.param({"HOME": "/home/cnb"}, (), {}, id="nowhere"),
    ],
)
def test_places_env(env, writable, expected):
    assert launch_tuning.places_env(env, _writable(*writable), 1002) == expected


def test_places_notices():
    env = {"HOME": "/home/cnb"}
    places = launch_tuning.places_env(env, _writable("/dev/shm"), 7)
    assert launch_tuning.places_notices(env, places, "/dev/shm") == [
        "/tmp is not writable: using TMPDIR=/dev/shm (memory; mount a volume at /tmp for large temporary files).",
        "HOME='/home/cnb' is not writable: using HOME=/dev/shm/home-7."]
    assert launch_tuning.places_notices(env, {}, "/tmp") == []
    assert launch_tuning.places_notices({}, {"HOME": "/tmp/home-7"}, "/tmp") == [
        "HOME is not set: using HOME=/tmp/home-7."]
    (nowhere,) = launch_tuning.places_notices(env, {}, "")
    assert nowhere.startswith("No writable temporary directory (TMPDIR, /tmp, /var/tmp, /usr/tmp, /dev/shm)")
    assert "docker run --tmpfs /tmp; Kubernetes: an emptyDir volume" in nowhere


def test_writable_dir(tmp_path):
    assert launch_tuning.writable_dir(str(tmp_path))
    assert not launch_tuning.writable_dir(str(tmp_path / "missing"))
    (tmp_path / "file").write_text("")
    assert not launch_tuning.writable_dir(str(tmp_path / "file"))
