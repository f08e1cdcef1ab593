"""An opened vault: the data key in memory for one operation, and every change to the file.

Nothing here writes a value anywhere: values go in as bytes and come out as a mapping
the caller hands to one child process. The data key is dropped with the object.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace

from shellgate.approve.keystore import b64, unb64
from shellgate.vault import seal
from shellgate.vault.store import Entry, Slot, VaultError, VaultFile

TAMPERED = ("the vault file was changed outside shellgate (its MAC does not match); "
            "restore it from a backup, or remove it and add the secrets again")


def new_slot(credential_id: str, salt: bytes, output: bytes) -> Slot:
    """A slot for a key, from its hmac-secret output for ``salt`` (no data key wrapped yet)."""
    key = seal.SlotKey(output, credential_id)
    return Slot(credential_id, b64(salt), b64(key.public))


class Unlocked:
    """The vault file plus its data key. Build with :func:`create` or :func:`open_vault`."""

    def __init__(self, vault: VaultFile, data_key: bytes) -> None:
        self.vault = vault
        self._data_key = data_key

    def __repr__(self) -> str:
        return f"Unlocked(generation={self.vault.generation}, {len(self.vault.entries)} secrets)"

    def sealed(self) -> VaultFile:
        """The file to save: every slot wrapped with the current data key, MAC recomputed."""
        slots = tuple(self._wrapped(slot) for slot in self.vault.slots)
        vault = replace(self.vault, slots=slots)
        self.vault = vault.with_mac(seal.file_mac(self._data_key, vault.body()))
        return self.vault

    def _wrapped(self, slot: Slot) -> Slot:
        if slot.box:
            return slot
        ephemeral, nonce, box = seal.wrap(self._data_key, unb64(slot.public),
                                          slot.context(self.vault.generation))
        return replace(slot, ephemeral=b64(ephemeral), nonce=b64(nonce), box=b64(box))

    def add_slot(self, slot: Slot) -> None:
        """Give another key a slot (replacing an older slot of the same key)."""
        others = tuple(s for s in self.vault.slots if s.credential_id != slot.credential_id)
        self.vault = replace(self.vault, slots=(*others, slot))

    def keep_slots(self, credential_ids: Iterable[str]) -> list[str]:
        """Drop slots of keys no longer enrolled; returns the dropped credential ids."""
        keep = set(credential_ids)
        dropped = [s.credential_id for s in self.vault.slots if s.credential_id not in keep]
        self.vault = replace(self.vault, slots=tuple(s for s in self.vault.slots
                                                     if s.credential_id in keep))
        return dropped

    def put(self, name: str, tools: tuple[str, ...], hosts: tuple[str, ...],
            value: bytes) -> Entry:
        """Seal ``value`` under ``name`` (replacing an entry of that name)."""
        entry = Entry(name, tools, hosts, created=int(time.time()))
        nonce, box = seal.seal_box(seal.secrets_key(self._data_key), value, entry.policy())
        entry = replace(entry, nonce=b64(nonce), box=b64(box))
        others = tuple(e for e in self.vault.entries if e.name != name)
        self.vault = replace(self.vault, entries=(*others, entry))
        return entry

    def remove(self, name: str) -> Entry:
        """Remove the entry ``name``."""
        entry = self.vault.entry(name)
        if entry is None:
            raise VaultError(f"no secret called {name} in the vault (see `shellgate secrets "
                             "list`)")
        self.vault = replace(self.vault, entries=tuple(e for e in self.vault.entries
                                                       if e.name != name))
        return entry

    def reveal(self, names: Iterable[str]) -> dict[str, str]:
        """The values of ``names`` (for one child's environment only)."""
        key = seal.secrets_key(self._data_key)
        values: dict[str, str] = {}
        for name in names:
            entry = self.vault.entry(name)
            if entry is None:
                raise VaultError(f"no secret called {name} in the vault")
            try:
                raw = seal.open_box(key, unb64(entry.nonce), unb64(entry.box), entry.policy())
                values[name] = raw.decode("utf-8")
            except (seal.SealError, UnicodeDecodeError, ValueError):
                # from None: a decode error's text would quote bytes of the value
                raise VaultError(f"secret {name} does not decrypt (its policy or value was "
                                 "changed outside shellgate); add it again") from None
        return values

    def rotate(self) -> None:
        """A new data key and generation: every secret resealed, every slot rewrapped.
        A copy of the old file opens only the old values (which is why the tokens
        themselves must be rotated at the provider when a key is lost)."""
        values = self.reveal(e.name for e in self.vault.entries)
        old = self.vault
        self._data_key = seal.random_key()
        self.vault = VaultFile(old.generation + 1,
                               tuple(Slot(s.credential_id, s.salt, s.public) for s in old.slots))
        for entry in old.entries:
            self.put(entry.name, entry.tools, entry.hosts, values[entry.name].encode("utf-8"))
        values.clear()


def create(credential_id: str, salt: bytes, output: bytes) -> Unlocked:
    """A new, empty vault with one slot: the key that was just touched."""
    vault = VaultFile(1, (new_slot(credential_id, salt, output),))
    return Unlocked(vault, seal.random_key())


def salts(vault: VaultFile) -> dict[str, bytes]:
    """Credential id → the salt its slot answers (what an unlocking assertion carries)."""
    return {slot.credential_id: unb64(slot.salt) for slot in vault.slots if slot.box}


def open_vault(vault: VaultFile, credential_id: str, output: bytes) -> Unlocked:
    """Open with one key's hmac-secret output for its slot's salt; check the file's MAC."""
    slot = vault.slot(credential_id)
    if slot is None or not slot.box:
        raise VaultError("the key you touched has no slot in the vault; touch a key that "
                         "has one, or run `shellgate secrets rotate` with such a key")
    try:
        key = seal.SlotKey(output, credential_id)
        if not seal.same(key.public, unb64(slot.public)):
            raise seal.SealError("slot public key mismatch")
        data_key = key.unwrap(unb64(slot.ephemeral), unb64(slot.nonce), unb64(slot.box),
                              slot.context(vault.generation))
    except (seal.SealError, ValueError):
        raise VaultError("the vault did not open with this key (its slot is damaged or "
                         "was changed); try another enrolled key") from None
    expected = seal.file_mac(data_key, vault.body())
    try:
        mac = unb64(vault.mac)
    except ValueError:
        mac = b""
    if not seal.same(expected, mac):
        raise VaultError(TAMPERED)
    return Unlocked(vault, data_key)


def policies(vault: VaultFile) -> Mapping[str, Entry]:
    """Entries by name (no key needed)."""
    return {e.name: e for e in vault.entries}
