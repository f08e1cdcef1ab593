"""The surfaces' side of the broker (hardened mode): open what the approval binds to — the
working directory, the program, the payload files — pass the descriptors to the broker,
wait for its answer, and exec the program through the same descriptor it approved.

A broker that is missing, slow, answers garbage, or listens on a socket that is not its
own means refusal with one line saying what the human can do — never the personal path.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from shellgate.broker import protocol
from shellgate.errors import REFUSED, ShellgateError

if TYPE_CHECKING:
    from shellgate.hardened.state import HardenedState

HELP = ("check `systemctl status shellgate-broker` (without systemd, root starts "
        "`shellgate broker`)")
CONNECT_SECONDS = 5.0
DECIDE_SECONDS = 30.0
"""How long a decision may take the broker; an approval adds the touch timeout."""
RUN_SECONDS = 10.0 ** 7
"""How long a command the broker runs may take (no limit but the socket's own)."""


class BrokerError(ShellgateError):
    """The broker could not be asked or refused: nothing runs (exit 126)."""

    exit_code = REFUSED


def _unavailable(why: str) -> BrokerError:
    return BrokerError(f"the shellgate broker {why}; not run — {HELP}")


def _check_socket(state: HardenedState) -> str:
    path = str(state.layout.socket)
    try:
        run = os.lstat(os.path.dirname(path))
        st = os.lstat(path)
    except FileNotFoundError:
        raise _unavailable(f"is not running (no socket at {path})") from None
    except OSError as exc:
        raise _unavailable(f"cannot be reached ({path}: {exc.strerror})") from None
    if not stat.S_ISDIR(run.st_mode) or run.st_uid not in (0, state.broker_uid) \
            or run.st_mode & 0o022:
        raise _unavailable(f"socket directory {os.path.dirname(path)} is not the broker's "
                           f"(owner uid {run.st_uid}, mode {stat.S_IMODE(run.st_mode):04o})")
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != state.broker_uid:
        raise _unavailable(f"socket {path} is owned by uid {st.st_uid}, not by "
                           f"{state.layout.broker_user} (uid {state.broker_uid}): refusing it")
    return path


def connect(state: HardenedState) -> socket.socket:
    """A connection to the real broker: the socket file is the broker's, and the kernel
    says the listening end is the broker's user (or root, who created it for the broker)."""
    path = _check_socket(state)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_SECONDS)
    try:
        sock.connect(path)
        _pid, uid, _gid = protocol.peer_credentials(sock)
    except OSError as exc:
        sock.close()
        raise _unavailable(f"is not answering ({exc.strerror or exc})") from None
    if uid not in (0, state.broker_uid):
        sock.close()
        raise _unavailable(f"socket is served by uid {uid}, not by "
                           f"{state.layout.broker_user}: refusing it")
    return sock


