"""The vault's operations, as the CLI, ``shellgate run`` and (in hardened mode) the broker
call them. Every operation that needs the data key gets it from the touch that approves it:
one ``getAssertion`` over H carries the slots' hmac-secret salts.

The broker-facing surface is :class:`VaultService`: construct it with a ``Config`` and
call ``entries``, ``add``, ``remove``, ``rotate`` and ``secrets_for_run``; the last returns
the values for the one child the caller then starts itself, and nothing else keeps them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shellgate.approve.keystore import Credential, KeyStore
from shellgate.approve.request import Unlock
from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.values import Decision
from shellgate.vault import policy, store
from shellgate.vault.store import Entry, VaultError, VaultFile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from shellgate.vault.unlocked import Unlocked

PROGRAM = "@program"
"""The pseudo-secret binding the resolved program's path into H."""
Redecide = Callable[[], Decision]
ApproveFn = Callable[[Decision, str, list[str], Unlock, Redecide], None]
"""Runs the approval flow (``guard.guard``) with an unlock; raises unless a touch
approved, leaving the key's answer in ``Unlock.received``. The redecide callable gives the
decision again just before the command runs (a changed payload file changes H)."""


@dataclass(frozen=True)
class RotateReport:
    """What ``rotate`` did: slots kept, slots made, keys that could not get one."""

    generation: int
    slots: int
    added: tuple[str, ...]
    dropped: tuple[str, ...]
    missing: tuple[str, ...]


def vault_path(config: Config) -> Path:
    """``vault.json`` in the config directory."""
    return config.directory / "vault.json"


def _secrets_decision(command: str) -> Decision:
    from shellgate.classify.core import core_finding
    from shellgate.decide import decide

    return decide([core_finding("secrets", command)])


