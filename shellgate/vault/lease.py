"""The unlock lease: routine, non-destructive commands without a touch each, and without
the value ever entering the caller.

``shellgate secrets unlock --for "railway status" --hours 8`` is run by the human in a
terminal of their own and approved with one touch. It resolves each listed tool's program
*there* (the human's PATH, not the agent's), pins the file (device, inode, size, mtime),
reveals only the secrets those tools may receive, and then serves a Unix socket in the
config directory (mode 0600, peer uid checked) until it expires or is interrupted.

A shim or ``shellgate run`` whose command starts with one of the listed prefixes and is
*allowed* by the engine sends the holder its argv, working directory and standard streams
(SCM_RIGHTS). The holder decides again itself (allowed, a listed prefix, the policy, the
pinned program unchanged, no launcher word such as ``run`` or ``exec`` in the argv), then
starts the program with the holder's own environment plus the secrets, and returns its
exit status. A command that is gated never reaches the lease: it needs its own touch.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shellgate.vault.store import VaultError

SOCKET_NAME = "lease.sock"
MAX_REQUEST = 1 << 20
LAUNCHER_WORDS = frozenset({"run", "exec", "shell", "ssh", "connect", "--", "-c", "eval",
                            "x", "dlx", "sh", "bash", "env", "printenv", "token"})
"""Argv words after which a tool may start another program or print its credentials:
such commands never use the lease (they can still be approved with a touch)."""


@dataclass(frozen=True)
class Pinned:
    """A program resolved at unlock time and the file's identity then."""

    tool: str
    path: str
    identity: tuple[int, int, int, int]


def identity(path: str) -> tuple[int, int, int, int]:
    """(device, inode, size, mtime in ns) of the resolved file."""
    info = os.stat(path)
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def socket_path(config_dir: Path) -> Path:
    """Where the holder listens."""
    return config_dir / SOCKET_NAME


def prefix_matches(argv: Sequence[str], prefixes: Sequence[tuple[str, ...]]) -> bool:
    """argv starts with one of the listed word prefixes (by the tool's file name)."""
    words = [argv[0].rsplit("/", 1)[-1], *argv[1:]] if argv else []
    return any(tuple(words[:len(p)]) == p for p in prefixes)


def launches(argv: Sequence[str]) -> bool:
    """Whether any word after the tool could start another program or print a token."""
    return any(word in LAUNCHER_WORDS for word in argv[1:])


def _undumpable() -> None:
    """Keep other processes of this user out of the holder's memory (Linux, best effort)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


Check = Callable[[list[str], str], str | None]
"""(argv, cwd) → why the holder refuses (None: run it). Decides with the engine."""


def serve(config_dir: Path, values: Mapping[str, dict[str, str]], pinned: Mapping[str, Pinned],
          prefixes: Sequence[tuple[str, ...]], check: Check, until: float,
          record: Callable[[list[str], list[str]], None]) -> None:
    """Answer lease requests until ``until`` (monotonic) or Ctrl-C.

    ``values`` maps a tool to the secrets it receives; ``record`` audits each use (argv,
    secret names).
    """
    _undumpable()
    path = socket_path(config_dir)
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    server.listen(4)
    try:
        while time.monotonic() < until:
            ready, _, _ = select.select([server], [], [], min(1.0, until - time.monotonic()))
            if not ready:
                continue
            conn, _ = server.accept()
            with conn:
                _answer(conn, values, pinned, prefixes, check, record)
    finally:
        server.close()
        path.unlink(missing_ok=True)


def _answer(conn: socket.socket, values: Mapping[str, dict[str, str]],
            pinned: Mapping[str, Pinned], prefixes: Sequence[tuple[str, ...]], check: Check,
            record: Callable[[list[str], list[str]], None]) -> None:
    fds: list[int] = []
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        uid = int.from_bytes(creds[4:8], "little")
        data, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 3)
        request = json.loads(data)
        argv = [str(a) for a in request["argv"]]
        cwd = str(request["cwd"])
        if uid != os.getuid() or len(fds) != 3 or not argv:
            raise VaultError("bad lease request")
        why = _refusal(argv, cwd, pinned, prefixes, check)
        if why is not None:
            conn.sendall(json.dumps({"refused": why}).encode() + b"\n")
            return
        tool = argv[0].rsplit("/", 1)[-1]
        record(argv, sorted(values[tool]))
        child = subprocess.Popen(argv, executable=pinned[tool].path, cwd=cwd,
                                 stdin=fds[0], stdout=fds[1], stderr=fds[2],
                                 env={**os.environ, **values[tool]}, close_fds=True)
        conn.sendall(json.dumps({"started": child.pid}).encode() + b"\n")
        while child.poll() is None:
            ready, _, _ = select.select([conn], [], [], 0.2)
            if ready and not conn.recv(1):  # the caller went away (Ctrl-C): stop the child
                child.terminate()
                child.wait()
                return
        conn.sendall(json.dumps({"status": child.returncode}).encode() + b"\n")
    except (OSError, ValueError, KeyError, TypeError, VaultError) as exc:
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"refused": f"bad lease request ({type(exc).__name__})"})
                         .encode() + b"\n")
    finally:
        for fd in fds:
            os.close(fd)


def _refusal(argv: list[str], cwd: str, pinned: Mapping[str, Pinned],
             prefixes: Sequence[tuple[str, ...]], check: Check) -> str | None:
    tool = argv[0].rsplit("/", 1)[-1]
    if tool not in pinned or not prefix_matches(argv, prefixes):
        return "not a command the lease was opened for"
    if launches(argv):
        return "the command could start another program; it needs its own touch"
    try:
        if identity(pinned[tool].path) != pinned[tool].identity:
            return f"{pinned[tool].path} changed since the lease was opened"
    except OSError:
        return f"{pinned[tool].path} is gone"
    return check(argv, cwd)


def ask(config_dir: Path, argv: list[str]) -> int | None:
    """Run ``argv`` through a live lease: its exit status, or None when there is no lease
    or it refuses (the caller then asks for a touch as usual)."""
    path = socket_path(config_dir)
    if not path.exists():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
        payload = json.dumps({"argv": argv, "cwd": os.getcwd()}).encode()
        socket.send_fds(client, [payload], [0, 1, 2])
        reader = client.makefile("rb")
        answer = json.loads(reader.readline() or b"{}")
        if "started" not in answer:
            return None
        status = json.loads(reader.readline() or b"{}")
        return int(status["status"]) if "status" in status else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    finally:
        client.close()
