"""With a real FIDO2 key plugged in (run: ./test.sh tests/device --device). A human
touches the key twice: once to enrol, once to approve."""

from __future__ import annotations

from pathlib import Path

import pytest

from shellgate.approve import fido
from shellgate.approve.request import ApprovalRequest, new_nonce
from shellgate.approve.verify import verify_assertion


@pytest.mark.device
def test_real_key_enrols_and_approves(tmp_path: Path) -> None:
    devices = fido.hardware_devices()
    assert devices, fido.NO_KEY
    print("\ntouch your key to enrol it (test only; nothing is stored outside a temp dir)")
    credential = fido.make_credential(devices[0], "test", "device test", [], 30, lambda: None)
    request = ApprovalRequest(command="echo device-test", argv=("echo", "device-test"),
                              cwd=str(tmp_path), user="test", host="test", rules=("test",),
                              files=(), nonce=new_nonce(), time=0)
    print("touch your key again to approve")
    assertion = fido.get_assertion([credential], request.digest(), 30, lambda: None)
    verified, counter = verify_assertion(assertion, request, request, [credential], set(), 0)
    assert verified.credential_id == credential.credential_id
    assert counter >= 0
