"""Unlocking asks only the keys that hold a vault slot; an enrolled key without one is
told so ("no slot", what to do), not "wrong key", and is never asked for a touch.

python-fido2's real ``Ctap2`` drives software authenticators plugged in through
``fido.hardware_devices`` (the seam ``test_fido`` uses too).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from shellgate.approve import fido
from shellgate.approve.fido.messages import ApprovalError
from shellgate.approve.softkey.authenticator import AutoTouch, SoftCtapDevice
from tests.unit.approve.test_fido import PATIENCE, commands, enrol, key, request


@pytest.fixture
def plugged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SoftCtapDevice]]:
    devices: list[SoftCtapDevice] = []
    monkeypatch.setattr(fido, "hardware_devices", lambda *args, **kwargs: list(devices))
    yield devices


def test_an_enrolled_key_without_a_slot_says_so_without_a_touch(
        plugged: list[SoftCtapDevice]) -> None:
    holder, newcomer = key(AutoTouch(), hmac_secret=True), key(AutoTouch(), hmac_secret=True)
    slot, no_slot = enrol(holder), enrol(newcomer)
    salts = {slot.credential_id: secrets.token_bytes(32)}
    plugged.append(newcomer)
    with pytest.raises(ApprovalError) as caught:
        fido.get_assertion_unlocking([slot, no_slot], request().digest(), PATIENCE,
                                     lambda: None, salts)
    assert caught.value.message == fido.NO_SLOT
    assert "secrets rotate" in fido.NO_SLOT
    asked = [up for name, up in commands(newcomer) if name == "getAssertion"]
    assert asked == [False, False]  # two silent probes (slot holder? enrolled?), no touch


def test_a_key_enrolled_nowhere_is_still_the_wrong_key(plugged: list[SoftCtapDevice]) -> None:
    holder, newcomer = key(AutoTouch(), hmac_secret=True), key(AutoTouch(), hmac_secret=True)
    stranger = key(AutoTouch(), hmac_secret=True)
    slot, no_slot = enrol(holder), enrol(newcomer)
    plugged.append(stranger)
    with pytest.raises(ApprovalError, match="wrong key"):
        fido.get_assertion_unlocking([slot, no_slot], request().digest(), PATIENCE,
                                     lambda: None, {slot.credential_id: secrets.token_bytes(32)})


def test_the_slot_holder_still_wins_beside_a_key_without_a_slot(
        plugged: list[SoftCtapDevice]) -> None:
    holder, newcomer = key(AutoTouch(), hmac_secret=True), key(AutoTouch(), hmac_secret=True)
    slot, no_slot = enrol(holder), enrol(newcomer)
    plugged.extend([newcomer, holder])
    assertion, secret = fido.get_assertion_unlocking(
        [slot, no_slot], request().digest(), PATIENCE, lambda: None,
        {slot.credential_id: secrets.token_bytes(32)})
    assert assertion.credential_id == slot.credential_id
    assert secret is not None and secret.credential_id == slot.credential_id
    assert len(secret.output) == 32
