"""The real bash behind an interactive ``shellgate-sh``, driven through a pty (pexpect).

bash reads only what the session sends it: gated lines and, while a command runs, the
keystrokes meant for that command. Its prompts are markers only this session knows:

* ``PROMPT_COMMAND`` (a read-only function) prints a *sync* marker with ``$?``, then reads
  and throws away every line up to a token line the session sends — so keystrokes typed
  ahead while a command ran are discarded instead of being run unseen as the next command;
* ``PS1`` prints the last token read (a *prompt* marker): bash is back at its prompt;
* ``PS2`` prints a *continuation* marker: bash wants another line.

A marker needs its prompt expansion (the token's digits), so printing ``$PS1`` or
``$PS2`` (``echo "$PS2"``) shows text that is not a marker.

``PS1``, ``PS2`` and ``PROMPT_COMMAND`` are read-only, and so are the other variables
whose text bash runs later (``PS0``, ``PS4``; ``BASH_ENV``/``ENV`` stay unset): code an
approval let in once must not run again on every later command. History expansion and
line editing are switched off again before every prompt (``!!`` would run text nobody
inspected). Keystrokes are relayed only between sending a line and the next marker.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import select
import signal
import sys
import tempfile
import time
from collections import deque
from typing import Any

from shellgate.errors import ShellgateError
from shellgate.surfaces.tty import (
    echo_enabled,
    follow_window_size,
    raw_mode,
    show,
    window_size,
    write_all,
)

HANDSHAKE_SECONDS = 30.0
"""How long bash may take to answer a marker round trip before the session is ended."""
_MAX_MARKER = 64
_DROPPED_ENV = ("BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "PS0", "PS1",
                "PS2", "PS4", "HISTFILE", "CDPATH", "GLOBIGNORE")


class SessionBroken(ShellgateError):
    """bash stopped answering the session's prompt protocol; the session ends (126)."""


def _rcfile(nonce: str) -> str:
    mark = f"\\x1e{nonce}"
    return f"""\
PS1=$'{mark}p${{__sg_tok}}\\x1e'
PS2=$'{mark}c${{__sg_tok}}\\x1e'
__sg_tok=0
__sg_prompt() {{
  builtin local __sg_s=$? __sg_l
  builtin shopt -s promptvars
  builtin set +H +o history +o emacs +o vi
  builtin printf '\\036{nonce}s%d\\036' "$__sg_s"
  while IFS= builtin read -r __sg_l; do
    if [[ $__sg_l == *'#{nonce}-'* ]]; then __sg_tok=${{__sg_l##*#{nonce}-}}; break; fi
  done
  builtin return "$__sg_s"
}}
builtin readonly -f __sg_prompt
PROMPT_COMMAND=__sg_prompt
PS0=''
PS4='+ '
builtin readonly PS0 PS1 PS2 PS4 PROMPT_COMMAND BASH_ENV ENV
builtin unset HISTFILE
builtin set +H +o history
"""


def child_env(shims_dir: str | None) -> dict[str, str]:
    """The environment for the child bash: shims first on PATH when there are shims, and
    nothing that would run or define code before the first prompt (exported functions,
    ``BASH_ENV``, ``SHELLOPTS``)."""
    env = {k: v for k, v in os.environ.items()
           if k not in _DROPPED_ENV and not k.startswith("BASH_FUNC_")}
    if shims_dir:
        env["PATH"] = os.pathsep.join([shims_dir, env.get("PATH", os.defpath)])
    env.setdefault("TERM", "dumb")
    return env


