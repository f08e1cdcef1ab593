"""verify_assertion refuses every approval that is not for exactly this command, now, once."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from shellgate.approve import fido
from shellgate.approve.keystore import Credential
from shellgate.approve.request import ApprovalRequest, new_nonce
from shellgate.approve.softkey.authenticator import create_soft_key
from shellgate.approve.verify import Assertion, VerifyError, verify_assertion


def _request(command: str = "git push --force") -> ApprovalRequest:
    return ApprovalRequest(command=command, argv=tuple(command.split()), cwd="/repo", user="u",
                           host="h", rules=("git.force-push",), files=(), nonce=new_nonce(),
                           time=int(time.time()))


@pytest.fixture
def key(tmp_path: Path) -> Credential:
    path = tmp_path / "key.json"
    create_soft_key(path)
    return fido.make_credential(fido.soft_device(str(path)), "u", "test", [], 5,
                                lambda: None, soft_file=str(path))


def _approve(credential: Credential, request: ApprovalRequest) -> Assertion:
    return fido.get_assertion([credential], request.digest(), 5, lambda: None, allow_soft=True)


def test_exact_request_verifies(key: Credential) -> None:
    request = _request()
    credential, counter = verify_assertion(_approve(key, request), request, request, [key],
                                           set(), request.time, allow_soft=True)
    assert credential == key and counter > key.sign_count


@pytest.mark.parametrize("change", [
    {"command": "git push origin main"}, {"cwd": "/elsewhere"},
    {"rules": ()}, {"files": (("drop.sql", "0" * 64),)},
])
def test_any_other_request_is_refused(key: Credential, change: dict[str, object]) -> None:
    request = _request()
    with pytest.raises(VerifyError, match="different command"):
        verify_assertion(_approve(key, request), request, replace(request, **change),  # type: ignore[arg-type]
                         [key], set(), request.time, allow_soft=True)


def test_forged_request_with_a_real_signature_is_refused(key: Credential) -> None:
    signed, forged = _request(), _request("rm -rf /")
    with pytest.raises(VerifyError, match="signature"):
        verify_assertion(_approve(key, signed), forged, forged, [key], set(), forged.time,
                         allow_soft=True)


def test_replayed_nonce_is_refused(key: Credential) -> None:
    request = _request()
    with pytest.raises(VerifyError, match="already used"):
        verify_assertion(_approve(key, request), request, request, [key], {request.nonce},
                         request.time, allow_soft=True)


def test_stale_approval_is_refused(key: Credential) -> None:
    request = _request()
    with pytest.raises(VerifyError, match="stale"):
        verify_assertion(_approve(key, request), request, request, [key], set(),
                         request.time + 3600, allow_soft=True)


def test_key_not_enrolled_is_refused(key: Credential, tmp_path: Path) -> None:
    request = _request()
    with pytest.raises(VerifyError, match="not enrolled"):
        verify_assertion(_approve(key, request), request, request, [], set(), request.time)


def test_h_is_domain_separated_and_covers_every_field() -> None:
    request = _request()
    assert request.digest() != _request().digest()  # fresh nonce each time
    assert ApprovalRequest.from_json(request.to_json()) == request
