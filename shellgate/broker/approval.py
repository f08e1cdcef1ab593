"""The broker's approval: the only place in hardened mode that asks a key, verifies the
answer, moves the counter and writes the audit record — all in the broker's own state,
which the agent's user cannot write."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from shellgate.broker import tickets
from shellgate.errors import ConfigError
from shellgate.fsutil import write_atomic
from shellgate.values import Decision

if TYPE_CHECKING:
    from collections.abc import Callable

    from shellgate.approve.keystore import Credential
    from shellgate.approve.request import Unlock
    from shellgate.broker.service import Inputs, Say, Service

SOFT_REFUSED = ("software keys are refused in hardened mode: enrol a hardware FIDO2 key "
                "(as root: `shellgate enroll`)")


def usable_credentials(service: Service) -> list[Credential]:
    """The enrolled hardware keys; a software key only if it is the broker's own test key
    (given when root started the broker with ``--test-key``)."""
    from shellgate.approve.keystore import KeyStore

    credentials = KeyStore(service.layout.etc / "keys.json").load()
    test = os.path.realpath(service.test_key) if service.test_key else None
    usable = [c for c in credentials
              if c.kind != "soft" or (test is not None and os.path.realpath(c.soft_file) == test)]
    if credentials and not usable:
        raise ConfigError(SOFT_REFUSED)
    counters = _counters(service)
    usable = [replace(c, sign_count=max(c.sign_count, counters.get(c.credential_id, 0)))
              for c in usable]
    return usable


def _counters(service: Service) -> dict[str, int]:
    path = service.layout.state / "counters.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"the broker's counter store {path} is unreadable: {exc}") from exc
    if not isinstance(data, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in data.values()):
        raise ConfigError(f"the broker's counter store {path} is damaged")
    return {str(k): int(v) for k, v in data.items()}


def _save_counter(service: Service, credential_id: str, count: int) -> None:
    counters = _counters(service)
    counters[credential_id] = count
    write_atomic(service.layout.state / "counters.json",
                 json.dumps(counters, sort_keys=True), mode=0o600)


def _record(service: Service, event: str, decision: Decision, command: str,
            **extra: Any) -> dict[str, Any]:
    from shellgate.audit import trail as audit
    from shellgate.broker.service import now

    record = {"time": now(), "event": event, "decision": decision.verdict,
              "command": command, "rules": decision.rule_ids, "broker": True, **extra}
    return audit.append(service.audit_path, record)


def approve(service: Service, inputs: Inputs, decision: Decision,
            redecide: Callable[[], Decision], program: tuple[tuple[str, str], ...],
            say: Say, unlock: Unlock | None = None) -> dict[str, Any]:
    """Decide → (ticket | key) → verify → count → record; the reply the client obeys.

    With ``unlock`` (vault secrets), a touch is always needed, the secrets are bound into
    H and shown, and the approving key's hmac-secret answer is left in
    ``unlock.received`` (refused when that key gave none)."""
    from shellgate.decide import refusal_line

    if decision.verdict == "allow" and unlock is None:
        return {"result": "allow"}
    if decision.verdict == "gate" and inputs.redeem and unlock is None \
            and service.tickets.redeem(inputs.user, inputs.kind, inputs.command,
                                       list(inputs.argv)):
        return {"result": "allow", "ticket": True}
    if decision.verdict == "deny":
        _record(service, "denied", decision, inputs.command, user=inputs.user)
        return {"result": "refused", "message": refusal_line(decision).removeprefix(
            "shellgate: ")}
    if unlock is None and inputs.kind == "script":
        from shellgate.broker.sealed import script_unlock

        sealed = script_unlock(service, inputs)
        if sealed is not None:  # the script runs tools the vault serves: one touch for both
            unlock, commands = sealed
            reply = _ask_key(service, inputs, decision, redecide, program, say, unlock)
            if reply.get("result") == "approved":
                from shellgate.broker.sealed import reveal_for

                seconds = tickets.HOOK_SECONDS if inputs.surface == "hook" \
                    else tickets.SCRIPT_SECONDS
                service.tickets.issue(inputs.user, inputs.command, inputs.argv, seconds,
                                      reveal_for(service, unlock, commands))
            return reply
    return _ask_key(service, inputs, decision, redecide, program, say, unlock)


def _ask_key(service: Service, inputs: Inputs, decision: Decision,
             redecide: Callable[[], Decision], program: tuple[tuple[str, str], ...],
             say: Say, unlock: Unlock | None) -> dict[str, Any]:
    from shellgate.approve import fido
    from shellgate.approve.keystore import b64
    from shellgate.approve.request import ApprovalRequest
    from shellgate.approve.verify import VerifyError, verify_assertion
    from shellgate.broker.service import expected_request, host, now

    first = decision.findings[0]
    request = ApprovalRequest(command=inputs.command, argv=inputs.argv, cwd=inputs.cwd,
                              user=inputs.user, host=host(), rules=tuple(decision.rule_ids),
                              files=decision.files + program, nonce=secrets.token_hex(16),
                              time=now(), agent=inputs.agent,
                              secrets=unlock.secrets if unlock else ())
    refused = f"needs approval: {first.rule_id}: {first.summary} — "
    # One approval at a time: the key signs and the counter moves strictly in turn.
    with service.lock:
        try:
            credentials = usable_credentials(service)
        except ConfigError as exc:
            _record(service, "refused", decision, inputs.command, request=request.to_json(),
                    reason=exc.message)
            return {"result": "refused", "message": f"{refused}{exc.message}; not run"}
        say({"result": "waiting", "short": request.short(), "rule": first.rule_id,
             "summary": first.summary,
             "secrets": [n for n, _ in request.secrets if not n.startswith("@")]})
        try:
            # usable_credentials kept a software key only if root named it --test-key
            assertion, key_secret = fido.get_assertion_unlocking(
                credentials, request.digest(), inputs.timeout, lambda: None,
                unlock.salts if unlock else {}, allow_soft=True)
        except fido.ApprovalError as exc:
            event = "timeout" if "timed out" in exc.message else "refused"
            _record(service, event, decision, inputs.command, request=request.to_json(),
                    reason=exc.message)
            return {"result": "refused", "message": f"{refused}{exc.message}; not run"}
        after = redecide()
        try:
            if after.verdict == "deny":
                raise VerifyError("the command now matches a deny rule")
            from shellgate.audit import trail as audit

            used = {str(r.get("request", {}).get("nonce"))
                    for r in audit.read(service.audit_path) if "approval" in r}
            credential, counter = verify_assertion(
                assertion, request, expected_request(request, after, program),
                credentials, used, now(), allow_soft=True)
        except VerifyError as exc:
            _record(service, "refused", decision, inputs.command, request=request.to_json(),
                    reason=exc.message)
            return {"result": "refused", "message": f"{exc.message}; not run"}
        _save_counter(service, credential.credential_id, counter)
        if unlock is not None:
            if key_secret is None or key_secret.credential_id != credential.credential_id:
                _record(service, "refused", decision, inputs.command,
                        request=request.to_json(), reason="the approving key gave no vault "
                        "secret")
                return {"result": "refused", "message": "the key you touched cannot open the "
                        "vault (no slot, or no hmac-secret); touch a key with a vault slot; "
                        "not run"}
            unlock.received = key_secret
        approval = {"credential_id": credential.credential_id,
                    "auth_data": b64(assertion.auth_data),
                    "signature": b64(assertion.signature), "counter": counter,
                    "key": "hardware" if credential.kind == "hardware" else "software"}
        record = _record(service, "approved", decision, inputs.command,
                         request=request.to_json(), approval=approval, agent=inputs.agent,
                         key_kind="soft" if credential.kind == "soft" else "hardware")
    if inputs.kind == "script" and unlock is None:
        seconds = tickets.HOOK_SECONDS if inputs.surface == "hook" else tickets.SCRIPT_SECONDS
        service.tickets.issue(inputs.user, inputs.command, inputs.argv, seconds)
    return {"result": "approved", "short": request.short(), "record": record.get("hash", "")}
