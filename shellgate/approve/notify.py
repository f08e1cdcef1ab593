"""Tell the human that a request waits for a touch, on surfaces the agent does not draw.

``notify`` shows a desktop notification (``notify-send`` on Linux with a graphical
session, ``osascript`` on macOS). It is best effort by design: it never raises, never
waits for the notifier, and reports only whether one was started. The agent controls the
environment this runs in (``PATH``, ``DISPLAY``, ``DBUS_SESSION_BUS_ADDRESS``), so it can
suppress or imitate a notification; the binding check is the short hash, which the
human compares with ``shellgate watch`` (read from the config directory, not the
environment) before touching the key.

``pending_summary`` is the one-line text for an agent's status line or a hook's
message; ``pending_message`` the notification's title and body.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    import subprocess
    from typing import Any

NOTIFY_TIMEOUT = 3.0
"""Seconds a notifier may run before it is killed."""
EXPIRE_MS = 60_000
"""How long a notification server should keep the notification on screen."""
COMMAND_CHARS = 200
"""Longest command text put in a notification or status line."""
_GRAPHICAL_SESSION = ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")


def printable(value: Any) -> str:
    """Text safe for a terminal or notification: control and format characters
    (escape sequences, newlines, bidi overrides) are shown escaped, never interpreted."""
    text = value if isinstance(value, str) else str(value)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def truncate(text: str, limit: int = COMMAND_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _rules(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rules = entry.get("rules")
    return [r for r in rules if isinstance(r, Mapping)] if isinstance(rules, list) else []


def pending_summary(entry: Mapping[str, Any]) -> str:
    """One line for a status bar: ``shellgate: touch your key [SHORT]: COMMAND (RULE)``.

    ``entry`` has the shape of a pending-request file (``short``, ``command``, ``rules``).
    """
    short = printable(entry.get("short", "?"))
    command = truncate(printable(entry.get("command", "")))
    rules = _rules(entry)
    rule = f" ({printable(rules[0].get('id', '?'))})" if rules else ""
    return f"shellgate: touch your key to approve [{short}]: {command}{rule}"


def pending_message(entry: Mapping[str, Any]) -> tuple[str, str]:
    """A notification's title and body for a pending request: the short hash, the
    command (truncated), the first rule and its summary, the agent and the cwd."""
    short = printable(entry.get("short", "?"))
    title = f"shellgate: touch your key [{short}]"
    lines = [truncate(printable(entry.get("command", "")))]
    rules = _rules(entry)
    if rules:
        lines.append(f"{printable(rules[0].get('id', '?'))}: "
                     f"{printable(rules[0].get('summary', ''))}")
    agent = printable(entry.get("agent") or "unknown agent")
    lines.append(f"{agent} in {truncate(printable(entry.get('cwd', '?')), 80)}")
    lines.append(f"compare [{short}] with `shellgate watch`")
    return title, "\n".join(lines)


def notifier_argv(summary: str, body: str, platform: str | None = None,
                  environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The notifier command for this system, or None when no notifier is available."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    import shutil  # only here: a notification is asked for once per approval

    if platform == "darwin":
        osascript = shutil.which("osascript", path=environ.get("PATH")) or "/usr/bin/osascript"
        if not os.path.exists(osascript):
            return None
        # The texts travel as arguments, never inside the AppleScript source.
        return [osascript, "-e", "on run argv", "-e",
                "display notification (item 2 of argv) with title (item 1 of argv)",
                "-e", "end run", summary, body]
    if not any(environ.get(name) for name in _GRAPHICAL_SESSION):
        return None
    notify_send = shutil.which("notify-send", path=environ.get("PATH"))
    if notify_send is None:
        return None
    return [notify_send, "--app-name=shellgate", "--urgency=critical",
            f"--expire-time={EXPIRE_MS}", "--", summary, _markup(body)]


def _markup(text: str) -> str:
    """Servers that render body markup would eat ``<…>``; escape it (the spec's way)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def notify(summary: str, body: str, timeout: float = NOTIFY_TIMEOUT) -> bool:
    """Show a desktop notification; True when a notifier was started.

    Never raises and never waits for the notifier: it runs detached from our stdio, and
    a background thread kills it after ``timeout`` seconds.
    """
    try:
        argv = notifier_argv(printable(summary), _lines(body))
        if argv is None:
            return False
        return _start(argv, timeout) is not None
    except Exception:  # a notification is a courtesy; it must never change an outcome
        return False


def _lines(body: str) -> str:
    return "\n".join(printable(line) for line in body.split("\n"))


def _start(argv: Sequence[str], timeout: float) -> subprocess.Popen[bytes] | None:
    """Start the notifier detached from our stdio; a daemon thread reaps or kills it."""
    import subprocess  # only with a notifier to start: it imports signal, threading, …

    try:
        child = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
    except OSError:
        return None
    threading.Thread(target=_reap, args=(child, timeout), daemon=True,
                     name="shellgate-notify").start()
    return child


def _reap(child: subprocess.Popen[bytes], timeout: float) -> None:
    import subprocess

    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    except Exception:  # noqa: S110 - a background courtesy thread has no one to report to
        pass
