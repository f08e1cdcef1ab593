"""The broker's wire format: one request and one reply per connection, each a 4-byte
big-endian length then that many bytes of UTF-8 JSON (an object with ``"v": 1``). File
descriptors (the working directory, the program, payload files) travel with the request as
``SCM_RIGHTS``. Everything is bounded: the size of a message, the number of descriptors,
the time to read one. Anything malformed is an error, never a default."""

from __future__ import annotations

import array
import json
import socket
import struct
import time
from typing import Any

from shellgate.errors import ShellgateError

VERSION = 1
MAX_REQUEST = 1024 * 1024
"""A request larger than this is refused unread (commands above it are refused anyway)."""
MAX_REPLY = 256 * 1024
MAX_FDS = 32
"""The working directory, the program and at most 30 payload files."""
OPS = ("ping", "decide", "approve", "unlock", "lease", "lease-end")
_HEADER = struct.Struct(">I")


class ProtocolError(ShellgateError):
    """A message that is not a well-formed, bounded, versioned protocol message."""


def encode(message: dict[str, Any], limit: int) -> bytes:
    """Frame ``message`` (``v`` added); raises ProtocolError above ``limit`` bytes."""
    body = json.dumps({**message, "v": VERSION}, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")
    if len(body) > limit:
        raise ProtocolError(f"message too large ({len(body)} bytes, limit {limit})")
    return _HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    """Parse one message body: a JSON object of this protocol version."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"not a JSON message: {exc}") from exc
    if not isinstance(value, dict):
        raise ProtocolError("a message must be a JSON object")
    if value.get("v") != VERSION:
        raise ProtocolError(f"protocol version {value.get('v')!r}, expected {VERSION}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def send(sock: socket.socket, message: dict[str, Any], limit: int,
         fds: list[int] | tuple[int, ...] = ()) -> None:
    """Send one framed message, with ``fds`` attached to its first byte."""
    if len(fds) > MAX_FDS:
        raise ProtocolError(f"too many descriptors ({len(fds)}, limit {MAX_FDS})")
    data = encode(message, limit)
    if fds:
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())]
        sent = sock.sendmsg([data], ancillary)
        data = data[sent:]
    if data:
        sock.sendall(data)


def receive(sock: socket.socket, limit: int, timeout: float) -> tuple[dict[str, Any], list[int]]:
    """Read one framed message within ``timeout`` seconds (in total, not per read).
    Returns the message and any descriptors that came with it (the caller closes them);
    on any error every received descriptor is closed before raising."""
    deadline = time.monotonic() + timeout
    fds: list[int] = []
    buffer = bytearray()
    try:
        while len(buffer) < _HEADER.size:
            buffer += _read(sock, _HEADER.size - len(buffer), deadline, fds)
        (size,) = _HEADER.unpack(bytes(buffer[:_HEADER.size]))
        if size > limit:
            raise ProtocolError(f"message too large ({size} bytes, limit {limit})")
        body = bytearray(buffer[_HEADER.size:])
        while len(body) < size:
            body += _read(sock, min(size - len(body), 65536), deadline, fds)
        return decode(bytes(body)), fds
    except BaseException:
        for fd in fds:
            _close(fd)
        raise


def _read(sock: socket.socket, count: int, deadline: float, fds: list[int]) -> bytes:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProtocolError("timed out reading a message")
    sock.settimeout(remaining)
    try:
        space = socket.CMSG_SPACE(MAX_FDS * array.array("i").itemsize)
        data, ancillary, flags, _ = sock.recvmsg(count, space, socket.MSG_CMSG_CLOEXEC)
    except TimeoutError as exc:
        raise ProtocolError("timed out reading a message") from exc
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            received = array.array("i")
            received.frombytes(payload[:len(payload) - len(payload) % received.itemsize])
            fds.extend(received)
    if flags & socket.MSG_CTRUNC:
        raise ProtocolError(f"too many descriptors (limit {MAX_FDS})")
    if len(fds) > MAX_FDS:
        raise ProtocolError(f"too many descriptors (limit {MAX_FDS})")
    if not data:
        raise ProtocolError("the other side closed the connection mid-message")
    return data


def _close(fd: int) -> None:
    import contextlib
    import os

    with contextlib.suppress(OSError):
        os.close(fd)


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end, from the kernel (SO_PEERCRED)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    return pid, uid, gid


def field(message: dict[str, Any], name: str, kind: type | tuple[type, ...], *,
          required: bool = True, default: Any = None, limit: int = 0) -> Any:
    """A typed field of a request; wrong type or over ``limit`` items/characters raises."""
    if name not in message:
        if required:
            raise ProtocolError(f"missing field {name!r}")
        return default
    value = message[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ProtocolError(f"field {name!r} must be {names}")
    if limit and isinstance(value, (str, list, dict)) and len(value) > limit:
        raise ProtocolError(f"field {name!r} is too long")
    return value


def string_list(message: dict[str, Any], name: str, limit: int,
                required: bool = True) -> list[str]:
    """A list of strings (argv), bounded in length."""
    value = field(message, name, list, required=required, default=[], limit=limit)
    if not all(isinstance(item, str) for item in value):
        raise ProtocolError(f"field {name!r} must be a list of strings")
    return list(value)
