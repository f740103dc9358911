import pytest
from python_cnb.errors import ProcfileInvalid, render_error
from python_cnb.procfile import ProcfileEntry, parse_procfile


def test_entries_comments_blank_lines_and_colons_in_commands():
    text = ("\ufeff# processes\n\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n"
            "  worker:python worker.py --url http://x:1/  \n# release: nope\nclock : sh -c 'echo a: b'\n")
    assert parse_procfile(text) == [
        ProcfileEntry("web", "gunicorn app:app --bind 0.0.0.0:$PORT", 3),
        ProcfileEntry("worker", "python worker.py --url http://x:1/", 4),
        ProcfileEntry("clock", "sh -c 'echo a: b'", 6),
    ]


def test_empty_procfile():
    assert parse_procfile("\n# nothing\n") == []


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        pytest.param("web: a\njust a command\n", 2, "no ':'", id="no-colon"),
        pytest.param("web:\n", 1, "has no command", id="no-command"),
        pytest.param(": python x.py\n", 1, "process name", id="no-name"),
        pytest.param("my web: x\n", 1, "process name", id="space-in-name"),
        pytest.param("web: a\n\nweb: b\n", 3, "already defined on line 1", id="duplicate"),
    ],
)
def test_bad_lines_name_the_line(text, line, reason):
    with pytest.raises(ProcfileInvalid) as raised:
        parse_procfile(text)
    assert raised.value.line_number == line
    title, body = render_error(raised.value)
    assert title == "Invalid line in Procfile"
    assert f"Line {line} of Procfile" in body and reason in body
