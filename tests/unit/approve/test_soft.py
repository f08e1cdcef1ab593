"""The software key, driven end to end by python-fido2's real Ctap2/Ctap1 code and
checked by shellgate's own verifier."""

from __future__ import annotations

import dataclasses
import json
import secrets
import stat
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fido2 import cbor
from fido2.attestation.base import AttestationType, InvalidSignature
from fido2.attestation.packed import PackedAttestation
from fido2.cose import ES256
from fido2.ctap import STATUS, CtapError
from fido2.ctap1 import ApduError, Ctap1, RegistrationData, SignatureData
from fido2.ctap2.base import AssertionResponse, Ctap2
from fido2.hid import CAPABILITY, CTAPHID

from shellgate.approve.keystore import Credential, b64, unb64
from shellgate.approve.request import RP_ID, ApprovalRequest, new_nonce
from shellgate.approve.softkey.authenticator import (
    SOFT_KIND,
    AutoTouch,
    ManualTouch,
    NeverTouch,
    Presence,
    SoftAuthenticator,
    SoftCtapDevice,
    create_soft_key,
)
from shellgate.approve.softkey.ctap2 import rp_id_hash
from shellgate.approve.verify import Assertion, VerifyError, check_signature, verify_assertion
from shellgate.errors import ShellgateError

ERR = CtapError.ERR
CANCEL_AFTER = 0.2  # seconds; a bounded Timer stands in for the caller's approval timeout
ES256_PARAMS: list[Mapping[str, Any]] = [{"type": "public-key", "alg": -7}]


def request(command: str = "rm -rf ./build") -> ApprovalRequest:
    return ApprovalRequest(command=command, argv=tuple(command.split()), cwd="/srv/app",
                           user="dev", host="box", rules=("fs.rm-recursive",), files=(),
                           nonce=new_nonce(), time=1_700_000_000)


def soft_device(presence: Presence | None = None, **fields: Any) -> SoftCtapDevice:
    state = {"kind": SOFT_KIND, "version": 1, "touch": True, "ctap2": True,
             "master_key": b64(secrets.token_bytes(32)), "counter": 0,
             "aaguid": secrets.token_bytes(16).hex(), **fields}
    return SoftCtapDevice(SoftAuthenticator(state, presence))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "soft.json"
    create_soft_key(path)
    return path


def enrol(dev: SoftCtapDevice, rp_id: str = RP_ID) -> tuple[Credential, Any]:
    att = Ctap2(dev).make_credential(secrets.token_bytes(32), {"id": rp_id, "name": "sg"},
                                     {"id": b"user-1", "name": "dev"}, ES256_PARAMS)
    data = att.auth_data.credential_data
    assert data is not None
    credential = Credential(credential_id=b64(data.credential_id),
                            public_key=b64(cbor.encode(data.public_key)), rp_id=RP_ID,
                            label="soft", kind="soft", sign_count=att.auth_data.counter,
                            aaguid=str(data.aaguid))
    return credential, att


def approve(dev: SoftCtapDevice, credential: Credential, req: ApprovalRequest,
            **kwargs: Any) -> Assertion:
    response = Ctap2(dev).get_assertion(
        RP_ID, req.digest(), [{"type": "public-key", "id": unb64(credential.credential_id)}],
        **kwargs)
    return Assertion(credential_id=b64(response.credential["id"]),
                     auth_data=bytes(response.auth_data), signature=response.signature)


def u2f_credential(reg: RegistrationData) -> Credential:
    cose = ES256.from_ctap1(reg.public_key)  # type: ignore[no-untyped-call]
    return Credential(credential_id=b64(reg.key_handle), public_key=b64(cbor.encode(cose)),
                      rp_id=RP_ID, label="u2f", kind="soft", protocol="u2f")


@pytest.fixture
def cancel_timer() -> Iterator[threading.Event]:
    event = threading.Event()
    timer = threading.Timer(CANCEL_AFTER, event.set)
    timer.start()
    yield event
    timer.cancel()


def test_enrolment_is_packed_self_attestation_bound_to_the_rp() -> None:
    cdh = secrets.token_bytes(32)
    att = Ctap2(soft_device()).make_credential(cdh, {"id": RP_ID}, {"id": b"u"}, ES256_PARAMS)
    assert att.fmt == "packed" and "x5c" not in att.att_stmt
    result = PackedAttestation().verify(att.att_stmt, att.auth_data, cdh)
    assert result.attestation_type == AttestationType.SELF
    with pytest.raises(InvalidSignature):
        PackedAttestation().verify(att.att_stmt, att.auth_data, b"\0" * 32)
    assert att.auth_data.rp_id_hash == rp_id_hash(RP_ID)
    assert att.auth_data.is_user_present() and att.auth_data.is_attested()
    assert att.auth_data.credential_data is not None
    assert len(att.auth_data.credential_data.credential_id) == 60


