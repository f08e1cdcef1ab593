"""The one guard every surface calls: decide → approve → audit, then hand back what may run.

A surface (a shim, ``shellgate run``, the restricted shell, an interactive session, an agent
hook, shellgate's own self-protection) describes the command in an :class:`Ask` — the text
the human is shown and that is hashed, the argv as resolved, and how to decide on it — and
calls :func:`guard`. It returns a :class:`Cleared` only when the command may run: allowed,
covered by a live ticket of an approved parent script, or approved by a verified touch of an
enrolled key for exactly this request (re-decided after the touch, so a command that changed
while the human was asked is refused). A deny, a refusal, a timeout, any error: ``Refused``
(exit 126), audited. The surface then runs what it was cleared to run.

**Standard input, one policy** (:func:`decide_argv`). Where stdin belongs to the command (a
shim, ``shellgate run``) and is a pipe or file, tools that read a payload from it are decided
on what they would read: shellgate buffers it (at most ``execute.STDIN_CAP``, more is
refused), decides on the text, and replays the same bytes to the program. Database clients
and curl/wget without ``-d @-``-style arguments first decide with stdin *unseen* (stricter or
equal by construction: an unseen payload gates); only when that allows is stdin read and
decided on. Tools that do not read stdin keep it untouched. Where stdin is not the
command's to read (``check``, ``scan``, the hooks), it is unknown: never read, and a shell or
client that would read it decides as unseen."""

from __future__ import annotations

import contextlib
import os
import sys
import time

from shellgate.config import Config
from shellgate.errors import REFUSED, ShellgateError
from shellgate.values import Decision, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path
    from typing import Any

    from shellgate.approve.request import Unlock
    from shellgate.parse import ReadFile
    from shellgate.rules.ruleset import RuleSet
    from shellgate.vault.service import VaultService


@record
class Ask:
    """What a surface asks the guard about one command."""

    command: str
    """The text the human is shown, hashed into the approval."""
    argv: tuple[str, ...]
    """The argv as resolved (``("bash", "-c", text)`` for a script)."""
    decide: Callable[[], Decision]
    """Decides on the command from the same source, before the touch and again after it."""
    asker: Callable[[], str] = str
    """Names the agent that asked (shown to the human, audited); called only when a touch
    is needed, since finding it out reads the process tree."""
    redeem: bool = False
    """A live ticket of an approved parent script that holds exactly this argv may stand in
    for a touch (shims run inside an approved script)."""
    timeout: float = 0.0
    """Seconds to wait for a touch; 0: the configuration's ``approval_timeout``."""
    unlock: Unlock | None = None
    """Vault secrets the same touch unlocks (``shellgate.vault``): named in the request,
    bound into H, and the key's hmac-secret answer left in ``unlock.received``."""


@record
class Cleared:
    """The command may run: the decision, and the approval when one was needed (its
    request and signed assertion, from which a ticket for nested shims is made)."""

    decision: Decision
    approval: dict[str, Any] | None = None


def guard(config: Config, ask: Ask, decision: Decision | None = None) -> Cleared:
    """Decide (unless the surface already did, passing ``decision``), then approve and
    audit. Returns only when the command may run; raises :class:`Refused` otherwise."""
    if decision is None:
        decision = ask.decide()
    if decision.verdict == "allow" and not config.state:  # hardened: the broker decides too
        return Cleared(decision)
    approval = _approve(decision, ask.command, list(ask.argv), config,
                        ask.timeout or config.approval_timeout, ask.decide,
                        redeem=ask.redeem, agent=ask.asker, unlock=ask.unlock)
    return Cleared(decision, approval)


def vault_service(config: Config, timeout: float | None = None, agent: str = "",
                  ) -> VaultService:
    """The vault of ``config``, whose touches go through :func:`guard` (so, in hardened
    mode, through the broker)."""
    from shellgate.vault.service import VaultService

    seconds = timeout or config.approval_timeout

    def approve(decision: Decision, command: str, argv: list[str], unlock: Unlock,
                redecide: Callable[[], Decision]) -> None:
        guard(config, Ask(command, tuple(argv), redecide, asker=lambda: agent,
                          timeout=seconds, unlock=unlock), decision)

    return VaultService(config, approve, seconds)


_STDIN_SCRIPTS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "xargs"})
"""Shells and xargs read commands from stdin: always read and decided on."""


def stdin_mode(argv: list[str], rules: RuleSet) -> str:
    """How a command's own stdin is treated when it is a pipe or file: ``keep`` (never
    read), ``buffer`` (read, decided on, replayed), ``unseen-first`` (decided unseen; read
    only when that allows). From the tool registry's ``stdin`` (``[tools.X] stdin``)."""
    name = argv[0].rsplit("/", 1)[-1]
    if name in _STDIN_SCRIPTS:
        return "buffer"
    spec = rules.tool(name)
    if not spec.stdin:
        return "keep"
    if spec.payload == "http" and (spec.reader or spec.name) in ("curl", "wget"):
        return "buffer" if any(_names_stdin(word) for word in argv[1:]) else "unseen-first"
    return "buffer" if spec.stdin == "payload" else "unseen-first"


