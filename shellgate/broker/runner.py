"""The runner: the one process that starts commands holding vault secrets (hardened mode).

A command that receives a sealed secret must not run as the guarded user: every process of
that user can read another's environment (``/proc/PID/environ``) and, where ptrace is
allowed, its memory. Nor may it run as the broker, whose files (counters, audit trail) and
memory (tickets, the key) it could then reach. So root, when it starts the broker, first
forks this runner and drops it to a third system user (``Layout.runner_user``), joined to
the broker by a socket pair no other process holds.

For each command the broker sends its argv, environment and secrets, with descriptors for
the program it approved, the caller's working directory and the caller's standard streams.
The runner forks a child that becomes its own session, enters that directory, takes those
streams and execs the program through its descriptor; it passes signals the broker relays
from the caller and answers with the exit status. One command at a time: when it exits,
every other process of the runner's user is killed, so nothing the command left behind can
read the next command's secrets.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shellgate.broker import protocol
from shellgate.errors import ShellgateError

MAX_MESSAGE = 2 * 1024 * 1024
FORWARDED = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                       signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH})
"""Signals the caller may relay to the running command (Ctrl-C, a timeout's TERM…)."""
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSED_ENV = ("TERM", "LANG", "LANGUAGE", "TZ", "COLUMNS", "LINES", "NO_COLOR",
              "COLORTERM")
"""The caller's variables a command with secrets gets (and ``LC_*``): nothing that loads
code (``LD_PRELOAD``, ``NODE_OPTIONS``, ``PYTHONPATH``…), points the tool elsewhere (an
API URL) or changes where it reads its configuration."""


class RunnerError(ShellgateError):
    """The runner is not there or failed: the command does not run."""


def child_environment(caller: Mapping[str, str]) -> dict[str, str]:
    """The command's environment before the secrets: a short allowlist of the caller's and
    a fixed PATH (the runner adds its own HOME, USER and LOGNAME, then the secrets)."""
    env = {k: v for k, v in caller.items()
           if (k in PASSED_ENV or k.startswith("LC_")) and "\0" not in k + v}
    env.update(SHELL="/bin/sh", PATH=SAFE_PATH)
    return env


@dataclass
class Runner:
    """The broker's end of the pair, and the lock that keeps runs one at a time."""

    sock: socket.socket
    pid: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    def alive(self) -> bool:
        """Whether the runner process is still there (the broker is its parent)."""
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    def run(self, argv: list[str], env: Mapping[str, str], secrets: Mapping[str, str],
            fds: list[int], relay: Callable[[float], int | None],
            started: Callable[[], None]) -> int:
        """Run one command; ``fds`` are program, cwd, stdin, stdout, stderr. ``relay(t)``
        waits up to t seconds for a signal from the caller (None: none; -1: the caller
        is gone). Returns the exit status (128 + N for a signal). The caller holds
        ``lock`` around it."""
        protocol.send(self.sock, {"op": "run", "argv": argv, "env": dict(env),
                                  "secrets": dict(secrets)}, MAX_MESSAGE, fds)
        reply, extra = protocol.receive(self.sock, MAX_MESSAGE, 30)
        _close_all(extra)
        if reply.get("result") != "started":
            raise RunnerError(str(reply.get("message", "the runner could not start it")))
        started()
        while True:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if readable:
                reply, extra = protocol.receive(self.sock, MAX_MESSAGE, 30)
                _close_all(extra)
                status = reply.get("status")
                if reply.get("result") != "exited" or not isinstance(status, int):
                    raise RunnerError("the runner answered garbage")
                return status
            number = relay(0.2)
            if number is not None:
                protocol.send(self.sock, {"op": "signal",
                                          "signal": int(signal.SIGKILL) if number < 0
                                          else number}, MAX_MESSAGE)


def start(user: str) -> Runner | None:
    """As root, before the broker drops its privileges: fork the runner as ``user``.
    None when that user does not exist (an install from before the runner): runs with
    secrets are then refused."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    if entry.pw_uid == 0:
        raise RunnerError("the runner's user cannot be root")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked runner (tested end to end)
        code = 1
        try:
            ours.close()
            os.setgroups([entry.pw_gid])
            os.setresgid(entry.pw_gid, entry.pw_gid, entry.pw_gid)
            os.setresuid(entry.pw_uid, entry.pw_uid, entry.pw_uid)
            if os.getuid() != entry.pw_uid or os.geteuid() != entry.pw_uid:
                raise RunnerError("could not drop to the runner's user")
            with contextlib.suppress(OSError):
                os.chdir(entry.pw_dir)
            serve(theirs, entry.pw_dir, entry.pw_name)
            code = 0
        except BaseException as exc:
            print(f"shellgate runner: {type(exc).__name__}: {exc}", file=sys.stderr,
                  flush=True)
        os._exit(code)
    theirs.close()
    return Runner(ours, pid)


def serve(sock: socket.socket, home: str, user: str) -> None:
    """The runner's loop: one command at a time until the broker closes the pair. Only as
    the runner's own (non-root) user: it kills every other process of its user."""
    uid = pwd.getpwnam(user).pw_uid
    if uid == 0 or os.getuid() != uid or os.geteuid() != uid:
        raise RunnerError(f"the runner serves only as {user}, never as another user")
    _reap_leftovers()  # what a command left running before a broker restart
    while True:
        try:
            message, fds = protocol.receive(sock, MAX_MESSAGE, 10 ** 9)
        except protocol.ProtocolError:
            return  # the broker is gone
        try:
            _run_one(sock, message, fds, home, user)
        except ShellgateError as exc:
            _reply(sock, {"result": "failed", "message": exc.message})
        finally:
            _close_all(fds)


def _run_one(sock: socket.socket, message: dict[str, Any], fds: list[int], home: str,
             user: str) -> None:
    if message.get("op") != "run" or len(fds) != 5:
        raise RunnerError("a run needs its argv and five descriptors")
    argv = protocol.string_list(message, "argv", 4096)
    env = protocol.field(message, "env", dict)
    secrets = protocol.field(message, "secrets", dict)
    if not argv or not all(isinstance(k, str) and isinstance(v, str)
                           for k, v in (*env.items(), *secrets.items())):
        raise RunnerError("a malformed run request")
    env = {**env, "HOME": home, "USER": user, "LOGNAME": user, **secrets}
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the command's own process
        _exec_child(argv, env, secrets, fds)
    _reply(sock, {"result": "started", "pid": pid})
    status = _wait(sock, pid)
    _reap_leftovers()
    _reply(sock, {"result": "exited", "status": status})


def _exec_child(argv: list[str], env: dict[str, str], secrets: dict[str, str],
                fds: list[int]) -> None:
    """In the forked child: own session, the caller's cwd and streams, exec the program."""
    program, cwd, *streams = fds
    try:
        os.setsid()
        for number in FORWARDED | {signal.SIGPIPE, signal.SIGXFSZ}:
            signal.signal(number, signal.SIG_DFL)
        for target, fd in enumerate(streams):  # first: a refusal below reaches the caller
            os.dup2(fd, target)
        try:
            os.fchdir(cwd)
        except PermissionError:
            raise RunnerError("the runner's user may not enter the working directory (a "
                              "command with secrets runs as another user: run it from a "
                              "directory others may enter)") from None
        from shellgate.vault.headers import curl_argv

        argv = curl_argv(argv, secrets)  # header memfds stay open across exec
        keep = {program, *_dev_fds(argv)}
        for fd in _open_fds():
            if fd > 2 and fd not in keep:
                with contextlib.suppress(OSError):
                    os.close(fd)
        os.set_inheritable(program, True)  # a #! script's interpreter opens /dev/fd/N
        os.execve(program, argv, env)
    except BaseException as exc:
        text = exc.message if isinstance(exc, ShellgateError) else str(exc)
        with contextlib.suppress(OSError):
            os.write(2, f"shellgate: {argv[0]}: {text}; not run\n".encode(errors="replace"))
    os._exit(126)


def _dev_fds(argv: list[str]) -> set[int]:
    found = set()
    for word in argv:
        at = word.find("@/dev/fd/")
        if at >= 0 and word[at + 9:].isdigit():
            found.add(int(word[at + 9:]))
    return found


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 1024))


def _wait(sock: socket.socket, pid: int) -> int:
    """Wait for the command, relaying signals the broker sends; the broker gone kills it."""
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            readable, _, _ = select.select([sock.fileno(), pidfd], [], [])
            if pidfd in readable:
                _, raw = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(raw) if os.WIFEXITED(raw) \
                    else 128 + os.WTERMSIG(raw)
            try:
                message, extra = protocol.receive(sock, MAX_MESSAGE, 5)
            except protocol.ProtocolError:  # the broker is gone: so is the command
                _kill_group(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                _reap_leftovers()
                raise
            _close_all(extra)
            number = message.get("signal")
            if isinstance(number, int) and (number in FORWARDED or number == signal.SIGKILL):
                _kill_group(pid, number)
    finally:
        os.close(pidfd)


def _kill_group(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, number)


def _reap_leftovers() -> None:
    """Kill every other process of the runner's user (what the command left running, which
    could otherwise read the next command's secrets), and reap our own children."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(-1, signal.SIGKILL)  # Linux spares the caller itself
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _reply(sock: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError, ShellgateError):
        protocol.send(sock, message, MAX_MESSAGE)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
