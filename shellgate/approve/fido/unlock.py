"""hmac-secret over the same assertion that approves (one touch approves and unlocks),
and the COSE/authenticator-data parsing the verifier needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shellgate.approve.keystore import Credential, b64, unb64
from shellgate.approve.request import RP_ID


@dataclass(frozen=True)
class KeySecret:
    """A key's hmac-secret output for one salt: what unlocks that key's vault slot.

    Never printed: its repr names only the credential."""

    credential_id: str
    output: bytes

    def __repr__(self) -> str:
        return f"KeySecret({self.credential_id[:12]}…, <hidden>)"


def hmac_processor(ctap2: Any, credential: Credential, salt: bytes | None) -> tuple[Any, Any]:
    """python-fido2's hmac-secret processing for ``salt`` (key agreement over ClientPin, no
    PIN); (None, None) when there is no salt or the key lacks the extension."""
    if salt is None:
        return None, None
    from fido2.ctap2.extensions import HmacSecretExtension
    from fido2.ctap2.pin import ClientPin
    from fido2.webauthn import (
        PublicKeyCredentialDescriptor,
        PublicKeyCredentialRequestOptions,
        PublicKeyCredentialType,
    )

    extension = HmacSecretExtension(allow_hmac_secret=True)  # type: ignore[no-untyped-call]
    supported = extension.is_supported(ctap2)  # type: ignore[no-untyped-call]
    if not supported or not ClientPin.is_supported(ctap2.info):  # type: ignore[no-untyped-call]
        return None, None
    try:
        protocol = ClientPin(ctap2).protocol
    except ValueError:  # no PIN/UV protocol in common
        return None, None
    descriptor = PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY,
                                               id=unb64(credential.credential_id))
    options = PublicKeyCredentialRequestOptions(
        challenge=b"\0" * 32, rp_id=RP_ID, allow_credentials=[descriptor],
        extensions={"hmacGetSecret": {"salt1": salt}})
    processor = extension.get_assertion(ctap2, options, protocol)  # type: ignore[no-untyped-call]
    return processor, descriptor


def key_secret(processor: Any, response: Any, used: bytes) -> KeySecret | None:
    """The hmac-secret output in an assertion response, if it carries a well-formed one."""
    if processor is None:
        return None
    outputs = processor.prepare_outputs(response, None) or {}
    result = outputs.get("hmacGetSecret")
    output = getattr(result, "output1", None)
    if not isinstance(output, bytes) or len(output) != 32:
        return None
    return KeySecret(b64(used), output)


def parse_auth_data(raw: bytes) -> tuple[bytes, bool, int]:
    """Authenticator data as (RP-ID hash, user-present flag, signature counter); raises on
    malformed bytes."""
    from fido2.webauthn import AuthenticatorData

    data = AuthenticatorData(raw)
    return data.rp_id_hash, data.is_user_present(), data.counter


def verify_cose(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify ``signature`` over ``message`` with a CBOR-encoded COSE public key; raises on
    a bad signature or a damaged key."""
    from fido2 import cbor
    from fido2.cose import CoseKey

    decoded = cbor.decode(public_key)
    if not isinstance(decoded, dict):
        raise ValueError("the enrolled public key is damaged")
    CoseKey.parse(decoded).verify(message, signature)
