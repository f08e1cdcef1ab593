"""Enrolled credentials: ``keys.json`` in the config directory, written atomically."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from shellgate.errors import ConfigError


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Credential:
    """One enrolled key's credential (non-resident ES256, pam_u2f style)."""

    credential_id: str  # base64url
    public_key: str  # base64url of the CBOR COSE key
    rp_id: str
    label: str
    kind: str  # "hardware" | "soft"
    sign_count: int = 0
    created: int = 0
    aaguid: str = ""
    soft_file: str = ""  # software keys only: the JSON file holding the key
    protocol: str = "ctap2"  # "ctap2" | "u2f"
    hmac_secret: bool = False  # made with hmac-secret: this key can hold a vault slot

    @property
    def short_id(self) -> str:
        return self.credential_id[:12]


class KeyStore:
    """Load, change and save ``keys.json``; an unreadable store is an error, never empty."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Credential]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ConfigError(f"cannot read the key store {self.path}: {exc.strerror}") from exc
        try:
            data = json.loads(raw)
            return [Credential(**item) for item in data["credentials"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"the key store {self.path} is damaged: {exc}") from exc

    def save(self, credentials: list[Credential]) -> None:
        """Replace the store; an existing file keeps its mode (hardened mode's root-owned
        store is 0644: the broker and the guarded user read the public keys)."""
        import os
        import stat

        data: dict[str, Any] = {"version": 1, "credentials": [asdict(c) for c in credentials]}
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode) & 0o644
        except FileNotFoundError:
            mode = 0o600
        write_atomic(self.path, json.dumps(data, indent=2) + "\n", mode)

    def add(self, credential: Credential) -> None:
        existing = self.load()
        self.save([*existing, credential])

    def remove(self, prefix: str) -> Credential:
        credentials = self.load()
        matches = [c for c in credentials if c.credential_id.startswith(prefix)
                   or c.label == prefix]
        if len(matches) != 1:
            raise ConfigError(f"{len(matches)} keys match {prefix!r}; give a longer id prefix")
        self.save([c for c in credentials if c is not matches[0]])
        return matches[0]

    def update_count(self, credential_id: str, count: int) -> None:
        self.save([replace(c, sign_count=count) if c.credential_id == credential_id else c
                   for c in self.load()])


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    from shellgate.fsutil import write_atomic as write

    write(path, text, mode)
