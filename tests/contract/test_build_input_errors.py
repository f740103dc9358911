"""Bad input that used to crash the buildpack or build an image that cannot serve: each is one [Error: ...]
block naming the file or variable and the fix, before anything slow happens."""

import pytest

pytestmark = pytest.mark.contract


def _assert_clean_failure(result, title):
    assert result.returncode == 1, result
    assert f"[Error: {title}]" in result.output, result
    assert result.output.count("[Error:") == 1, result
    assert "Traceback" not in result.output and "This is a bug" not in result.output, result


@pytest.mark.parametrize(
    ("contents", "fragment"),
    [
        pytest.param("A=1\nSECRET=ab\0cd\n", "The value of SECRET on line 2 of .s2i/environment contains a NUL byte",
                     id="nul"),
        pytest.param("BIG=" + "x" * 140000 + "\n", "The value of BIG on line 1 of .s2i/environment is 140005 bytes",
                     id="too-long"),
    ],
)
def test_s2i_environment_values_no_process_can_receive(make_app, contents, fragment):
    app = make_app("app_py")
    (app.app / ".s2i").mkdir()
    (app.app / ".s2i" / "environment").write_text(contents)
    result = app.build()
    _assert_clean_failure(result, "Invalid value in .s2i/environment")
    assert fragment in result.output
    assert not list(app.layers.glob("*.toml"))


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        pytest.param("platform", "abc", "a positive whole number", id="abc"),
        pytest.param("platform", "-1", "a positive whole number", id="negative"),
        pytest.param("s2i", "0", "at least 1", id="zero-in-s2i-environment"),
    ],
)
def test_web_concurrency_refused_at_build(make_app, where, value, expected):
    app = make_app("app_py", **({"WEB_CONCURRENCY": value} if where == "platform" else {}))
    if where == "s2i":
        (app.app / ".s2i").mkdir()
        (app.app / ".s2i" / "environment").write_text(f"WEB_CONCURRENCY={value}\n")
    result = app.build()
    _assert_clean_failure(result, "Invalid environment variable")
    assert f"WEB_CONCURRENCY is set to '{value}', but it must be {expected}" in result.output


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        pytest.param("BP_PYTHON_MANIFEST", "http://127.0.0.1:80a/m.toml", "its port is not a number", id="port"),
        pytest.param("BP_PYTHON_MANIFEST", "http://127.0.0.1/my manifest.toml", "contains a space", id="space"),
        pytest.param("BP_PYTHON_MIRROR_URL", "https://[::1/pbs", "unclosed or misplaced '['", id="bracket"),
    ],
)
def test_malformed_urls(make_app, variable, value, fragment):
    result = make_app("app_py", **{variable: value}).build()
    _assert_clean_failure(result, "Invalid URL")
    assert f"{variable} is set to " in result.output and fragment in result.output


def test_archive_404_is_not_retried(make_app, archive_server, tmp_path):
    manifest = tmp_path / "missing.toml"
    manifest.write_text(f'[[python]]\nversion = "3.12.1"\narch = "amd64"\n'
                        f'url = "{archive_server["url"]}/no-such-archive.tar.gz"\nsha256 = "{"0" * 64}"\n')
    manifest.chmod(0o644)
    result = make_app("app_py", BP_PYTHON_MANIFEST=str(manifest)).build()
    _assert_clean_failure(result, "Unable to download Python")
    assert (f"Downloading {archive_server['url']}/no-such-archive.tar.gz failed: the server answered HTTP 404"
            in result.output)
    assert "Download attempt" not in result.output


def test_manifest_url_with_credentials(make_app, archive_server, manifest_path):
    # The test server ignores the Authorization header; the point is that user:token@ no longer ends up in the
    # host name (a DNS error) and never in the log.
    (archive_server["dir"] / "credentials-manifest.toml").write_text(manifest_path.read_text())
    url = str(archive_server["url"]).replace("http://", "http://ci-user:t0ken-zz9@") + "/credentials-manifest.toml"
    result = make_app("app_py", BP_PYTHON_MANIFEST=url).build()
    assert result.returncode == 0, result
    assert "Interpreter builds come from BP_PYTHON_MANIFEST (http://****@127.0.0.1:" in result.output
    assert "t0ken-zz9" not in result.output
