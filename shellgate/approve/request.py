"""The canonical approval request and its hash H, the client-data hash the key signs."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

DOMAIN_TAG = b"shellgate/approve/v1\x00"
"""Domain separation: an H for shellgate can never be confused with another use of the key."""
RP_ID = "shellgate:local"
"""Fixed, URI-form, non-DNS relying-party id (pam_u2f style): no website can ask for it."""
NONCE_BYTES = 16


@dataclass(frozen=True)
class ApprovalRequest:
    """Everything an approval binds to. Changing any field changes H."""

    command: str
    argv: tuple[str, ...]
    cwd: str
    user: str
    host: str
    rules: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    nonce: str
    time: int
    agent: str = ""
    secrets: tuple[tuple[str, str], ...] = ()
    """Vault secrets (name, digest of the sealed entry) the command will receive."""

    def canonical(self) -> bytes:
        """Deterministic bytes: sorted keys, no whitespace, UTF-8 (surrogates escaped)."""
        data = asdict(self)
        data["argv"] = list(self.argv)
        data["rules"] = list(self.rules)
        data["files"] = [list(pair) for pair in self.files]
        if self.secrets:
            data["secrets"] = [list(pair) for pair in self.secrets]
        else:  # requests without secrets hash as they did before the vault existed
            del data["secrets"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return text.encode("ascii")

    def digest(self) -> bytes:
        """H = SHA-256(domain tag ‖ canonical request)."""
        return hashlib.sha256(DOMAIN_TAG + self.canonical()).digest()

    def short(self) -> str:
        """The first 8 hex digits of H, shown next to the command for comparison."""
        return self.digest().hex()[:8]

    def to_json(self) -> dict[str, Any]:
        return json.loads(self.canonical())  # type: ignore[no-any-return]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApprovalRequest:
        return cls(
            command=str(data["command"]),
            argv=tuple(str(a) for a in data["argv"]),
            cwd=str(data["cwd"]),
            user=str(data["user"]),
            host=str(data["host"]),
            rules=tuple(str(r) for r in data["rules"]),
            files=tuple((str(p), str(d)) for p, d in data["files"]),
            nonce=str(data["nonce"]),
            time=int(data["time"]),
            agent=str(data.get("agent", "")),
            secrets=tuple((str(n), str(d)) for n, d in data.get("secrets", ())),
        )


@dataclass
class Unlock:
    """An approval that also unlocks the vault: the secrets bound into H (name, digest),
    the salt each slot's key answers, and, once a touch approved, that key's answer
    (a ``fido.KeySecret``; never logged or stored)."""

    secrets: tuple[tuple[str, str], ...]
    salts: dict[str, bytes]
    received: Any = None

    def __repr__(self) -> str:
        return f"Unlock({[name for name, _ in self.secrets]})"


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)
