"""The generated run stage script and the init, run with the real /bin/sh and python (no build needed)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from python_cnb.process_init import GROUP_GRACE_SECONDS
from python_cnb.processes import Kind
from python_cnb.run_script import GunicornPlan, render_run_script

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
                                  "<--access-logfile><-><--worker-tmp-dir></dev/shm><--chdir><src dir>")
    assert not (tmp_path / "pwned").exists()


def test_heartbeat_dir_in_memory_unless_chosen(tmp_path):
    """/dev/shm for Gunicorn's heartbeat files; GUNICORN_CMD_ARGS or the app's config (read at build) choose
    otherwise."""
    plan = GunicornPlan(module="wsgi", config="/c.py")
    text = render_run_script(Kind.GUNICORN, plan, None)
    assert run_script(tmp_path, text, {}).stdout.endswith("<--worker-tmp-dir></dev/shm>")
    chosen = run_script(tmp_path, text, {"GUNICORN_CMD_ARGS": "--worker-tmp-dir /run/gunicorn"}).stdout
    assert "--worker-tmp-dir" not in chosen and chosen.endswith("<--access-logfile><->")
    mine = GunicornPlan(module="wsgi", config="gunicorn.conf.py", worker_tmp_dir=False)
    assert "--worker-tmp-dir" not in run_script(tmp_path, render_run_script(Kind.GUNICORN, mine, None), {}).stdout


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


def test_googles_entrypoint_at_launch_is_app_run_which_wins_over_it(tmp_path):
    text = render_run_script(Kind.PROCFILE, None, "echo from-procfile")
    google = run_script(tmp_path, text, {"GOOGLE_ENTRYPOINT": "echo from-google", "APP_RUN": " "})
    assert google.stdout.endswith("---> Running application from (echo from-google) ...\nfrom-google\n")
    both = run_script(tmp_path, text, {"GOOGLE_ENTRYPOINT": "echo from-google", "APP_RUN": "echo from-app-run"})
    assert both.stdout.startswith("---> APP_RUN and GOOGLE_ENTRYPOINT are both set and differ: using APP_RUN "
                                  "(GOOGLE_ENTRYPOINT is ignored)\n")
    assert both.stdout.endswith("from-app-run\n")
    assert run_script(tmp_path, text, {"GOOGLE_ENTRYPOINT": "  "}).stdout.endswith("from-procfile\n")


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
    # Signalled, not killed after the init's 5-second grace (nor the 30-second sleep); a loaded CI machine once
    # took 2.02 s here, so the bound only separates those.
    assert time.monotonic() - started < GROUP_GRACE_SECONDS - 1


def test_init_signals_the_command_then_what_is_left_of_its_group(tmp_path):
    # Like a Gunicorn master: the command handles SIGTERM itself while its worker keeps running. The worker must
    # not get the signal before the command has exited (Gunicorn would start a new worker that can miss it), and
    # must get it after (a shell that does not exec leaves its children behind).
    log = tmp_path / "log"
    worker = f"trap 'echo worker-term >> {log}; exit 0' TERM; while :; do sleep 0.05; done"
    command = tmp_path / "command.py"
    command.write_text(
        "import os, signal, subprocess, sys, time\n"
        f"worker = subprocess.Popen(['/bin/sh', '-c', {worker!r}])\n"
        "def stop(*_):\n"
        "    time.sleep(0.5)\n"
        f"    with open({str(log)!r}, 'a') as out:\n"
        "        out.write('command-term, worker ' + ('running' if worker.poll() is None else 'gone') + '\\n')\n"
        "    os._exit(3)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        f"open({str(log)!r}, 'a').write('ready\\n')\n"
        "while True:\n"
        "    time.sleep(1)\n")
    proc = subprocess.Popen([sys.executable, "-I", str(INIT), sys.executable, str(command)])
    deadline = time.monotonic() + 10
    while not (log.exists() and "ready" in log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the worker's trap is set
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 3
    deadline = time.monotonic() + 5
    while "worker-term" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.read_text().splitlines() == ["ready", "command-term, worker running", "worker-term"]


def test_init_exit_status_and_missing_command():
    assert subprocess.run([sys.executable, "-I", str(INIT), "/bin/sh", "-c", "exit 7"]).returncode == 7
    missing = subprocess.run([sys.executable, "-I", str(INIT), "/nonexistent"], capture_output=True, text=True)
    assert missing.returncode == 127 and "cannot run /nonexistent" in missing.stderr
    assert os.path.exists(INIT)


def test_s2i_aliases_at_launch(tmp_path):
    text = render_run_script(Kind.GUNICORN, GunicornPlan("wsgi", "/default.py"), None)
    alias = run_script(tmp_path, text, {"APP_MODULE": "other:app", "APP_CONFIG": "g.py"})
    assert alias.stdout.endswith("<other:app><--config><g.py><--bind><0.0.0.0:8080><--access-logfile><->"
                                 "<--worker-tmp-dir></dev/shm>")
    both = run_script(tmp_path, text, {"APP_MODULE": "other:app", "GUNICORN_APP_MODULE": "mine:app"})
    assert both.stdout.startswith("---> GUNICORN_APP_MODULE and APP_MODULE are both set and differ: using "
                                  "GUNICORN_APP_MODULE (APP_MODULE is ignored)\n")
    assert "<mine:app>" in both.stdout and "other:app>" not in both.stdout
    same = run_script(tmp_path, text, {"APP_MODULE": "mine:app", "GUNICORN_APP_MODULE": "mine:app"})
    assert "differ" not in same.stdout


def test_scripts_and_python_files(tmp_path):
    (tmp_path / "start.sh").write_text("echo started $1\n")
    shell = run_script(tmp_path, render_run_script(Kind.SCRIPT, None, None, script="start.sh",
                                                   script_executable=False), {})
    assert shell.stdout == "---> Running application from script (start.sh) ...\nstarted\n"
    (tmp_path / "run me.sh").write_text("#!/bin/sh\necho direct\n")
    (tmp_path / "run me.sh").chmod(0o755)
    direct = run_script(tmp_path, render_run_script(Kind.SCRIPT, None, None, script="run me.sh"), {})
    assert direct.stdout.endswith("direct\n")
    (tmp_path / "server.py").write_text("print('server')\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "python").symlink_to(sys.executable)
    python = run_script(tmp_path, render_run_script(Kind.APP_PY, None, None, python_file="server.py"), {})
    assert python.stdout == "---> Running application from (python server.py) ...\nserver\n"


def test_migrate_on_start(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "manage.py").write_text("import os, sys\nprint('migrate in', os.path.basename(os.getcwd()),"
                                                 " sys.argv[1:])\nsys.exit(int(os.environ.get('FAIL', '0')))\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    text = render_run_script(Kind.PROCFILE, None, "echo web", migrate_dir="site")
    assert run_script(tmp_path, text, {}).stdout == "---> Running application from the Procfile (echo web) ...\nweb\n"
    for value in ("true", "TRUE", "1", "yes"):
        ran = run_script(tmp_path, text, {"MIGRATE_ON_START": value})
        assert ran.stdout.startswith("---> Running Django migrations (MIGRATE_ON_START is set) ...\n"
                                     "migrate in site ['migrate', '--noinput']\n"), ran
        assert ran.stdout.endswith("web\n")
    assert "migrate" not in run_script(tmp_path, text, {"MIGRATE_ON_START": "false"}).stdout
    failed = run_script(tmp_path, text, {"MIGRATE_ON_START": "true", "FAIL": "3"})
    assert failed.returncode == 1 and "web" not in failed.stdout.splitlines()[-1]
    assert "Django migrations failed; not starting the web process" in failed.stderr


def test_a_command_gets_the_port_and_its_environment_defaults(tmp_path):
    text = render_run_script(Kind.COMMAND, None, None, command=("streamlit", "run", "my app.py", "--server.port",
                                                                "$PORT"),
                             command_env=(("GRADIO_SERVER_NAME", "0.0.0.0"), ("GRADIO_SERVER_PORT", "$PORT")))
    fake = tmp_path / "bin" / "streamlit"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "<%s>" "$a"; done\n'
                    'printf "|%s|%s" "$GRADIO_SERVER_NAME" "$GRADIO_SERVER_PORT"\n')
    fake.chmod(0o755)
    result = run_script(tmp_path, text, {"PORT": "9000"})
    assert result.stdout.endswith("<run><my app.py><--server.port><9000>|0.0.0.0|9000"), result
    assert "---> Running application with (streamlit run my app.py --server.port $PORT) ..." in result.stdout
    result = run_script(tmp_path, text, {"GRADIO_SERVER_NAME": "127.0.0.1"})
    assert result.stdout.endswith("<--server.port><8080>|127.0.0.1|8080"), "launch-time values win"
