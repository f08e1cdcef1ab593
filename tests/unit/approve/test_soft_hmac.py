"""The software key's clientPin key agreement and hmac-secret, driven by python-fido2's own
``ClientPin`` and ``HmacSecretExtension`` code (protocols 1 and 2)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import Any

import pytest
from fido2.ctap import CtapError
from fido2.ctap2.base import Ctap2
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.ctap2.pin import ClientPin, PinProtocol, PinProtocolV1, PinProtocolV2
from fido2.webauthn import PublicKeyCredentialDescriptor, PublicKeyCredentialRequestOptions

from shellgate.approve.keystore import b64
from shellgate.approve.request import RP_ID
from shellgate.approve.softkey.authenticator import (
    SOFT_KIND,
    AutoTouch,
    NeverTouch,
    Presence,
    SoftAuthenticator,
    SoftCtapDevice,
)

ERR = CtapError.ERR
ES256 = [{"type": "public-key", "alg": -7}]
PROTOCOLS = [PinProtocolV1, PinProtocolV2]


def device(hmac_secret: bool = True, presence: Presence | None = None) -> SoftCtapDevice:
    state = {"kind": SOFT_KIND, "version": 1, "touch": True, "ctap2": True,
             "master_key": b64(secrets.token_bytes(32)), "counter": 0,
             "aaguid": secrets.token_bytes(16).hex(), "hmac_secret": hmac_secret}
    return SoftCtapDevice(SoftAuthenticator(state, presence))


def enrol(dev: SoftCtapDevice, extension: bool = True) -> tuple[bytes, Any]:
    att = Ctap2(dev).make_credential(
        secrets.token_bytes(32), {"id": RP_ID, "name": "sg"}, {"id": b"u", "name": "dev"},
        ES256, extensions={"hmac-secret": True} if extension else None)
    data = att.auth_data.credential_data
    assert data is not None
    return data.credential_id, att.auth_data


def get_secret(dev: SoftCtapDevice, credential_id: bytes, salt1: bytes,
               protocol: PinProtocol, salt2: bytes | None = None,
               event: threading.Event | None = None) -> tuple[Any, Any]:
    """python-fido2's extension processor around one raw getAssertion."""
    ctap2 = Ctap2(dev)
    descriptor = PublicKeyCredentialDescriptor(type="public-key", id=credential_id)
    salts: dict[str, bytes] = {"salt1": salt1} | ({"salt2": salt2} if salt2 else {})
    options = PublicKeyCredentialRequestOptions(
        challenge=b"\0" * 32, rp_id=RP_ID, allow_credentials=[descriptor],
        extensions={"hmacGetSecret": salts})
    processor = HmacSecretExtension(allow_hmac_secret=True).get_assertion(
        ctap2, options, protocol)
    assert processor is not None
    response = ctap2.get_assertion(RP_ID, secrets.token_bytes(32),
                                   [{"type": "public-key", "id": credential_id}],
                                   extensions=processor.prepare_inputs(descriptor, None),
                                   event=event)
    return processor.prepare_outputs(response, None), response


def expected(dev: SoftCtapDevice, credential_id: bytes, salt: bytes) -> bytes:
    key = dev.authenticator.cred_random(credential_id, uv=False)
    return hmac.new(key, salt, hashlib.sha256).digest()


def test_get_info_offers_the_extension_and_key_agreement() -> None:
    info = Ctap2(device()).info
    assert "hmac-secret" in info.extensions
    assert info.options.get("clientPin") is False  # supported, no PIN set
    assert set(info.pin_uv_protocols) == {1, 2}
    plain = Ctap2(device(hmac_secret=False)).info
    assert "hmac-secret" not in plain.extensions and "clientPin" not in plain.options


