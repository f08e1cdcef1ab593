"""The key path as people have it: several keys plugged in at once, the one touched wins;
enrolment picks the key touched; PIN/UV keys say so; every wait ends.

python-fido2's real ``Ctap2``/``Ctap1`` drive the software authenticator as a
``CtapDevice``; ``fido.hardware_devices`` is the seam that plugs the keys in.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from shellgate.approve import fido
from shellgate.approve.fido.messages import CANCELLED, NO_KEY, TIMED_OUT, ApprovalError
from shellgate.approve.keystore import Credential
from shellgate.approve.request import ApprovalRequest, new_nonce
from shellgate.approve.softkey.authenticator import (
    SOFT_KIND,
    AutoTouch,
    ManualTouch,
    NeverTouch,
    Presence,
    SoftAuthenticator,
    SoftCtapDevice,
)
from shellgate.approve.softkey.ctap2 import rp_id_hash
from shellgate.approve.verify import check_signature

PATIENCE = 20.0  # the approval timeout: only a failing test ever waits this long


class Unresponsive:
    """A key that stops answering mid-request: no reply, no keepalive, CANCEL ignored."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()

    def wait(self, event: threading.Event | None) -> bool | None:
        self.asked.set()
        self.release.wait()  # only the test's teardown lets go
        return None


class Interrupting:
    """A human who presses Ctrl-C while the key blinks (SIGINT to the main thread)."""

    def wait(self, event: threading.Event | None) -> bool | None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        (event or threading.Event()).wait(PATIENCE)
        return None


def key(presence: Presence, **modes: Any) -> SoftCtapDevice:
    state = {"kind": SOFT_KIND, "version": 1, "touch": True, "ctap2": True,
             "master_key": fido.b64(secrets.token_bytes(32)), "counter": 0,
             "aaguid": secrets.token_bytes(16).hex(), **modes}
    return SoftCtapDevice(SoftAuthenticator(state, presence))


def enrol(device: SoftCtapDevice) -> Credential:
    """Enrol while the simulated user touches, then give the key its real presence back."""
    real = device.authenticator.presence
    device.authenticator.presence = AutoTouch()
    try:
        return fido.make_credential(device, "dev", "key", [], PATIENCE, lambda: None)
    finally:
        device.authenticator.presence = real


@pytest.fixture
def plugged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SoftCtapDevice]]:
    """The keys plugged in (as hardware keys: fido lists them through its HID seam)."""
    devices: list[SoftCtapDevice] = []
    monkeypatch.setattr(fido, "hardware_devices", lambda *args, **kwargs: list(devices))
    yield devices
    for device in devices:  # let any key still "stuck" in a test go
        presence = device.authenticator.presence
        if isinstance(presence, Unresponsive):
            presence.release.set()


def request() -> ApprovalRequest:
    return ApprovalRequest(command="rm -rf build", argv=("rm", "-rf", "build"), cwd="/w",
                           user="dev", host="box", rules=("fs.rm-recursive",), files=(),
                           nonce=new_nonce(), time=1_700_000_000)


def commands(device: SoftCtapDevice) -> list[tuple[str, Any]]:
    return [(name, details.get("up", details.get("result"))) for name, details
            in device.authenticator.log]


def test_the_touched_key_approves_when_it_is_not_the_first_enrolled(
        plugged: list[SoftCtapDevice]) -> None:
    first, second = key(NeverTouch(PATIENCE)), key(ManualTouch(PATIENCE))
    credentials = [enrol(first), enrol(second)]
    plugged += [first, second]
    presence = second.authenticator.presence
    assert isinstance(presence, ManualTouch)
    presence.touch()  # the human touches the second key
    req = request()
    assertion = fido.get_assertion(credentials, req.digest(), PATIENCE, lambda: None)
    assert assertion.credential_id == credentials[1].credential_id
    credential, _ = check_signature(assertion, req, credentials)
    assert credential == credentials[1]


