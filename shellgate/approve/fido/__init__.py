"""Talk to keys through python-fido2's low-level ``Ctap2``/``Ctap1`` (the only fido2
importer). Hardware keys come from USB HID; software keys only from the key store.

Every key that is plugged in is asked at once and the first touch wins (``race``): a
silent probe (``up=false``) tells which enrolled credential a key holds, without a touch;
then every holder is asked for a touch together and the others are cancelled. A key that
wants its PIN or UV says so instead of passing for "wrong key".
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from shellgate.approve.fido.messages import (
    CANCELLED,
    DECISIVE,
    DEVICE,
    NO_KEY,
    WRONG_KEY,
    ApprovalError,
)
from shellgate.approve.fido.race import GRACE, Race
from shellgate.approve.fido.unlock import (
    KeySecret,
    hmac_processor,
    key_secret,
    parse_auth_data,
    verify_cose,
)
from shellgate.approve.keystore import Credential, b64, unb64
from shellgate.approve.request import RP_ID
from shellgate.approve.verify import Assertion

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice
    from fido2.ctap2.base import Ctap2

__all__ = ["NO_KEY", "NO_SLOT", "SOFT_REFUSED", "ApprovalError", "Candidate", "KeySecret",
           "candidates", "get_assertion", "get_assertion_unlocking", "hardware_devices",
           "make_credential", "parse_auth_data", "soft_device", "verify_cose"]

Prompt = Callable[[], None]
T = TypeVar("T")

NO_SLOT = ("this key is enrolled but has no slot in the secrets vault: plug in a key that "
           "has one (to give this key a slot, run `shellgate secrets rotate` with both "
           "plugged in)")
SOFT_REFUSED = ("every enrolled key is a software key, and this configuration does not "
                "accept software keys: enrol a hardware key (`shellgate enroll`)")


@dataclass
class Candidate:
    """A device, the enrolled credentials it may hold, and whether we opened it."""

    device: CtapDevice
    credentials: list[Credential]
    soft: bool
    owned: bool = True


def hardware_devices(cancel: threading.Event | None = None,
                     deadline: float = math.inf) -> list[CtapDevice]:
    """USB HID FIDO devices, their reads bounded by ``cancel`` and ``deadline``
    (``time.monotonic`` seconds); none (not an error) where HID is unavailable."""
    from shellgate.approve.fido import hid

    return hid.list_devices(cancel or threading.Event(), deadline)


def soft_device(path: str) -> CtapDevice:
    """The software key kept in ``path``."""
    from shellgate.approve.softkey.authenticator import SoftCtapDevice

    device: CtapDevice = SoftCtapDevice.from_file(Path(path))
    return device


def candidates(credentials: Sequence[Credential], cancel: threading.Event | None = None,
               deadline: float = math.inf) -> list[Candidate]:
    """Devices to ask: each enrolled software key's file, then every hardware key."""
    soft: dict[str, list[Credential]] = {}
    for credential in credentials:
        if credential.kind == "soft":
            soft.setdefault(credential.soft_file, []).append(credential)
    found = [Candidate(soft_device(path), creds, True) for path, creds in soft.items()]
    hardware = [c for c in credentials if c.kind != "soft"]
    if hardware:
        found.extend(Candidate(dev, hardware, False)
                     for dev in hardware_devices(cancel, deadline))
    return found


def _once(prompt: Prompt) -> Prompt:
    """The prompt, shown once however many keys ask for a touch."""
    lock, shown = threading.Lock(), [False]

    def show() -> None:
        with lock:
            if shown[0]:
                return
            shown[0] = True
        prompt()

    return show


def _on_keepalive(prompt: Prompt) -> Callable[[int], None]:
    from fido2.ctap import STATUS

    def keepalive(status: int) -> None:
        if status == STATUS.UPNEEDED:
            prompt()

    return keepalive


def _allow_list(credentials: Sequence[Credential]) -> list[Mapping[str, Any]]:
    return [{"type": "public-key", "id": unb64(c.credential_id)} for c in credentials]


def _ctap2(device: CtapDevice) -> Ctap2 | None:
    """The device's CTAP2 interface, or None for a CTAP1/U2F-only key."""
    from fido2.ctap2.base import Ctap2

    try:
        return Ctap2(device)
    except ValueError:
        return None


