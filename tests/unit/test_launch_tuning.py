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
