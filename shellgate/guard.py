"""The approval flow at the edge: decide → (approve) → verify → audit. Used by
``shellgate run`` and the restricted shell; it raises Refused on anything but a verified
touch for exactly the command about to run."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from shellgate.config import Config
from shellgate.errors import REFUSED, ShellgateError
from shellgate.values import Decision

TYPE_CHECKING = False
if TYPE_CHECKING:
    from shellgate.approve.request import Unlock


class Refused(ShellgateError):
    """shellgate will not run the command (exit 126)."""

    exit_code = REFUSED


def current_user() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def _audit(config: Config, event: str, decision: Decision, command: str,
           **extra: Any) -> None:
    from shellgate.audit import trail as audit

    record = {"time": int(time.time()), "event": event, "decision": decision.verdict,
              "command": command, "rules": decision.rule_ids, **extra}
    audit.append(config.audit_path, record)


def _tell(line: str) -> None:
    """Show the human a line: on stderr, and on the controlling terminal when stderr is
    not one (a hook's or a pipe's stderr may never reach a person)."""
    print(line, file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        return
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write(line + "\n")
    except OSError:
        pass


def _pending(config: Config, request: Any, decision: Decision, timeout: float) -> Path:
    """Announce a waiting request to ``shellgate watch`` (removed when the wait ends)."""
    from shellgate.approve.keystore import write_atomic

    path = config.directory / "pending" / f"{request.nonce}.json"
    entry = {"agent": request.agent, "cwd": request.cwd, "command": request.command,
             "short": request.short(), "started": request.time, "pid": os.getpid(),
             "deadline": request.time + int(timeout),
             "rules": [{"id": f.rule_id, "summary": f.summary, "why": f.why}
                       for f in decision.findings],
             "secrets": [name for name, _ in request.secrets if not name.startswith("@")]}
    write_atomic(path, json.dumps(entry, sort_keys=True))
    return path


def require_approval(decision: Decision, command: str, argv: list[str], config: Config,
                     timeout: float, redecide: Callable[[], Decision],
                     redeem: bool = False, agent: str = "", unlock: Unlock | None = None,
                     ) -> dict[str, Any] | None:
    """Return only when a human approved exactly this command with an enrolled key.

    Returns the approved request and approval (for a ticket), or None when nothing needed
    approving. With ``redeem``, a live ticket from an approved parent script that contains
    exactly this argv counts as the approval (no second prompt). With ``unlock``, the
    secrets it names are bound into H and shown, the same assertion carries the vault
    slots' salts, and the approving key's answer is left in ``unlock.received`` (refused
    when that key gave none: the command never runs without its secrets).
    """
    from shellgate.decide import refusal_line

    if config.state:  # hardened mode: only the broker decides, approves and records
        from shellgate.broker.client import guard_approval

        return guard_approval(decision.verdict, [path for path, _ in decision.files], command,
                              argv, timeout, redeem, agent, _tell)
    if decision.verdict == "allow":
        return None
    if decision.verdict == "gate" and redeem and unlock is None:
        from shellgate.approve import tickets

        if tickets.redeem(config, argv):
            return None
    if decision.verdict == "deny":
        _audit(config, "denied", decision, command)
        raise Refused(refusal_line(decision).removeprefix("shellgate: "))
    from shellgate.approve import fido
    from shellgate.approve.keystore import KeyStore, b64
    from shellgate.approve.request import ApprovalRequest, new_nonce
    from shellgate.approve.verify import VerifyError, verify_assertion

    store = KeyStore(config.keys_path)
    credentials = store.load()
    request = ApprovalRequest(command=command, argv=tuple(argv), cwd=os.getcwd(),
                              user=current_user(), host=socket.gethostname(),
                              rules=tuple(decision.rule_ids), files=decision.files,
                              nonce=new_nonce(), time=int(time.time()), agent=agent,
                              secrets=unlock.secrets if unlock else ())
    first = decision.findings[0]

    def prompt() -> None:
        from shellgate.approve.notify import printable

        asker = f" ({request.agent} asks)" if request.agent else ""
        gives = ""
        names = [name for name, _ in request.secrets if not name.startswith("@")]
        program = dict(request.secrets).get("@program")
        if names:
            gives = ("\nshellgate:   and give it the vault secret(s) "
                     f"{', '.join(names)}" + (f" (program {program})" if program else ""))
        _tell(f"shellgate: touch your key to approve [{request.short()}]{asker}: "
              f"{printable(command)}\n"
              f"shellgate:   {first.rule_id}: {first.summary}{gives}")

    # One outstanding approval at a time (the FIDO2 notes' advice): the key signs, and
    # the verifier checks, counts and records, strictly in turn, so concurrent requests
    # can neither reuse a counter nor verify out of order. Waiting counts against the
    # same deadline.
    started = time.monotonic()
    with _approval_lock(config, timeout):
        remaining = max(1.0, timeout - (time.monotonic() - started))
        pending = _pending(config, request, decision, remaining)
        try:
            with contextlib.suppress(Exception):  # a notification never changes the decision
                from shellgate.approve import notify

                notify.notify(*notify.pending_message(json.loads(pending.read_text("utf-8"))))
            assertion, key_secret = fido.get_assertion_unlocking(
                credentials, request.digest(), remaining, prompt,
                unlock.salts if unlock else {})
        except fido.ApprovalError as exc:
            event = "timeout" if "timed out" in exc.message else "refused"
            if not credentials:
                event = "no-key"
            _audit(config, event, decision, command, request=request.to_json(),
                   reason=exc.message)
            raise Refused(f"needs approval: {first.rule_id}: {first.summary} — "
                          f"{exc.message}; not run") from exc
        finally:
            pending.unlink(missing_ok=True)
        after = redecide()
        expected = replace(request, rules=tuple(after.rule_ids), files=after.files)
        try:
            if after.verdict == "deny":
                raise VerifyError("the command now matches a deny rule")
            from shellgate.audit import trail as audit

            used = {str(r.get("request", {}).get("nonce"))
                    for r in audit.read(config.audit_path) if "approval" in r}
            credential, counter = verify_assertion(assertion, request, expected,
                                                   store.load(), used, int(time.time()))
        except VerifyError as exc:
            _audit(config, "refused", decision, command, request=request.to_json(),
                   reason=exc.message)
            raise Refused(f"{exc.message}; not run") from exc
        store.update_count(credential.credential_id, counter)
        if unlock is not None:
            if key_secret is None or key_secret.credential_id != credential.credential_id:
                _audit(config, "refused", decision, command, request=request.to_json(),
                       reason="the approving key gave no vault secret")
                raise Refused("the key you touched cannot open the vault (no slot, or no "
                              "hmac-secret); touch a key with a vault slot; not run")
            unlock.received = key_secret
        approval = {"credential_id": credential.credential_id,
                    "auth_data": b64(assertion.auth_data),
                    "signature": b64(assertion.signature), "counter": counter}
        _audit(config, "approved", decision, command, request=request.to_json(),
               approval=approval, agent=request.agent)
    return {"request": request.to_json(), "approval": approval}


@contextlib.contextmanager
def _approval_lock(config: Config, timeout: float) -> Iterator[None]:
    """The config directory's approval lock, waited for at most ``timeout`` seconds."""
    import fcntl

    config.directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.directory / "approve.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Refused("another approval is still waiting for a key touch; "
                                  "not run") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