class Markers:
    """Splits bash's output into plain data and the session's markers.

    ``feed`` returns events in order: ``("data", bytes)``, ``("s", status)``,
    ``("p", token)``, ``("c", "")``. A marker cut across reads is held back until complete.
    """

    def __init__(self, nonce: str) -> None:
        self._prefix = b"\x1e" + nonce.encode()
        self._pattern = re.compile(re.escape(self._prefix) + rb"([spc])([0-9]{0,20})\x1e")
        self._held = b""

    def feed(self, data: bytes) -> list[tuple[str, Any]]:
        """Events found in what bash wrote (plus what was held back before)."""
        buf = self._held + data
        out: list[tuple[str, Any]] = []
        at = 0
        for match in self._pattern.finditer(buf):
            if match.start() > at:
                out.append(("data", buf[at:match.start()]))
            out.append((match.group(1).decode(), match.group(2).decode()))
            at = match.end()
        tail = buf[at:]
        cut = tail.rfind(b"\x1e")
        if cut >= 0 and self._partial(tail[cut:]):
            self._held, tail = tail[cut:], tail[:cut]
        else:
            self._held = b""
        if tail:
            out.append(("data", tail))
        return out

    def _partial(self, piece: bytes) -> bool:
        if len(piece) > _MAX_MARKER:
            return False
        if len(piece) <= len(self._prefix):
            return self._prefix.startswith(piece)
        rest = piece[len(self._prefix):]
        return piece.startswith(self._prefix) and re.fullmatch(rb"[spc][0-9]*", rest) is not None


