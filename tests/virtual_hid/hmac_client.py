"""Run inside ``tests.virtual_hid.run``: python-fido2's own hmac-secret code over CTAPHID.

    python -m tests.virtual_hid.hmac_client STATE SALT1_HEX SALT2_HEX

For every virtual key plugged in (``/dev/hidraw0``, ``/dev/hidraw1``…), as a browser-like
client would: ``Fido2Client`` with ``HmacSecretExtension(allow_hmac_secret=True)`` makes
two credentials with ``hmacCreateSecret`` (unless STATE, a JSON file, already lists
credentials from an earlier run: then they are reused, so a test can compare two
"power-ups" of the same keys), asks each for ``hmacGetSecret`` (salt1, salt2) and for
``prf`` (eval.first = salt1), and also drives the low-level path shellgate itself uses
(``Ctap2`` + ``HmacSecretExtension.get_assertion`` with an explicit PIN/UV auth protocol
1 and 2). The salt exchange is python-fido2's ``ClientPin`` key agreement each time.

Prints one JSON report on stdout; outputs are hex. Nothing here knows the software
authenticator: it only sees HID devices.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from fido2.client import DefaultClientDataCollector, Fido2Client, UserInteraction
from fido2.ctap2.base import Ctap2
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.ctap2.pin import PinProtocolV1, PinProtocolV2
from fido2.hid import CtapHidDevice
from fido2.webauthn import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialParameters,
    PublicKeyCredentialRequestOptions,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    UserVerificationRequirement,
)

RP_ID = "shellgate.test"
ORIGIN = f"https://{RP_ID}"
PUBLIC_KEY = PublicKeyCredentialType.PUBLIC_KEY


class CountingUser(UserInteraction):
    """Counts the touch prompts: each is a CTAPHID KEEPALIVE(UPNEEDED) that reached the
    client through the HID transport."""

    def __init__(self) -> None:
        self.prompts = 0

    def prompt_up(self) -> None:
        self.prompts += 1


def _hex(value: Any) -> str:
    return bytes(value).hex() if isinstance(value, (bytes, bytearray, memoryview)) else ""


def _make(client: Fido2Client, index: int) -> dict[str, Any]:
    options = PublicKeyCredentialCreationOptions(
        rp=PublicKeyCredentialRpEntity(id=RP_ID, name="shellgate test"),
        user=PublicKeyCredentialUserEntity(id=os.urandom(16), name=f"user{index}"),
        challenge=os.urandom(32),
        pub_key_cred_params=[PublicKeyCredentialParameters(type=PUBLIC_KEY, alg=-7)],
        # no PIN is set: "preferred" UV (the default) would make the client refuse
        authenticator_selection=AuthenticatorSelectionCriteria(
            user_verification=UserVerificationRequirement.DISCOURAGED),
        extensions={"hmacCreateSecret": True})
    result = client.make_credential(options)
    data = result.response.attestation_object.auth_data
    return {"id": _hex(result.raw_id),
            "client_says": result.client_extension_results.hmac_create_secret,
            "auth_data_says": (data.extensions or {}).get("hmac-secret")}


def _client_outputs(client: Fido2Client, credential: bytes, salt1: bytes, salt2: bytes,
                    ) -> dict[str, str]:
    descriptor = PublicKeyCredentialDescriptor(type=PUBLIC_KEY, id=credential)

    def ask(extensions: dict[str, Any]) -> Any:
        options = PublicKeyCredentialRequestOptions(
            challenge=os.urandom(32), rp_id=RP_ID, allow_credentials=[descriptor],
            user_verification=UserVerificationRequirement.DISCOURAGED, extensions=extensions)
        response = client.get_assertion(options).get_response(0)
        return response.client_extension_results  # attributes give bytes, not base64

    hmac = ask({"hmacGetSecret": {"salt1": salt1, "salt2": salt2}}).hmac_get_secret
    prf = ask({"prf": {"eval": {"first": salt1}}}).prf.results
    return {"output1": _hex(hmac.output1), "output2": _hex(hmac.output2),
            "prf_first": _hex(prf.first)}


def _ctap2_output(device: CtapHidDevice, credential: bytes, salt1: bytes,
                  protocol: PinProtocolV1) -> str:
    """shellgate's own path: the extension's processor around a bare getAssertion."""
    ctap2 = Ctap2(device)
    descriptor = PublicKeyCredentialDescriptor(type=PUBLIC_KEY, id=credential)
    options = PublicKeyCredentialRequestOptions(
        challenge=b"\0" * 32, rp_id=RP_ID, allow_credentials=[descriptor],
        extensions={"hmacGetSecret": {"salt1": salt1}})
    processor = HmacSecretExtension(allow_hmac_secret=True).get_assertion(
        ctap2, options, protocol)
    inputs = processor.prepare_inputs(descriptor, None)
    response = ctap2.get_assertion(RP_ID, os.urandom(32), [{"type": "public-key",
                                                            "id": credential}],
                                   extensions=inputs)
    result = (processor.prepare_outputs(response, None) or {})["hmacGetSecret"]
    return _hex(result.output1)


def main(argv: list[str]) -> None:
    state_path, salt1, salt2 = Path(argv[0]), bytes.fromhex(argv[1]), bytes.fromhex(argv[2])
    state: dict[str, list[dict[str, Any]]] = (
        json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {})
    report: dict[str, Any] = {"keys": []}
    for device in sorted(CtapHidDevice.list_devices(), key=lambda d: d.descriptor.path):
        path = str(device.descriptor.path)
        user = CountingUser()
        client = Fido2Client(device, DefaultClientDataCollector(ORIGIN), user,
                             extensions=[HmacSecretExtension(allow_hmac_secret=True)])
        made = state.get(path) or [_make(client, index) for index in range(2)]
        state[path] = made
        key: dict[str, Any] = {"path": path, "made": made, "outputs": [],
                               "protocols": Ctap2(device).info.pin_uv_protocols}
        for credential in made:
            raw = bytes.fromhex(credential["id"])
            outputs = _client_outputs(client, raw, salt1, salt2)
            outputs["ctap2_v1"] = _ctap2_output(device, raw, salt1, PinProtocolV1())
            outputs["ctap2_v2"] = _ctap2_output(device, raw, salt1, PinProtocolV2())
            key["outputs"].append({"id": credential["id"], **outputs})
        key["touch_prompts"] = user.prompts
        report["keys"].append(key)
        device.close()
    state_path.write_text(json.dumps(state), encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
