"""The subprocess helpers: bad input becomes one clear error, never a traceback."""

import pytest


def test_subprocess_helpers_turn_bad_values_into_a_clear_error(tmp_path):
    from python_cnb.errors import CommandNotFound, render_error
    from python_cnb.output import Output
    from python_cnb.utils import run_captured, run_streamed

    for call in (lambda: run_captured(["true"], env={"X": "a\0b"}, cwd=tmp_path),
                 lambda: run_streamed(Output(), ["tr\0ue"], env={}, cwd=tmp_path)):
        with pytest.raises(CommandNotFound) as info:
            call()
        assert "null byte" in info.value.reason
        assert render_error(info.value)[0] == "Unable to run a command"
