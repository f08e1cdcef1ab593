"""One sentence for each way a key can say no, saying what the human can do about it.

Errors carry a rank: when several keys are asked at once and none approves, the most
useful sentence wins (a key that wants its PIN says more than a key that is not enrolled).
"""

from __future__ import annotations

from shellgate.errors import ShellgateError

NO_KEY = ("no FIDO2 key found — plug one in; on Linux a key that is plugged in but not "
          "found usually means a missing udev rule (see `shellgate doctor`)")
TIMED_OUT = "timed out waiting for a key touch"
CANCELLED = "cancelled: no approval was given"

WRONG_KEY, DEVICE, PIN, DECISIVE = 0, 1, 2, 3
"""Ranks: a key that does not hold our credential < a device error < a key that needs its
PIN or UV < an answer the human gave by touching (denied, already enrolled)."""


class ApprovalError(ShellgateError):
    """The key did not approve: no key, wrong key, timeout, cancelled, PIN required…"""

    def __init__(self, message: str, rank: int = DEVICE) -> None:
        super().__init__(message)
        self.rank = rank


# CTAP2 status codes (fido2.ctap.CtapError.ERR), by value so this module imports no fido2.
_PIN_MESSAGES: dict[int, str] = {
    0x35: ("this key insists on user verification but has no PIN set (alwaysUv): turn "
           "alwaysUv off (`ykman fido config toggle-always-uv`) or use another enrolled key"),
    0x36: ("this key wants its PIN for this request (alwaysUv is on, or it is a key whose "
           "PIN guards every credential), and shellgate only asks for a touch: turn "
           "alwaysUv off (`ykman fido config toggle-always-uv`) or use a key that accepts "
           "a touch alone"),
    0x31: "the PIN was wrong: try again",
    0x33: "the key refused the PIN exchange: unplug and replug the key, then try again",
    0x32: ("this key's PIN is blocked after too many wrong tries: only a reset of the key "
           "(which erases its credentials) unblocks it; use another enrolled key"),
    0x34: ("this key blocks PIN entry after three wrong tries until it is replugged: "
           "unplug and replug it, then try again"),
    0x3C: ("this key's built-in verification (fingerprint) is blocked: unlock it with its "
           "PIN in the vendor's tool, or use another enrolled key"),
    0x3F: "the key did not recognise your fingerprint: try again",
}


def explain_ctap(code: int, *, enrolling: bool = False) -> ApprovalError:
    """The sentence for a CTAP2 status code."""
    if code in _PIN_MESSAGES:
        text = _PIN_MESSAGES[code]
        if enrolling and code == 0x36:
            text = ("this key has a PIN set and wants it to make a credential, and shellgate "
                    "only asks for a touch: enrol a key without a PIN, or one whose firmware "
                    "makes credentials with a touch alone (CTAP 2.1 makeCredUvNotRqd)")
        return ApprovalError(text, PIN)
    if code == 0x2D:  # KEEPALIVE_CANCEL
        return ApprovalError(CANCELLED, DEVICE)
    if code in (0x2F, 0x3A):  # USER_ACTION_TIMEOUT, ACTION_TIMEOUT
        return ApprovalError(TIMED_OUT, DEVICE)
    if code == 0x27:  # OPERATION_DENIED
        return ApprovalError("the key refused the request (touch declined)", DECISIVE)
    if code == 0x19:  # CREDENTIAL_EXCLUDED
        return ApprovalError("this key is already enrolled: touch a key that is not, or "
                             "remove the old entry first (`shellgate keys`)", DECISIVE)
    if code == 0x2E:  # NO_CREDENTIALS
        return ApprovalError("wrong key: this key is not enrolled with shellgate", WRONG_KEY)
    return ApprovalError(f"the key answered with an error: {_name(code)}", DEVICE)


def _name(code: int) -> str:
    try:
        from fido2.ctap import CtapError

        return CtapError.ERR(code).name
    except (ImportError, ValueError):
        return f"0x{code:02x}"


def explain(exc: BaseException, *, enrolling: bool = False) -> ApprovalError:
    """An ApprovalError for whatever a key, the transport or the human raised."""
    if isinstance(exc, ApprovalError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return ApprovalError(CANCELLED, DECISIVE)
    from fido2.ctap import CtapError

    if isinstance(exc, CtapError):
        return explain_ctap(int(exc.code), enrolling=enrolling)
    if isinstance(exc, TimeoutError):
        return ApprovalError(f"a key stopped answering: {exc}", DEVICE)
    return ApprovalError(f"the key could not be used: {exc}", DEVICE)
