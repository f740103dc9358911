"""The buildpack's Gunicorn config, run as Gunicorn runs it (a Python file whose top-level names are the settings).
How it reads GUNICORN_CMD_ARGS needs Gunicorn: tests/contract/test_build_web_processes.py."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any, Dict

import pytest
from python_cnb.run_script import DEFAULT_THREADS, render_gunicorn_conf


def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker_class: str,
              env: Dict[str, str]) -> Dict[str, Any]:
    for name in ("GUNICORN_WORKER_CLASS", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(render_gunicorn_conf(worker_class))
    return {k: v for k, v in runpy.run_path(str(conf)).items() if not k.startswith("_") and k != "os"}


def test_wsgi_default_is_threads_with_a_connection_per_thread(tmp_path, monkeypatch):
    settings = _settings(tmp_path, monkeypatch, "gthread", {})
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] == settings["worker_connections"] == DEFAULT_THREADS
    assert settings["keepalive"] == 0
    assert settings["bind"] == "0.0.0.0:8080" and settings["workers"] == 2


@pytest.mark.parametrize("worker_class", ["uvicorn_worker.UvicornWorker", "uvicorn.workers.UvicornWorker"])
def test_asgi_worker_gets_no_thread_settings(tmp_path, monkeypatch, worker_class):
    settings = _settings(tmp_path, monkeypatch, worker_class, {})
    assert settings["worker_class"] == worker_class
    assert "threads" not in settings and "keepalive" not in settings and "worker_connections" not in settings


def test_gunicorn_worker_class_sync_gets_real_sync_workers(tmp_path, monkeypatch):
    # Gunicorn turns sync with threads > 1 into gthread: the config sets no threads then.
    settings = _settings(tmp_path, monkeypatch, "gthread", {"GUNICORN_WORKER_CLASS": "sync"})
    assert settings["worker_class"] == "sync" and "threads" not in settings
