import pytest
from python_cnb.cnb import toml_io
from python_cnb.cnb.data import Launch, Process
from python_cnb.cnb.layer_env import Behavior, LayerEnv, Scope, apply_env_dir


def test_toml_round_trip():
    data = {"types": {"launch": True, "build": False}, "metadata": {"v": "3.13", "n": 1, "q": 'a "b"\n\\',
                                                                   "list": ["a", "b"]},
            "processes": [{"type": "web", "command": ["x", "y"]}, {"type": "w2", "command": ["z"]}]}
    assert toml_io.loads(toml_io.dumps(data)) == data


def test_launch_toml(tmp_path):
    Launch(processes=[Process("web", ["/layers/x/bin/run"], default=True, working_dir="/workspace")]).write(tmp_path)
    assert toml_io.read(tmp_path / "launch.toml") == {"processes": [
        {"type": "web", "command": ["/layers/x/bin/run"], "default": True, "working-dir": "/workspace"}]}


def test_process_type_is_validated():
    with pytest.raises(ValueError):
        Process("web app", ["x"])


def test_layer_env_write_and_apply_agree(tmp_path):
    env = LayerEnv()
    env.add(Scope.LAUNCH, Behavior.DEFAULT, "A", "default")
    env.add(Scope.LAUNCH, Behavior.DEFAULT, "B", "default")
    env.add(Scope.ALL, Behavior.PREPEND, "PATH", "/x", delimiter=":")
    env.add(Scope.ALL, Behavior.OVERRIDE, "C", "over")
    env.write(tmp_path)
    assert (tmp_path / "env.launch" / "A.default").read_text() == "default"  # no trailing newline
    start = {"B": "user", "PATH": "/bin", "C": "old"}
    expected = env.apply(Scope.LAUNCH, start)
    assert expected == {"A": "default", "B": "user", "PATH": "/x:/bin", "C": "over"}
    on_disk = dict(start)
    apply_env_dir(tmp_path / "env", on_disk)
    apply_env_dir(tmp_path / "env.launch", on_disk)
    assert on_disk == expected


def test_prepend_needs_a_delimiter():
    with pytest.raises(ValueError):
        LayerEnv().add(Scope.ALL, Behavior.PREPEND, "PATH", "/x")
