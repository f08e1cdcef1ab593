"""The software key's ``clientPin`` key agreement and ``hmac-secret`` extension (CTAP 2.1).

Written from the CTAP 2.1 specification, independently of python-fido2's client side, so
that python-fido2's own ``ClientPin`` and ``HmacSecretExtension`` code is checked against a
second implementation end to end:

* ``clientPin`` ``getKeyAgreement`` (PIN/UV auth protocols 1 and 2) hands out the key's
  P-256 key-agreement public key; no PIN is set or needed.
* ``hmac-secret``: a credential made with ``{"hmac-secret": true}`` answers a
  getAssertion's ``{keyAgreement, saltEnc, saltAuth, protocol}`` with
  ``enc(HMAC-SHA-256(CredRandom, salt1) [‖ HMAC-SHA-256(CredRandom, salt2)])``.
  CredRandom is per credential (one value for assertions with UV, one without, as the
  spec asks); for these non-resident credentials it is derived from the key's master key
  and the credential id, which holds fresh randomness, so only this key can recompute it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fido2.ctap import CtapError

if TYPE_CHECKING:
    from shellgate.approve.softkey.authenticator import SoftAuthenticator

ERR = CtapError.ERR
NAME = "hmac-secret"
PROTOCOLS = (2, 1)
"""PIN/UV auth protocols the key offers, preferred first (as getInfo lists them)."""
GET_KEY_AGREEMENT = 0x02
SALT_LEN = 32
_ZERO_IV = b"\0" * 16


def key_agreement_cose(key: ec.EllipticCurvePrivateKey) -> dict[int, Any]:
    """The COSE_Key of the key-agreement public key (alg -25, ECDH-ES+HKDF-256, per spec)."""
    numbers = key.public_key().public_numbers()
    return {1: 2, 3: -25, -1: 1, -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big")}


def client_pin(auth: SoftAuthenticator, params: Mapping[Any, Any]) -> Any:
    """authenticatorClientPIN: only ``getKeyAgreement``; this key has no PIN to manage."""
    protocol, sub_command = params.get(1), params.get(2)
    if not isinstance(protocol, int) or not isinstance(sub_command, int):
        raise CtapError(ERR.MISSING_PARAMETER)
    if protocol not in PROTOCOLS:
        raise CtapError(ERR.INVALID_PARAMETER)
    if sub_command != GET_KEY_AGREEMENT:
        raise CtapError(ERR.INVALID_SUBCOMMAND)
    return {1: key_agreement_cose(auth.agreement_key())}


def _shared_secret(auth: SoftAuthenticator, protocol: int, peer: Mapping[Any, Any]) -> bytes:
    """ECDH with the platform's key, then the protocol's KDF (SHA-256, or two HKDFs)."""
    try:
        x = int.from_bytes(peer[-2], "big")
        y = int.from_bytes(peer[-3], "big")
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, TypeError, ValueError) as exc:
        raise CtapError(ERR.INVALID_PARAMETER) from exc
    z = auth.agreement_key().exchange(ec.ECDH(), public)
    if protocol == 1:
        return hashlib.sha256(z).digest()
    return b"".join(HKDF(hashes.SHA256(), 32, b"\0" * 32, info).derive(z)
                    for info in (b"CTAP2 HMAC key", b"CTAP2 AES key"))


def _mac(protocol: int, secret: bytes, message: bytes) -> bytes:
    if protocol == 1:
        return hmac.new(secret, message, hashlib.sha256).digest()[:16]
    return hmac.new(secret[:32], message, hashlib.sha256).digest()


def _decrypt(protocol: int, secret: bytes, data: bytes) -> bytes:
    key, iv = (secret, _ZERO_IV) if protocol == 1 else (secret[32:], data[:16])
    body = data if protocol == 1 else data[16:]
    if not body or len(body) % 16:
        raise CtapError(ERR.INVALID_LENGTH)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


def _encrypt(protocol: int, secret: bytes, data: bytes) -> bytes:
    key, iv = (secret, _ZERO_IV) if protocol == 1 else (secret[32:], os.urandom(16))
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    body = encryptor.update(data) + encryptor.finalize()
    return body if protocol == 1 else iv + body


def cred_random(master: bytes, credential_id: bytes, uv: bool) -> bytes:
    """This credential's CredRandomWithUV / CredRandomWithoutUV (32 bytes)."""
    label = b"shellgate-soft credRandom " + (b"uv" if uv else b"up")
    return hmac.new(master, label + credential_id, hashlib.sha256).digest()


def assertion_output(auth: SoftAuthenticator, credential_id: bytes, request: Any,
                     uv: bool) -> bytes:
    """The encrypted hmac-secret output for one getAssertion's extension input."""
    if not isinstance(request, Mapping):
        raise CtapError(ERR.CBOR_UNEXPECTED_TYPE)
    peer, salt_enc, salt_auth = request.get(1), request.get(2), request.get(3)
    protocol = request.get(4, 1)
    if not isinstance(peer, Mapping) or not isinstance(salt_enc, bytes) \
            or not isinstance(salt_auth, bytes):
        raise CtapError(ERR.MISSING_PARAMETER)
    if protocol not in PROTOCOLS:
        raise CtapError(ERR.INVALID_PARAMETER)
    secret = _shared_secret(auth, protocol, peer)
    if not hmac.compare_digest(_mac(protocol, secret, salt_enc), salt_auth):
        raise CtapError(ERR.PIN_AUTH_INVALID)  # what the spec answers for a bad saltAuth
    salts = _decrypt(protocol, secret, salt_enc)
    if len(salts) not in (SALT_LEN, 2 * SALT_LEN):
        raise CtapError(ERR.INVALID_LENGTH)
    key = auth.cred_random(credential_id, uv)
    output = b"".join(hmac.new(key, salts[i:i + SALT_LEN], hashlib.sha256).digest()
                      for i in range(0, len(salts), SALT_LEN))
    return _encrypt(protocol, secret, output)
