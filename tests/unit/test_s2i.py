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
