"""Terminal plumbing shared by the interactive shell and the interactive database clients:
reading a line with editing and history, raw mode while a program runs, window sizes,
and the checks that keep what a terminal would reinterpret out of a gated line."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

MAX_LINE_BYTES = 4000
"""Longest line sent to a child: a terminal in canonical mode keeps at most 4095 bytes of a
line and drops the rest, so a longer line would not arrive as it was inspected."""


class LineRejected(Exception):
    """A typed line cannot be passed on exactly as inspected; the message says why."""


def enable_editing() -> bool:
    """Line editing and in-memory history for :func:`input` (no history file is read)."""
    try:
        import readline  # noqa: F401  (importing it is what turns editing on)
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def line_mode(fd: int) -> Iterator[list[Any] | None]:
    """Between prompts, keys wait unprocessed for the line editor.

    In the terminal's usual canonical mode, a Ctrl-D typed before the line editor takes
    the terminal (right after a command, say) is turned into an end-of-file the editor
    never sees; with canonical mode off while shellgate is between prompts, it stays the
    byte the editor reads as end of input. (Echo stays on: the editor only echoes on a
    terminal that does.) Yields the settings from before
    (for a prompt that needs them, such as a password prompt), None when ``fd`` is no
    terminal or there is no line editor.
    """
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        yield None
        return
    if not enable_editing():
        yield None
        return
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~termios.ICANON
    quiet[6][termios.VMIN] = 1
    quiet[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield saved
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def terminal_settings(fd: int, settings: list[Any] | None) -> Iterator[None]:
    """Use ``settings`` (from :func:`line_mode`) on ``fd`` for the block."""
    if settings is None:
        yield
        return
    current = termios.tcgetattr(fd)
    termios.tcsetattr(fd, termios.TCSANOW, settings)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, current)


def check_line(line: str) -> None:
    """Raise LineRejected for a line a terminal or a line editor would not pass on verbatim.

    Control characters (Ctrl-C, Ctrl-U, Ctrl-V, escape sequences…) are acted on by the
    child's terminal or line editor, so the child would read something else than what was
    inspected; a line longer than the terminal's line buffer would be cut.
    """
    for char in line:
        if (ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F:
            raise LineRejected(f"the line holds a control character ({ord(char):#04x}) that "
                               "the terminal would act on; not sent")
    if len(line.encode("utf-8", "surrogateescape")) > MAX_LINE_BYTES:
        raise LineRejected(f"a line longer than {MAX_LINE_BYTES} bytes would be cut by the "
                           "terminal; not sent (put it in a file)")


def window_size(fd: int) -> tuple[int, int]:
    """(rows, columns) of the terminal on ``fd``; 24 by 80 when it has none."""
    try:
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
        rows, cols = struct.unpack("HHHH", packed)[:2]
    except OSError:
        return 24, 80
    return (rows or 24), (cols or 80)


def follow_window_size(fd: int, apply: Callable[[int, int], None]) -> Callable[[], None]:
    """Copy the terminal's size to a child now and on every SIGWINCH; returns the undo."""

    def handler(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError, ValueError):
            apply(*window_size(fd))

    handler(signal.SIGWINCH, None)
    previous = signal.signal(signal.SIGWINCH, handler)

    def undo() -> None:
        signal.signal(signal.SIGWINCH, previous)

    return undo


@contextlib.contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """Pass every keystroke through unprocessed (Ctrl-C as a byte) until the block ends."""
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        yield
        return
    tty.setraw(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (a pty or terminal may take a large write in pieces)."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[written:]


def show(data: bytes) -> None:
    """Copy a child's output to our standard output, unbuffered."""
    sys.stdout.flush()
    with contextlib.suppress(OSError):
        write_all(sys.stdout.fileno(), data)


def say(line: str) -> None:
    """One ``shellgate: …`` line for the human, on standard error."""
    sys.stdout.flush()
    print(line, file=sys.stderr, flush=True)


def echo_enabled(fd: int) -> bool:
    """True when the terminal on ``fd`` echoes what is written to it (so echo comes back)."""
    try:
        return bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    except termios.error:
        return False


def reads_secret(fd: int) -> bool:
    """True when the program on the pty reads a line without echo (a password prompt)."""
    try:
        lflag = termios.tcgetattr(fd)[3]
    except termios.error:
        return False
    return bool(lflag & termios.ICANON) and not lflag & termios.ECHO


def spawn(program: str, args: list[str], env: dict[str, str], dimensions: tuple[int, int],
          encoding: None = None) -> Any:
    """``program`` on a new pseudo-terminal (pexpect's ``spawn``; the only pexpect importer)."""
    import pexpect

    return pexpect.spawn(program, args, env=env, dimensions=dimensions, encoding=encoding)
