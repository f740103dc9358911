"""The init of the app's processes, copied into the web layer and run with the interpreter layer's python:
`python3 -I python-buildpack-init COMMAND ARGS...`.

In a container the process is PID 1, and the kernel does not apply the default action of a signal to PID 1:
a program that installs no SIGTERM handler (`python app.py`, most shell commands) ignores `docker stop` until
Docker kills it 10 seconds later. This program stays PID 1, starts COMMAND in its own process group, sends
SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to that group (where they have their default effect),
reaps every child (orphans get re-parented to PID 1) and exits with COMMAND's status (128 + N when it was
killed by signal N). Standard library only; runs on Python 3.9 and newer."""

import os
import signal
import sys

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


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


def main(argv: "list[str]") -> int:
    if not argv:
        sys.stderr.write("usage: python-buildpack-init COMMAND [ARG...]\n")
        return 2
    child = {"pid": 0}
    pending: "list[int]" = []

    def forward(number: int, _frame: object) -> None:
        if not child["pid"]:
            pending.append(number)
            return
        try:
            os.killpg(child["pid"], number)
        except OSError:
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
            return _exit_code(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
