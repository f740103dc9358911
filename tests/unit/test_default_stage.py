"""The default build stage's decisions on plain data."""

import pytest
from python_cnb.default_stage import collectstatic_missing, static_root_unset

UNKNOWN = ["Unknown command: 'collectstatic'\n", "Type 'manage.py help' for usage.\n"]


@pytest.mark.parametrize("status, output, missing", [
    pytest.param(1, UNKNOWN, True, id="no-staticfiles"),
    pytest.param(1, ["Unknown command: 'collectstatic'. Did you mean collectstatics?\n", "Type ...\n"], True,
                 id="with-a-suggestion"),
    pytest.param(0, ["120 static files copied to '/workspace/staticfiles'.\n"], False, id="collected"),
    pytest.param(1, ["Traceback (most recent call last):\n", "django.core.exceptions.ImproperlyConfigured: ...\n"],
                 False, id="settings-fail"),
    pytest.param(2, UNKNOWN, False, id="another-status"),
    pytest.param(1, ["Unknown command: 'collectstatic2'\n"], False, id="another-command"),
])
def test_collectstatic_missing_only_for_djangos_unknown_command(status, output, missing):
    assert collectstatic_missing(status, output) is missing


def test_static_root_unset_is_djangos_own_words():
    said = ["django.core.exceptions.ImproperlyConfigured: You're using the staticfiles app without having set the "
            "STATIC_ROOT setting to a filesystem path.\n"]
    assert static_root_unset(said) and not static_root_unset(["ModuleNotFoundError: No module named 'x'\n"])
