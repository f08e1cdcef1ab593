"""A software FIDO2/U2F authenticator that python-fido2's real ``Ctap2``/``Ctap1`` can drive.

It exists for black-box tests and demos (``shellgate enroll --soft FILE``): the key lives
in a JSON file, and its ``touch`` field says whether the simulated user touches it. It is
not a security device: anyone who can read the file holds the key. CTAP2 commands are in
``soft_ctap2``, U2F APDUs in ``soft_ctap1``; this module holds the key state, the
simulated user and the ``CtapDevice`` adapter.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fido2.ctap import STATUS, CtapDevice, CtapError
from fido2.hid import CAPABILITY, CTAPHID

from shellgate.approve.keystore import b64, unb64, write_atomic
from shellgate.approve.softkey import ctap1 as soft_ctap1
from shellgate.approve.softkey import ctap2 as soft_ctap2
from shellgate.errors import ShellgateError

SOFT_KIND = "shellgate-soft-fido2"
"""The ``kind`` field of a software key file."""
SOFT_VERSION = 1
NONCE_BYTES = 12
CREDENTIAL_ID_BYTES = NONCE_BYTES + 32 + 16  # nonce ‖ encrypted P-256 scalar ‖ GCM tag
HMAC_SECRET_TAG = b"\x01hmac-secret"
"""Added to a credential id's associated data when the credential has hmac-secret."""
KEY_TIMEOUT = 30.0
"""Seconds a simulated user leaves a request unanswered before the key gives up."""

_ALREADY_SET = threading.Event()
_ALREADY_SET.set()  # "answer now, do not wait": how U2F requests poll for a touch


class SoftKeyError(ShellgateError):
    """A software key file is missing, unreadable, damaged, or would be overwritten."""


def create_soft_key(path: Path, *, touch: bool = True, ctap2: bool = True,
                    hmac_secret: bool = True) -> None:
    """Write a new software key to ``path`` (mode 0600); never overwrite an existing file."""
    state = {"kind": SOFT_KIND, "version": SOFT_VERSION, "touch": touch, "ctap2": ctap2,
             "master_key": b64(secrets.token_bytes(32)), "counter": 0,
             "aaguid": secrets.token_bytes(16).hex(), "hmac_secret": hmac_secret}
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # reserve the name first, so two writers cannot both think they created it
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError as exc:
        raise SoftKeyError(f"{path} already exists; not overwriting a key") from exc
    except OSError as exc:
        raise SoftKeyError(f"cannot create the soft key {path}: {exc.strerror}") from exc
    try:
        write_atomic(path, json.dumps(state, indent=2) + "\n")
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class Presence(Protocol):
    """The simulated user in front of the key."""

    def wait(self, event: threading.Event | None) -> bool | None:
        """True touched, False denied, None timed out or cancelled.

        An answer already given counts; otherwise this returns None at once when
        ``event`` is set (already set means "do not wait", as U2F polling needs).
        """


class AutoTouch:
    """A user who touches the key whenever it asks."""

    def wait(self, event: threading.Event | None) -> bool | None:
        """Always touched."""
        return True


class NeverTouch:
    """A user who never touches: the request ends when ``event`` fires or the key times out."""

    def __init__(self, timeout: float = KEY_TIMEOUT) -> None:
        self.timeout = timeout

    def wait(self, event: threading.Event | None) -> bool | None:
        """Wait for the cancel event (or the key's own timeout); never touched."""
        (event or threading.Event()).wait(self.timeout)
        return None


class ManualTouch:
    """A user driven by the test: ``touch()`` (or ``touch(False)`` to deny) from any thread.

    Answers queue up: one given before the key asks is used by its next request.
    """

    def __init__(self, timeout: float = KEY_TIMEOUT) -> None:
        self.timeout = timeout
        self._answers: deque[bool] = deque()
        self._changed = threading.Condition()

    def touch(self, answer: bool = True) -> None:
        """Touch the key (``True``) or deny the request (``False``)."""
        with self._changed:
            self._answers.append(answer)
            self._changed.notify_all()

    def wait(self, event: threading.Event | None) -> bool | None:
        """The next answer, or None once ``event`` is set or the timeout passes."""
        deadline = time.monotonic() + self.timeout
        with self._changed:
            while not self._answers:
                left = deadline - time.monotonic()
                if (event is not None and event.is_set()) or left <= 0:
                    return None
                # the cancel event cannot notify our condition, so look at it now and then
                self._changed.wait(min(left, 0.02) if event is not None else left)
            return self._answers.popleft()


def _field(state: dict[str, Any], name: str, kind: type) -> Any:
    value = state.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SoftKeyError(f"the soft key is damaged: field {name!r} is missing or not "
                           f"a {kind.__name__}")
    return value


def _optional_flag(state: dict[str, Any], name: str) -> bool:
    value = state.get(name, False)
    if not isinstance(value, bool):
        raise SoftKeyError(f"the soft key is damaged: field {name!r} is not a bool")
    return value


