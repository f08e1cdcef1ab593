"""The vault's cryptography, and the one vault module that imports ``cryptography``.

* A **slot** belongs to one enrolled key. Its X25519 key pair is derived (HKDF-SHA-256) from
  that key's hmac-secret output for the slot's salt, so only a touch of that key recreates
  the private half; the public half is kept in the vault, so the data key can be wrapped for
  every slot (at ``rotate``) with one touch of any of them.
* The **data key** (32 random bytes) is wrapped for a slot by ECIES: an ephemeral X25519
  key, HKDF over the shared secret and both public keys, AES-256-GCM with the credential id
  and the vault generation as associated data.
* Each **secret** is AES-256-GCM under a key derived from the data key, with its name and
  policy as associated data (a changed policy fails to decrypt); the whole file carries an
  HMAC under another derived key (a removed, added or reordered entry is noticed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shellgate.errors import ShellgateError

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 32
"""hmac-secret salts are exactly 32 bytes."""
_SLOT = b"shellgate/vault/slot/v1\0"
_WRAP = b"shellgate/vault/wrap/v1\0"
_SECRETS = b"shellgate/vault/secrets/v1"
_MAC = b"shellgate/vault/mac/v1"


class SealError(ShellgateError):
    """Something sealed does not open: wrong key, or bytes changed since they were sealed."""


def _hkdf(material: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(hashes.SHA256(), KEY_BYTES, salt, info).derive(material)


def random_key() -> bytes:
    """A fresh 32-byte key (a data key)."""
    return secrets.token_bytes(KEY_BYTES)


def random_salt() -> bytes:
    """A fresh 32-byte hmac-secret salt for a new slot."""
    return secrets.token_bytes(SALT_BYTES)


class SlotKey:
    """A slot's private key, rebuilt from a key's hmac-secret output (never stored)."""

    def __init__(self, output: bytes, credential_id: str) -> None:
        if len(output) != KEY_BYTES:
            raise SealError("the key's hmac-secret output has the wrong length")
        seed = _hkdf(output, _SLOT + credential_id.encode("ascii"))
        self._private = X25519PrivateKey.from_private_bytes(seed)
        self.credential_id = credential_id

    @property
    def public(self) -> bytes:
        """The 32-byte public key kept in the vault file."""
        return self._private.public_key().public_bytes_raw()

    def unwrap(self, ephemeral: bytes, nonce: bytes, box: bytes, context: bytes) -> bytes:
        """The data key wrapped for this slot; SealError if it does not open."""
        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        except ValueError as exc:
            raise SealError("a vault slot is damaged") from exc
        key = _wrap_key(shared, ephemeral, self.public, context)
        return open_box(key, nonce, box, context)

    def __repr__(self) -> str:
        return f"SlotKey({self.credential_id[:12]}…)"


def _wrap_key(shared: bytes, ephemeral: bytes, recipient: bytes, context: bytes) -> bytes:
    return _hkdf(shared, _WRAP + context, salt=ephemeral + recipient)


def wrap(data_key: bytes, recipient: bytes, context: bytes) -> tuple[bytes, bytes, bytes]:
    """Wrap ``data_key`` for a slot's public key: (ephemeral public, nonce, box)."""
    try:
        peer = X25519PublicKey.from_public_bytes(recipient)
    except ValueError as exc:
        raise SealError("a vault slot's public key is damaged") from exc
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    key = _wrap_key(ephemeral.exchange(peer), ephemeral_public, recipient, context)
    nonce, box = seal_box(key, data_key, context)
    return ephemeral_public, nonce, box


def seal_box(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """AES-256-GCM with a fresh nonce: (nonce, ciphertext ‖ tag)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def open_box(key: bytes, nonce: bytes, box: bytes, aad: bytes) -> bytes:
    """Undo ``seal_box``; SealError (never the plaintext or the key) when it fails."""
    try:
        return AESGCM(key).decrypt(nonce, box, aad)
    except (InvalidTag, ValueError) as exc:
        raise SealError("sealed data did not open") from exc


def secrets_key(data_key: bytes) -> bytes:
    """The key secrets are sealed with."""
    return _hkdf(data_key, _SECRETS)


def file_mac(data_key: bytes, body: bytes) -> bytes:
    """The HMAC-SHA-256 of the vault file's canonical body."""
    return hmac.new(_hkdf(data_key, _MAC), body, hashlib.sha256).digest()


def same(left: bytes, right: bytes) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(left, right)