def _names_stdin(word: str) -> bool:
    """Does this curl/wget argument make the tool read standard input?"""
    if word in ("-", ".") or "@-" in word or word.endswith("=-"):
        return True
    return len(word) > 2 and word[0] == "-" and word[1] != "-" and word[-1] in "-."


def decide_argv(argv: list[str], rules: RuleSet, read_file: ReadFile
                ) -> tuple[bytes | None, Decision, Callable[[], Decision]]:
    """The stdin policy for a command whose stdin is its own: the decision, a decider that
    gives the same answer again, and the stdin bytes to replay (None: stdin untouched)."""
    from shellgate.engine import evaluate_argv
    from shellgate.execute import read_stdin, stdin_is_data
    from shellgate.values import NO_STDIN, Stdin

    def decider(stdin: Stdin) -> Callable[[], Decision]:
        return lambda: evaluate_argv(argv, rules, read_file, stdin, os.environ)

    mode = stdin_mode(argv, rules) if stdin_is_data() else "keep"
    if mode == "keep":
        redecide = decider(NO_STDIN)
        return None, redecide(), redecide
    if mode == "unseen-first":
        redecide = decider(Stdin(opaque="standard input shellgate has not read"))
        decision = redecide()
        if decision.verdict == "allow":
            return None, decision, redecide
    data = read_stdin()
    redecide = decider(Stdin(text=data.decode("utf-8", "surrogateescape")))
    return data, redecide(), redecide


class Refused(ShellgateError):
    """shellgate will not run the command (exit 126)."""

    exit_code = REFUSED


def current_user() -> str:
    import pwd

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
    import json

    write_atomic(path, json.dumps(entry, sort_keys=True))
    return path


def _approve(decision: Decision, command: str, argv: list[str], config: Config,
             timeout: float, redecide: Callable[[], Decision],
             redeem: bool = False, agent: Callable[[], str] = str,
             unlock: Unlock | None = None) -> dict[str, Any] | None:
    """Return only when a human approved exactly this command with an enrolled key.

    Returns the approved request and approval (for a ticket), or None when nothing needed
    approving. With ``redeem``, a live ticket from an approved parent script that contains
    exactly this argv counts as the approval (no second prompt). With ``unlock``, the
    secrets it names are bound into H and shown, the same assertion carries the vault
    slots' salts, and the approving key's answer is left in ``unlock.received`` (refused
    when that key gave none: the command never runs without its secrets).
    """
    import json

    from shellgate.decide import refusal_line

    if config.state and unlock is not None:  # root's `secrets …`: the broker asks the key
        from shellgate.broker.sealed_client import unlock_approval

        unlock.received = unlock_approval(command, argv, unlock.secrets, unlock.salts,
                                          timeout, _tell)
        return {"request": {"command": command, "argv": argv}, "approval": {"broker": True}}
    if config.state:  # hardened mode: only the broker decides, approves and records
        from shellgate.broker.client import guard_approval

        return guard_approval(decision.verdict, [path for path, _ in decision.files], command,
                              argv, timeout, redeem, agent(), _tell)
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
                              user=current_user(), host=os.uname().nodename,
                              rules=tuple(decision.rule_ids), files=decision.files,
                              nonce=new_nonce(), time=int(time.time()), agent=agent(),
                              secrets=unlock.secrets if unlock else ())
    first = decision.findings[0]

    def prompt() -> None:
        from shellgate.approve.notify import printable

        asker = f" ({request.agent} asks)" if request.agent else ""
        gives = ""
        names = [name for name, _ in request.secrets if not name.startswith("@")]
        programs = [path for name, path in request.secrets if name.startswith("@program")]
        if names:
            gives = ("\nshellgate:   and give it the vault secret(s) "
                     f"{', '.join(names)}"
                     + (f" (program {', '.join(programs)})" if programs else ""))
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
                unlock.salts if unlock else {}, allow_soft=config.accepts_software_keys)
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
        from dataclasses import replace  # ApprovalRequest is a dataclass

        expected = replace(request, rules=tuple(after.rule_ids), files=after.files)
        try:
            if after.verdict == "deny":
                raise VerifyError("the command now matches a deny rule")
            from shellgate.audit import trail as audit

            used = {str(r.get("request", {}).get("nonce"))
                    for r in audit.read(config.audit_path) if "approval" in r}
            credential, counter = verify_assertion(assertion, request, expected,
                                                   store.load(), used, int(time.time()),
                                                   allow_soft=config.accepts_software_keys)
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
                    "signature": b64(assertion.signature), "counter": counter,
                    "key": "hardware" if credential.kind == "hardware" else "software"}
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
