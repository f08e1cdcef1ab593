"""The broker's socket: accept, check the peer's kernel credentials, read one bounded
request, answer, close. Started by systemd (socket activation, ``User=shellgate-broker``)
or as root in the foreground (``shellgate broker``), which binds the socket and then drops
to the broker's user."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from shellgate.broker import protocol
from shellgate.broker.service import Service, handle
from shellgate.errors import ConfigError, ShellgateError
from shellgate.hardened.layout import Layout
from shellgate.hardened.state import HardenedState, check_owner, load

READ_SECONDS = 10.0
"""A client has this long to send its request (a slow or stuck client is dropped)."""
SD_LISTEN_FDS_START = 3


def _systemd_socket() -> socket.socket | None:
    """The listening socket systemd passed (LISTEN_FDS), if it was passed to us."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        return None
    sock = socket.socket(fileno=SD_LISTEN_FDS_START)
    if sock.family != socket.AF_UNIX:
        raise ConfigError("systemd passed a socket that is not a Unix socket")
    return sock


def _bind(layout: Layout, broker_uid: int, broker_gid: int) -> socket.socket:
    """As root: the run directory (the broker's, 0755) and a fresh socket in it."""
    run = str(layout.run)
    os.makedirs(run, mode=0o755, exist_ok=True)
    st = os.lstat(run)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"refusing the run directory {run}: not a plain directory")
    os.chown(run, broker_uid, broker_gid)
    os.chmod(run, 0o755)  # noqa: S103 - clients must reach the socket inside
    path = str(layout.socket)
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            raise ConfigError(f"refusing to replace {path}: it is not a socket")
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    # Anyone may connect; who may *ask* is decided per connection from SO_PEERCRED.
    os.chmod(path, 0o666)  # noqa: S103 - peers are checked by SO_PEERCRED instead
    os.chown(path, broker_uid, broker_gid)
    sock.listen(16)
    return sock


def _drop(uid: int, gid: int) -> None:
    os.setgroups([gid])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.geteuid() != uid or os.getuid() != uid:
        raise ConfigError("could not drop privileges to the broker's user")


def check_test_key(path: str, broker_uid: int) -> str:
    """The software key the tests use: only root can start a broker with one, and the
    file must be the broker's own, writable by no one else (it signs by itself)."""
    real = os.path.realpath(path)
    check_owner(real, broker_uid, "the broker's test key", kind="file")
    if os.stat(real).st_mode & 0o077:
        raise ConfigError(f"the broker's test key {real} must be readable by its owner only")
    return real


def prepare(layout: Layout, test_key: str | None) -> tuple[Service, socket.socket,
                                                          HardenedState]:
    """Check the install, get the listening socket, drop privileges, check the state."""
    state = load(str(layout.marker))
    if test_key is not None and os.geteuid() != 0:
        raise ConfigError("--test-key needs the broker to be started by root")
    key = check_test_key(test_key, state.broker_uid) if test_key else None
    sock = _systemd_socket()
    runner = None
    if os.geteuid() == 0:
        if sock is None:
            sock = _bind(layout, state.broker_uid, state.broker_gid)
        from shellgate.broker.runner import start

        runner = start(layout.runner_user)  # forked while root, then dropped to its user
        _drop(state.broker_uid, state.broker_gid)
    elif os.geteuid() != state.broker_uid:
        raise ConfigError(f"the broker runs as {layout.broker_user} (start it as root or "
                          "from its systemd unit)")
    elif sock is None:
        raise ConfigError("started as the broker's user without a socket from systemd")
    state.check_state()
    service = Service(layout, frozenset({state.uid, 0}), key, runner=runner)
    return service, sock, state


def serve(service: Service, sock: socket.socket, stop: threading.Event | None = None,
          ready: Callable[[], None] | None = None) -> None:
    """Answer connections until ``stop`` is set, one thread per connection."""
    sock.settimeout(0.5)
    if ready is not None:
        ready()
    while stop is None or not stop.is_set():
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            continue
        threading.Thread(target=_connection, args=(service, conn), daemon=True).start()


def _connection(service: Service, conn: socket.socket) -> None:
    fds: list[int] = []
    with conn:
        try:
            _pid, uid, _gid = protocol.peer_credentials(conn)
            if uid not in service.allowed_uids:
                _reply(conn, {"result": "refused",
                              "message": f"uid {uid} may not ask this broker"})
                return
            message, fds = protocol.receive(conn, protocol.MAX_REQUEST, READ_SECONDS)

            def say(interim: dict[str, Any]) -> None:
                _reply(conn, interim)

            _reply(conn, handle(service, message, fds, uid, say, _relay(conn)))
        except ShellgateError as exc:
            _safe_reply(conn, {"result": "error", "message": exc.message})
        except Exception as exc:  # a broker bug refuses the request, never allows it
            print(f"shellgate broker: internal error: {type(exc).__name__}: {exc}",
                  file=sys.stderr, flush=True)
            _safe_reply(conn, {"result": "error",
                               "message": f"internal error in the broker ({type(exc).__name__})"})
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)


def _relay(conn: socket.socket) -> Callable[[float], int | None]:
    """Signals the caller forwards while the broker runs its command: ``relay(t)`` waits
    up to t seconds; the signal's number, None for none, -1 once the caller is gone."""
    gone = False

    def relay(seconds: float) -> int | None:
        nonlocal gone
        if gone:
            time.sleep(seconds)
            return None
        readable, _, _ = select.select([conn], [], [], seconds)
        if not readable:
            return None
        try:
            message, extra = protocol.receive(conn, 1024, READ_SECONDS)
        except ShellgateError:
            gone = True
            return -1
        for fd in extra:
            with contextlib.suppress(OSError):
                os.close(fd)
        number = message.get("signal")
        return number if isinstance(number, int) and not isinstance(number, bool) \
            and 0 < number < 65 else None

    return relay


def _reply(conn: socket.socket, message: dict[str, Any]) -> None:
    protocol.send(conn, message, protocol.MAX_REPLY)


def _safe_reply(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError, ShellgateError):
        _reply(conn, message)


def main(layout: Layout, test_key: str | None = None) -> None:
    """``shellgate broker``: prepare, then serve until killed."""
    service, sock, state = prepare(layout, test_key)
    extra = " with a SOFTWARE test key" if service.test_key else ""
    print(f"shellgate broker: answering {state.user} (uid {state.uid}) on {layout.socket}"
          f"{extra}", file=sys.stderr, flush=True)
    serve(service, sock)
