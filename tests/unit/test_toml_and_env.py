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


# Every kind of string the buildpack writes into TOML: user values (env values, paths, commands) can hold
# characters outside the Basic Multilingual Plane, quotes, backslashes, control characters and newlines.
ODD_STRINGS = [
    pytest.param("launch 🚀 app", id="emoji"),
    pytest.param("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010fffd", id="astral-plane"),
    pytest.param("naïve café ∑ 中文", id="bmp"),
    pytest.param('say "hi" \\ there', id="quote-backslash"),
    pytest.param("line one\nline two\r\n\ttab", id="newline-tab"),
    pytest.param("bell\x07 esc\x1b del\x7f nul-free", id="control"),
    pytest.param("'''\"\"\"", id="triple-quotes"),
    pytest.param("", id="empty"),
    pytest.param("x" * 5000, id="long"),
]


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_launch_toml_round_trips_every_string(tmp_path, value):
    Launch(processes=[Process("web", ["/bin/sh", "-c", value], default=True,
                              working_dir="/workspace/" + value)]).write(tmp_path)
    data = toml_io.read(tmp_path / "launch.toml")
    assert data["processes"][0]["command"] == ["/bin/sh", "-c", value]
    assert data["processes"][0]["working-dir"] == "/workspace/" + value


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_layer_metadata_round_trips_every_string(tmp_path, value):
    from python_cnb.cnb.layer import Layer, LayerTypes

    layer = Layer(tmp_path, "venv")
    layer.write(LayerTypes(launch=True), {"python_version": value, value or "k": [value], "nested": {"v": value}})
    assert layer.restored_metadata() == {"python_version": value, value or "k": [value], "nested": {"v": value}}
    # The lifecycle reads these files with a strict TOML 1.0 reader: no surrogate escapes allowed.
    assert "\\ud8" not in (tmp_path / "venv.toml").read_text(encoding="utf-8").lower()


def test_toml_leaves_out_none():
    assert toml_io.loads(toml_io.dumps({"a": None, "b": {"c": None, "d": 1}})) == {"b": {"d": 1}}
