import pytest
from python_cnb.errors import S2iEnvironmentInvalid
from python_cnb.s2i import DEFAULT_ASSEMBLE_PATH, parse_environment, rewrite_hook


def test_parse_environment():
    text = """# comment
KEY=VALUE
FOO=BAR

export EXPORTED=yes
DQ="double \\"quoted\\" value"
SQ='single # not a comment'
INLINE=value # trailing comment
EMPTY=
EQUALS=a=b
"""
    assert parse_environment(text) == {
        "KEY": "VALUE", "FOO": "BAR", "EXPORTED": "yes", "DQ": 'double "quoted" value',
        "SQ": "single # not a comment", "INLINE": "value", "EMPTY": "", "EQUALS": "a=b",
    }


@pytest.mark.parametrize(("text", "line"), [("no equals sign", 1), ("OK=1\n1BAD=x", 2), ("A='unterminated", 1),
                                            ("bad key=1", 1)])
def test_parse_environment_errors(text, line):
    with pytest.raises(S2iEnvironmentInvalid) as info:
        parse_environment(text)
    assert info.value.line_number == line


def test_rewrite_hook_points_the_documented_path_at_the_default_stage(tmp_path):
    script = '#!/bin/bash\necho before\n. /usr/libexec/s2i/assemble\necho after\n'
    rewritten = rewrite_hook(script, DEFAULT_ASSEMBLE_PATH, tmp_path / "default")
    assert f". {tmp_path / 'default'}\n" in rewritten
    assert "/usr/libexec" not in rewritten


@pytest.mark.parametrize(
    ("text", "line", "name", "reason"),
    [
        pytest.param("OK=1\nBAD=a\0b\n", 2, "BAD", "contains a NUL byte", id="nul-unquoted"),
        pytest.param('A=1\n\nQ="x\0"\n', 3, "Q", "contains a NUL byte", id="nul-quoted"),
        pytest.param("BIG=" + "x" * 131068 + "\n", 1, "BIG", "more than the 131072 bytes", id="too-long"),
        pytest.param("BIG=" + "é" * 70000 + "\n", 1, "BIG", "140005 bytes long", id="too-long-utf8"),
    ],
)
def test_parse_environment_rejects_values_no_process_can_receive(text, line, name, reason):
    from python_cnb.errors import S2iEnvironmentValueInvalid, render_error

    with pytest.raises(S2iEnvironmentValueInvalid) as info:
        parse_environment(text)
    assert (info.value.line_number, info.value.name) == (line, name)
    title, body = render_error(info.value)
    assert title == "Invalid value in .s2i/environment"
    assert f"The value of {name} on line {line} of .s2i/environment" in body and reason in body


def test_parse_environment_accepts_the_longest_possible_value():
    value = "x" * (131072 - len("BIG=") - 1)
    assert parse_environment(f"BIG={value}\n") == {"BIG": value}


def test_an_assemble_hook_runs_with_the_default_stage_and_pip_in_reach(tmp_path):
    """The hook's copy sources the buildpack's default stage where it names /usr/libexec/s2i/assemble, and `pip` on
    its PATH runs the pip argv it was given (the build-only pip against the app's environment)."""
    import io

    from python_cnb.errors import HookFailed
    from python_cnb.output import Output
    from python_cnb.s2i import run_assemble_hook

    hook = tmp_path / "assemble"
    hook.write_text("#!/bin/sh\npip install flask\n"
                    f"grep -c '/entry.py. assemble .*plan.json' {DEFAULT_ASSEMBLE_PATH}\n"
                    "cat \"$(dirname \"$0\")/plan.json\"; echo\n")
    out = io.StringIO()
    run_assemble_hook(Output(out=out, err=out), hook, '{"plan": 1}', ["/bin/echo", "PIP:"], {"PATH": "/usr/bin:/bin"},
                      tmp_path)
    log = out.getvalue()
    assert "Running '.s2i/bin/assemble'" in log
    assert "PIP: install flask" in log
    assert "\n      1\n" in log, "the default stage runs the buildpack's entry on the plan"
    assert '{"plan": 1}' in log
    hook.write_text("exit 3\n")
    with pytest.raises(HookFailed) as info:
        run_assemble_hook(Output(out=out, err=out), hook, "{}", ["/bin/true"], {"PATH": "/usr/bin:/bin"}, tmp_path)
    assert info.value.exit_code == 3