def test_both_keys_are_asked_and_the_untouched_one_is_cancelled(
        plugged: list[SoftCtapDevice]) -> None:
    blinking = Blinking()
    first, second = key(blinking), key(ManualTouch(PATIENCE))
    credentials = [enrol(first), enrol(second)]
    plugged += [first, second]
    touched = second.authenticator.presence
    assert isinstance(touched, ManualTouch)
    prompts: list[str] = []

    def touch_second_once_the_first_blinks() -> None:
        blinking.asked.wait(PATIENCE)
        touched.touch()

    def prompt() -> None:
        prompts.append("touch")
        threading.Thread(target=touch_second_once_the_first_blinks).start()

    assertion = fido.get_assertion(credentials, request().digest(), PATIENCE, prompt)
    assert assertion.credential_id == credentials[1].credential_id
    assert blinking.asked.is_set()  # the first key was asked for a touch at the same time
    assert prompts == ["touch"]  # one prompt for both keys
    _wait_for_log(first, "KEEPALIVE_CANCEL")  # and it stopped blinking


class Blinking:
    """A key the human does not touch; says when it starts waiting for a touch."""

    def __init__(self) -> None:
        self.asked = threading.Event()

    def wait(self, event: threading.Event | None) -> bool | None:
        self.asked.set()
        (event or threading.Event()).wait(PATIENCE)
        return None


def _wait_for_log(device: SoftCtapDevice, result: str) -> None:
    done = threading.Event()
    for _ in range(int(PATIENCE / 0.01)):
        if any(details.get("result") == result for _, details in device.authenticator.log):
            return
        done.wait(0.01)
    raise AssertionError(f"{result} never logged: {device.authenticator.log}")


def test_enrolment_takes_the_key_the_human_touches(plugged: list[SoftCtapDevice]) -> None:
    first, second = key(NeverTouch(PATIENCE)), key(AutoTouch())
    plugged += [first, second]
    credential = fido.make_credential(None, "dev", "mine", [], PATIENCE, lambda: None)
    assert credential.kind == "hardware"
    made = [device for device in (first, second)
            if ("makeCredential", "ok") in commands(device)]
    assert made == [second]
    # and it is the second key that holds it
    assert second.authenticator.unwrap(fido.unb64(credential.credential_id),
                                       rp_id_hash("shellgate:local")) is not None
    assert first.authenticator.unwrap(fido.unb64(credential.credential_id),
                                      rp_id_hash("shellgate:local")) is None


def test_enrolling_a_key_already_enrolled_says_so(plugged: list[SoftCtapDevice]) -> None:
    device = key(AutoTouch())
    existing = enrol(device)
    plugged.append(device)
    with pytest.raises(ApprovalError, match="already enrolled"):
        fido.make_credential(None, "dev", "again", [existing], PATIENCE, lambda: None)


def test_a_key_that_insists_on_uv_says_so_instead_of_wrong_key(
        plugged: list[SoftCtapDevice]) -> None:
    device = key(AutoTouch(), pin_set=True)
    credential = enrol_without_pin(device)
    device.authenticator.always_uv = True
    plugged.append(device)
    with pytest.raises(ApprovalError) as caught:
        fido.get_assertion([credential], request().digest(), PATIENCE, lambda: None)
    assert "wrong key" not in caught.value.message
    assert "alwaysUv" in caught.value.message and "toggle-always-uv" in caught.value.message
    assert [name for name, _ in device.authenticator.log][-1] == "getAssertion"


def enrol_without_pin(device: SoftCtapDevice) -> Credential:
    auth = device.authenticator
    pin_set, auth.pin_set = auth.pin_set, False
    try:
        return enrol(device)
    finally:
        auth.pin_set = pin_set


def test_always_uv_without_a_pin_says_to_turn_it_off(plugged: list[SoftCtapDevice]) -> None:
    device = key(AutoTouch())
    credential = enrol(device)
    device.authenticator.always_uv = True
    plugged.append(device)
    with pytest.raises(ApprovalError, match="has no PIN set"):
        fido.get_assertion([credential], request().digest(), PATIENCE, lambda: None)


def test_a_pin_key_that_wants_its_pin_to_enrol_says_so(plugged: list[SoftCtapDevice]) -> None:
    plugged.append(key(AutoTouch(), pin_set=True))
    with pytest.raises(ApprovalError, match="has a PIN set and wants it to make a credential"):
        fido.make_credential(None, "dev", "pin key", [], PATIENCE, lambda: None)