class SoftAuthenticator:
    """The key's state machine: master key, counter, simulated user, command log.

    Credential ids are ``nonce ‖ AES-GCM(master, nonce, P-256 scalar, aad=rpIdHash)``, so
    only this key, asked for the same relying party, can turn one back into a private key.
    """

    def __init__(self, state: dict[str, Any], presence: Presence | None = None,
                 persist: Callable[[dict[str, Any]], None] | None = None) -> None:
        if not isinstance(state, dict) or state.get("kind") != SOFT_KIND:
            raise SoftKeyError("not a shellgate soft key (wrong or missing 'kind')")
        if state.get("version") != SOFT_VERSION:
            raise SoftKeyError(f"unsupported soft key version {state.get('version')!r}")
        self.touch: bool = _field(state, "touch", bool)
        self.ctap2: bool = _field(state, "ctap2", bool)
        self.counter: int = _field(state, "counter", int)
        # key files from before the extension existed behave as keys without it
        self.hmac_secret = state.get("hmac_secret", False) is True
        try:
            self._master = unb64(_field(state, "master_key", str))
            self.aaguid = bytes.fromhex(_field(state, "aaguid", str))
        except ValueError as exc:
            raise SoftKeyError(f"the soft key is damaged: {exc}") from exc
        if len(self._master) != 32 or len(self.aaguid) != 16 or not 0 <= self.counter < 2**32:
            raise SoftKeyError("the soft key is damaged: bad master key, aaguid or counter")
        # Optional modes (absent from most key files): a PIN is set (a CTAP 2.0 key then
        # wants it to make credentials), or user verification is demanded for everything.
        self.pin_set = _optional_flag(state, "pin_set")
        self.always_uv = _optional_flag(state, "always_uv")
        self.presence: Presence = presence or (AutoTouch() if self.touch else NeverTouch())
        self.persist = persist
        self.advance: Callable[[], int] | None = None
        self.log: list[tuple[str, dict[str, Any]]] = []
        self._agreement: ec.EllipticCurvePrivateKey | None = None

    def state(self) -> dict[str, Any]:
        """The JSON-ready state, as stored in a key file."""
        modes = {name: True for name in ("pin_set", "always_uv") if getattr(self, name)}
        return {"kind": SOFT_KIND, "version": SOFT_VERSION, "touch": self.touch,
                "ctap2": self.ctap2, "master_key": b64(self._master),
                "counter": self.counter, "aaguid": self.aaguid.hex(),
                "hmac_secret": self.hmac_secret, **modes}

    def _save(self) -> None:
        if self.persist is not None:
            self.persist(self.state())

    # -- key material -------------------------------------------------------------------

    def new_credential(self, rp_id_hash: bytes, hmac_secret: bool = False,
                       ) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
        """A fresh P-256 key and its credential id, bound to ``rp_id_hash`` (and to whether
        the credential has hmac-secret enabled, which the spec fixes at creation)."""
        key = ec.generate_private_key(ec.SECP256R1())
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = rp_id_hash + (HMAC_SECRET_TAG if hmac_secret else b"")
        return key, nonce + AESGCM(self._master).encrypt(nonce, scalar, aad)

    def unwrap(self, credential_id: bytes, rp_id_hash: bytes) -> ec.EllipticCurvePrivateKey | None:
        """The private key for ``credential_id``, or None if this key did not mint it for
        this relying party."""
        found = self.unwrap_credential(credential_id, rp_id_hash)
        return found[0] if found else None

    def unwrap_credential(self, credential_id: bytes, rp_id_hash: bytes,
                          ) -> tuple[ec.EllipticCurvePrivateKey, bool] | None:
        """The private key and whether hmac-secret is enabled, or None (not ours)."""
        if len(credential_id) != CREDENTIAL_ID_BYTES:
            return None
        nonce, sealed = credential_id[:NONCE_BYTES], credential_id[NONCE_BYTES:]
        for hmac_secret in (False, True):
            aad = rp_id_hash + (HMAC_SECRET_TAG if hmac_secret else b"")
            try:
                scalar = AESGCM(self._master).decrypt(nonce, sealed, aad)
                key = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
            except (InvalidTag, ValueError):
                continue
            return key, hmac_secret
        return None

    def agreement_key(self) -> ec.EllipticCurvePrivateKey:
        """The clientPin key-agreement key; like a real key's, new at every power-up."""
        if self._agreement is None:
            self._agreement = ec.generate_private_key(ec.SECP256R1())
        return self._agreement

    def cred_random(self, credential_id: bytes, uv: bool) -> bytes:
        """The credential's hmac-secret key (see ``hmac_secret.cred_random``)."""
        from shellgate.approve.softkey.hmac_secret import cred_random

        return cred_random(self._master, credential_id, uv)

    @staticmethod
    def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
        """ECDSA P-256 / SHA-256, DER-encoded."""
        return key.sign(message, ec.ECDSA(hashes.SHA256()))

    @staticmethod
    def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
        """The 65-byte uncompressed public point (0x04 ‖ x ‖ y)."""
        return key.public_key().public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint)

    def next_counter(self) -> int:
        """Advance the signature counter and persist it before anything is signed; with
        ``advance`` (a key file), atomically across every process using the same file."""
        if self.advance is not None:
            self.counter = self.advance()
            return self.counter
        self.counter += 1
        self._save()
        return self.counter

    def reset_keys(self) -> None:
        """Factory reset: a new master key (every old credential id dies), counter 0."""
        self._master = secrets.token_bytes(32)
        self._agreement = None
        self.counter = 0
        self._save()

    # -- the simulated user -------------------------------------------------------------

    def require_presence(self, event: threading.Event | None,
                         on_keepalive: Callable[[STATUS], None] | None) -> None:
        """Ask for a touch (one UPNEEDED keepalive, then wait); raise unless touched."""
        if on_keepalive is not None:
            on_keepalive(STATUS.UPNEEDED)
        answer = self.presence.wait(event)
        if event is not None and event.is_set():
            raise CtapError(CtapError.ERR.KEEPALIVE_CANCEL)
        if answer is False:
            raise CtapError(CtapError.ERR.OPERATION_DENIED)
        if answer is not True:
            raise CtapError(CtapError.ERR.USER_ACTION_TIMEOUT)

    def poll_presence(self) -> bool:
        """U2F style: has the user touched the key already? Never waits."""
        return self.presence.wait(_ALREADY_SET) is True

    # -- transports ---------------------------------------------------------------------

    def handle_cbor(self, data: bytes, event: threading.Event | None = None,
                    on_keepalive: Callable[[STATUS], None] | None = None) -> bytes:
        """One CTAPHID_CBOR request (command byte ‖ CBOR) → status byte ‖ canonical CBOR."""
        return soft_ctap2.handle_cbor(self, data, event, on_keepalive)

    def handle_apdu(self, apdu: bytes) -> bytes:
        """One CTAPHID_MSG request (a U2F APDU) → response data ‖ SW1 SW2."""
        return soft_ctap1.handle_apdu(self, apdu)