def test_touched_approval_verifies_after_one_upneeded() -> None:
    dev = soft_device()
    credential, _ = enrol(dev)
    req = request()
    seen: list[int] = []
    assertion = approve(dev, credential, req, on_keepalive=seen.append)
    assert seen == [STATUS.UPNEEDED]
    found, counter = check_signature(assertion, req, [credential])
    assert found == credential and counter == 2
    name, details = dev.authenticator.log[-1]
    assert name == "getAssertion" and details["up"] is True and details["result"] == "ok"


def test_untouched_key_waits_for_the_cancel_event(key_file: Path,
                                                  cancel_timer: threading.Event) -> None:
    credential, _ = enrol(SoftCtapDevice.from_file(key_file))
    state = json.loads(key_file.read_text())
    key_file.write_text(json.dumps({**state, "touch": False}))
    dev = SoftCtapDevice.from_file(key_file)
    seen: list[int] = []
    with pytest.raises(CtapError) as info:
        approve(dev, credential, request(), event=cancel_timer, on_keepalive=seen.append)
    assert info.value.code == ERR.KEEPALIVE_CANCEL
    assert seen == [STATUS.UPNEEDED] and cancel_timer.is_set()
    assert json.loads(key_file.read_text())["counter"] == state["counter"]  # nothing signed


def test_untouched_key_times_out_by_itself_without_an_event() -> None:
    dev = soft_device()
    credential, _ = enrol(dev)
    dev.authenticator.presence = NeverTouch(timeout=0)
    with pytest.raises(CtapError) as info:
        approve(dev, credential, request())
    assert info.value.code == ERR.USER_ACTION_TIMEOUT


@pytest.mark.parametrize(("answer", "code"), [(True, None), (False, ERR.OPERATION_DENIED)])
def test_manual_touch_from_another_thread(answer: bool, code: ERR | None) -> None:
    user = ManualTouch()
    dev = soft_device(user)
    user.touch()  # for the enrolment
    credential, _ = enrol(dev)
    threads: list[threading.Thread] = []

    def prompt(status: int) -> None:
        assert status == STATUS.UPNEEDED
        threads.append(threading.Thread(target=user.touch, args=(answer,)))
        threads[-1].start()

    req = request()
    if code is None:
        assertion = approve(dev, credential, req, on_keepalive=prompt)
        assert check_signature(assertion, req, [credential])[1] == 2
    else:
        with pytest.raises(CtapError) as info:
            approve(dev, credential, req, on_keepalive=prompt)
        assert info.value.code == code
    assert len(threads) == 1
    threads[0].join()


def test_another_key_has_no_credentials_and_does_not_ask_for_a_touch() -> None:
    credential, _ = enrol(soft_device())
    other = soft_device()
    seen: list[int] = []
    with pytest.raises(CtapError) as info:
        approve(other, credential, request(), on_keepalive=seen.append)
    assert info.value.code == ERR.NO_CREDENTIALS and seen == []


def test_credential_is_bound_to_its_relying_party() -> None:
    dev = soft_device()
    credential, _ = enrol(dev, rp_id="other:rp")
    with pytest.raises(CtapError) as info:
        approve(dev, credential, request())
    assert info.value.code == ERR.NO_CREDENTIALS


def test_counter_rises_and_is_persisted_across_loads(key_file: Path) -> None:
    credential, att = enrol(SoftCtapDevice.from_file(key_file))
    assert json.loads(key_file.read_text())["counter"] == att.auth_data.counter == 1
    req = request()
    _, first = check_signature(approve(SoftCtapDevice.from_file(key_file), credential, req),
                               req, [credential])
    assert json.loads(key_file.read_text())["counter"] == first == 2
    req2 = request("git push --force")
    second_assertion = approve(SoftCtapDevice.from_file(key_file), credential, req2)
    stored = dataclasses.replace(credential, sign_count=first)
    _, second = verify_assertion(second_assertion, req2, req2, [stored], set(), req2.time,
                                 allow_soft=True)
    assert second == 3 and stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_cloned_key_state_is_caught_by_the_counter(key_file: Path) -> None:
    credential, _ = enrol(SoftCtapDevice.from_file(key_file))
    clone = json.loads(key_file.read_text())
    req = request()
    _, counter = check_signature(approve(SoftCtapDevice.from_file(key_file), credential, req),
                                 req, [credential])
    replayed = approve(SoftCtapDevice(SoftAuthenticator(clone)), credential, req)
    stored = dataclasses.replace(credential, sign_count=counter)
    with pytest.raises(VerifyError, match="counter went backwards"):
        verify_assertion(replayed, req, req, [stored], set(), req.time, allow_soft=True)


