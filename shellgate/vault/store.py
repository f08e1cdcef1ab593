"""The vault file (``vault.json`` in the config directory): slots, sealed secrets, a MAC.

Reading it needs no key; it holds no plaintext value. An unreadable or malformed file is an
error, never an empty vault.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from shellgate.approve.keystore import b64, unb64, write_atomic
from shellgate.errors import ShellgateError

VERSION = 1
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
"""A secret's name is the environment variable it is given as."""
TOOL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
HOST_RE = re.compile(r"[A-Za-z0-9*](?:[A-Za-z0-9.-]{0,252})")


class VaultError(ShellgateError):
    """The vault cannot be used: missing, damaged, tampered with, or locked."""


@dataclass(frozen=True)
class Slot:
    """One enrolled key's slot: its salt and public key, and the data key wrapped for it."""

    credential_id: str
    salt: str  # base64url, 32 bytes: the hmac-secret salt this slot's key answers
    public: str  # base64url X25519 public key derived from the answer
    ephemeral: str = ""  # the wrapped data key (empty: not yet wrapped for this slot)
    nonce: str = ""
    box: str = ""

    def context(self, generation: int) -> bytes:
        """Associated data binding a wrap to its credential and the vault generation."""
        return f"slot:{self.credential_id}:{generation}".encode("ascii")


@dataclass(frozen=True)
class Entry:
    """One sealed secret and where it may go."""

    name: str
    tools: tuple[str, ...]
    hosts: tuple[str, ...] = ()
    nonce: str = ""
    box: str = ""
    created: int = 0

    def policy(self) -> bytes:
        """The name and policy, canonically: the associated data of the sealed value."""
        return json.dumps({"name": self.name, "tools": list(self.tools),
                           "hosts": list(self.hosts)}, sort_keys=True,
                          separators=(",", ":")).encode("ascii")

    def digest(self) -> str:
        """What approvals and the audit record: SHA-256 of policy and ciphertext (16 hex)."""
        sealed = self.policy() + b"\0" + unb64(self.nonce) + unb64(self.box)
        return hashlib.sha256(sealed).hexdigest()[:16]

    def describe(self) -> str:
        """``NAME → tool, tool (hosts: …)`` for lists and prompts."""
        hosts = f" (HTTP only to {', '.join(self.hosts)})" if self.hosts else ""
        return f"{self.name} → {', '.join(self.tools)}{hosts}"


@dataclass(frozen=True)
class VaultFile:
    """The whole file. ``generation`` goes up on every rotation."""

    generation: int = 1
    slots: tuple[Slot, ...] = ()
    entries: tuple[Entry, ...] = ()
    mac: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> bytes:
        """Everything the MAC covers, canonically."""
        data = {"version": VERSION, "generation": self.generation,
                "slots": [_slot_json(s) for s in self.slots],
                "entries": [_entry_json(e) for e in self.entries]}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")

    def entry(self, name: str) -> Entry | None:
        """The entry called ``name``."""
        return next((e for e in self.entries if e.name == name), None)

    def slot(self, credential_id: str) -> Slot | None:
        """The slot of ``credential_id``."""
        return next((s for s in self.slots if s.credential_id == credential_id), None)

    def with_mac(self, mac: bytes) -> VaultFile:
        return replace(self, mac=b64(mac))


def _slot_json(slot: Slot) -> dict[str, str]:
    return {"credential_id": slot.credential_id, "salt": slot.salt, "public": slot.public,
            "ephemeral": slot.ephemeral, "nonce": slot.nonce, "box": slot.box}


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {"name": entry.name, "tools": list(entry.tools), "hosts": list(entry.hosts),
            "nonce": entry.nonce, "box": entry.box, "created": entry.created}


def load(path: Path) -> VaultFile | None:
    """The vault at ``path``; None when there is none yet."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise VaultError(f"cannot read the vault {path}: {exc}; check its permissions") \
            from exc
    try:
        data = json.loads(raw)
        if data.get("version") != VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}")
        slots = tuple(_slot(item) for item in data["slots"])
        entries = tuple(_entry(item) for item in data["entries"])
        generation = data["generation"]
        if not isinstance(generation, int) or isinstance(generation, bool) or generation < 1:
            raise ValueError("bad generation")
        mac = data["mac"]
        if not isinstance(mac, str):
            raise ValueError("bad mac")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VaultError(f"the vault {path} is damaged ({exc}); restore it from a backup "
                         "or remove it and add the secrets again") from exc
    return VaultFile(generation, slots, entries, mac)


def _text(item: dict[str, Any], key: str) -> str:
    value = item[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _slot(item: dict[str, Any]) -> Slot:
    return Slot(*(_text(item, k) for k in ("credential_id", "salt", "public", "ephemeral",
                                              "nonce", "box")))


def _entry(item: dict[str, Any]) -> Entry:
    tools, hosts = item["tools"], item["hosts"]
    if not isinstance(tools, list) or not isinstance(hosts, list) \
            or not all(isinstance(t, str) for t in [*tools, *hosts]):
        raise ValueError("tools/hosts are not lists of strings")
    created = item["created"]
    if not isinstance(created, int):
        raise ValueError("created is not an integer")
    return Entry(_text(item, "name"), tuple(tools), tuple(hosts), _text(item, "nonce"),
                 _text(item, "box"), created)


def save(path: Path, vault: VaultFile, mode: int = 0o600) -> None:
    """Write the vault atomically (mode 0600 unless told: hardened mode's is 0644)."""
    data = json.loads(vault.body())
    data["mac"] = vault.mac
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=mode)


def check_name(name: str) -> str:
    """A valid secret name (an environment variable name), or VaultError."""
    if not NAME_RE.fullmatch(name):
        raise VaultError(f"{name!r} is not a valid secret name: use an environment "
                         "variable name such as RAILWAY_TOKEN")
    return name


def check_policy(tools: list[str], hosts: list[str]) -> tuple[tuple[str, ...],
                                                               tuple[str, ...]]:
    """Normalised, validated tools and hosts; at least one tool."""
    clean_tools = tuple(dict.fromkeys(t.strip() for t in tools if t.strip()))
    clean_hosts = tuple(dict.fromkeys(h.strip().lower().rstrip(".") for h in hosts
                                      if h.strip()))
    if not clean_tools:
        raise VaultError("a secret needs --for TOOL: the tools that may receive it")
    for tool in clean_tools:
        if not TOOL_RE.fullmatch(tool):
            raise VaultError(f"{tool!r} is not a tool name (a command name such as railway)")
    for host in clean_hosts:
        if not HOST_RE.fullmatch(host):
            raise VaultError(f"{host!r} is not a host name")
    return clean_tools, clean_hosts
