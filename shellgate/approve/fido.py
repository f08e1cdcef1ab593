"""Talk to keys through python-fido2's low-level ``Ctap2``/``Ctap1`` (the only fido2
importer). Hardware keys come from USB HID; software keys only from the key store."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from shellgate.approve.keystore import Credential, b64, unb64
from shellgate.approve.request import RP_ID
from shellgate.approve.verify import Assertion
from shellgate.errors import ShellgateError

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice

Prompt = Callable[[], None]
T = TypeVar("T")

NO_KEY = ("no FIDO2 key found — plug one in; on Linux a key that is plugged in but not "
          "found usually means a missing udev rule (see `shellgate doctor`)")


class ApprovalError(ShellgateError):
    """The key did not approve: no key, wrong key, timeout, cancelled, PIN required…"""


@dataclass
class Candidate:
    """A device and the enrolled credentials it may hold."""

    device: CtapDevice
    credentials: list[Credential]
    soft: bool


def hardware_devices() -> list[CtapDevice]:
    """USB HID FIDO devices; none (not an error) where HID is unavailable."""
    try:
        from fido2.hid import CtapHidDevice
    except Exception:  # unsupported platform: no hardware path
        return []
    try:
        return list(CtapHidDevice.list_devices())
    except OSError:
        return []


def soft_device(path: str) -> CtapDevice:
    from shellgate.approve.softkey.authenticator import SoftCtapDevice

    device: CtapDevice = SoftCtapDevice.from_file(Path(path))
    return device


def candidates(credentials: Sequence[Credential]) -> list[Candidate]:
    """Devices to ask: each enrolled software key's file, then every hardware key."""
    found = [Candidate(soft_device(c.soft_file), [c], True)
             for c in credentials if c.kind == "soft"]
    hardware = [c for c in credentials if c.kind != "soft"]
    if hardware:
        found.extend(Candidate(dev, hardware, False) for dev in hardware_devices())
    return found


@contextmanager
def _deadline(seconds: float) -> Iterator[tuple[threading.Event, threading.Event]]:
    """A cancel event set after ``seconds`` (and on Ctrl-C); yields (cancel, timed_out)."""
    cancel, timed_out = threading.Event(), threading.Event()

    def expire() -> None:
        timed_out.set()
        cancel.set()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield cancel, timed_out
    finally:
        timer.cancel()


def _on_keepalive(prompt: Prompt) -> Callable[[int], None]:
    from fido2.ctap import STATUS

    shown = False

    def keepalive(status: int) -> None:
        nonlocal shown
        if status == STATUS.UPNEEDED and not shown:
            shown = True
            prompt()

    return keepalive


def _explain(exc: BaseException, timed_out: threading.Event) -> ApprovalError:
    from fido2.ctap import CtapError

    if isinstance(exc, KeyboardInterrupt):
        return ApprovalError("cancelled: no approval was given")
    if isinstance(exc, CtapError):
        code = exc.code
        if code in (CtapError.ERR.KEEPALIVE_CANCEL, CtapError.ERR.USER_ACTION_TIMEOUT):
            if timed_out.is_set() or code == CtapError.ERR.USER_ACTION_TIMEOUT:
                return ApprovalError("timed out waiting for a key touch")
            return ApprovalError("cancelled: no approval was given")
        if code == CtapError.ERR.OPERATION_DENIED:
            return ApprovalError("the key refused the request (touch declined)")
        if code == CtapError.ERR.NO_CREDENTIALS:
            return ApprovalError("wrong key: this key is not enrolled with shellgate")
        if code in (CtapError.ERR.PUAT_REQUIRED, CtapError.ERR.PIN_AUTH_INVALID,
                    CtapError.ERR.PIN_INVALID, CtapError.ERR.PIN_BLOCKED,
                    CtapError.ERR.UV_INVALID, CtapError.ERR.UV_BLOCKED):
            return ApprovalError("this key requires a PIN, which shellgate does not ask for "
                                 "yet; use a key without a PIN set or disable alwaysUv")
        return ApprovalError(f"the key answered with an error: {code.name}")
    return ApprovalError(f"the key could not be used: {exc}")


