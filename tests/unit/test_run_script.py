"""The generated run stage script and the init, run with the real /bin/sh and python (no build needed)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from python_cnb.layers.web import GunicornPlan, render_run_script
from python_cnb.processes import Kind

INIT = Path(__file__).resolve().parents[2] / "lib" / "python_cnb" / "process_init.py"


def run_script(tmp_path, text, env, fake_gunicorn=True):
    script = tmp_path / "run"
    script.write_text(text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if fake_gunicorn:
        gunicorn = bin_dir / "gunicorn"
        gunicorn.write_text('#!/bin/sh\nfor a in "$@"; do printf "<%s>" "$a"; done\n')
        gunicorn.chmod(0o755)
    return subprocess.run(["/bin/sh", str(script)], env={"PATH": f"{bin_dir}:/usr/bin:/bin", **env},
                          capture_output=True, text=True, cwd=tmp_path, timeout=20)


def test_values_are_quoted(tmp_path):
    plan = GunicornPlan(module="my app:$(touch pwned)", config="conf dir/g'c.py", worker_class="",
                        chdir="src dir")
    result = run_script(tmp_path, render_run_script(Kind.GUNICORN, plan, None), {})
    assert result.stdout.endswith("<my app:$(touch pwned)><--config><conf dir/g'c.py><--bind><0.0.0.0:8080>"
                                  "<--access-logfile><-><--chdir><src dir>")
    assert not (tmp_path / "pwned").exists()


def test_worker_class_default_and_override(tmp_path):
    text = render_run_script(Kind.GUNICORN, GunicornPlan("main:app", "/c.py", "uvicorn_worker.UvicornWorker"), None)
    assert "<--worker-class><uvicorn_worker.UvicornWorker>" in run_script(tmp_path, text, {}).stdout
    overridden = run_script(tmp_path, text, {"GUNICORN_WORKER_CLASS": "gthread", "PORT": "9000"}).stdout
    assert "<--bind><0.0.0.0:9000>" in overridden and "<--worker-class><gthread>" in overridden
    wsgi = render_run_script(Kind.GUNICORN, GunicornPlan("wsgi", "/c.py"), None)
    assert "--worker-class" not in run_script(tmp_path, wsgi, {}).stdout


def test_app_run_wins_unless_blank(tmp_path):
    text = render_run_script(Kind.PROCFILE, None, "echo from-procfile $PORT")
    assert run_script(tmp_path, text, {"APP_RUN": "echo from-app-run"}).stdout.endswith("from-app-run\n")
    blank = run_script(tmp_path, text, {"APP_RUN": "   ", "PORT": "8080"})
    assert blank.stdout.endswith("from-procfile 8080\n")


def test_no_web_process_prints_the_error_and_fails(tmp_path):
    text = render_run_script(Kind.NONE, None, None)
    result = run_script(tmp_path, text, {"APP_RUN": " "})
    assert result.returncode == 1
    assert "ERROR: don't know how to run your application." in result.stderr
    assert run_script(tmp_path, text, {"APP_RUN": "echo ok"}).stdout.endswith("ok\n")


def test_init_forwards_sigterm_to_a_program_without_a_handler(tmp_path):
    # The child sleeps in a shell pipeline (sh does not exec), so the whole process group must get the signal.
    proc = subprocess.Popen([sys.executable, "-I", str(INIT), "/bin/sh", "-c", "sleep 30; echo done"])
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 2


def test_init_exit_status_and_missing_command():
    assert subprocess.run([sys.executable, "-I", str(INIT), "/bin/sh", "-c", "exit 7"]).returncode == 7
    missing = subprocess.run([sys.executable, "-I", str(INIT), "/nonexistent"], capture_output=True, text=True)
    assert missing.returncode == 127 and "cannot run /nonexistent" in missing.stderr
    assert os.path.exists(INIT)
