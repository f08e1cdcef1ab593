"""Check an assertion before anything runs (and again, offline, in ``audit verify``).

The signature covers ``authData ‖ H``; H is recomputed from the request for the command
about to run, so an approval for any other command, cwd, rule set or payload fails.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Container, Sequence
from dataclasses import dataclass

from shellgate.approve.keystore import Credential, unb64
from shellgate.approve.request import RP_ID, ApprovalRequest
from shellgate.errors import ShellgateError

MAX_AGE_SECONDS = 600
"""An approval older than this is stale, whatever else holds."""


class VerifyError(ShellgateError):
    """The assertion does not approve this command: refuse."""


@dataclass(frozen=True)
class Assertion:
    """What the key returned: which credential, the authenticator data, the signature."""

    credential_id: str
    auth_data: bytes
    signature: bytes


def check_signature(assertion: Assertion, request: ApprovalRequest,
                    credentials: Sequence[Credential]) -> tuple[Credential, int]:
    """Credential enrolled, RP-ID hash, UP flag, signature over authData ‖ H.

    Returns the credential and the assertion's signature counter.
    """
    from shellgate.approve.fido import parse_auth_data, verify_cose

    credential = next((c for c in credentials if hmac.compare_digest(
        c.credential_id.encode(), assertion.credential_id.encode())), None)
    if credential is None:
        raise VerifyError("the approval was signed by a key that is not enrolled here")
    if credential.rp_id != RP_ID:
        raise VerifyError(f"credential {credential.short_id} belongs to another relying party")
    try:
        rp_id_hash, user_present, counter = parse_auth_data(assertion.auth_data)
    except Exception as exc:  # malformed bytes: refuse
        raise VerifyError(f"malformed authenticator data: {exc}") from exc
    if not hmac.compare_digest(rp_id_hash, hashlib.sha256(RP_ID.encode()).digest()):
        raise VerifyError("the assertion is for another relying party")
    if not user_present:
        raise VerifyError("the key did not report a touch (user-presence flag not set)")
    try:
        verify_cose(unb64(credential.public_key), assertion.auth_data + request.digest(),
                    assertion.signature)
    except Exception as exc:  # InvalidSignature and any parse failure alike
        raise VerifyError("the signature does not match this command") from exc
    return credential, counter


def verify_assertion(assertion: Assertion, request: ApprovalRequest, expected: ApprovalRequest,
                     credentials: Sequence[Credential], used_nonces: Container[str],
                     now: int, *, allow_soft: bool = False) -> tuple[Credential, int]:
    """Everything ``check_signature`` checks, plus: the request is exactly the one about
    to run, the counter went up, the nonce is fresh and unused, and a software key
    approves only with ``allow_soft``."""
    if not hmac.compare_digest(request.digest(), expected.digest()):
        raise VerifyError("the approval is for a different command")
    credential, counter = check_signature(assertion, request, credentials)
    if credential.kind != "hardware" and not allow_soft:
        raise VerifyError(f"key {credential.short_id} is a software key, and this "
                          "configuration does not accept software keys")
    if (counter or credential.sign_count) and counter <= credential.sign_count:
        raise VerifyError(f"the key's signature counter went backwards ({counter} after "
                          f"{credential.sign_count}): a cloned key or a replay")
    if request.nonce in used_nonces:
        raise VerifyError("this approval was already used (nonce replayed)")
    if not 0 <= now - request.time <= MAX_AGE_SECONDS:
        raise VerifyError("the approval is stale")
    return credential, counter
