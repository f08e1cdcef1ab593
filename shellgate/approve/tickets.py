"""Approval tickets: once a human approved a script (in the restricted shell or an agent
hook), the shims that bash then runs for that script's own commands do not ask again.

A ticket holds the approved request and the key's assertion, and is bound to the
request's nonce and the key's signature counter. A shim redeems it only when all of this
holds:

- its MAC verifies under the tickets key (``tickets/.mac-key``, which the agent cannot
  read where the tickets directory belongs to someone else, as in hardened mode): an
  edited or home-made ticket is refused;
- the key's signature over the request verifies, the signed counter is the ticket's,
  and the key store has counted that approval (a store whose counter is now lower went
  backwards: refused);
- it is live: within the lifetime its surface needs (the restricted shell: while the
  script runs, at most ``TICKET_SECONDS``; a hook: ``HOOK_TICKET_SECONDS`` for the command
  to start), counted from the signed request time as well as from issue;
- its nonce is not spent (released or expired tickets are listed in ``tickets/spent``),
  and the command has not yet been run as often as it appears in the approved text
  (uses are appended to ``tickets/<nonce>.uses``, outside the ticket, so putting back an
  older copy of the ticket file gives nothing back).

The approved text is re-parsed by the shim itself, so a ticket never stretches to a
command the human did not see. In personal mode the agent can read the MAC key and
write the ledgers (shellgate's own files gate only the writers shellgate sees): tickets
there stop a confused agent's replays, not a deliberate forger — hardened mode does.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
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

        @property
        def accepts_software_keys(self) -> bool: ...

TICKET_SECONDS = 900
"""A script's ticket lives while the script runs, and never longer than this."""
HOOK_TICKET_SECONDS = 60
"""An agent hook never learns when the approved command ends: its ticket only has to
cover the command starting right after the hook answers."""
APPROVAL_WAIT_SECONDS = 600
"""The longest an approval can wait for its touch (``approval_timeout``'s upper bound):
a ticket's signed request time is at most this much older than its issue."""
VERSION = 2
HELD_BY_BROKER = "held-by-the-broker"
"""Hardened mode: the broker keeps tickets in memory; ``issue`` returns this name."""
MAC_KEY = ".mac-key"
SPENT = "spent"


def _dir(config: Config) -> Path:
    return config.directory / "tickets"


def _mac_key(directory: Path, create: bool) -> bytes | None:
    """The tickets MAC key (32 random bytes, mode 0600); made on first issue."""
    path = directory / MAC_KEY
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _mac_key(directory, False)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
            handle.flush()
            os.fsync(handle.fileno())
        return _mac_key(directory, False)
    except OSError:
        return None
    return data if len(data) == 32 else None


