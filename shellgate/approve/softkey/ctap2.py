"""CTAP2 commands of the software key: getInfo, makeCredential, getAssertion, selection, reset.

A CTAP 2.0 subset with non-resident ES256 credentials, touch-only (no PIN, no UV), plus
the ``hmac-secret`` extension and ``clientPin`` key agreement (``hmac_secret``) on keys made
with it. Replies are canonical CBOR from ``fido2.cbor.encode``, which python-fido2 insists on.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fido2 import cbor
from fido2.ctap import STATUS, CtapError

from shellgate.approve.softkey import hmac_secret as soft_hmac

if TYPE_CHECKING:  # annotations only: nothing here is evaluated at run time
    from shellgate.approve.softkey.authenticator import SoftAuthenticator

    Params = Mapping[Any, Any]
    Details = dict[str, Any]
    KeepAlive = Callable[[STATUS], None] | None
    Handler = Callable[
        [SoftAuthenticator, Params, Details, threading.Event | None, KeepAlive], Any]

ERR = CtapError.ERR
ES256 = -7
FLAG_UP = 0x01
FLAG_AT = 0x40
FLAG_ED = 0x80
MAX_MSG_SIZE = 1200


def rp_id_hash(rp_id: str) -> bytes:
    """SHA-256 of the relying-party id, as authenticators hash it."""
    return hashlib.sha256(rp_id.encode("utf-8")).digest()


def cose_es256(point: bytes) -> dict[int, Any]:
    """The COSE_Key map (EC2, P-256, ES256) for a 65-byte uncompressed point."""
    return {1: 2, 3: ES256, -1: 1, -2: point[1:33], -3: point[33:65]}


def handle_cbor(auth: SoftAuthenticator, data: bytes, event: threading.Event | None,
                on_keepalive: KeepAlive) -> bytes:
    """Run one CBOR command and log it as ``(name, details)`` with a ``result`` entry."""
    if not data:
        return bytes([ERR.INVALID_LENGTH])
    command = COMMANDS.get(data[0])
    if command is None:
        return bytes([ERR.INVALID_COMMAND])
    name, handler = command
    details: Details = {"result": "error"}
    try:
        params = _decode(data[1:])
        reply = handler(auth, params, details, event, on_keepalive)
    except CtapError as exc:
        details["result"] = exc.code.name
        return bytes([exc.code])
    finally:
        auth.log.append((name, details))
    details["result"] = "ok"
    return b"\x00" + (b"" if reply is None else cbor.encode(reply))


def _decode(payload: bytes) -> Params:
    if not payload:
        return {}
    try:
        decoded = cbor.decode(payload)
    except Exception as exc:  # the decoder raises many kinds on malformed input
        raise CtapError(ERR.INVALID_CBOR) from exc
    if not isinstance(decoded, Mapping):
        raise CtapError(ERR.CBOR_UNEXPECTED_TYPE)
    return decoded


def _get(params: Params, key: Any, kind: type, *, required: bool = True) -> Any:
    value = params.get(key)
    if value is None:
        if required:
            raise CtapError(ERR.MISSING_PARAMETER)
        return None
    if not isinstance(value, kind):
        raise CtapError(ERR.CBOR_UNEXPECTED_TYPE)
    return value


def _client_data_hash(params: Params, key: int) -> bytes:
    value: bytes = _get(params, key, bytes)
    if len(value) != 32:
        raise CtapError(ERR.INVALID_LENGTH)
    return value


def _options(params: Params, key: int) -> dict[str, bool]:
    options = _get(params, key, Mapping, required=False) or {}
    if not all(isinstance(k, str) and isinstance(v, bool) for k, v in options.items()):
        raise CtapError(ERR.CBOR_UNEXPECTED_TYPE)
    if "uv" in options:  # like keys without UV, which reject even uv=false
        raise CtapError(ERR.UNSUPPORTED_OPTION)
    return dict(options)


def _no_pin(auth: SoftAuthenticator, params: Params, key: int,
            event: threading.Event | None, on_keepalive: KeepAlive, *,
            making: bool = False) -> None:
    """This key takes no PIN: an empty pinUvAuthParam is a "touch to select" probe. In
    its PIN modes it refuses what would need one, before looking for credentials."""
    value = params.get(key)
    if value is None:
        if auth.always_uv:
            raise CtapError(ERR.PUAT_REQUIRED if auth.pin_set else ERR.PIN_NOT_SET)
        if making and auth.pin_set:  # a CTAP 2.0 key with a PIN (no makeCredUvNotRqd)
            raise CtapError(ERR.PUAT_REQUIRED)
        return
    if value == b"":
        auth.require_presence(event, on_keepalive)
        raise CtapError(ERR.PIN_NOT_SET)
    raise CtapError(ERR.PIN_AUTH_INVALID)


def _descriptors(params: Params, key: int) -> list[bytes]:
    items = _get(params, key, list, required=False) or []
    return [item["id"] for item in items if isinstance(item, Mapping)
            and item.get("type") == "public-key" and isinstance(item.get("id"), bytes)]


def get_info(auth: SoftAuthenticator, params: Params, details: Details,
             event: threading.Event | None, on_keepalive: KeepAlive) -> Any:
    """authenticatorGetInfo: versions, aaguid, options, message size, algorithms; with
    hmac-secret also the extension, ``clientPin: false`` (supported, no PIN set) and the
    PIN/UV auth protocols its key agreement speaks."""
    info: dict[int, Any] = {1: ["FIDO_2_0", "U2F_V2"], 3: auth.aaguid,
                            4: {"rk": False, "up": True, "plat": False}, 5: MAX_MSG_SIZE,
                            10: [{"alg": ES256, "type": "public-key"}]}
    if auth.hmac_secret:
        info[2] = [soft_hmac.NAME]
        info[4]["clientPin"] = False
        info[6] = list(soft_hmac.PROTOCOLS)
    if auth.pin_set or auth.always_uv:  # the PIN modes
        info[4]["clientPin"] = auth.pin_set
    if auth.always_uv:
        info[4]["alwaysUv"] = True
    return info


def _extensions(params: Params, key: int) -> Mapping[Any, Any]:
    extensions = _get(params, key, Mapping, required=False) or {}
    if not all(isinstance(name, str) for name in extensions):
        raise CtapError(ERR.CBOR_UNEXPECTED_TYPE)
    return extensions


def make_credential(auth: SoftAuthenticator, params: Params, details: Details,
                    event: threading.Event | None, on_keepalive: KeepAlive) -> Any:
    """authenticatorMakeCredential: a non-resident ES256 credential, packed self-attestation."""
    cdh = _client_data_hash(params, 1)
    rp_id = _get(_get(params, 2, Mapping), "id", str)
    _get(_get(params, 3, Mapping), "id", bytes)
    details["rp_id"] = rp_id
    algs = [p.get("alg") for p in _get(params, 4, list)
            if isinstance(p, Mapping) and p.get("type") == "public-key"]
    if ES256 not in algs:
        raise CtapError(ERR.UNSUPPORTED_ALGORITHM)
    options = _options(params, 7)
    if options.get("rk"):
        raise CtapError(ERR.UNSUPPORTED_OPTION)
    if options.get("up") is False:
        raise CtapError(ERR.INVALID_OPTION)
    _no_pin(auth, params, 8, event, on_keepalive, making=True)
    rp_hash = rp_id_hash(rp_id)
    if any(auth.unwrap(cid, rp_hash) is not None for cid in _descriptors(params, 5)):
        auth.require_presence(event, on_keepalive)
        raise CtapError(ERR.CREDENTIAL_EXCLUDED)
    hmac_secret = auth.hmac_secret and _extensions(params, 6).get(soft_hmac.NAME) is True
    auth.require_presence(event, on_keepalive)
    key, credential_id = auth.new_credential(rp_hash, hmac_secret)
    counter = auth.next_counter()
    attested = (auth.aaguid + struct.pack(">H", len(credential_id)) + credential_id
                + cbor.encode(cose_es256(auth.public_point(key))))
    flags = FLAG_UP | FLAG_AT | (FLAG_ED if hmac_secret else 0)
    auth_data = rp_hash + struct.pack(">BI", flags, counter) + attested
    if hmac_secret:
        auth_data += cbor.encode({soft_hmac.NAME: True})
    details.update(counter=counter, hmac_secret=hmac_secret)
    return {1: "packed", 2: auth_data,
            3: {"alg": ES256, "sig": auth.sign(key, auth_data + cdh)}}


def get_assertion(auth: SoftAuthenticator, params: Params, details: Details,
                  event: threading.Event | None, on_keepalive: KeepAlive) -> Any:
    """authenticatorGetAssertion over the caller's client-data hash (a touch unless up=false)."""
    rp_id = _get(params, 1, str)
    cdh = _client_data_hash(params, 2)
    options = _options(params, 5)
    if "rk" in options:
        raise CtapError(ERR.UNSUPPORTED_OPTION)
    up = options.get("up", True)
    details.update(rp_id=rp_id, up=up)
    _no_pin(auth, params, 6, event, on_keepalive)
    rp_hash = rp_id_hash(rp_id)
    for credential_id in _descriptors(params, 3):
        found = auth.unwrap_credential(credential_id, rp_hash)
        if found is not None:
            key, hmac_enabled = found
            break
    else:  # CTAP 2.0: answer at once, no blinking for a credential we do not hold
        raise CtapError(ERR.NO_CREDENTIALS)
    hmac_input = _extensions(params, 4).get(soft_hmac.NAME)
    if up:
        auth.require_presence(event, on_keepalive)
    extensions: dict[str, Any] = {}
    if hmac_input is not None and hmac_enabled and auth.hmac_secret:
        # after the touch, so an untouched request gives nothing; with up=false it is
        # answered silently, as real keys do (why the README keeps the agent off the key)
        extensions[soft_hmac.NAME] = soft_hmac.assertion_output(auth, credential_id,
                                                                hmac_input, uv=False)
    counter = auth.next_counter()
    flags = (FLAG_UP if up else 0) | (FLAG_ED if extensions else 0)
    auth_data = rp_hash + struct.pack(">BI", flags, counter)
    if extensions:
        auth_data += cbor.encode(extensions)
    details.update(counter=counter, hmac_secret=bool(extensions))
    return {1: {"id": credential_id, "type": "public-key"}, 2: auth_data,
            3: auth.sign(key, auth_data + cdh)}


