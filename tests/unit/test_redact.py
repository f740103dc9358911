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


def test_user_name_is_not_masked_outside_urls():
    env = {"PIP_INDEX_URL": "https://pip:s3cret-pw@index.example/simple"}
    out = redact("Running 'pip install -r requirements.txt' with https://pip:s3cret-pw@index.example/simple;"
                 " echo s3cret-pw", secrets_in_env(env))
    assert out == ("Running 'pip install -r requirements.txt' with https://****@index.example/simple;"
                   " echo ****")


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        pytest.param("https://aws:abc@h.example/s", "aws abc abcd", "aws abc abcd", id="short-password-url-only"),
        pytest.param("https://u:p%40ssw0rd@h.example/s", "p@ssw0rd and p%40ssw0rd", "**** and ****",
                     id="percent-encoded-password"),
        pytest.param("https://ghp_0123456789abcdefXYZ@h.example/s", "token ghp_0123456789abcdefXYZ", "token ****",
                     id="lone-token"),
        pytest.param("https://deploy@h.example/s", "deploy done", "deploy done", id="lone-short-user"),
        pytest.param("not a url", "pip", "pip", id="no-url"),
    ],
)
def test_secret_values(url, text, expected):
    assert redact(text, secrets_in_env({"BP_PYTHON_MIRROR_URL": url})) == expected


@pytest.mark.parametrize("url", ["https://u:pw123@h.example:x/p", "https://u:pw123@[h.example/p", "http://u:pw123@h:99999/"])
def test_redact_malformed_urls(url):
    assert "pw123" not in redact_url(url) and "****@" in redact_url(url)


@pytest.mark.parametrize("name", ["UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL", "PIPENV_PYPI_MIRROR",
                                  "PDM_PYPI_URL"])
def test_lockfile_tools_index_settings_are_secret_bearing(name):
    secrets = secrets_in_env({name: "https://ci:tool-secret-99@index.example/simple"})
    assert redact("uv said tool-secret-99", secrets) == "uv said ****"



def test_a_password_variable_is_a_secret_on_its_own():
    secrets = secrets_in_env({"PDM_PYPI_PASSWORD": "hunter2-pdm", "PDM_PYPI_USERNAME": "ci"})
    assert redact("pdm said hunter2-pdm as ci", secrets) == "pdm said **** as ci"
    assert secrets_in_env({"PDM_PYPI_PASSWORD": "abc"}) == []
