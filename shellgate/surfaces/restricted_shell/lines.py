"""Reading one whole command at the ``shellgate-sh`` prompt.

A line that bash would continue — an open quote, a here-document, a trailing backslash,
``if`` without ``fi``, a dangling ``|`` or ``&&`` — is read on until it is complete, so
the engine always decides on everything bash will run for it. Whether text is complete
is asked of bash itself (``bash -n``: parse only, never run), the same program that will
read it; a command that cannot be parsed at all is reported like bash reports it and is
not sent.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from shellgate.surfaces.tty import check_line

_INCOMPLETE = ("unexpected end of file", "unexpected EOF while looking for",
               "here-document at line")

Prompt = Callable[[str], str]
"""Reads one line after showing a prompt (:func:`input`); raises EOFError / KeyboardInterrupt."""


@dataclass(frozen=True)
class Typed:
    """One command as typed: its lines, and bash's complaint when it does not parse."""

    lines: tuple[str, ...]
    syntax_error: str = ""

    @property
    def text(self) -> str:
        """The command's text, lines joined as bash reads them."""
        return "\n".join(self.lines)


def parse_state(bash: str, text: str) -> tuple[str, str]:
    """``("complete" | "incomplete" | "error", bash's message)`` for ``text``.

    Runs ``bash -n`` on the text (nothing is executed; no startup file is read). A failure
    to ask counts as complete: the engine then decides on the text, failing closed.
    """
    if _continued(text):
        return "incomplete", ""
    try:
        result = subprocess.run([bash, "-n", "-O", "extglob"], input=text + "\n",
                                capture_output=True, text=True, timeout=10, check=False,
                                env={"LC_ALL": "C", "PATH": os.defpath})
    except (OSError, subprocess.SubprocessError):
        return "complete", ""
    message = result.stderr.strip()
    if any(marker in message for marker in _INCOMPLETE):
        return "incomplete", message
    if result.returncode != 0:
        return "error", _short(message)
    return "complete", ""


def _continued(text: str) -> bool:
    """The last line ends in an unescaped backslash (bash reads the next line into it)."""
    last = text.rsplit("\n", 1)[-1]
    stripped = last.rstrip("\\")
    return (len(last) - len(stripped)) % 2 == 1 and not stripped.lstrip().startswith("#")


def _short(message: str) -> str:
    """bash's first complaint, without its ``bash: line N:`` prefix."""
    first = message.splitlines()[0] if message else "syntax error"
    parts = first.split(": ", 2)
    return parts[2] if len(parts) == 3 and parts[1].startswith("line ") else first


def read_command(prompt: Prompt, bash: str, primary: str, continuation: str) -> Typed | None:
    """Read lines until they form a whole command; None for an empty line.

    EOFError from the first line ends the session (Ctrl-D); KeyboardInterrupt anywhere
    drops what was typed (Ctrl-C). EOF inside a continuation drops the command, as bash
    reports it: a syntax error.
    """
    lines: list[str] = []
    while True:
        try:
            line = prompt(continuation if lines else primary)
        except EOFError:
            if not lines:
                raise
            return Typed(tuple(lines), "syntax error: unexpected end of file")
        check_line(line)
        lines.append(line)
        if len(lines) == 1 and not line.strip():
            return None
        state, message = parse_state(bash, "\n".join(lines))
        if state == "complete":
            return Typed(tuple(lines))
        if state == "error":
            return Typed(tuple(lines), message)
