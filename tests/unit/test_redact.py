import pytest
from python_cnb.redact import redact, redact_url, secrets_in_env


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@example.com/simple", "https://****@example.com/simple"),
        ("https://token@example.com:8443/x", "https://****@example.com:8443/x"),
        ("https://example.com/simple", "https://example.com/simple"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_redact_text_and_known_secrets():
    env = {"PIP_INDEX_URL": "https://builder:hunter22@index.example/simple", "OTHER": "x"}
    secrets = secrets_in_env(env)
    text = "Looking in indexes: https://builder:****@index.example/simple; password hunter22 again"
    out = redact(text, secrets)
    assert "hunter22" not in out and "builder" not in out
    assert "https://****@index.example/simple" in out