def _probe(ctap2: Ctap2, credentials: Sequence[Credential],
           cancel: threading.Event) -> Credential | None:
    """Silent probe (no touch): which credential this key holds. NO_CREDENTIALS means
    "not this one"; any other error (a PIN or UV the key insists on) is raised."""
    from fido2.ctap import CtapError

    for credential in credentials:
        try:
            ctap2.get_assertion(RP_ID, b"\0" * 32, _allow_list([credential]),
                                options={"up": False}, event=cancel)
            return credential
        except CtapError as exc:
            if exc.code != CtapError.ERR.NO_CREDENTIALS:
                raise
    return None


def get_assertion(credentials: Sequence[Credential], client_data_hash: bytes, timeout: float,
                  prompt: Prompt, *, allow_soft: bool = False) -> Assertion:
    """One user-presence assertion over ``client_data_hash`` from whichever enrolled key
    the human touches. Software keys are asked only with ``allow_soft``."""
    return get_assertion_unlocking(credentials, client_data_hash, timeout, prompt, {},
                                   allow_soft=allow_soft)[0]


def get_assertion_unlocking(credentials: Sequence[Credential], client_data_hash: bytes,
                            timeout: float, prompt: Prompt, salts: Mapping[str, bytes], *,
                            allow_soft: bool = False) -> tuple[Assertion, KeySecret | None]:
    """One assertion over ``client_data_hash`` from the key the human touches; when that
    key holds a credential in ``salts`` (credential id → 32-byte salt) and has
    hmac-secret, it also carries that salt: one touch approves and yields the key's
    secret for it."""
    if not credentials:
        raise ApprovalError("no key is enrolled: a human must run `shellgate enroll` first")
    usable = [c for c in credentials if allow_soft or c.kind != "soft"]
    if not usable:
        raise ApprovalError(SOFT_REFUSED)
    slotless: list[Credential] = []
    if salts:  # unlocking: only a key holding a slot can answer, so only those are asked
        holders = [c for c in usable if c.credential_id in salts]
        if holders:
            slotless = [c for c in usable if c.credential_id not in salts]
            usable = holders
    race: Race[tuple[Assertion, KeySecret | None]] = Race(timeout)
    try:
        found = race.call(lambda cancel: candidates(usable, cancel, race.deadline + GRACE),
                          "listing keys")
        if not found:
            raise ApprovalError(NO_KEY)
        show = _once(prompt)
        for candidate in found:
            others = [] if candidate.soft else slotless
            race.start(partial(_ask, candidate, client_data_hash, show, salts, others))
        return race.first()
    except KeyboardInterrupt:  # Ctrl-C between two steps: a cancel all the same
        raise ApprovalError(CANCELLED, DECISIVE) from None
    finally:
        race.close()


def _ask(candidate: Candidate, client_data_hash: bytes, prompt: Prompt,
         salts: Mapping[str, bytes], slotless: Sequence[Credential], cancel: threading.Event,
         ) -> tuple[Assertion, KeySecret | None]:
    """One key: probe, then ask for the touch (CTAP2), or the U2F equivalent.
    ``slotless``: enrolled credentials without a vault slot, probed (silently) only to
    say "no slot" rather than "wrong key" for a key that holds one of them."""
    try:
        ctap2 = _ctap2(candidate.device)
        ctap2_creds = [c for c in candidate.credentials if c.protocol == "ctap2"]
        if ctap2 is not None and ctap2_creds:
            holder = _probe(ctap2, ctap2_creds, cancel)
            if holder is not None:
                return _ctap2_assert(ctap2, holder, client_data_hash, cancel, prompt,
                                     salts.get(holder.credential_id))
        result = _u2f_assert(candidate, client_data_hash, cancel, prompt)
        if result is not None:
            return result, None
        no_slot = [c for c in slotless if c.protocol == "ctap2"]
        if ctap2 is not None and no_slot and _probe(ctap2, no_slot, cancel) is not None:
            raise ApprovalError(NO_SLOT, DEVICE)
        raise ApprovalError("wrong key: none of the keys plugged in is enrolled with "
                            "shellgate", WRONG_KEY)
    finally:
        if candidate.owned:
            candidate.device.close()