class BashChild:
    """One interactive bash on a pty, spoken to only through :meth:`run`."""

    def __init__(self, bash: str, env: dict[str, str]) -> None:
        """Prepare (not start) a bash at path ``bash`` with environment ``env``."""
        self._bash = bash
        self._env = env
        self._nonce = secrets.token_hex(8)
        self._markers = Markers(self._nonce)
        self._counter = 0
        self._child: Any = None
        self._stdin = sys.stdin.fileno()
        self._undo_winsize: Any = None
        self._queue: deque[tuple[str, Any]] = deque()

    @property
    def pid(self) -> int:
        """bash's process id."""
        return int(self._child.pid)

    def start(self) -> None:
        """Start bash and wait for its first prompt."""
        from shellgate.surfaces.tty import spawn

        fd, rc = tempfile.mkstemp(prefix="shellgate-sh-", suffix=".rc")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_rcfile(self._nonce))
            self._child = spawn(
                self._bash, ["--noprofile", "--rcfile", rc, "--noediting", "-i"],
                env=self._env, dimensions=window_size(self._stdin), encoding=None)
            if os.isatty(self._stdin):
                self._undo_winsize = follow_window_size(self._stdin, self._child.setwinsize)
            if self._wait_prompt(None) is None:
                raise ShellgateError("bash exited before its first prompt", 126)
        finally:
            os.unlink(rc)

    def cwd(self) -> str | None:
        """bash's current directory (where the next line's relative paths point)."""
        from shellgate.surfaces.procs import process_cwd

        return process_cwd(self.pid)  # None: the session then reads no relative payload file

    def flush_output(self) -> None:
        """Show what background jobs printed while the session waited for a line."""
        while self._readable(self._child.child_fd, 0):
            data = self._read()
            if data is None:
                return
            for kind, value in self._markers.feed(data):
                if kind == "data":
                    show(value)

    def run(self, lines: list[str]) -> int | None:
        """Send one gated command (its lines), relay it, return ``$?`` — None if bash exited."""
        fd = self._child.child_fd
        self.flush_output()
        with self._raw():
            for line in lines[:-1]:
                write_all(fd, line.encode("utf-8", "surrogateescape") + b"\n")
                event = self._await(("c", "p", "s"))
                if event is None:
                    return None
                if event[0] != "c":
                    tell("shellgate: bash ended the command early; the rest of it was not sent")
                    return self._after(event)
            last = lines[-1].encode("utf-8", "surrogateescape") + b"\n"
            echo = last.replace(b"\n", b"\r\n") if echo_enabled(fd) else b""
            write_all(fd, last)
            return self._relay(echo)

    def exit(self, status: int) -> bool:
        """Ask bash to exit with ``status``; False when it stayed (it has stopped jobs)."""
        return self.run([f"builtin exit {status}"]) is None

    def close(self) -> int:
        """Wait for bash to end and return its exit status (128+N for signal N)."""
        if self._undo_winsize is not None:
            self._undo_winsize()
        child = self._child
        if child is None:
            return 126
        with contextlib.suppress(Exception):
            child.close(force=True)
        if child.signalstatus is not None:
            return 128 + int(child.signalstatus)
        return int(child.exitstatus) if child.exitstatus is not None else 126

    # -- protocol ----------------------------------------------------------------------
    def _relay(self, echo: bytes) -> int | None:
        """Relay output and keystrokes until bash is back at its prompt; ``echo`` is the
        terminal's echo of the line just sent, dropped from the output (it was typed)."""
        fd = self._child.child_fd
        pending = b""
        keys = os.isatty(self._stdin)
        while True:
            event = self._next(None, self._stdin if keys else None)
            if event is None:
                return None
            kind, value = event
            if kind == "keys":
                if value:
                    write_all(fd, value)
                else:
                    keys = False
            elif kind == "data":
                if echo:
                    pending += value
                    if len(pending) < len(echo) and echo.startswith(pending):
                        continue
                    value = pending[len(echo):] if pending.startswith(echo) else pending
                    echo = pending = b""
                show(value)
            elif kind == "c":
                keys = False  # bash wants more than was inspected: cancel the command
                tell("shellgate: bash asked for more input than shellgate inspected; "
                     "the command was cancelled")
                os.kill(self.pid, signal.SIGINT)
            else:
                show(pending)
                return self._after((kind, value))

    def _after(self, event: tuple[str, Any]) -> int | None:
        if event[0] != "s":
            raise SessionBroken("bash's prompt hook did not run; the session is ended")
        return self._wait_prompt(int(event[1] or 0))

    def _wait_prompt(self, status: int | None) -> int | None:
        """After a sync marker (or at start): send a token, wait for the prompt showing it."""
        stale = 0
        if status is not None:
            self._send_token()
        while True:
            event = self._await(("s", "p", "c"))
            if event is None:
                return None
            kind, value = event
            if kind == "s":
                status = int(value or 0) if status is None else status
                self._send_token()
            elif kind == "p" and self._counter and value == str(self._counter):
                return status if status is not None else 0
            elif kind == "c":
                os.kill(self.pid, signal.SIGINT)
            else:
                stale += 1
                if stale > 3:
                    raise SessionBroken("bash's prompt hook did not run; the session is ended")

    def _send_token(self) -> None:
        self._counter += 1
        write_all(self._child.child_fd, f"#{self._nonce}-{self._counter}\n".encode())

    def _await(self, kinds: tuple[str, ...]) -> tuple[str, Any] | None:
        """The next marker of ``kinds``; output before it is dropped (echo, typed-ahead)."""
        deadline = time.monotonic() + HANDSHAKE_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SessionBroken("bash stopped answering; the session is ended")
            event = self._next(left, None)
            if event is None:
                return None
            if event[0] in kinds:
                return event

    def _next(self, timeout: float | None, keys_fd: int | None) -> tuple[str, Any] | None:
        """The next event: bash output and markers first, then keystrokes (``"keys"``);
        ``("idle", None)`` when ``timeout`` passed; None once bash has exited."""
        if self._queue:
            return self._queue.popleft()
        fd = self._child.child_fd
        watch = [fd] if keys_fd is None else [fd, keys_fd]
        ready = self._select(watch, timeout)
        if fd in ready:
            data = self._read()
            if data is None:
                return None
            self._queue.extend(self._markers.feed(data))
            return self._queue.popleft() if self._queue else ("data", b"")
        if keys_fd is not None and keys_fd in ready:
            return "keys", os.read(keys_fd, 4096)
        return "idle", None

    # -- low level ---------------------------------------------------------------------
    def _read(self) -> bytes | None:
        try:
            data = os.read(self._child.child_fd, 65536)
        except OSError:
            return None
        return data or None

    @staticmethod
    def _readable(fd: int, timeout: float) -> bool:
        try:
            return bool(select.select([fd], [], [], timeout)[0])
        except (OSError, ValueError):
            return False

    @staticmethod
    def _select(fds: list[int], timeout: float | None) -> list[int]:
        try:
            return select.select(fds, [], [], timeout)[0]
        except InterruptedError:  # SIGWINCH: the caller asks again
            return []

    def _raw(self) -> contextlib.AbstractContextManager[None]:
        return raw_mode(self._stdin) if os.isatty(self._stdin) else contextlib.nullcontext()


def tell(line: str) -> None:
    """A ``shellgate: …`` line while the terminal is raw (so it ends with CR LF)."""
    sys.stdout.flush()
    with contextlib.suppress(OSError):
        write_all(sys.stderr.fileno(), b"\r\n" + line.encode() + b"\r\n")