def ask(state: HardenedState, message: dict[str, Any], fds: list[int], seconds: float,
        on_wait: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Send one request; return the final reply (interim ``waiting`` replies go to
    ``on_wait``). Any failure is a BrokerError."""
    deadline = time.monotonic() + seconds
    with connect(state) as sock, _relaying(sock) as relay:
        try:
            protocol.send(sock, message, protocol.MAX_REQUEST, fds)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _unavailable(f"did not answer within {seconds:.0f} s")
                reply, extra = protocol.receive(sock, protocol.MAX_REPLY, remaining)
                for fd in extra:  # the broker never sends descriptors
                    os.close(fd)
                if extra:
                    raise protocol.ProtocolError("the reply carried descriptors")
                result = reply.get("result")
                if result == "waiting" and on_wait is not None:
                    on_wait(reply)
                    continue
                if result == "started" and "stdio" in message.get("fds", {}):
                    # the broker runs the command: wait as long as it runs, and pass on
                    # the signals this process gets (Ctrl-C, a timeout's TERM)
                    relay()
                    deadline = time.monotonic() + RUN_SECONDS
                    continue
                if not isinstance(result, str):
                    raise protocol.ProtocolError("the reply has no result")
                return reply
        except protocol.ProtocolError as exc:
            if "timed out" in exc.message:
                raise _unavailable(f"did not answer within {seconds:.0f} s") from None
            raise _unavailable(f"answered garbage ({exc.message})") from None
        except OSError as exc:
            raise _unavailable(f"connection failed ({exc.strerror or exc})") from None


@contextlib.contextmanager
def _relaying(sock: socket.socket) -> Iterator[Callable[[], None]]:
    """``relay()`` makes the signals a running command should get go to the broker (which
    passes them to the runner) until the block ends; the old handlers come back after."""
    import signal

    from shellgate.broker.runner import FORWARDED

    saved: dict[int, Any] = {}

    def forward(number: int, _frame: Any) -> None:
        with contextlib.suppress(OSError, ShellgateError):
            protocol.send(sock, {"signal": number}, 1024)

    def relay() -> None:
        for number in FORWARDED:
            with contextlib.suppress(ValueError, OSError):  # not the main thread: none
                saved[number] = signal.signal(number, forward)

    try:
        yield relay
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def _opened(cwd: str, program: str | None, files: list[str]) -> Iterator[
        tuple[list[int], dict[str, Any], int | None]]:
    """Descriptors for the request: fds list, the index object, the program's fd."""
    fds: list[int] = []
    try:
        fds.append(os.open(cwd, os.O_RDONLY | os.O_DIRECTORY))
        index: dict[str, Any] = {"cwd": 0, "files": {}}
        program_fd = None
        if program is not None:
            program_fd = os.open(program, os.O_RDONLY)
            index["program"] = len(fds)
            fds.append(program_fd)
        for path in files[:protocol.MAX_FDS - len(fds)]:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue  # unreadable here is unreadable for the broker too: it gates
            index["files"][path] = len(fds)
            fds.append(fd)
        yield fds, index, program_fd
    finally:
        for fd in fds:
            if fd != program_fd:
                with contextlib.suppress(OSError):
                    os.close(fd)


def approve(state: HardenedState, *, kind: str, argv: list[str], command: str,
            program: str | None, files: list[str], agent: str, surface: str,
            redeem: bool, timeout: float,
            tell: Callable[[str], None]) -> int | None:
    """Ask the broker to decide and, when gated, to get a touch and record it. Returns the
    program's descriptor to exec (argv requests) once allowed; raises BrokerError else."""
    message = {"op": "approve", "kind": kind, "argv": argv, "command": command,
               "agent": agent, "surface": surface, "redeem": redeem, "timeout": timeout}

    waiting = touch_prompt(command, tell)

    with _opened(os.getcwd(), program, files) as (fds, index, program_fd):
        try:
            reply = ask(state, {**message, "fds": index}, fds, DECIDE_SECONDS + timeout,
                        waiting)
        except BaseException:
            if program_fd is not None:
                os.close(program_fd)
            raise
        if reply.get("result") in ("allow", "approved"):
            try:
                _unchanged(index, fds, program)
            except BrokerError:
                if program_fd is not None:
                    os.close(program_fd)
                raise
            return program_fd
        if program_fd is not None:
            os.close(program_fd)
    raise not_obeyed(reply)


def not_obeyed(reply: dict[str, Any]) -> BrokerError:
    """The error for a final reply that is not the one the caller can act on: the
    broker's refusal or failure in its own words, anything else as unavailable."""
    text = reply.get("message")
    if reply.get("result") == "refused" and isinstance(text, str):
        return BrokerError(text)
    if reply.get("result") == "error" and isinstance(text, str):
        return BrokerError(f"the shellgate broker failed: {text}; not run — {HELP}")
    return _unavailable(f"answered {str(reply.get('result'))[:40]!r}")


def touch_prompt(command: str, tell: Callable[[str], None],
                 ) -> Callable[[dict[str, Any]], None]:
    """What the human is shown when the broker says it is waiting for a touch: the
    command, the rule, and the vault secrets the same touch gives it."""
    def waiting(reply: dict[str, Any]) -> None:
        names = reply.get("secrets") or []
        gives = f"\nshellgate:   and give it the vault secret(s) {', '.join(names)}" \
            if names else ""
        tell(f"shellgate: touch your key to approve [{reply.get('short', '')}]: "
             f"{command[:200]}\nshellgate:   {reply.get('rule', '')}: "
             f"{reply.get('summary', '')}{gives}")

    return waiting


def _unchanged(index: dict[str, Any], fds: list[int], program: str | None) -> None:
    """The paths the program will open still name the files the broker read through the
    descriptors: a payload file or the program renamed over while the human was asked
    (content changed in place is caught by the broker's re-read) is refused."""
    named = dict(index.get("files", {}))
    if program is not None:
        named[program] = index["program"]
    for path, position in named.items():
        try:
            now = os.stat(path)
        except OSError:
            now = None
        then = os.fstat(fds[position])
        if now is None or (now.st_dev, now.st_ino) != (then.st_dev, then.st_ino):
            raise BrokerError(f"{path} was replaced while the key was being asked; not run")


def current_state() -> HardenedState:
    """The hardened install the client is about to ask; refused when its marker vanished
    since the configuration was read."""
    from shellgate.hardened.state import detect

    state = detect()
    if state is None:
        raise BrokerError("hardened mode changed while deciding; not run")
    return state


def guard_approval(decision_verdict: str, files: list[str], command: str, argv: list[str],
                   timeout: float, redeem: bool, agent: str,
                   tell: Callable[[str], None]) -> dict[str, Any] | None:
    """The guard's hardened branch: the broker decides again, asks the key and records.
    Returns a stand-in for the approval (None when the broker allows without a touch);
    tickets are the broker's own, so the caller has nothing to store."""
    state = current_state()
    script = len(argv) >= 3 and argv[:2] == ["bash", "-c"]
    program = None
    if not script:
        from shellgate.execute import find_program

        program = argv[0] if "/" in argv[0] else find_program(argv[0], "")
    fd = approve(state, kind="script" if script else "argv", argv=argv, command=command,
                 program=program, files=files, agent=agent,
                 surface="hook" if agent and script else "shell" if script else "shim",
                 redeem=redeem, timeout=timeout, tell=tell)
    if fd is not None and program is not None:
        from shellgate.execute import hold_approved

        hold_approved(program, fd)  # the surface's exec runs the approved file, not the path
    if decision_verdict == "allow":
        return None
    return {"request": {"command": command, "argv": argv}, "approval": {"broker": True}}
