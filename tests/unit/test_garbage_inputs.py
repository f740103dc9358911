"""Garbage into every function that parses user text or URLs: each either returns or raises the buildpack's own
error (rendered as one [Error: ...] block), never anything else."""

import random

import pytest
from python_cnb.download import request_for, url_problem
from python_cnb.errors import BuildpackError, render_error
from python_cnb.launch_tuning import concurrency_problem, notices, tuned_env
from python_cnb.redact import redact, redact_url, secrets_in_env
from python_cnb.s2i import parse_environment
from python_cnb.sysconfig_rewrite import rewrite_makefile, rewrite_pkgconfig, rewrite_value

ALPHABET = "AZaz09_=\"'#\\ \t\n\r\0\x7f:/@[]%?&é🚀\ufeff\ud800export "


def _garbage(seed: int, length: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(ALPHABET) for _ in range(length))


SAMPLES = [_garbage(seed, length) for seed in range(150) for length in (1, 7, 40)]
URLS = [*(f"https://{s}" for s in SAMPLES[:200]), *SAMPLES[200:300],
        "http://[", "http://]", "http://u:p@[::1", "http://h:-1/", "http://h:+1/", "http://h:1_0/", "http://:@/",
        "file:", "https://%zz/", "http://h\u3002example/"]


@pytest.mark.parametrize("text", SAMPLES)
def test_parse_environment(text):
    try:
        parse_environment(text)
    except BuildpackError as exc:
        title, _ = render_error(exc)
        assert title != "Internal buildpack error"


@pytest.mark.parametrize("url", URLS)
def test_urls(url):
    problem = url_problem(url)
    if problem is None:
        request_for(url)  # a URL that passed the check makes a request without raising
    redact_url(url)
    redact(url, secrets_in_env({"BP_PYTHON_MIRROR_URL": url, "PIP_INDEX_URL": url}))


@pytest.mark.parametrize("value", SAMPLES[:100])
def test_web_concurrency(value):
    env = {"WEB_CONCURRENCY": value}
    tuned = tuned_env(env, None)
    notices(env, tuned)
    assert (concurrency_problem(value) is None) == (tuned == {} and bool(value.strip()))


@pytest.mark.parametrize("text", SAMPLES[:100])
def test_sysconfig_text(text):
    rewrite_makefile(text, "/layers/p")
    rewrite_pkgconfig(text, "/layers/p")
    rewrite_value("CC", text, "/install", "/layers/p")
    rewrite_value("CFLAGS", text, text or None, "/layers/p")


@pytest.mark.parametrize(
    "contents",
    [b"", b"garbage", b"\x1f\x8b\x08\x00" + b"\x00" * 20, bytes(range(256)) * 4],
    ids=["empty", "text", "truncated-gzip", "binary"],
)
def test_garbage_interpreter_archive(tmp_path, contents):
    from python_cnb.errors import ArchiveInvalid
    from python_cnb.layers.python import _extract

    archive = tmp_path / "python.tar.gz"
    archive.write_bytes(contents)
    (tmp_path / "layer").mkdir()
    with pytest.raises(ArchiveInvalid):
        _extract(archive, tmp_path / "layer", "https://****@mirror.example/x.tar.gz")


def test_garbage_build_config_files_warn(tmp_path):
    import io

    from python_cnb.layers.python import _adapt_build_config
    from python_cnb.output import Output

    stdlib = tmp_path / "lib" / "python3.12"
    stdlib.mkdir(parents=True)
    (stdlib / "_sysconfigdata__linux_x86_64-linux-gnu.py").write_text("build_time_vars = {")
    (stdlib / "_sysconfig_vars__linux_x86_64-linux-gnu.json").write_bytes(b"\xff\xfe")
    err = io.StringIO()
    _adapt_build_config(tmp_path, Output(out=io.StringIO(), err=err))
    assert "[Warning: Could not adapt the interpreter's build configuration]" in err.getvalue()
    assert "lib/python3.12/_sysconfigdata__linux_x86_64-linux-gnu.py: not a Python module" in err.getvalue()
    assert "_sysconfig_vars__linux_x86_64-linux-gnu.json:" in err.getvalue()
    assert not (tmp_path / "env.build").exists()  # no headers: no CPATH