def _allow_list(credentials: Sequence[Credential]) -> list[Mapping[str, Any]]:
    return [{"type": "public-key", "id": unb64(c.credential_id)} for c in credentials]


def _holder(candidate: Candidate) -> Credential | None:
    """Silent probe (no touch): which enrolled credential, if any, this device holds."""
    from fido2.ctap import CtapError
    from fido2.ctap2.base import Ctap2

    if candidate.soft:
        only = candidate.credentials[0]
        return only if only.protocol == "ctap2" else None
    try:
        ctap2 = Ctap2(candidate.device)
    except ValueError:  # CTAP1/U2F only: probed in _u2f_assert by check-only
        return None
    for credential in candidate.credentials:
        try:
            ctap2.get_assertion(RP_ID, b"\0" * 32, _allow_list([credential]),
                                options={"up": False})
            return credential
        except CtapError:
            continue
    return None


@dataclass(frozen=True)
class KeySecret:
    """A key's hmac-secret output for one salt: what unlocks that key's vault slot.

    Never printed: its repr names only the credential."""

    credential_id: str
    output: bytes

    def __repr__(self) -> str:
        return f"KeySecret({self.credential_id[:12]}…, <hidden>)"


def get_assertion(credentials: Sequence[Credential], client_data_hash: bytes, timeout: float,
                  prompt: Prompt) -> Assertion:
    """One user-presence assertion over ``client_data_hash`` from an enrolled key."""
    return get_assertion_unlocking(credentials, client_data_hash, timeout, prompt, {})[0]


def get_assertion_unlocking(credentials: Sequence[Credential], client_data_hash: bytes,
                            timeout: float, prompt: Prompt, salts: Mapping[str, bytes],
                            ) -> tuple[Assertion, KeySecret | None]:
    """One assertion over ``client_data_hash`` that, when the key answering holds a
    credential in ``salts`` (credential id → 32-byte salt) and has hmac-secret, also
    carries that salt: one touch approves and yields the key's secret for it."""
    if not credentials:
        raise ApprovalError("no key is enrolled: a human must run `shellgate enroll` first")
    found = candidates(credentials)
    if not found:
        raise ApprovalError(NO_KEY)
    with _deadline(timeout) as (cancel, timed_out):
        try:
            for candidate in found:
                holder = _holder(candidate)
                if holder is not None:
                    return _ctap2_assert(candidate.device, holder, client_data_hash, cancel,
                                         prompt, salts.get(holder.credential_id))
            for candidate in found:
                result = _u2f_assert(candidate, client_data_hash, cancel, prompt)
                if result is not None:
                    return result, None
        except (Exception, KeyboardInterrupt) as exc:
            cancel.set()
            raise _explain(exc, timed_out) from exc
    raise ApprovalError("wrong key: none of the keys plugged in is enrolled with shellgate")


def _ctap2_assert(device: CtapDevice, credential: Credential, client_data_hash: bytes,
                  cancel: threading.Event, prompt: Prompt, salt: bytes | None = None,
                  ) -> tuple[Assertion, KeySecret | None]:
    from fido2.ctap2.base import Ctap2

    ctap2 = Ctap2(device)
    processor, descriptor = _hmac_processor(ctap2, credential, salt)
    inputs = processor.prepare_inputs(descriptor, None) if processor else None
    response = ctap2.get_assertion(RP_ID, client_data_hash, _allow_list([credential]),
                                   extensions=inputs, event=cancel,
                                   on_keepalive=_on_keepalive(prompt))
    used = response.credential["id"] if response.credential else unb64(credential.credential_id)
    assertion = Assertion(b64(used), bytes(response.auth_data), response.signature)
    if processor is None:
        return assertion, None
    outputs = processor.prepare_outputs(response, None) or {}
    result = outputs.get("hmacGetSecret")
    output = getattr(result, "output1", None)
    if not isinstance(output, bytes) or len(output) != 32:
        return assertion, None
    return assertion, KeySecret(b64(used), output)


def _hmac_processor(ctap2: Any, credential: Credential, salt: bytes | None) -> tuple[Any, Any]:
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