def test_silent_assertion_is_signed_but_rejected_for_missing_up() -> None:
    dev = soft_device(AutoTouch())
    credential, _ = enrol(dev)
    dev.authenticator.presence = NeverTouch(timeout=0)  # silence must not need a touch
    req = request()
    seen: list[int] = []
    assertion = approve(dev, credential, req, options={"up": False}, on_keepalive=seen.append)
    assert seen == [] and assertion.auth_data[32] & 0x01 == 0
    assert dev.authenticator.log[-1][1]["up"] is False
    with pytest.raises(VerifyError, match="user-presence"):
        check_signature(assertion, req, [credential])


def test_assertion_for_one_request_fails_for_another() -> None:
    dev = soft_device()
    credential, _ = enrol(dev)
    signed = approve(dev, credential, request("rm -rf ./build"))
    with pytest.raises(VerifyError, match="signature"):
        check_signature(signed, request("rm -rf /"), [credential])


def test_reset_kills_old_credentials_and_is_persisted(key_file: Path) -> None:
    credential, _ = enrol(SoftCtapDevice.from_file(key_file))
    before = json.loads(key_file.read_text())
    dev = SoftCtapDevice.from_file(key_file)
    Ctap2(dev).reset()
    after = json.loads(key_file.read_text())
    assert after["counter"] == 0 and after["master_key"] != before["master_key"]
    for device in (dev, SoftCtapDevice.from_file(key_file)):
        with pytest.raises(CtapError) as info:
            approve(device, credential, request())
        assert info.value.code == ERR.NO_CREDENTIALS


@pytest.mark.parametrize(("changes", "code"), [
    ({"options": {"uv": False}}, ERR.UNSUPPORTED_OPTION),
    ({"options": {"rk": True}}, ERR.UNSUPPORTED_OPTION),
    ({"key_params": [{"type": "public-key", "alg": -8}]}, ERR.UNSUPPORTED_ALGORITHM),
])
def test_make_credential_refuses_what_it_cannot_do(changes: dict[str, Any], code: ERR) -> None:
    args: dict[str, Any] = {"key_params": ES256_PARAMS, **changes}
    with pytest.raises(CtapError) as info:
        Ctap2(soft_device()).make_credential(b"\1" * 32, {"id": RP_ID}, {"id": b"u"}, **args)
    assert info.value.code == code


def test_uv_is_refused_on_assertions() -> None:
    dev = soft_device()
    credential, _ = enrol(dev)
    with pytest.raises(CtapError) as info:
        approve(dev, credential, request(), options={"uv": True})
    assert info.value.code == ERR.UNSUPPORTED_OPTION


def test_exclude_list_hit_asks_for_a_touch_then_refuses() -> None:
    dev = soft_device()
    credential, _ = enrol(dev)
    seen: list[int] = []
    with pytest.raises(CtapError) as info:
        Ctap2(dev).make_credential(
            b"\2" * 32, {"id": RP_ID}, {"id": b"u"}, ES256_PARAMS,
            exclude_list=[{"type": "public-key", "id": unb64(credential.credential_id)}],
            on_keepalive=seen.append)
    assert info.value.code == ERR.CREDENTIAL_EXCLUDED and seen == [STATUS.UPNEEDED]


def test_device_surface_and_selection() -> None:
    dev = soft_device()
    assert dev.capabilities == CAPABILITY.WINK | CAPABILITY.CBOR
    assert list(SoftCtapDevice.list_devices()) == []
    assert dev.call(CTAPHID.PING, b"hello") == b"hello"
    with pytest.raises(CtapError) as info:
        dev.call(0x55, b"")
    assert info.value.code == ERR.INVALID_COMMAND
    ctap2 = Ctap2(dev)
    assert ctap2.info.versions == ["FIDO_2_0", "U2F_V2"]
    assert ctap2.info.options == {"rk": False, "up": True, "plat": False}
    assert ctap2.info.algorithms == [{"alg": -7, "type": "public-key"}]
    ctap2.selection()
    assert dev.authenticator.log[-1] == ("selection", {"result": "ok"})


