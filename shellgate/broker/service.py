"""What the broker does with one request: decide, and for ``approve`` run the approval —
ask the key, verify, count, record — with everything the approval binds to taken from the
descriptors the client passed (the working directory, the program, payload files), never
from paths the agent could change after the touch.

Socket handling lives in ``server``; this module is plain functions over a
:class:`Service`, so the tests drive it directly as well as through the socket.
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from shellgate.broker import protocol
from shellgate.broker.protocol import ProtocolError
from shellgate.broker.tickets import TicketBook
from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.hardened.layout import Layout
from shellgate.values import Decision

if TYPE_CHECKING:
    from pathlib import Path

    from shellgate.approve.request import ApprovalRequest
    from shellgate.broker.leases import LeaseBook
    from shellgate.broker.runner import Runner
    from shellgate.broker.sealed import Relay

MAX_ARGV = 4096
MAX_COMMAND = 512 * 1024
READ_CAP = 8 * 1024 * 1024
"""Payload files and programs are read through their descriptors up to this size; a larger
payload is not inspected (the engine gates what it could not read)."""
PROGRAM_PREFIX = "program:"
"""The approval binds the program as a ``files`` entry: ``program:<real path>`` → SHA-256."""

Say = Callable[[dict[str, Any]], None]


class BrokerRefusal(ShellgateError):
    """The broker refuses the request (the reply carries this message)."""


@dataclass
class Service:
    """The broker's state: its layout, who may ask, the key it may use in tests."""

    layout: Layout
    allowed_uids: frozenset[int]
    test_key: str | None = None
    """A software key file accepted in place of hardware (tests only; see docs)."""
    tickets: TicketBook = field(default_factory=TicketBook)
    lock: threading.Lock = field(default_factory=threading.Lock)
    runner: Runner | None = None
    """Starts commands that receive vault secrets, as the runner's user (``runner``)."""
    leases: LeaseBook = field(default_factory=lambda: _lease_book())
    """Open leases (``broker.leases``): memory only."""

    def config(self) -> Config:
        """The root-owned policy (re-read per request: root may change it at any time)."""
        return Config.at(str(self.layout.etc))

    @property
    def audit_path(self) -> Path:
        """The broker's audit trail."""
        return self.layout.state / "audit.jsonl"


@dataclass(frozen=True)
class Inputs:
    """One request, read from the message and its descriptors."""

    kind: str  # "argv" | "script"
    argv: tuple[str, ...]
    command: str
    cwd: str
    agent: str
    user: str
    files: dict[str, int]
    program: int | None
    redeem: bool
    timeout: float
    surface: str
    cwd_fd: int = -1
    stdio: tuple[int, ...] = ()
    """The caller's stdin, stdout and stderr, when it lets the broker run the command
    (vault secrets); empty otherwise."""


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def _fd_bytes(fd: int, cap: int = READ_CAP) -> bytes | None:
    """The file's content through the client's descriptor, from offset 0, bounded."""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        chunks: list[bytes] = []
        offset = 0
        while offset <= cap:
            chunk = os.pread(fd, 65536, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)
    except OSError:
        return None