class SoftCtapDevice(CtapDevice):
    """The ``CtapDevice`` python-fido2 talks to; one request at a time, like a real key."""

    def __init__(self, authenticator: SoftAuthenticator) -> None:
        self.authenticator = authenticator
        self._busy = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> SoftCtapDevice:
        """Load a key file; the counter is written back to it after every signature."""
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise SoftKeyError(f"no soft key at {path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise SoftKeyError(f"cannot read the soft key {path}: {exc}") from exc
        try:
            state = json.loads(raw)
        except ValueError as exc:
            raise SoftKeyError(f"the soft key {path} is damaged: {exc}") from exc
        if not isinstance(state, dict):
            raise SoftKeyError(f"the soft key {path} is damaged: not a JSON object")

        def persist(new_state: dict[str, Any]) -> None:
            try:
                write_atomic(path, json.dumps(new_state, indent=2) + "\n")
            except OSError as exc:
                raise SoftKeyError(f"cannot save the soft key {path}: {exc}") from exc

        def advance() -> int:
            """Under a lock on the key file: re-read its counter, add one, save it."""
            import fcntl

            with open(f"{path}.lock", "a", encoding="utf-8") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                try:
                    current = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise SoftKeyError(f"cannot read the soft key {path}: {exc}") from exc
                current["counter"] = int(current.get("counter", 0)) + 1
                persist(current)
                return int(current["counter"])

        authenticator = SoftAuthenticator(state, persist=persist)
        authenticator.advance = advance
        return cls(authenticator)

    @property
    def capabilities(self) -> int:
        """WINK, plus CBOR for a CTAP2 key; U2F messages (no NMSG) either way."""
        return int(CAPABILITY.WINK | (CAPABILITY.CBOR if self.authenticator.ctap2 else 0))

    def call(self, cmd: int, data: bytes = b"", event: threading.Event | None = None,
             on_keepalive: Callable[[STATUS], None] | None = None) -> bytes:
        """Dispatch one CTAPHID command, as the HID transport would deliver it."""
        if not self._busy.acquire(blocking=False):
            raise CtapError(CtapError.ERR.CHANNEL_BUSY)
        try:
            if cmd == CTAPHID.PING:
                return bytes(data)
            if cmd == CTAPHID.WINK:
                return b""
            if cmd == CTAPHID.CBOR and self.authenticator.ctap2:
                return self.authenticator.handle_cbor(bytes(data), event, on_keepalive)
            if cmd == CTAPHID.MSG:
                return self.authenticator.handle_apdu(bytes(data))
            raise CtapError(CtapError.ERR.INVALID_COMMAND)
        finally:
            self._busy.release()

    def close(self) -> None:
        """Nothing to release."""

    @classmethod
    def list_devices(cls) -> Iterator[CtapDevice]:
        """Software keys are never discovered; they are opened explicitly."""
        yield from ()