def test_u2f_only_key_registers_and_authenticates_for_the_same_verifier(tmp_path: Path) -> None:
    path = tmp_path / "u2f.json"
    create_soft_key(path, ctap2=False)
    dev = SoftCtapDevice.from_file(path)
    assert not dev.capabilities & CAPABILITY.CBOR
    with pytest.raises(ValueError, match="CTAP2"):
        Ctap2(dev)
    ctap1, app = Ctap1(dev), rp_id_hash(RP_ID)
    assert ctap1.get_version() == "U2F_V2"
    challenge = secrets.token_bytes(32)
    reg = ctap1.register(challenge, app)
    reg.verify(app, challenge)
    credential = u2f_credential(reg)
    with pytest.raises(ApduError) as known:
        ctap1.authenticate(challenge, app, reg.key_handle, check_only=True)
    assert known.value.code == 0x6985
    with pytest.raises(ApduError) as unknown:
        ctap1.authenticate(challenge, rp_id_hash("other:rp"), reg.key_handle, check_only=True)
    assert unknown.value.code == 0x6A80
    req = request()
    signed = ctap1.authenticate(req.digest(), app, reg.key_handle)
    response = AssertionResponse.from_ctap1(app, {"type": "public-key", "id": reg.key_handle},
                                            signed)
    assertion = Assertion(credential_id=b64(reg.key_handle),
                          auth_data=bytes(response.auth_data), signature=response.signature)
    assert check_signature(assertion, req, [credential]) == (credential, 1)
    assert json.loads(path.read_text())["counter"] == 1
    with pytest.raises(VerifyError, match="signature"):
        check_signature(assertion, request("rm -rf /"), [credential])


def test_u2f_polls_with_6985_until_touched_and_silent_u2f_is_rejected() -> None:
    user = ManualTouch()
    dev = soft_device(user, ctap2=False)
    ctap1, app, challenge = Ctap1(dev), rp_id_hash(RP_ID), b"\3" * 32
    with pytest.raises(ApduError) as waiting:
        ctap1.register(challenge, app)
    assert waiting.value.code == 0x6985
    user.touch()
    reg = ctap1.register(challenge, app)
    credential = u2f_credential(reg)
    req = request()
    with pytest.raises(ApduError) as untouched:
        ctap1.authenticate(req.digest(), app, reg.key_handle)
    assert untouched.value.code == 0x6985
    data = req.digest() + app + bytes([len(reg.key_handle)]) + reg.key_handle
    silent = SignatureData(ctap1.send_apdu(ins=Ctap1.INS.AUTHENTICATE, p1=0x08, data=data))
    response = AssertionResponse.from_ctap1(app, {"type": "public-key", "id": reg.key_handle},
                                            silent)
    assertion = Assertion(credential_id=credential.credential_id,
                          auth_data=bytes(response.auth_data), signature=response.signature)
    with pytest.raises(VerifyError, match="user-presence"):
        check_signature(assertion, req, [credential])


def _state(**changes: Any) -> str:
    state = {"kind": SOFT_KIND, "version": 1, "touch": True, "ctap2": True,
             "master_key": b64(b"k" * 32), "counter": 0, "aaguid": "00" * 16}
    return json.dumps({**state, **changes})


@pytest.mark.parametrize("content", [
    None, b"", b"\xff\xfe not utf-8", b"{not json", b"[1, 2]",
    _state(kind="something-else").encode(), _state(version=2).encode(),
    _state(master_key=b64(b"short")).encode(), _state(master_key="!!!").encode(),
    _state(counter=True).encode(), _state(counter=-1).encode(), _state(counter="3").encode(),
    _state(aaguid="zz").encode(), _state(aaguid="00").encode(), _state(touch="yes").encode(),
])
def test_damaged_key_file_is_refused(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "soft.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ShellgateError):
        SoftCtapDevice.from_file(path)


def test_good_state_helper_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "soft.json"
    path.write_text(_state())
    assert SoftCtapDevice.from_file(path).authenticator.counter == 0


def test_create_soft_key_writes_0600_and_never_overwrites(key_file: Path) -> None:
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    state = json.loads(key_file.read_text())
    assert state["kind"] == SOFT_KIND and state["version"] == 1 and state["counter"] == 0
    assert state["touch"] is True and state["ctap2"] is True
    assert len(unb64(state["master_key"])) == 32 and len(bytes.fromhex(state["aaguid"])) == 16
    before = key_file.read_bytes()
    with pytest.raises(ShellgateError, match="already exists"):
        create_soft_key(key_file, touch=False)
    assert key_file.read_bytes() == before