def _u2f_assert(candidate: Candidate, client_data_hash: bytes, cancel: threading.Event,
                prompt: Prompt) -> Assertion | None:
    """CTAP1/U2F keys: check-only probe, then poll for the touch until cancelled."""
    from fido2.ctap1 import APDU, ApduError, Ctap1
    from fido2.ctap2.base import AssertionResponse

    app_param = hashlib.sha256(RP_ID.encode()).digest()
    ctap1 = Ctap1(candidate.device)
    for credential in (c for c in candidate.credentials if c.protocol == "u2f"):
        handle = unb64(credential.credential_id)
        try:
            ctap1.authenticate(client_data_hash, app_param, handle, check_only=True)
        except ApduError as exc:
            if exc.code != APDU.USE_NOT_SATISFIED:
                continue
        signed = _u2f_poll(partial(ctap1.authenticate, client_data_hash, app_param, handle),
                           cancel, prompt)
        response = AssertionResponse.from_ctap1(app_param, {"type": "public-key", "id": handle},
                                                signed)
        return Assertion(credential.credential_id, bytes(response.auth_data), response.signature)
    return None


def _u2f_poll(action: Callable[[], T], cancel: threading.Event, prompt: Prompt) -> T:
    """U2F keys answer "not touched yet" (0x6985) until touched: poll until cancelled."""
    from fido2.ctap import CtapError
    from fido2.ctap1 import APDU, ApduError

    prompted = False
    while not cancel.is_set():
        try:
            return action()
        except ApduError as exc:
            if exc.code != APDU.USE_NOT_SATISFIED:
                raise
            if not prompted:
                prompted = True
                prompt()
            cancel.wait(0.25)
    raise CtapError(CtapError.ERR.KEEPALIVE_CANCEL)


def make_credential(device: CtapDevice, user: str, label: str, existing: Sequence[Credential],
                    timeout: float, prompt: Prompt, soft_file: str = "") -> Credential:
    """Enrol: a non-resident ES256 credential under the fixed RP id (U2F fallback)."""
    from fido2 import cbor
    from fido2.ctap2.base import Ctap2

    with _deadline(timeout) as (cancel, timed_out):
        try:
            try:
                ctap2 = Ctap2(device)
            except ValueError:
                return _u2f_register(device, label, cancel, prompt, soft_file)
            # hmac-secret where the key has it: only such a credential can hold a vault slot
            hmac_secret = "hmac-secret" in ctap2.info.extensions
            attestation = ctap2.make_credential(
                secrets.token_bytes(32), {"id": RP_ID, "name": "shellgate"},
                {"id": secrets.token_bytes(16), "name": user},
                [{"type": "public-key", "alg": -7}],
                exclude_list=[c for c in _allow_list(existing) if existing] or None,
                extensions={"hmac-secret": True} if hmac_secret else None,
                event=cancel, on_keepalive=_on_keepalive(prompt))
        except (Exception, KeyboardInterrupt) as exc:
            cancel.set()
            raise _explain(exc, timed_out) from exc
    data = attestation.auth_data
    cred = data.credential_data
    if cred is None or data.rp_id_hash != hashlib.sha256(RP_ID.encode()).digest():
        raise ApprovalError("the key returned an unusable credential")
    enabled = (data.extensions or {}).get("hmac-secret") is True
    return Credential(b64(cred.credential_id), b64(cbor.encode(cred.public_key)), RP_ID, label,
                      "soft" if soft_file else "hardware", data.counter, int(time.time()),
                      cred.aaguid.hex(), soft_file, "ctap2", hmac_secret=enabled)


def _u2f_register(device: CtapDevice, label: str, cancel: threading.Event, prompt: Prompt,
                  soft_file: str) -> Credential:
    from fido2 import cbor
    from fido2.cose import ES256
    from fido2.ctap1 import Ctap1

    ctap1 = Ctap1(device)
    app_param = hashlib.sha256(RP_ID.encode()).digest()
    reg = _u2f_poll(lambda: ctap1.register(secrets.token_bytes(32), app_param), cancel, prompt)
    key = ES256.from_ctap1(reg.public_key)  # type: ignore[no-untyped-call]
    return Credential(b64(reg.key_handle), b64(cbor.encode(key)), RP_ID, label,
                      "soft" if soft_file else "hardware", 0, int(time.time()), "", soft_file,
                      "u2f")


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
