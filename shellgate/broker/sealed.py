"""The vault in hardened mode, the broker's side.

The vault file is root's policy (``/etc/shellgate/vault.json``, root-owned, 0644): it holds
no plaintext, and only the broker can ask the keys that open it (udev gives it the FIDO
devices). Root manages it with ``sudo shellgate secrets …``, whose touch the broker asks
for (``unlock``, answered to uid 0 only). A command of the guarded user that may receive
a secret is never given one: the broker asks one touch that approves the command and
opens the vault, and the runner (``broker.runner``, a third user) starts the program the
broker approved, through its descriptor, in the caller's directory with the caller's
standard streams. The values exist in the broker's memory for that moment and in the
command's own process — never in a process of the guarded user's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shellgate.broker import protocol
from shellgate.broker.protocol import ProtocolError
from shellgate.errors import ShellgateError

if TYPE_CHECKING:
    from pathlib import Path

    from shellgate.approve.request import Unlock
    from shellgate.broker.runner import Runner
    from shellgate.broker.service import Inputs, Say, Service
    from shellgate.values import Decision
    from shellgate.vault.service import VaultService
    from shellgate.vault.store import VaultFile

Relay = Callable[[float], "int | None"]
"""Waits up to that many seconds for a signal the caller forwards (``server._relay``)."""
MAX_SALTS = 16


class SealedRefusal(ShellgateError):
    """A command with vault secrets refused by the broker (the reply carries this)."""


def vault_path(service: Service) -> Path:
    """Root's vault file beside the rest of the policy."""
    return service.layout.etc / "vault.json"


def load_vault(service: Service) -> VaultFile | None:
    """The vault as stored, or None; one not root's alone is refused."""
    from shellgate.hardened.state import check_owner
    from shellgate.vault import store

    path = vault_path(service)
    if not os.path.lexists(path):
        return None
    check_owner(str(path), 0, "the vault", kind="file")
    return store.load(path)


def _vault_service(service: Service, inputs: Inputs, say: Say,
                   program: tuple[tuple[str, str], ...]) -> VaultService:
    """A VaultService on root's vault whose approvals are the broker's own."""
    from shellgate.broker.approval import approve
    from shellgate.vault.service import VaultService

    def approve_here(decision: Decision, command: str, argv: list[str], unlock: Unlock,
                     redecide: Callable[[], Decision]) -> None:
        reply = approve(service, inputs, decision, redecide, program, say, unlock)
        if reply.get("result") != "approved":
            raise SealedRefusal(str(reply.get("message", "not approved; not run")))

    vault = VaultService(service.config(), approve_here, inputs.timeout)
    vault.path = vault_path(service)
    return vault


def check_program(path: str, program_fd: int, argv: tuple[str, ...]) -> str:
    """The program the caller named is the file it passed, is the tool the policy names,
    and it and every directory above it are root's alone: only root can change what
    receives a secret."""
    from shellgate.hardened.state import check_parents, check_root_owned
    from shellgate.vault import policy
    from shellgate.vault.store import VaultError

    try:
        named, passed = os.stat(path), os.fstat(program_fd)
    except OSError as exc:
        raise VaultError(f"cannot check {path} ({exc.strerror}); not run") from None
    if (named.st_dev, named.st_ino) != (passed.st_dev, passed.st_ino):
        raise VaultError(f"{path} is not the program that was passed; not run")
    real = policy.check_program(path, argv)
    try:
        check_root_owned(real, f"the program {real}", kind="file")
        if path != real:
            check_parents(path)
    except ShellgateError as exc:
        raise VaultError(f"{exc.message.removeprefix('hardened mode: ')}: a program that "
                         "receives vault secrets must be root's alone; not run") from None
    return real


def run(service: Service, inputs: Inputs, decision: Decision, message: dict[str, Any],
        say: Say, relay: Relay,
        program: tuple[tuple[str, str], ...]) -> dict[str, Any] | None:
    """Run ``inputs`` with its secrets through the runner after one touch; None when the
    vault gives this command nothing (the caller then approves and execs as usual)."""
    from shellgate.vault import policy

    vault = load_vault(service)
    if vault is None or inputs.kind != "argv" or inputs.program is None \
            or len(inputs.stdio) != 3:
        return None
    argv = list(inputs.argv)
    requested = protocol.string_list(message, "secrets", 64, required=False)
    if not policy.for_command(vault.entries, argv, requested):
        return None
    runner = service.runner
    if runner is None:
        raise SealedRefusal("the broker runs without its runner (the runner's user is "
                            "missing), so no command can receive a vault secret; ask root "
                            "to reinstall hardened mode; not run")
    path = protocol.field(message, "program_path", str, limit=4096)
    real = check_program(path, inputs.program, inputs.argv)
    leased = service.leases.values_for(inputs.user, argv, inputs.program) \
        if decision.verdict == "allow" and not requested else None
    if leased:  # a secret root removed since the lease opened is not given any more
        current = {e.name for e in vault.entries}
        leased = {k: v for k, v in leased.items() if k in current}
    if not runner.lock.acquire(blocking=False):
        raise SealedRefusal("another command with vault secrets is running (one at a time "
                            "in hardened mode); try again when it ends; not run")
    try:
        given = service.tickets.redeem_sealed(inputs.user, argv) \
            if inputs.redeem and not requested else None
        if given:  # the touch that approved the script it is part of unlocked it too
            return _start(service, runner, inputs, decision, message, say, relay, given,
                          "ran-approved-script")
        if leased:  # an allowed routine command under a live lease: no touch
            return _start(service, runner, inputs, decision, message, say, relay, leased,
                          "lease-used")
        return _run_locked(service, runner, inputs, decision, message, say, relay,
                           program, path or real, requested)
    finally:
        runner.lock.release()