def _mac(key: bytes, ticket: dict[str, Any]) -> str:
    body = {k: v for k, v in ticket.items() if k != "mac"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """The tickets directory's lock: uses and spent nonces change one writer at a time."""
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def issue(config: Config, request: dict[str, Any], approval: dict[str, Any],
          seconds: int = TICKET_SECONDS) -> Path:
    """Leave a ticket for the shims of the approved script's commands, for ``seconds``
    (at most ``TICKET_SECONDS``)."""
    if config.state:  # hardened mode: the broker keeps its tickets in memory
        return _dir(config) / HELD_BY_BROKER
    directory = _dir(config)
    key = _mac_key(directory, True)
    if key is None:
        raise OSError(f"cannot read the tickets key in {directory}")
    now = int(time.time())
    lifetime = max(1, min(int(seconds), TICKET_SECONDS))
    ticket: dict[str, Any] = {
        "version": VERSION, "nonce": str(request["nonce"]),
        "credential_id": str(approval["credential_id"]), "counter": int(approval["counter"]),
        "request": request, "approval": approval, "issued": now, "lifetime": lifetime,
        "expires": now + lifetime}
    ticket["mac"] = _mac(key, ticket)
    path = directory / f"{ticket['nonce']}.json"
    write_atomic(path, json.dumps(ticket, sort_keys=True))
    return path


def release(path: Path) -> None:
    """The approved script finished: nothing may redeem its ticket any more."""
    if path.name == HELD_BY_BROKER:
        return
    directory, nonce = path.parent, path.name.removesuffix(".json")
    try:
        with _locked(directory):
            _spend(directory, nonce, int(time.time()) + TICKET_SECONDS)
    finally:
        path.unlink(missing_ok=True)
        (directory / f"{nonce}.uses").unlink(missing_ok=True)


def _spend(directory: Path, nonce: str, keep_until: int) -> None:
    """Add ``nonce`` to the spent list; forget entries no ticket could outlive."""
    now = int(time.time())
    entries = [line for line in _read_lines(directory / SPENT)
               if _until(line) >= now and not line.startswith(nonce + " ")]
    entries.append(f"{nonce} {keep_until}")
    write_atomic(directory / SPENT, "".join(f"{line}\n" for line in entries))


def _until(line: str) -> int:
    try:
        return int(line.rsplit(" ", 1)[1])
    except (IndexError, ValueError):
        return 0


def _read_lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    except FileNotFoundError:
        return []


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


def redeem(config: Config, argv: list[str], now: float | None = None) -> bool:
    """True (and one use consumed) when a live, verified ticket approved exactly ``argv``."""
    directory = _dir(config)
    if not argv or config.state or not directory.is_dir():
        return False
    key = _mac_key(directory, False)
    if key is None:
        return False
    moment = time.time() if now is None else now
    for path in sorted(directory.glob("*.json")):
        try:
            if _redeem_one(config, directory, path, key, argv, moment):
                return True
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return False


def _redeem_one(config: Config, directory: Path, path: Path, key: bytes, argv: list[str],
                now: float) -> bool:
    ticket = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(ticket, dict) or ticket.get("version") != VERSION:
        return False
    if int(ticket.get("expires", 0)) < now:  # dead: tidy it away
        path.unlink(missing_ok=True)
        (directory / f"{path.name.removesuffix('.json')}.uses").unlink(missing_ok=True)
        return False
    if not hmac.compare_digest(str(ticket.get("mac", "")), _mac(key, ticket)):
        return False  # edited, or made without the key
    nonce = str(ticket["nonce"])
    if path.name != f"{nonce}.json" or not check(config, ticket, now):
        return False
    allowed = sum(_matches(c, argv) for c in _approved_commands(ticket["request"]))
    if not allowed:
        return False
    with _locked(directory):
        if any(line.startswith(nonce + " ") for line in _read_lines(directory / SPENT)):
            return False  # released or expired before: a copy put back is a replay
        uses = directory / f"{nonce}.uses"
        use = _key(argv)
        if _read_lines(uses).count(use) >= allowed:
            return False
        with open(uses, "a", encoding="utf-8") as ledger:
            ledger.write(use + "\n")
            ledger.flush()
            os.fsync(ledger.fileno())
    return True


def check(config: Config, ticket: dict[str, Any], now: float) -> bool:
    """The ticket's approval verifies, its counter is the signed one and the key store's
    counter has not gone below it, and it is within its lifetime."""
    from shellgate.approve.keystore import KeyStore, unb64
    from shellgate.approve.request import ApprovalRequest
    from shellgate.approve.verify import Assertion, VerifyError, check_signature

    try:
        request = ApprovalRequest.from_json(ticket["request"])
        approval = ticket["approval"]
        assertion = Assertion(str(approval["credential_id"]), unb64(approval["auth_data"]),
                              unb64(approval["signature"]))
        if request.nonce != ticket["nonce"] or assertion.credential_id != ticket[
                "credential_id"]:
            return False
        credential, counter = check_signature(assertion, request,
                                              KeyStore(config.keys_path).load())
    except (VerifyError, KeyError, ValueError, TypeError):
        return False
    if counter != ticket["counter"] or credential.sign_count < counter:
        return False  # not the signed counter, or the key store went backwards
    if credential.kind != "hardware" and not config.accepts_software_keys:
        return False
    lifetime = min(int(ticket["lifetime"]), TICKET_SECONDS)
    return (int(ticket["issued"]) <= now <= int(ticket["expires"])
            and int(ticket["expires"]) - int(ticket["issued"]) <= lifetime
            and 0 <= now - request.time <= lifetime + APPROVAL_WAIT_SECONDS)