def parse_inputs(message: dict[str, Any], fds: list[int], user: str) -> Inputs:
    """Check and unpack a decide/approve request (any error refuses)."""
    kind = protocol.field(message, "kind", str)
    if kind not in ("argv", "script"):
        raise ProtocolError("kind must be 'argv' or 'script'")
    argv = tuple(protocol.string_list(message, "argv", MAX_ARGV, required=kind == "argv"))
    command = protocol.field(message, "command", str, required=kind == "script", default="",
                             limit=MAX_COMMAND)
    if kind == "argv" and not argv:
        raise ProtocolError("argv is empty")
    index = protocol.field(message, "fds", dict, limit=protocol.MAX_FDS + 2)

    def fd_at(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(fds):
            raise ProtocolError("a descriptor index is out of range")
        return fds[value]

    cwd_fd = fd_at(index.get("cwd"))
    if not stat.S_ISDIR(os.fstat(cwd_fd).st_mode):
        raise ProtocolError("the working-directory descriptor is not a directory")
    files_index = index.get("files", {})
    if not isinstance(files_index, dict):
        raise ProtocolError("fds.files must be an object")
    files = {str(path): fd_at(value) for path, value in files_index.items()}
    program = fd_at(index["program"]) if "program" in index else None
    if kind == "argv" and program is None:
        raise ProtocolError("an argv request must pass the program's descriptor")
    stdio_index = index.get("stdio", [])
    if not isinstance(stdio_index, list) or len(stdio_index) not in (0, 3):
        raise ProtocolError("fds.stdio must list stdin, stdout and stderr")
    stdio = tuple(fd_at(value) for value in stdio_index)
    timeout = protocol.field(message, "timeout", (int, float), required=False, default=60)
    return Inputs(kind, argv, command or _join(argv), _fd_path(cwd_fd),
                  protocol.field(message, "agent", str, required=False, default="", limit=64),
                  user, files, program, bool(message.get("redeem", False)),
                  float(min(max(timeout, 1), 600)),
                  protocol.field(message, "surface", str, required=False, default="",
                                 limit=16), cwd_fd, stdio)


def _join(argv: tuple[str, ...]) -> str:
    import shlex

    return shlex.join(argv)


def decide(service: Service, inputs: Inputs) -> Decision:
    """The engine's decision, payload files read through the client's descriptors."""
    from shellgate.engine import evaluate, evaluate_argv

    rules = service.config().rules(exceptions="off")  # the client's cwd is not ours

    def read_file(path: str) -> bytes | None:
        fd = inputs.files.get(path)
        return _fd_bytes(fd) if fd is not None else None

    if inputs.kind == "script":
        return evaluate(inputs.command, rules, read_file)
    return evaluate_argv(list(inputs.argv), rules, read_file)


def _program_entry(inputs: Inputs) -> tuple[tuple[str, str], ...]:
    """The program's real path and content hash, bound into the approval."""
    if inputs.program is None:
        return ()
    digest = hashlib.sha256()
    offset = 0
    while True:
        chunk = os.pread(inputs.program, 1 << 20, offset)
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
    return ((PROGRAM_PREFIX + _fd_path(inputs.program), digest.hexdigest()),)


def handle(service: Service, message: dict[str, Any], fds: list[int], uid: int,
           say: Say, relay: Relay = lambda _: None) -> dict[str, Any]:
    """Answer one request from a peer already checked to be allowed. ``say`` sends an
    interim message (the touch prompt) before the final reply; ``relay`` waits for a
    signal the caller forwards while the broker runs its command."""
    op = protocol.field(message, "op", str)
    if op == "ping":
        return {"result": "pong", "user": _user(uid),
                "runner": service.runner is not None and service.runner.alive()}
    if op not in protocol.OPS:
        raise ProtocolError(f"unknown op {op!r}")
    inputs = parse_inputs(message, fds, _user(uid))
    from shellgate.broker import sealed

    if op == "unlock":
        if uid != 0:
            return {"result": "refused", "message": "in hardened mode only root manages the "
                    "vault (`sudo shellgate secrets …`)"}
        return _refusing(lambda: sealed.unlock(service, message, inputs, say)) or {
            "result": "refused", "message": "not unlocked"}
    if op in ("lease", "lease-end"):
        from shellgate.broker import leases

        if op == "lease-end":
            return {"result": "ended", "count": service.leases.end(inputs.user)}
        return _refusing(lambda: leases.open_lease(service, message, inputs, say)) or {
            "result": "refused", "message": "no lease"}
    decision = decide(service, inputs)
    reply: dict[str, Any] = {"verdict": decision.verdict, "rules": decision.rule_ids,
                             "reasons": [f.summary for f in decision.findings]}
    if op == "decide":
        return {"result": "decided", **reply}
    from shellgate.broker.approval import approve

    if inputs.stdio and decision.verdict != "deny":
        ran = _refusing(lambda: sealed.run(service, inputs, decision, message, say, relay,
                                           _program_entry(inputs)))
        if ran is not None:
            return ran | {"rules": decision.rule_ids}
    return approve(service, inputs, decision, lambda: decide(service, inputs),
                   _program_entry(inputs), say) | {"rules": decision.rule_ids}


def _lease_book() -> LeaseBook:
    from shellgate.broker.leases import LeaseBook

    return LeaseBook()


def _refusing(step: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """A vault step whose refusal (a locked vault, a program not root's…) is the reply."""
    try:
        return step()
    except ProtocolError:
        raise
    except ShellgateError as exc:
        return {"result": "refused", "message": exc.message}


def _user(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def expected_request(request: ApprovalRequest, after: Decision,
                     program: tuple[tuple[str, str], ...]) -> ApprovalRequest:
    """The request as it must be when re-decided after the touch."""
    return replace(request, rules=tuple(after.rule_ids), files=after.files + program)


def host() -> str:
    """This machine's name, as the approval records it."""
    return socket.gethostname()


def now() -> int:
    """Seconds since the epoch (one place, so tests could pin it)."""
    return int(time.time())