def test_a_pin_key_with_a_pin_approves_with_a_touch(plugged: list[SoftCtapDevice]) -> None:
    """A PIN set (no alwaysUv) does not stand in the way of a touch-only assertion."""
    device = key(AutoTouch(), pin_set=True)
    credential = enrol_without_pin(device)
    plugged.append(device)
    req = request()
    assertion = fido.get_assertion([credential], req.digest(), PATIENCE, lambda: None)
    assert check_signature(assertion, req, [credential])[0] == credential


def test_a_uv_key_beside_a_touched_key_does_not_block_it(plugged: list[SoftCtapDevice]) -> None:
    uv, plain = key(AutoTouch()), key(AutoTouch())
    credentials = [enrol(uv), enrol(plain)]
    uv.authenticator.always_uv = True
    plugged += [uv, plain]
    assertion = fido.get_assertion(credentials, request().digest(), PATIENCE, lambda: None)
    assert assertion.credential_id == credentials[1].credential_id


def test_a_key_that_stops_answering_cannot_hold_the_wait(plugged: list[SoftCtapDevice]) -> None:
    stuck = Unresponsive()
    device = key(stuck)
    credential = enrol(device)
    plugged.append(device)
    outcome: list[BaseException] = []

    def approve() -> None:
        try:
            fido.get_assertion([credential], request().digest(), 0.5, lambda: None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=approve)
    worker.start()
    worker.join(PATIENCE)
    assert not worker.is_alive(), "the wait outlived its deadline"
    assert stuck.asked.is_set()
    assert len(outcome) == 1 and isinstance(outcome[0], ApprovalError)
    assert outcome[0].message == f"{TIMED_OUT} (a key stopped answering)"


def test_ctrl_c_cancels_the_wait_and_the_key_request(plugged: list[SoftCtapDevice]) -> None:
    device = key(Interrupting())
    credential = enrol(device)
    plugged.append(device)
    with pytest.raises(ApprovalError) as caught:
        fido.get_assertion([credential], request().digest(), PATIENCE, lambda: None)
    assert caught.value.message == CANCELLED
    _wait_for_log(device, "KEEPALIVE_CANCEL")


def test_a_timeout_cancels_the_key_request(plugged: list[SoftCtapDevice]) -> None:
    device = key(NeverTouch(PATIENCE))
    credential = enrol(device)
    plugged.append(device)
    with pytest.raises(ApprovalError) as caught:
        fido.get_assertion([credential], request().digest(), 0.3, lambda: None)
    assert caught.value.message == TIMED_OUT
    _wait_for_log(device, "KEEPALIVE_CANCEL")


def test_no_key_plugged_in_is_said_at_once(plugged: list[SoftCtapDevice]) -> None:
    device = key(AutoTouch())
    credential = enrol(device)
    with pytest.raises(ApprovalError, match="no FIDO2 key found") as caught:
        fido.get_assertion([credential], request().digest(), PATIENCE, lambda: None)
    assert caught.value.message == NO_KEY


def test_a_key_not_enrolled_is_wrong_key_without_a_touch(plugged: list[SoftCtapDevice]) -> None:
    enrolled, other = key(AutoTouch()), key(AutoTouch())
    credential = enrol(enrolled)
    plugged.append(other)
    with pytest.raises(ApprovalError, match="wrong key"):
        fido.get_assertion([credential], request().digest(), PATIENCE, lambda: None)
    assert commands(other)[-1] == ("getAssertion", False)  # only the silent probe


def test_software_keys_are_asked_only_when_allowed(tmp_path: Any) -> None:
    from shellgate.approve.softkey.authenticator import create_soft_key

    path = tmp_path / "soft.json"
    create_soft_key(path)
    credential = fido.make_credential(fido.soft_device(str(path)), "dev", "soft", [],
                                      PATIENCE, lambda: None, soft_file=str(path))
    assert credential.kind == "soft"
    digest = request().digest()
    with pytest.raises(ApprovalError, match="does not accept software keys"):
        fido.get_assertion([credential], digest, PATIENCE, lambda: None)
    before = os.stat(path).st_mtime_ns
    assert fido.get_assertion([credential], digest, PATIENCE, lambda: None,
                              allow_soft=True).credential_id == credential.credential_id
    assert os.stat(path).st_mtime_ns != before  # its counter was written back


def test_a_race_with_no_key_to_ask_refuses() -> None:
    from shellgate.approve.fido.race import Race

    with pytest.raises(ApprovalError) as caught:
        Race[int](PATIENCE).first()
    assert caught.value.message == NO_KEY