def _ctap2_assert(ctap2: Ctap2, credential: Credential, client_data_hash: bytes,
                  cancel: threading.Event, prompt: Prompt, salt: bytes | None,
                  ) -> tuple[Assertion, KeySecret | None]:
    processor, descriptor = hmac_processor(ctap2, credential, salt)
    inputs = processor.prepare_inputs(descriptor, None) if processor else None
    response = ctap2.get_assertion(RP_ID, client_data_hash, _allow_list([credential]),
                                   extensions=inputs, event=cancel,
                                   on_keepalive=_on_keepalive(prompt))
    used = response.credential["id"] if response.credential else unb64(credential.credential_id)
    assertion = Assertion(b64(used), bytes(response.auth_data), response.signature)
    return assertion, key_secret(processor, response, used)


def _u2f_assert(candidate: Candidate, client_data_hash: bytes, cancel: threading.Event,
                prompt: Prompt) -> Assertion | None:
    """CTAP1/U2F keys: check-only probe, then poll for the touch until cancelled."""
    from fido2.ctap1 import APDU, ApduError, Ctap1
    from fido2.ctap2.base import AssertionResponse

    app_param = hashlib.sha256(RP_ID.encode()).digest()
    u2f = [c for c in candidate.credentials if c.protocol == "u2f"]
    if not u2f:
        return None
    ctap1 = Ctap1(candidate.device)
    for credential in u2f:
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

    while not cancel.is_set():
        try:
            return action()
        except ApduError as exc:
            if exc.code != APDU.USE_NOT_SATISFIED:
                raise
            prompt()
            cancel.wait(0.25)
    raise CtapError(CtapError.ERR.KEEPALIVE_CANCEL)


def make_credential(devices: CtapDevice | Sequence[CtapDevice] | None, user: str, label: str,
                    existing: Sequence[Credential], timeout: float, prompt: Prompt,
                    soft_file: str = "") -> Credential:
    """Enrol: a non-resident ES256 credential under the fixed RP id (U2F fallback) on the
    key the human touches. ``devices`` None means every hardware key plugged in."""
    race: Race[Credential] = Race(timeout, enrolling=True)
    try:
        if devices is None:
            pool = race.call(lambda cancel: hardware_devices(cancel, race.deadline + GRACE),
                             "listing keys")
            owned = True
        else:
            pool = list(devices) if isinstance(devices, Sequence) else [devices]
            owned = False
        if not pool:
            raise ApprovalError(NO_KEY)
        show = _once(prompt)
        for device in pool:
            race.start(partial(_make_on, device, user, label, existing, show, soft_file,
                               owned))
        return race.first()
    except KeyboardInterrupt:  # Ctrl-C between two steps: a cancel all the same
        raise ApprovalError(CANCELLED, DECISIVE) from None
    finally:
        race.close()


def _make_on(device: CtapDevice, user: str, label: str, existing: Sequence[Credential],
             prompt: Prompt, soft_file: str, owned: bool, cancel: threading.Event) -> Credential:
    from fido2 import cbor

    try:
        ctap2 = _ctap2(device)
        if ctap2 is None:
            return _u2f_register(device, label, cancel, prompt, soft_file)
        # hmac-secret where the key has it: only such a credential can hold a vault slot
        hmac_secret = "hmac-secret" in ctap2.info.extensions
        attestation = ctap2.make_credential(
            secrets.token_bytes(32), {"id": RP_ID, "name": "shellgate"},
            {"id": secrets.token_bytes(16), "name": user},
            [{"type": "public-key", "alg": -7}],
            exclude_list=_allow_list(existing) or None,
            extensions={"hmac-secret": True} if hmac_secret else None,
            event=cancel, on_keepalive=_on_keepalive(prompt))
    finally:
        if owned:
            device.close()
    data = attestation.auth_data
    cred = data.credential_data
    if cred is None or data.rp_id_hash != hashlib.sha256(RP_ID.encode()).digest():
        raise ApprovalError("the key returned an unusable credential", DEVICE)
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
