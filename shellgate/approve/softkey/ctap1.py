"""U2F (CTAP1) APDUs of the software key: VERSION, REGISTER, AUTHENTICATE.

U2F keys never block: a request that needs a touch answers ``6985`` until the user has
touched, and the caller polls. Key handles are the same wrapped credential ids as in
CTAP2 (bound to the application parameter, i.e. the RP-ID hash), and an authentication
signs ``appParam ‖ flags ‖ counter ‖ challenge``: the CTAP2 ``authData ‖ H`` layout.
"""

from __future__ import annotations

import datetime
import struct
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from shellgate.approve.softkey.authenticator import SoftAuthenticator

SW_OK = 0x9000
SW_CONDITIONS_NOT_SATISFIED = 0x6985  # "touch needed" (or, check-only: "key handle is mine")
SW_WRONG_DATA = 0x6A80  # unknown key handle
SW_WRONG_P1P2 = 0x6A86
SW_WRONG_LENGTH = 0x6700
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

INS_REGISTER = 0x01
INS_AUTHENTICATE = 0x02
INS_VERSION = 0x03
P1_CHECK_ONLY = 0x07
P1_ENFORCE_PRESENCE = 0x03
P1_DONT_ENFORCE = 0x08  # a silent signature, UP clear: real keys allow it, verifiers must not

_NOT_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
_NOT_AFTER = datetime.datetime(2050, 1, 1, tzinfo=datetime.timezone.utc)


def _status(sw: int, data: bytes = b"") -> bytes:
    return data + struct.pack(">H", sw)


def parse_apdu(apdu: bytes) -> tuple[int, int, int, bytes]:
    """(CLA, INS, P1, data) of a short or extended-length command APDU; ValueError if bad."""
    if len(apdu) < 4:
        raise ValueError("APDU shorter than its header")
    cla, ins, p1 = apdu[0], apdu[1], apdu[2]
    body = apdu[4:]
    if not body:
        return cla, ins, p1, b""
    if body[0] == 0 and len(body) >= 3:  # extended: 00 Lc1 Lc2 data [Le1 Le2]
        length = int.from_bytes(body[1:3], "big")
        data, rest = body[3:3 + length], body[3 + length:]
        if len(data) == length and len(rest) in (0, 2):
            return cla, ins, p1, data
        raise ValueError("extended APDU length mismatch")
    data, rest = body[1:1 + body[0]], body[1 + body[0]:]
    if len(data) == body[0] and len(rest) in (0, 1):
        return cla, ins, p1, data
    raise ValueError("short APDU length mismatch")


def handle_apdu(auth: SoftAuthenticator, apdu: bytes) -> bytes:
    """Answer one U2F APDU with ``data ‖ SW1 SW2`` and log it."""
    try:
        cla, ins, p1, data = parse_apdu(apdu)
    except ValueError:
        return _status(SW_WRONG_LENGTH)
    if cla != 0:
        return _status(SW_CLA_NOT_SUPPORTED)
    if ins == INS_VERSION:
        auth.log.append(("u2f.version", {"result": "ok"}))
        return _status(SW_OK, b"U2F_V2")
    if ins == INS_REGISTER:
        details: dict[str, object] = {}
        reply = _register(auth, data, details)
        auth.log.append(("u2f.register", details))
        return reply
    if ins == INS_AUTHENTICATE:
        details = {"p1": p1}
        reply = _authenticate(auth, p1, data, details)
        auth.log.append(("u2f.authenticate", details))
        return reply
    return _status(SW_INS_NOT_SUPPORTED)


def _register(auth: SoftAuthenticator, data: bytes, details: dict[str, object]) -> bytes:
    if len(data) != 64:
        details["result"] = "wrong length"
        return _status(SW_WRONG_LENGTH)
    challenge, app_param = data[:32], data[32:]
    if not auth.poll_presence():
        details["result"] = "touch needed"
        return _status(SW_CONDITIONS_NOT_SATISFIED)
    key, key_handle = auth.new_credential(app_param)
    point = auth.public_point(key)
    signature = auth.sign(key, b"\x00" + app_param + challenge + key_handle + point)
    details["result"] = "ok"
    return _status(SW_OK, b"\x05" + point + bytes([len(key_handle)]) + key_handle
                   + _self_signed_certificate(key) + signature)


def _authenticate(auth: SoftAuthenticator, p1: int, data: bytes,
                  details: dict[str, object]) -> bytes:
    if len(data) < 65 or len(data) != 65 + data[64]:
        details["result"] = "wrong length"
        return _status(SW_WRONG_LENGTH)
    challenge, app_param, key_handle = data[:32], data[32:64], data[65:]
    key = auth.unwrap(key_handle, app_param)
    if p1 == P1_CHECK_ONLY:  # "is this handle yours?" answered without a touch
        details["result"] = "known" if key else "unknown"
        return _status(SW_CONDITIONS_NOT_SATISFIED if key else SW_WRONG_DATA)
    if p1 not in (P1_ENFORCE_PRESENCE, P1_DONT_ENFORCE):
        details["result"] = "wrong p1"
        return _status(SW_WRONG_P1P2)
    if key is None:
        details["result"] = "unknown"
        return _status(SW_WRONG_DATA)
    up = p1 == P1_ENFORCE_PRESENCE
    details["up"] = up
    if up and not auth.poll_presence():
        details["result"] = "touch needed"
        return _status(SW_CONDITIONS_NOT_SATISFIED)
    head = bytes([int(up)]) + struct.pack(">I", auth.next_counter())
    details.update(result="ok", counter=auth.counter)
    return _status(SW_OK, head + auth.sign(key, app_param + head + challenge))


def _self_signed_certificate(key: ec.EllipticCurvePrivateKey) -> bytes:
    """U2F registration needs an attestation certificate; a software key attests itself."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shellgate soft key")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)