class VaultService:
    """The vault of one configuration directory."""

    def __init__(self, config: Config, approve: ApproveFn, timeout: float | None = None
                 ) -> None:
        self.config = config
        self.path = vault_path(config)
        self.mode = 0o644 if config.state else 0o600
        """Hardened mode's vault is root's policy, read by the broker's user; it holds no
        plaintext, and only the broker can ask the keys that open it."""
        self.timeout = timeout or config.approval_timeout
        self._approve = approve

    def file(self) -> VaultFile | None:
        """The vault file as stored (no key needed), or None."""
        return store.load(self.path)

    def entries(self) -> list[Entry]:
        """Names and policies; never values."""
        vault = self.file()
        return list(vault.entries) if vault else []

    def _credentials(self) -> list[Credential]:
        return KeyStore(self.config.keys_path).load()

    def open_approved(self, command: str, argv: list[str],
                      secrets: tuple[tuple[str, str], ...], decision: Decision | None = None,
                      redecide: Redecide | None = None) -> Unlocked:
        """Approve ``command`` with a touch that also opens the vault (or creates it);
        ``secrets`` (name, digest) pairs are shown and bound into H. The broker and the
        lease call this; the returned object holds the data key until dropped."""
        from shellgate.vault import seal, unlocked

        vault = self.file()
        if vault is None:
            hmac_keys = [c for c in self._credentials() if c.hmac_secret]
            if not hmac_keys:
                raise VaultError("no enrolled key can hold a vault slot (U2F-only keys and "
                                 "keys without hmac-secret cannot); enrol a FIDO2 key "
                                 "with hmac-secret first")
            salts = {c.credential_id: seal.random_salt() for c in hmac_keys}
        else:
            salts = unlocked.salts(vault)
            if not salts:
                raise VaultError("the vault has no usable slot; it cannot be opened")
        unlock = Unlock(secrets, salts)
        decision = decision or _secrets_decision(command)
        self._approve(decision, command, argv, unlock, redecide or (lambda: decision))
        answer = unlock.received
        if answer is None:  # the approval flow refuses first; never go on without it
            raise VaultError("no key answered for the vault; not done")
        if vault is None:
            return unlocked.create(answer.credential_id, salts[answer.credential_id],
                                   answer.output)
        return unlocked.open_vault(vault, answer.credential_id, answer.output)

    def add(self, name: str, tools: Sequence[str], hosts: Sequence[str], value: bytes,
            argv: list[str]) -> Entry:
        """Seal ``value`` as ``name`` for ``tools``/``hosts`` (one touch)."""
        store.check_name(name)
        clean_tools, clean_hosts = store.check_policy(list(tools), list(hosts))
        clients = sorted(set(clean_tools) & policy.HTTP_CLIENTS)
        if clients and not clean_hosts:
            raise VaultError(f"{', '.join(clients)} can send a secret anywhere: give --host "
                             "for the hosts it may go to")
        if not value or not value.strip():
            raise VaultError("the value is empty; nothing added")
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError("the value is not UTF-8 text (it must fit in an environment "
                             "variable)") from None
        tag = hashlib.sha256(b"new:" + name.encode()).hexdigest()[:16]
        command = f"shellgate secrets add {name} --for {','.join(clean_tools)}" + "".join(
            f" --host {h}" for h in clean_hosts)
        opened = self.open_approved(command, argv, ((name, tag),))
        entry = opened.put(name, clean_tools, clean_hosts, value)
        store.save(self.path, opened.sealed(), self.mode)
        return entry

    def remove(self, name: str, argv: list[str]) -> Entry:
        """Remove ``name`` (one touch)."""
        vault = self.file()
        entry = vault.entry(name) if vault else None
        if entry is None:
            raise VaultError(f"no secret called {name} in the vault (see `shellgate secrets "
                             "list`)")
        opened = self.open_approved(f"shellgate secrets remove {name}", argv,
                            ((name, entry.digest()),))
        removed = opened.remove(name)
        store.save(self.path, opened.sealed(), self.mode)
        return removed

    def rotate(self, argv: list[str], slot_answer: Callable[[Credential, bytes], bytes | None],
               ) -> RotateReport:
        """New data key; slots for every enrolled hmac-secret key (``slot_answer`` asks a
        key without a slot for its answer to a new salt: one touch each, None if absent);
        slots of keys no longer enrolled dropped."""
        from shellgate.vault import seal, unlocked

        opened = self.open_approved("shellgate secrets rotate", argv, ())
        credentials = self._credentials()
        dropped = opened.keep_slots(c.credential_id for c in credentials)
        added, missing = [], []
        for credential in credentials:
            if opened.vault.slot(credential.credential_id) is not None:
                continue
            if not credential.hmac_secret:
                missing.append(credential.short_id)
                continue
            salt = seal.random_salt()
            output = slot_answer(credential, salt)
            if output is None:
                missing.append(credential.short_id)
                continue
            opened.add_slot(unlocked.new_slot(credential.credential_id, salt, output))
            added.append(credential.short_id)
        opened.rotate()
        vault = opened.sealed()
        store.save(self.path, vault, self.mode)
        return RotateReport(vault.generation, len(vault.slots), tuple(added),
                            tuple(d[:12] for d in dropped), tuple(missing))

    def secrets_for_run(self, argv: list[str], command: str, decision: Decision,
                        redecide: Redecide, requested: Sequence[str] = (),
                        program: str = "") -> tuple[dict[str, str], Decision]:
        """The secrets ``argv`` receives, after one touch that approves the command and
        opens the vault. ({} and the decision unchanged when it receives none.)

        The decision is widened to "gate" (core.secrets) when the command alone would be
        allowed: giving a sealed secret always needs a touch. ``program`` is the file that
        will run: it must carry the tool's name and sit where only its owner can replace
        it, and its resolved path is shown and bound into H with the secrets.
        """
        vault = self.file()
        if vault is None:
            if requested:
                raise VaultError("there is no vault yet (add secrets with `shellgate "
                                 "secrets add`); not run")
            return {}, decision
        chosen = policy.for_command(vault.entries, argv, requested)
        if not chosen:
            return {}, decision
        if not program:
            from shellgate.execute import find_real

            program = find_real(argv[0], os.environ.get("PATH"))
        bound = (*((e.name, e.digest()) for e in chosen),
                 (PROGRAM, policy.check_program(program or argv[0], argv)))

        def widen(current: Decision) -> Decision:
            return current if current.verdict != "allow" else _secrets_decision(command)

        widened = widen(decision)
        opened = self.open_approved(command, argv, bound, widened, lambda: widen(redecide()))
        return opened.reveal(e.name for e in chosen), widened


def slot_answer_from_key(config: Config, timeout: float, prompt: Callable[[str], None],
                         ) -> Callable[[Credential, bytes], bytes | None]:
    """Ask one enrolled key (plugged in) for its hmac-secret answer to a new slot's salt
    (in hardened mode ``broker.client.slot_answer_from_broker`` instead)."""
    def answer(credential: Credential, salt: bytes) -> bytes | None:
        from shellgate.approve import fido

        challenge = hashlib.sha256(b"shellgate/vault/new-slot\0" + salt).digest()
        try:
            _, secret = fido.get_assertion_unlocking(
                [credential], challenge, timeout,
                lambda: prompt(f"touch key {credential.short_id} ({credential.label}) to "
                               "give it a vault slot"),
                {credential.credential_id: salt}, allow_soft=config.accepts_software_keys)
        except ShellgateError:
            return None
        if secret is None or secret.credential_id != credential.credential_id:
            return None
        return secret.output

    return answer


def digest_names(entries: Sequence[Entry]) -> list[dict[str, str]]:
    """What the audit trail may hold about secrets: names and digests."""
    return [{"name": e.name, "digest": e.digest()} for e in entries]


