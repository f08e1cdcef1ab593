"""The real database client on a pty (pexpect), with its output relayed by a thread.

Only whole, inspected lines are ever written to the client: there is no raw keystroke
path, so nothing the client (or a pager or editor it starts) reads escapes inspection.
The terminal's (or the client's line editor's) echo of each line sent is dropped from
the output when it comes back exactly, since the human already saw the line as typed.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from types import FrameType
from typing import Any

from shellgate.surfaces.tty import follow_window_size, show, window_size, write_all

ECHO_SLACK = 512
"""Output bytes held while waiting for a line's echo before giving up on it."""
SETTLE_SECONDS = 0.5
"""Longest wait for the client to show a prompt before the next line is read."""
FIRST_PROMPT_SECONDS = 3.0
"""Longest wait for the first prompt (a password prompt must be seen before typing)."""


class ClientExited(Exception):
    """The client program ended (raised in the main thread, even inside :func:`input`)."""


def client_env() -> dict[str, str]:
    """The client's environment: no line-editor macros (they could turn a typed key into
    another statement), and no pager (it would read keys as commands)."""
    env = dict(os.environ)
    env.update({"INPUTRC": "/dev/null", "EDITRC": "/dev/null", "PAGER": "cat",
                "PSQL_PAGER": "cat"})
    env.setdefault("TERM", "dumb")
    return env


class ClientPty:
    """One client process on a pty; output goes to our stdout from a relay thread."""

    def __init__(self, program: str, argv: list[str]) -> None:
        """Prepare ``program`` (the real binary) to run with ``argv``."""
        self._program = program
        self._argv = argv
        self._child: Any = None
        self._lock = threading.Lock()
        self._echoes: deque[bytes] = deque()
        self._held = b""
        self._settled = threading.Event()
        self._exited = threading.Event()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._undo: list[Any] = []
        self._armed = False
        self._sent_at = 0.0
        self._tail = b""

    @property
    def fd(self) -> int:
        """The pty's controller side."""
        return int(self._child.child_fd)

    @property
    def exited(self) -> bool:
        """True once the client's output has ended."""
        return self._exited.is_set()

    def start(self) -> None:
        """Start the client and the relay; wait briefly for its first prompt."""
        from shellgate.surfaces.tty import spawn

        stdin = sys.stdin.fileno()
        self._child = spawn(self._program, self._argv[1:], env=client_env(),
                                    dimensions=window_size(stdin), encoding=None)
        if os.isatty(stdin):
            self._undo.append(follow_window_size(stdin, self._child.setwinsize))
        main = threading.get_ident()

        def wake(signum: int, frame: FrameType | None) -> None:
            if self._armed:
                self._armed = False
                raise ClientExited

        previous = signal.signal(signal.SIGUSR1, wake)
        self._armed = True
        self._undo.append(lambda: signal.signal(signal.SIGUSR1, previous))
        self._thread = threading.Thread(target=self._relay, args=(main,), daemon=True)
        self._thread.start()
        self.settle(FIRST_PROMPT_SECONDS)

    def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        """Wait until the client shows a prompt (or has ended), at most ``timeout``."""
        self._settled.wait(timeout)

    @property
    def prompt(self) -> str:
        """The client's last prompt: its output after the last newline (to show again when
        a refused statement left the client silent)."""
        with self._lock:
            return self._tail.decode("utf-8", "replace")[-200:]

    @property
    def busy(self) -> bool:
        """True while a statement sent has not yet been answered by a prompt."""
        return self._busy and not self._settled.is_set()

    def send(self, lines: list[str] | tuple[str, ...]) -> None:
        """Write whole lines to the client; their echo will be dropped from the output."""
        data = b"".join(line.encode("utf-8", "surrogateescape") + b"\n" for line in lines)
        with self._lock:
            self._echoes.extend(line.encode("utf-8", "surrogateescape") + b"\r\n"
                                for line in lines)
            self._settled.clear()
            self._busy = True
            self._sent_at = time.monotonic()
        write_all(self.fd, data)

    def send_secret(self, line: str) -> None:
        """Write a line typed at a no-echo prompt (a password): nothing comes back."""
        with self._lock:
            self._settled.clear()
        write_all(self.fd, line.encode("utf-8", "surrogateescape") + b"\n")

    def send_eof(self) -> None:
        """End the client's input the way Ctrl-D at its prompt does."""
        write_all(self.fd, b"\x04")

    def interrupt(self) -> None:
        """Ctrl-C for a running statement: SIGINT to the pty's foreground process group."""
        with contextlib.suppress(OSError):
            os.killpg(os.tcgetpgrp(self.fd), signal.SIGINT)

    def wait_exit(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the client to end."""
        return self._exited.wait(timeout)

    def close(self) -> int:
        """Wait for the client and return its exit status (128+N for signal N)."""
        self._armed = False  # from here on, an ending client wakes nobody
        self._exited.set()
        for undo in reversed(self._undo):
            undo()
        if self._thread is not None:
            self._thread.join(5)
        child = self._child
        if child is None:
            return 126  # the client never started
        with contextlib.suppress(Exception):
            child.close(force=True)
        if child.signalstatus is not None:
            return 128 + int(child.signalstatus)
        return int(child.exitstatus) if child.exitstatus is not None else 1

    # -- relay thread -------------------------------------------------------------------
    def _relay(self, main: int) -> None:
        fd = self.fd
        while True:
            try:
                ready = select.select([fd], [], [], SETTLE_SECONDS)[0]
                data = os.read(fd, 65536) if ready else b""
            except OSError:
                data = None
            if data is None or (ready and not data):
                break
            with self._lock:
                if ready:
                    out = self._strip(data)
                else:  # quiet for a while: an echo still awaited is not coming
                    late = time.monotonic() - self._sent_at > SETTLE_SECONDS
                    out = self._give_up() if late else b""
                if ready and data and not data.endswith(b"\n"):
                    self._settled.set()
            if out:
                with self._lock:
                    cut = out.rfind(b"\n")
                    self._tail = (self._tail + out if cut < 0 else out[cut + 1:])[-400:]
                show(out)
        with self._lock:
            rest = self._give_up()
        if rest:
            show(rest)
        self._settled.set()
        if not self._exited.is_set():
            self._exited.set()
            with contextlib.suppress(Exception):
                signal.pthread_kill(main, signal.SIGUSR1)

    def _strip(self, data: bytes) -> bytes:
        """Output to show now: echoes of sent lines cut out, a possible echo held back."""
        self._held += data
        out = b""
        while self._echoes:
            echo = self._echoes[0]
            at = self._held.find(echo)
            if at >= 0:
                out += self._held[:at]
                self._held = self._held[at + len(echo):]
                self._echoes.popleft()
                continue
            if len(self._held) > len(echo) + ECHO_SLACK:
                return out + self._give_up()
            return out
        out += self._held
        self._held = b""
        return out

    def _give_up(self) -> bytes:
        """No (more) echo is coming: show everything held."""
        self._echoes.clear()
        held, self._held = self._held, b""
        return held
