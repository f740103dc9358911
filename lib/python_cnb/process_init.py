"""The init of the app's processes, copied into the web layer and run with the interpreter layer's python:
`python3 -I python-buildpack-init COMMAND ARGS...`.

In a container the process is PID 1, and the kernel does not apply the default action of a signal to PID 1:
a program that installs no SIGTERM handler (`python app.py`, most shell commands) ignores `docker stop` until
Docker kills it 10 seconds later. This program stays PID 1, starts COMMAND in its own process group and sends
SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to COMMAND's process (where they have their default
effect, or its handler runs). Only COMMAND: a Gunicorn master stops or reloads its workers itself, and workers
that all get SIGTERM at once die before the master has seen it, so it starts new ones, one of which can miss the
signal and hold the shutdown for Gunicorn's 30-second graceful timeout. Once COMMAND has exited after a stopping
signal, whatever is left of its group (`sh -c "python app.py"`: sh does not exec the last command) gets that
signal too and a few seconds to exit. The init reaps every child (orphans get re-parented to PID 1) and exits
with COMMAND's status (128 + N when it was killed by signal N). Standard library only; runs on Python 3.9 and
newer."""

import os
import signal
import sys
import time

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
GROUP_GRACE_SECONDS = 5.0


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def _start(argv: "list[str]") -> int:
    pid = os.fork()
    if pid == 0:  # the child: its own process group, the signals' default effect back
        try:
            for number in FORWARDED:
                signal.signal(number, signal.SIG_DFL)
            os.setpgid(0, 0)
            if os.isatty(0):
                signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # take the terminal as its foreground group
                try:
                    os.tcsetpgrp(0, os.getpgrp())
                except OSError:
                    pass
                signal.signal(signal.SIGTTOU, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        except OSError as exc:
            sys.stderr.write(f"python-buildpack-init: cannot run {argv[0]}: {exc.strerror or exc}\n")
            sys.stderr.flush()
        os._exit(127)
    try:
        os.setpgid(pid, pid)  # also from here, so the group exists before any signal is forwarded
    except OSError:
        pass
    return pid


def _stop_group(pgid: int, number: int) -> None:
    """What is left of COMMAND's group gets the stopping signal and a few seconds (reaped meanwhile), then
    SIGKILL."""
    try:
        os.killpg(pgid, number)
    except OSError:
        return
    deadline = time.monotonic() + GROUP_GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        try:
            os.killpg(pgid, 0)
        except OSError:
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def main(argv: "list[str]") -> int:
    if not argv:
        sys.stderr.write("usage: python-buildpack-init COMMAND [ARG...]\n")
        return 2
    child = {"pid": 0}
    pending: "list[int]" = []
    stopping: "list[int]" = []

    def forward(number: int, _frame: object) -> None:
        if not child["pid"]:
            pending.append(number)
            return
        if number in STOPPING:
            stopping.append(number)
        try:
            os.kill(child["pid"], number)
        except OSError:
            pass

    for number in FORWARDED:
        signal.signal(number, forward)
    child["pid"] = _start(argv)
    for waiting in pending:
        forward(waiting, None)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        if pid == child["pid"]:
            if stopping:
                _stop_group(pid, stopping[-1])
            return _exit_code(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
