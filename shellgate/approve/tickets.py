"""Approval tickets: once a human approved a script (in the restricted shell or an agent
hook), the shims that bash then runs for that script's own commands do not ask again.

A ticket holds the approved request and the key's assertion. A shim redeems it only
after re-verifying the signature and re-parsing the approved text itself, so a ticket
can never be stretched to a command the human did not see; each command may run as
often as it appears in the approved text, within a short lifetime.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from shellgate.approve.keystore import write_atomic

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Protocol

    class Config(Protocol):
        """What tickets read of ``shellgate.config.Config`` (approve never imports config:
        config reads verified policy acceptances through ``approve.acceptances``)."""

        @property
        def directory(self) -> Path: ...

        @property
        def keys_path(self) -> Path: ...

        @property
        def state(self) -> str: ...

TICKET_SECONDS = 900
"""A ticket outlives its approval by at most this long (the approved script's run time)."""
HOOK_TICKET_SECONDS = 60
"""An agent hook never learns when the approved command ends: its ticket only has to
cover the command starting right after the hook answers."""


def _dir(config: Config) -> Path:
    return config.directory / "tickets"


def issue(config: Config, request: dict[str, Any], approval: dict[str, Any],
          seconds: int = TICKET_SECONDS) -> Path:
    """Leave a ticket for the shims of the approved script's commands, for ``seconds``."""
    if config.state:  # hardened mode: the broker keeps its tickets in memory
        return _dir(config) / "held-by-the-broker"
    path = _dir(config) / f"{request['nonce']}.json"
    ticket = {"request": request, "approval": approval,
              "expires": int(time.time()) + min(seconds, TICKET_SECONDS), "used": {}}
    write_atomic(path, json.dumps(ticket, sort_keys=True))
    return path


def release(path: Path) -> None:
    """The approved script finished: nothing may redeem its ticket any more."""
    path.unlink(missing_ok=True)


def _key(argv: list[str]) -> str:
    return json.dumps([argv[0].rsplit("/", 1)[-1], *argv[1:]])


def _approved_commands(request: dict[str, Any]) -> list[list[str | None]]:
    from shellgate.parse import parse, parse_argv

    argv = [str(a) for a in request.get("argv", [])]
    text = str(request.get("command", ""))
    script = parse(text) if argv[:2] == ["bash", "-c"] or not argv else parse_argv(argv)
    out: list[list[str | None]] = []
    for command in script.commands:
        words = [w.value for w in command.argv]
        if words and words[0] is not None:
            out.append([words[0].rsplit("/", 1)[-1], *words[1:]])
    return out


def _matches(pattern: list[str | None], argv: list[str]) -> bool:
    want = [argv[0].rsplit("/", 1)[-1], *argv[1:]]
    return len(pattern) == len(want) and all(p is None or p == a for p, a in zip(
        pattern, want, strict=True))


def redeem(config: Config, argv: list[str]) -> bool:
    """True (and one use consumed) when a live, verified ticket approved exactly ``argv``."""
    directory = _dir(config)
    if not argv or not directory.is_dir():
        return False
    now = int(time.time())
    for path in sorted(directory.glob("*.json")):
        try:
            with open(path, "r+", encoding="utf-8") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                ticket = json.load(handle)
                if int(ticket.get("expires", 0)) < now:
                    path.unlink(missing_ok=True)
                    continue
                allowed = sum(_matches(c, argv) for c in _approved_commands(ticket["request"]))
                used = dict(ticket.get("used", {}))
                key = _key(argv)
                if allowed <= int(used.get(key, 0)) or not _verified(config, ticket):
                    continue
                used[key] = int(used.get(key, 0)) + 1
                ticket["used"] = used
                handle.seek(0)
                handle.truncate()
                json.dump(ticket, handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
                return True
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return False


def _verified(config: Config, ticket: dict[str, Any]) -> bool:
    from shellgate.approve.keystore import KeyStore, unb64
    from shellgate.approve.request import ApprovalRequest
    from shellgate.approve.verify import Assertion, VerifyError, check_signature

    try:
        request = ApprovalRequest.from_json(ticket["request"])
        approval = ticket["approval"]
        assertion = Assertion(str(approval["credential_id"]), unb64(approval["auth_data"]),
                              unb64(approval["signature"]))
        check_signature(assertion, request, KeyStore(config.keys_path).load())
    except (VerifyError, KeyError, ValueError, TypeError):
        return False
    return 0 <= time.time() - request.time <= TICKET_SECONDS
