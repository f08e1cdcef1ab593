"""A broker that is down, slow, answers garbage, or listens on a socket that is not its
own is a refusal with one line naming what the human can do — never a fallback."""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shellgate.broker import client, protocol
from shellgate.broker.client import BrokerError
from shellgate.errors import REFUSED
from shellgate.hardened.layout import Layout
from shellgate.hardened.state import HardenedState


def _state(tmp_path: Path, broker_uid: int | None = None) -> HardenedState:
    layout = Layout.under(tmp_path)
    layout.run.mkdir(parents=True)
    layout.run.chmod(0o755)
    uid = os.getuid() if broker_uid is None else broker_uid
    return HardenedState(layout, "someone", os.getuid(), uid, os.getgid())


def _serve(path: Path, answer: Callable[[socket.socket], None]) -> Iterator[None]:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def run() -> None:
        conn, _ = server.accept()
        with conn:
            answer(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    server.close()


def _ask(state: HardenedState, seconds: float = 2.0) -> dict[str, object]:
    return client.ask(state, {"op": "ping"}, [], seconds)


def _expect_refusal(state: HardenedState, match: str, seconds: float = 2.0) -> None:
    with pytest.raises(BrokerError, match=match) as info:
        _ask(state, seconds)
    assert info.value.exit_code == REFUSED
    assert "systemctl status shellgate-broker" in info.value.message
    assert "\n" not in info.value.message


def test_broker_down(tmp_path):
    _expect_refusal(_state(tmp_path), "is not running")


def test_stale_socket_nobody_listening(tmp_path):
    state = _state(tmp_path)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(state.layout.socket))
    stale.close()
    _expect_refusal(state, "not answering")


def test_socket_owned_by_the_wrong_user(tmp_path):
    state = _state(tmp_path, broker_uid=os.getuid() + 1)
    gen = _serve(state.layout.socket, lambda conn: None)
    next(gen)
    _expect_refusal(state, f"owned by uid {os.getuid()}, not by")


def test_socket_that_is_not_a_socket(tmp_path):
    state = _state(tmp_path)
    state.layout.socket.write_text("")
    _expect_refusal(state, "owned by uid|refusing")


def test_socket_directory_writable_by_others(tmp_path):
    state = _state(tmp_path)
    gen = _serve(state.layout.socket, lambda conn: None)
    next(gen)
    state.layout.run.chmod(0o777)
    _expect_refusal(state, "socket directory")


def test_garbage_answer(tmp_path):
    state = _state(tmp_path)

    def garbage(conn: socket.socket) -> None:
        protocol.receive(conn, protocol.MAX_REQUEST, 2)
        conn.sendall(struct.pack(">I", 9) + b"not json!")

    gen = _serve(state.layout.socket, garbage)
    next(gen)
    _expect_refusal(state, "answered garbage")


def test_answer_in_another_protocol_version(tmp_path):
    state = _state(tmp_path)

    def other(conn: socket.socket) -> None:
        protocol.receive(conn, protocol.MAX_REQUEST, 2)
        body = b'{"v": 99, "result": "allow"}'
        conn.sendall(struct.pack(">I", len(body)) + body)

    gen = _serve(state.layout.socket, other)
    next(gen)
    _expect_refusal(state, "answered garbage")


def test_slow_broker(tmp_path):
    state = _state(tmp_path)
    release = threading.Event()

    def slow(conn: socket.socket) -> None:
        release.wait(5)

    gen = _serve(state.layout.socket, slow)
    next(gen)
    try:
        _expect_refusal(state, "did not answer", seconds=0.5)
    finally:
        release.set()


def test_unknown_result_is_a_refusal_not_an_allow(tmp_path, monkeypatch):
    state = _state(tmp_path)

    def odd(conn: socket.socket) -> None:
        protocol.receive(conn, protocol.MAX_REQUEST, 2)
        protocol.send(conn, {"result": "sure, go ahead"}, protocol.MAX_REPLY)

    gen = _serve(state.layout.socket, odd)
    next(gen)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BrokerError, match="answered 'sure, go ahead'"):
        client.approve(state, kind="argv", argv=["true"], command="true",
                       program="/bin/true", files=[], agent="", surface="run",
                       redeem=False, timeout=5, tell=lambda line: None)


def _approving(swap: Callable[[], None]) -> Callable[[socket.socket], None]:
    def answer(conn: socket.socket) -> None:
        _, fds = protocol.receive(conn, protocol.MAX_REQUEST, 2)
        for fd in fds:
            os.close(fd)
        swap()  # what the agent does while the human is asked
        protocol.send(conn, {"result": "approved", "short": "abcd"}, protocol.MAX_REPLY)
    return answer


def _approve(state: HardenedState, program: str, files: list[str]) -> int | None:
    return client.approve(state, kind="argv", argv=[program, *files], command="x",
                          program=program, files=files, agent="", surface="shim",
                          redeem=False, timeout=5, tell=lambda line: None)


@pytest.mark.parametrize("what", ["payload", "program"])
def test_a_file_renamed_over_during_the_touch_is_refused(tmp_path, monkeypatch, what):
    state = _state(tmp_path)
    monkeypatch.chdir(tmp_path)
    program = tmp_path / "tool"
    program.write_text("#!/bin/sh\n")
    payload = tmp_path / "drop.sql"
    payload.write_text("SELECT 1;")
    target = payload if what == "payload" else program

    def swap() -> None:
        evil = tmp_path / "evil"
        evil.write_text("DROP TABLE users;")
        os.replace(evil, target)

    gen = _serve(state.layout.socket, _approving(swap))
    next(gen)
    with pytest.raises(BrokerError, match="was replaced while the key was being asked"):
        _approve(state, str(program), ["drop.sql"])


def test_unchanged_files_run_through_the_approved_descriptor(tmp_path, monkeypatch):
    state = _state(tmp_path)
    monkeypatch.chdir(tmp_path)
    program = tmp_path / "tool"
    program.write_text("#!/bin/sh\n")
    (tmp_path / "drop.sql").write_text("SELECT 1;")
    gen = _serve(state.layout.socket, _approving(lambda: None))
    next(gen)
    fd = _approve(state, str(program), ["drop.sql"])
    assert fd is not None
    assert os.path.samestat(os.fstat(fd), os.stat(program))
    os.close(fd)
