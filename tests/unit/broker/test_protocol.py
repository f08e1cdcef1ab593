"""The broker's wire format: framed, versioned, bounded; garbage is an error, never a
default, and descriptors received with a bad message are closed."""

from __future__ import annotations

import os
import socket
import struct

import pytest

from shellgate.broker import protocol
from shellgate.broker.protocol import ProtocolError


def _pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def test_round_trip_with_descriptors(tmp_path):
    a, b = _pair()
    path = tmp_path / "payload.sql"
    path.write_text("DROP TABLE users;")
    fd = os.open(path, os.O_RDONLY)
    with a, b:
        protocol.send(a, {"op": "ping", "argv": ["git", "ünïcode"]}, 4096, [fd])
        message, fds = protocol.receive(b, 4096, 2)
    os.close(fd)
    assert message == {"op": "ping", "argv": ["git", "ünïcode"], "v": protocol.VERSION}
    assert len(fds) == 1
    assert os.pread(fds[0], 100, 0) == b"DROP TABLE users;"
    os.close(fds[0])


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"v": 2, "op": "ping"}',
                                  b'{"op": "ping"}', b'{"v": 1, "x": NaN}', b"\xff\xfe"])
def test_garbage_is_an_error(body):
    a, b = _pair()
    with a, b:
        a.sendall(struct.pack(">I", len(body)) + body)
        with pytest.raises(ProtocolError):
            protocol.receive(b, 4096, 2)


def test_oversized_message_refused_unread():
    a, b = _pair()
    with a, b:
        a.sendall(struct.pack(">I", protocol.MAX_REQUEST + 1))
        with pytest.raises(ProtocolError, match="too large"):
            protocol.receive(b, protocol.MAX_REQUEST, 2)


def test_sender_refuses_to_frame_an_oversized_message():
    with pytest.raises(ProtocolError, match="too large"):
        protocol.encode({"command": "x" * 2000}, 1000)


def test_slow_peer_times_out():
    a, b = _pair()
    with a, b:
        a.sendall(struct.pack(">I", 50) + b'{"v":')  # and then nothing
        with pytest.raises(ProtocolError, match="timed out"):
            protocol.receive(b, 4096, 0.3)


def test_closed_mid_message():
    a, b = _pair()
    with b:
        a.sendall(struct.pack(">I", 50) + b'{"v":')
        a.close()
        with pytest.raises(ProtocolError, match="closed"):
            protocol.receive(b, 4096, 2)


def test_descriptors_of_a_bad_message_are_closed(tmp_path):
    a, b = _pair()
    path = tmp_path / "f"
    path.write_text("x")
    fd = os.open(path, os.O_RDONLY)
    before = set(os.listdir("/proc/self/fd"))
    with a, b:
        body = b"garbage"
        a.sendmsg([struct.pack(">I", len(body)) + body],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))])
        with pytest.raises(ProtocolError):
            protocol.receive(b, 4096, 2)
    os.close(fd)
    after = set(os.listdir("/proc/self/fd"))
    assert after <= before  # nothing received was left open


def test_too_many_descriptors_refused_by_the_sender():
    with pytest.raises(ProtocolError, match="too many"):
        protocol.send(_pair()[0], {"op": "ping"}, 4096, list(range(protocol.MAX_FDS + 1)))


@pytest.mark.parametrize(("message", "error"), [
    ({"kind": 1}, "must be str"), ({"kind": True}, "must be str"), ({}, "missing"),
    ({"kind": "x" * 20}, "too long")])
def test_field_checks(message, error):
    with pytest.raises(ProtocolError, match=error):
        protocol.field(message, "kind", str, limit=16)


def test_int_field_rejects_bool_and_string_list_rejects_mixed():
    with pytest.raises(ProtocolError):
        protocol.field({"n": True}, "n", int)
    with pytest.raises(ProtocolError):
        protocol.string_list({"argv": ["git", 3]}, "argv", 10)
    assert protocol.string_list({"argv": ["git", "push"]}, "argv", 10) == ["git", "push"]


def test_peer_credentials_are_the_kernels():
    a, b = _pair()
    with a, b:
        pid, uid, gid = protocol.peer_credentials(a)
    assert (pid, uid, gid) == (os.getpid(), os.getuid(), os.getgid())