def test_make_credential_reports_hmac_secret_only_when_asked() -> None:
    dev = device()
    _, with_ext = enrol(dev)
    _, without = enrol(dev, extension=False)
    assert with_ext.extensions == {"hmac-secret": True} and with_ext.has_extension_data()
    assert without.extensions is None and not without.has_extension_data()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_output_is_hmac_of_the_salt_under_the_credential_random(protocol: type) -> None:
    dev = device()
    credential_id, _ = enrol(dev)
    salt = secrets.token_bytes(32)
    outputs, response = get_secret(dev, credential_id, salt, protocol())
    assert outputs["hmacGetSecret"].output1 == expected(dev, credential_id, salt)
    assert response.auth_data.is_user_present()


def test_same_salt_same_output_across_protocols_other_salt_or_credential_differs() -> None:
    dev = device()
    first, _ = enrol(dev)
    second, _ = enrol(dev)
    salt = secrets.token_bytes(32)
    one = get_secret(dev, first, salt, PinProtocolV1())[0]["hmacGetSecret"].output1
    two = get_secret(dev, first, salt, PinProtocolV2())[0]["hmacGetSecret"].output1
    other_salt = get_secret(dev, first, secrets.token_bytes(32),
                            PinProtocolV2())[0]["hmacGetSecret"].output1
    other_cred = get_secret(dev, second, salt, PinProtocolV2())[0]["hmacGetSecret"].output1
    assert one == two
    assert len({one, other_salt, other_cred}) == 3


def test_two_salts_give_two_outputs() -> None:
    dev = device()
    credential_id, _ = enrol(dev)
    salt1, salt2 = secrets.token_bytes(32), secrets.token_bytes(32)
    outputs = get_secret(dev, credential_id, salt1, PinProtocolV2(), salt2)[0]
    assert outputs["hmacGetSecret"].output1 == expected(dev, credential_id, salt1)
    assert outputs["hmacGetSecret"].output2 == expected(dev, credential_id, salt2)


def test_a_credential_made_without_the_extension_gives_no_output() -> None:
    dev = device()
    credential_id, _ = enrol(dev, extension=False)
    outputs, response = get_secret(dev, credential_id, secrets.token_bytes(32),
                                   PinProtocolV2())
    assert outputs is None and response.auth_data.extensions is None


def test_a_key_without_the_extension_has_no_key_agreement() -> None:
    dev = device(hmac_secret=False)
    with pytest.raises(CtapError) as caught:
        Ctap2(dev).client_pin(2, ClientPin.CMD.GET_KEY_AGREEMENT)
    assert caught.value.code == ERR.INVALID_COMMAND


def test_a_forged_salt_auth_is_refused() -> None:
    dev = device()
    credential_id, _ = enrol(dev)
    ctap2 = Ctap2(dev)
    client_pin = ClientPin(ctap2, PinProtocolV2())
    key_agreement, shared = client_pin._get_shared_secret()
    salt_enc = client_pin.protocol.encrypt(shared, secrets.token_bytes(32))
    with pytest.raises(CtapError) as caught:
        ctap2.get_assertion(RP_ID, b"\1" * 32, [{"type": "public-key", "id": credential_id}],
                            extensions={"hmac-secret": {1: key_agreement, 2: salt_enc,
                                                        3: b"\0" * 32, 4: 2}})
    assert caught.value.code == ERR.PIN_AUTH_INVALID


def test_untouched_key_gives_no_secret() -> None:
    dev = device(presence=NeverTouch(timeout=5))
    credential_id, _ = enrol_touching(dev)
    cancel = threading.Event()
    timer = threading.Timer(0.1, cancel.set)
    timer.start()
    with pytest.raises(CtapError) as caught:
        get_secret(dev, credential_id, secrets.token_bytes(32), PinProtocolV2(), event=cancel)
    timer.cancel()
    assert caught.value.code == ERR.KEEPALIVE_CANCEL
    assert dev.authenticator.log[-1][1].get("hmac_secret") is None


def enrol_touching(dev: SoftCtapDevice) -> tuple[bytes, Any]:
    """Enrol on a key whose user does not touch later: swap the presence in for enrolment."""
    presence = dev.authenticator.presence
    dev.authenticator.presence = AutoTouch()
    try:
        return enrol(dev)
    finally:
        dev.authenticator.presence = presence