def client_pin(auth: SoftAuthenticator, params: Params, details: Details,
               event: threading.Event | None, on_keepalive: KeepAlive) -> Any:
    """authenticatorClientPIN (keys with hmac-secret): key agreement only."""
    if not auth.hmac_secret:
        raise CtapError(ERR.INVALID_COMMAND)
    details["sub_command"] = params.get(2)
    return soft_hmac.client_pin(auth, params)


def selection(auth: SoftAuthenticator, params: Params, details: Details,
              event: threading.Event | None, on_keepalive: KeepAlive) -> Any:
    """authenticatorSelection: "touch the key you mean"."""
    auth.require_presence(event, on_keepalive)
    return None


def reset(auth: SoftAuthenticator, params: Params, details: Details,
          event: threading.Event | None, on_keepalive: KeepAlive) -> Any:
    """authenticatorReset: after a touch, every credential this key issued is dead."""
    auth.require_presence(event, on_keepalive)
    auth.reset_keys()
    return None


COMMANDS: dict[int, tuple[str, Handler]] = {
    0x01: ("makeCredential", make_credential),
    0x02: ("getAssertion", get_assertion),
    0x04: ("getInfo", get_info),
    0x06: ("clientPin", client_pin),
    0x07: ("reset", reset),
    0x0B: ("selection", selection),
}
"""CTAP2 command byte → (name used in the log, handler)."""