def _run_locked(service: Service, runner: Runner, inputs: Inputs, decision: Decision,
                message: dict[str, Any], say: Say, relay: Relay,
                program: tuple[tuple[str, str], ...], path: str,
                requested: list[str]) -> dict[str, Any]:
    from shellgate.broker.service import decide

    vault = _vault_service(service, inputs, say, program)
    values, _ = vault.secrets_for_run(list(inputs.argv), inputs.command, decision,
                                      lambda: decide(service, inputs), requested, path)
    if not values:  # chosen above, so the vault changed meanwhile: refuse, never drop
        raise SealedRefusal("the vault changed while the key was asked; not run")
    return _start(service, runner, inputs, decision, message, say, relay, values, "ran")


def _start(service: Service, runner: Runner, inputs: Inputs, decision: Decision,
           message: dict[str, Any], say: Say, relay: Relay, values: dict[str, str],
           event: str) -> dict[str, Any]:
    """Hand the command and its secrets to the runner; record names and digests."""
    from shellgate.broker.approval import _record
    from shellgate.broker.runner import child_environment
    from shellgate.vault.service import digest_names

    caller_env = protocol.field(message, "env", dict, required=False, default={},
                                limit=256)
    env = child_environment({str(k): str(v) for k, v in caller_env.items()})
    program_fd = inputs.program
    if program_fd is None:
        raise SealedRefusal("no program was passed; not run")
    vault = load_vault(service)
    given = [e for e in (vault.entries if vault else ()) if e.name in values]
    status = runner.run(list(inputs.argv), env, values,
                        [program_fd, inputs.cwd_fd, *inputs.stdio], relay,
                        lambda: say({"result": "started"}))
    _record(service, event, decision, inputs.command, user=inputs.user,
            secrets=digest_names(given), status=status)
    return {"result": "exited", "status": status}


def script_unlock(service: Service, inputs: Inputs,
                  ) -> tuple[Unlock, dict[int, list[str]]] | None:
    """For a script about to be approved (a hook's, the restricted shell's): when commands
    in it are ones the vault gives secrets to, the Unlock that makes the same touch open
    the vault (their names and digests bound into H), and command index → secret names.
    None when it runs none, or the vault cannot be used here (they then ask their own)."""
    from shellgate.approve.request import Unlock
    from shellgate.broker.tickets import approved_commands
    from shellgate.vault import policy, unlocked

    try:
        vault = load_vault(service)
    except ShellgateError:
        return None
    if vault is None or service.runner is None:
        return None
    wanted: dict[int, list[str]] = {}
    for index, words in enumerate(approved_commands(inputs.command, inputs.argv)):
        if any(w is None for w in words):
            continue  # a word known only at run time: that command asks its own touch
        try:
            entries = policy.for_command(vault.entries, [str(w) for w in words])
        except ShellgateError:
            continue
        if entries:
            wanted[index] = [e.name for e in entries]
    salts = unlocked.salts(vault)
    if not wanted or not salts:
        return None
    names = sorted({n for ns in wanted.values() for n in ns})
    by_name = {e.name: e for e in vault.entries}
    return Unlock(tuple((n, by_name[n].digest()) for n in names), salts), wanted


def reveal_for(service: Service, unlock: Unlock, wanted: dict[int, list[str]],
               ) -> dict[int, dict[str, str]]:
    """The approved script's secrets, per command, from the touch's hmac-secret answer
    ({} when the vault does not open: those commands then ask their own touch)."""
    from shellgate.vault import unlocked

    try:
        vault = load_vault(service)
        if vault is None or unlock.received is None:
            return {}
        opened = unlocked.open_vault(vault, unlock.received.credential_id,
                                     unlock.received.output)
        return {index: opened.reveal(names) for index, names in wanted.items()}
    except ShellgateError:
        return {}


def unlock(service: Service, message: dict[str, Any], inputs: Inputs,
           say: Say) -> dict[str, Any]:
    """Root's vault administration (``sudo shellgate secrets …``): one touch approving
    ``command`` and answering the slots' salts; the key's answer goes back to root."""
    from shellgate.approve.keystore import b64, unb64
    from shellgate.approve.request import Unlock
    from shellgate.broker.approval import approve
    from shellgate.vault.service import _secrets_decision

    raw = protocol.field(message, "salts", dict, limit=MAX_SALTS)
    salts = {}
    for credential_id, value in raw.items():
        salt = unb64(value) if isinstance(value, str) else b""
        if len(salt) != 32:
            raise ProtocolError("a salt must be 32 bytes")
        salts[str(credential_id)] = salt
    named = protocol.field(message, "secrets", list, required=False, default=[], limit=256)
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
               for p in named):
        raise ProtocolError("secrets must be [name, digest] pairs")
    request = Unlock(tuple((n, d) for n, d in named), salts)
    decision = _secrets_decision(inputs.command)
    reply = approve(service, inputs, decision, lambda: decision, (), say, request)
    if reply.get("result") != "approved" or request.received is None:
        return reply
    return {"result": "unlocked", "credential_id": request.received.credential_id,
            "output": b64(request.received.output), "short": reply.get("short", "")}
