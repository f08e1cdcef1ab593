"""Tickets in hardened mode live only in the broker's memory: once a human approved a
script, the commands bash then runs for it (each reaching the broker through a shim) are
let through as often as they appear in the approved text, for a short time. No file holds
them, so nothing the agent can write can forge, extend or replay one; a broker restart
forgets them (the commands then ask again)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

SCRIPT_SECONDS = 900.0
"""An approved script's nested commands may redeem for at most this long."""
HOOK_SECONDS = 60.0
"""A hook approval only has to cover the command starting right after the hook answers."""


def approved_commands(command: str, argv: tuple[str, ...]) -> list[tuple[str | None, ...]]:
    """Every simple command in the approved text (tool name without its directory; words
    only known at run time as None, which match anything in that position)."""
    from shellgate.parse import parse, parse_argv

    script = parse(command) if not argv or list(argv[:2]) == ["bash", "-c"] \
        else parse_argv(list(argv))
    found: list[tuple[str | None, ...]] = []
    for simple in script.commands:
        words = [w.value for w in simple.argv]
        if words and words[0] is not None:
            found.append((words[0].rsplit("/", 1)[-1], *words[1:]))
    return found


def _matches(pattern: tuple[str | None, ...], argv: list[str]) -> bool:
    want = [argv[0].rsplit("/", 1)[-1], *argv[1:]]
    return len(pattern) == len(want) and all(
        p is None or p == a for p, a in zip(pattern, want, strict=True))


@dataclass
class _Ticket:
    user: str
    command: str
    commands: list[tuple[str | None, ...]]
    expires: float
    used: list[int]
    script_used: bool = False
    secrets: dict[int, dict[str, str]] = field(default_factory=dict, repr=False)
    """Command index → the vault secrets the approving touch unlocked for it (memory
    only; given once, to that command as the runner starts it)."""


@dataclass
class TicketBook:
    """The broker's live tickets, keyed by nothing an outsider can name."""

    _tickets: list[_Ticket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, user: str, command: str, argv: tuple[str, ...], seconds: float,
              secrets: dict[int, dict[str, str]] | None = None) -> None:
        """Remember an approved script's commands for ``seconds`` (and the secrets its
        touch unlocked for some of them: index into :func:`approved_commands`)."""
        commands = approved_commands(command, argv)
        with self._lock:
            self._tickets.append(_Ticket(user, command, commands, time.monotonic() + seconds,
                                         [0] * len(commands), secrets=dict(secrets or {})))

    def redeem_sealed(self, user: str, argv: list[str]) -> dict[str, str] | None:
        """The secrets an approved script's touch unlocked for exactly this command,
        consuming that use (None: no live ticket holds secrets for it)."""
        now = time.monotonic()
        with self._lock:
            self._tickets = [t for t in self._tickets if t.expires > now]
            for ticket in self._tickets:
                if ticket.user != user or not argv:
                    continue
                for index, pattern in enumerate(ticket.commands):
                    if index in ticket.secrets and ticket.used[index] == 0 \
                            and _matches(pattern, argv):
                        ticket.used[index] = 1
                        return ticket.secrets.pop(index)
        return None

    def redeem(self, user: str, kind: str, command: str, argv: list[str]) -> bool:
        """True, consuming one use, if a live ticket of ``user`` approved exactly this:
        the same script text (a hook's approval redeemed by the agent's shell), or an argv
        that is one of the approved script's commands (a shim under the approved script)."""
        now = time.monotonic()
        with self._lock:
            self._tickets = [t for t in self._tickets if t.expires > now]
            for ticket in self._tickets:
                if ticket.user != user:
                    continue
                if kind == "script":
                    if ticket.command == command and not ticket.script_used:
                        ticket.script_used = True  # the script itself: once
                        return True
                    continue
                if not argv:
                    return False
                for index, pattern in enumerate(ticket.commands):
                    if ticket.used[index] == 0 and _matches(pattern, argv):
                        ticket.used[index] = 1
                        return True
        return False
