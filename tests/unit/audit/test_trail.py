"""The audit log: hash chain, tamper detection, torn writes, concurrent writers, approvals."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.cose import ES256

from shellgate.approve.keystore import Credential, b64, unb64
from shellgate.approve.request import RP_ID, ApprovalRequest, new_nonce
from shellgate.audit import trail as audit
from shellgate.audit.trail import AUDIT_FILE, AuditError

T0 = 1_700_000_000


def _event(i: int, **extra: Any) -> dict[str, Any]:
    return {"time": T0 + i, "event": "denied", "decision": "deny",
            "command": f"rm -rf /srv/data{i}", "rules": ["fs.rm-rf"],
            "reason": "denied by policy", **extra}


def _log(tmp_path: Path, n: int) -> Path:
    path = tmp_path / AUDIT_FILE
    for i in range(1, n + 1):
        audit.append(path, _event(i))
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


class _Key:
    """An ES256 key signing authData ‖ H as a FIDO2 authenticator would (enrolled as the
    hardware key it stands in for, unless ``kind`` says otherwise)."""

    def __init__(self, kind: str = "hardware") -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        cose = ES256.from_cryptography_key(self.private.public_key())  # type: ignore[no-untyped-call]
        self.credential = Credential(credential_id=b64(os.urandom(16)),
                                     public_key=b64(cbor.encode(cose)), rp_id=RP_ID,
                                     label="test key", kind=kind)
        self.kind = "hardware" if kind == "hardware" else "software"

    def approve(self, request: ApprovalRequest, counter: int) -> dict[str, Any]:
        auth_data = (hashlib.sha256(RP_ID.encode()).digest() + b"\x01"
                     + counter.to_bytes(4, "big"))
        signature = self.private.sign(auth_data + request.digest(), ec.ECDSA(hashes.SHA256()))
        return {"credential_id": self.credential.credential_id, "auth_data": b64(auth_data),
                "signature": b64(signature), "counter": counter, "key": self.kind}


def _request(command: str = "railway volume delete prod-db",
             nonce: str | None = None) -> ApprovalRequest:
    return ApprovalRequest(command=command, argv=tuple(command.split()), cwd="/srv/app",
                           user="dev", host="box", rules=("railway.volume-delete",),
                           files=(), nonce=nonce or new_nonce(), time=T0)


def _approved(request: ApprovalRequest, approval: dict[str, Any]) -> dict[str, Any]:
    return {"time": T0 + 5, "event": "approved", "decision": "gate",
            "command": request.command, "rules": list(request.rules),
            "request": request.to_json(), "approval": approval, "reason": "key touched"}


@pytest.fixture
def key() -> _Key:
    return _Key()


# --- writing and the chain ---------------------------------------------------------------

def test_append_adds_chain_fields_and_a_chain_of_records_verifies(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    written = [audit.append(path, _event(i)) for i in range(1, 6)]
    assert [r["seq"] for r in written] == [1, 2, 3, 4, 5]
    assert written[0]["prev"] == "0" * 64
    assert [r["prev"] for r in written[1:]] == [r["hash"] for r in written[:-1]]
    assert all(r["v"] == 1 for r in written)
    body = {k: v for k, v in written[2].items() if k != "hash"}
    expected = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=True).encode()).hexdigest()
    assert written[2]["hash"] == expected
    assert audit.read(path) == written
    report = audit.verify(path, [])
    assert (report.ok, report.records, report.first_bad, report.torn_tail) == (True, 5, None,
                                                                               False)
    assert report.reason == "5 records verify"


def test_files_are_private_and_lines_are_ascii(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    audit.append(path, _event(1, command="rm -rf ~/données\nrm -rf /"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lock = tmp_path / "audit.jsonl.lock"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert raw.count(b"\n") == 1 and raw.endswith(b"\n")
    raw.decode("ascii")
    assert audit.read(path)[0]["command"] == "rm -rf ~/données\nrm -rf /"


def test_append_fsyncs_the_file_and_the_directory_that_gained_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = tmp_path / AUDIT_FILE
    audit.append(path, _event(1))
    assert synced == ["file", "dir"]
    audit.append(path, _event(2))
    assert synced == ["file", "dir", "file"]


@pytest.mark.parametrize("bad", [{"seq": 7}, {"hash": "x"}, {"prev": "0"}, {"v": 2}])
def test_append_refuses_chain_fields_from_the_caller(tmp_path: Path, bad: dict[str, Any]) -> None:
    with pytest.raises(AuditError, match="set by the log itself"):
        audit.append(tmp_path / AUDIT_FILE, _event(1, **bad))
    assert not (tmp_path / AUDIT_FILE).exists()


@pytest.mark.parametrize("value", [object(), float("nan"), {1, 2}])
def test_append_refuses_what_is_not_json(tmp_path: Path, value: object) -> None:
    with pytest.raises(AuditError, match="cannot be written as JSON"):
        audit.append(tmp_path / AUDIT_FILE, _event(1, extra=value))


def test_empty_or_missing_log_verifies_with_no_records(tmp_path: Path) -> None:
    missing = audit.verify(tmp_path / AUDIT_FILE, [])
    (tmp_path / "empty.jsonl").write_bytes(b"")
    empty = audit.verify(tmp_path / "empty.jsonl", [])
    for report in (missing, empty):
        assert (report.ok, report.records, report.first_bad, report.torn_tail) == (
            True, 0, None, False)
    assert audit.read(tmp_path / AUDIT_FILE) == []
    assert audit.show(tmp_path / AUDIT_FILE) == []


# --- tampering ---------------------------------------------------------------------------

def test_an_edited_field_is_reported_at_its_line(tmp_path: Path) -> None:
    path = _log(tmp_path, 5)
    lines = _lines(path)
    lines[2] = lines[2].replace(b"/srv/data3", b"/srv/elsewhere")
    _write(path, lines)
    report = audit.verify(path, [])
    assert (report.ok, report.first_bad, report.records) == (False, 3, 2)
    assert report.reason == "record 3 was edited: its hash does not match"


def test_an_edit_that_recomputes_its_hash_breaks_the_next_link(tmp_path: Path) -> None:
    path = _log(tmp_path, 5)
    lines = _lines(path)
    record = json.loads(lines[2])
    record["command"] = "ls"
    record["hash"] = audit.record_hash(record)
    lines[2] = audit.canonical(record)
    _write(path, lines)
    report = audit.verify(path, [])
    assert report.first_bad == 4
    assert report.reason == "record 4 is missing or out of order: prev does not match record 3"


def test_a_reformatted_record_is_an_edit(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    lines = _lines(path)
    lines[1] = json.dumps(json.loads(lines[1])).encode()  # same content, spaces added
    _write(path, lines)
    report = audit.verify(path, [])
    assert report.first_bad == 2
    assert report.reason == "record 2 was edited: it is not in the form shellgate writes"


def test_a_deleted_line_is_reported(tmp_path: Path) -> None:
    path = _log(tmp_path, 5)
    lines = _lines(path)
    del lines[2]
    _write(path, lines)
    report = audit.verify(path, [])
    assert (report.ok, report.first_bad, report.records) == (False, 3, 2)
    assert report.reason == "record 3 is missing or out of order: prev does not match record 2"


def test_deleting_the_first_line_is_reported(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    _write(path, _lines(path)[1:])
    report = audit.verify(path, [])
    assert (report.ok, report.first_bad, report.records) == (False, 1, 0)
    assert report.reason == ("record 1 is missing or out of order: "
                             "prev does not match the start of the log")


def test_swapped_lines_are_reported(tmp_path: Path) -> None:
    path = _log(tmp_path, 5)
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    _write(path, lines)
    report = audit.verify(path, [])
    assert (report.ok, report.first_bad) == (False, 2)
    assert report.reason == "record 2 is missing or out of order: prev does not match record 1"


def test_a_duplicated_line_is_reported(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    lines = _lines(path)
    _write(path, lines + [lines[-1]])
    report = audit.verify(path, [])
    assert (report.ok, report.first_bad, report.records) == (False, 4, 3)


def test_a_record_replaced_by_garbage_does_not_pass_as_a_torn_write(tmp_path: Path) -> None:
    path = _log(tmp_path, 4)
    lines = _lines(path)
    lines[1] = b'{"event": "appro'
    _write(path, lines)
    report = audit.verify(path, [])
    assert (report.ok, report.first_bad, report.records) == (False, 2, 1)
    assert report.reason == ("record 2 does not parse, and the record after it does not "
                             "continue the chain")


# --- torn writes -------------------------------------------------------------------------

def test_truncation_mid_line_is_a_torn_tail_and_append_recovers(tmp_path: Path) -> None:
    path = _log(tmp_path, 4)
    third = audit.read(path)[2]
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size - 20)
    report = audit.verify(path, [])
    assert (report.ok, report.records, report.first_bad, report.torn_tail) == (True, 3, None,
                                                                               True)
    assert report.torn_lines == (4,)
    assert "up to the last complete record" in report.reason
    assert len(audit.read(path)) == 3

    fresh = audit.append(path, _event(9))
    assert (fresh["seq"], fresh["prev"]) == (4, third["hash"])
    assert len(_lines(path)) == 5  # the fragment stays on its own line
    report = audit.verify(path, [])
    assert (report.ok, report.records, report.torn_tail, report.torn_lines) == (True, 4, False,
                                                                                (4,))
    assert "line 4 is a torn write" in report.reason
    assert [r["seq"] for r in audit.read(path)] == [1, 2, 3, 4]
    assert any(line.startswith("line 4: unreadable") for line in audit.show(path))


def test_a_torn_first_write_restarts_the_chain(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    path.write_bytes(b'{"command":"rm -rf /","ev')
    first = audit.append(path, _event(1))
    assert (first["seq"], first["prev"]) == (1, "0" * 64)
    report = audit.verify(path, [])
    assert (report.ok, report.records, report.torn_lines) == (True, 1, (1,))


def test_a_whole_record_missing_only_its_newline_still_counts(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    path.write_bytes(path.read_bytes()[:-1])
    assert audit.verify(path, []).records == 3
    fresh = audit.append(path, _event(4))
    assert fresh["seq"] == 4
    report = audit.verify(path, [])
    assert (report.ok, report.records, report.torn_lines) == (True, 4, ())


def test_append_returns_what_read_gives_back(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    written = audit.append(path, _event(1, rules=("a.b", "c.d")))
    assert written["rules"] == ["a.b", "c.d"]
    assert audit.read(path) == [written]


# --- concurrent writers ------------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from shellgate.audit import trail as audit
sys.stdin.read()  # wait until every writer has started
for i in range(25):
    audit.append(Path(sys.argv[1]), {"event": "denied", "command": f"w{sys.argv[2]} {i}"})
"""


def test_many_processes_append_one_contiguous_chain(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)],
                                stdin=subprocess.PIPE) for n in range(8)]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.close()
    assert [writer.wait(timeout=300) for writer in writers] == [0] * 8
    records = audit.read(path)
    assert [r["seq"] for r in records] == list(range(1, 201))
    for n in range(8):  # each writer's records appear in the order it wrote them
        mine = [r["command"] for r in records if r["command"].startswith(f"w{n} ")]
        assert mine == [f"w{n} {i}" for i in range(25)]
    report = audit.verify(path, [])
    assert (report.ok, report.records, report.torn_tail) == (True, 200, False)


# --- approvals ---------------------------------------------------------------------------

def test_a_signed_approval_verifies(tmp_path: Path, key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    audit.append(path, _event(1))
    request = _request()
    audit.append(path, _approved(request, key.approve(request, 7)))
    audit.append(path, _event(3))
    report = audit.verify(path, [key.credential])
    assert (report.ok, report.records) == (True, 3)


def test_a_tampered_signature_is_reported(tmp_path: Path, key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    request = _request()
    approval = key.approve(request, 1)
    signature = bytearray(unb64(approval["signature"]))
    signature[-1] ^= 0x01
    approval["signature"] = b64(bytes(signature))
    audit.append(path, _event(1))
    audit.append(path, _approved(request, approval))
    report = audit.verify(path, [key.credential])
    assert (report.ok, report.first_bad, report.records) == (False, 2, 1)
    assert report.reason == ("record 2's approval does not verify: "
                             "the signature does not match this command")


def test_an_approval_moved_to_another_command_is_reported(tmp_path: Path, key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    signed = _request("railway volume list")
    other = _request("railway volume delete prod-db", nonce=signed.nonce)
    audit.append(path, _approved(other, key.approve(signed, 1)))
    report = audit.verify(path, [key.credential])
    assert report.first_bad == 1
    assert "the signature does not match this command" in report.reason


def test_an_approval_by_a_key_not_enrolled_is_reported(tmp_path: Path, key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    request = _request()
    audit.append(path, _approved(request, key.approve(request, 1)))
    report = audit.verify(path, [_Key().credential])
    assert (report.ok, report.first_bad) == (False, 1)
    assert report.reason == ("record 1's approval does not verify: the approval was signed "
                             "by a key that is not enrolled here")


def test_a_replayed_nonce_is_reported(tmp_path: Path, key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    request = _request()
    audit.append(path, _approved(request, key.approve(request, 1)))
    audit.append(path, _event(2))
    audit.append(path, _approved(request, key.approve(request, 2)))
    report = audit.verify(path, [key.credential])
    assert (report.ok, report.first_bad, report.records) == (False, 3, 2)
    assert report.reason == ("record 3's approval does not verify: its nonce was already "
                             "used in record 1 (a replayed approval)")


@pytest.mark.parametrize("second", [3, 5])
def test_a_counter_that_does_not_rise_is_reported(tmp_path: Path, key: _Key,
                                                  second: int) -> None:
    path = tmp_path / AUDIT_FILE
    first = _request()
    audit.append(path, _approved(first, key.approve(first, 5)))
    later = _request()
    audit.append(path, _approved(later, key.approve(later, second)))
    report = audit.verify(path, [key.credential])
    assert (report.ok, report.first_bad) == (False, 2)
    assert f"signature counter did not rise ({second} after 5 in record 1)" in report.reason


def test_counters_are_tracked_per_key(tmp_path: Path, key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    other = _Key()
    for signer, counter in ((key, 10), (other, 2), (key, 11), (other, 3)):
        request = _request()
        audit.append(path, _approved(request, signer.approve(request, counter)))
    report = audit.verify(path, [key.credential, other.credential])
    assert (report.ok, report.records) == (True, 4)


def test_an_approved_record_without_an_approval_is_reported(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    audit.append(path, {**_event(1), "event": "approved"})
    report = audit.verify(path, [])
    assert (report.ok, report.first_bad) == (False, 1)
    assert report.reason == "record 1 says approved but carries no approval"


def test_a_record_showing_another_command_than_approved_is_reported(tmp_path: Path,
                                                                     key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    request = _request()
    audit.append(path, {**_approved(request, key.approve(request, 1)), "command": "ls"})
    report = audit.verify(path, [key.credential])
    assert (report.ok, report.first_bad) == (False, 1)
    assert "the command recorded is not the command approved" in report.reason


def test_a_malformed_approval_is_reported_not_raised(tmp_path: Path, key: _Key) -> None:
    path = tmp_path / AUDIT_FILE
    request = _request()
    approval = {**key.approve(request, 1), "auth_data": "!!not base64!!"}
    audit.append(path, _approved(request, approval))
    report = audit.verify(path, [key.credential])
    assert (report.ok, report.first_bad) == (False, 1)
    assert report.reason.startswith("record 1's approval does not verify")


def test_approvals_from_the_software_authenticator_verify(tmp_path: Path) -> None:
    """python-fido2's real Ctap2 code against the software key, end to end."""
    soft = pytest.importorskip("shellgate.approve.softkey.authenticator")
    from shellgate.approve import fido

    key_file = tmp_path / "key.json"
    soft.create_soft_key(key_file)
    credential = fido.make_credential(soft.SoftCtapDevice.from_file(key_file), "dev", "soft",
                                      [], 10, lambda: None, soft_file=str(key_file))
    path = tmp_path / AUDIT_FILE
    approvals = []
    for command in ("railway volume delete prod-db", "dropdb prod"):
        request = _request(command)
        assertion = fido.get_assertion([credential], request.digest(), 10, lambda: None,
                                       allow_soft=True)
        approval = {"credential_id": assertion.credential_id, "key": "software",
                    "auth_data": b64(assertion.auth_data),
                    "signature": b64(assertion.signature),
                    "counter": int.from_bytes(assertion.auth_data[33:37], "big")}
        approvals.append((request, approval))
        audit.append(path, _approved(request, approval))
    report = audit.verify(path, [credential])
    assert (report.ok, report.records) == (True, 2)
    audit.append(path, _approved(*approvals[0]))  # the first approval recorded again
    report = audit.verify(path, [credential])
    assert (report.ok, report.first_bad) == (False, 3)
    assert "its nonce was already used in record 1" in report.reason


# --- show --------------------------------------------------------------------------------

def test_show_lists_records_newest_last(tmp_path: Path, key: _Key) -> None:
    path = _log(tmp_path, 2)
    request = _request()
    written = audit.append(path, _approved(request, key.approve(request, 1)))
    lines = audit.show(path)
    assert len(lines) == 3
    assert lines[0].startswith("2023-11-14T22:13:21Z  denied  ")
    assert "rm -rf /srv/data1" in lines[0] and "[fs.rm-rf]" in lines[0]
    assert lines[2] == ("2023-11-14T22:13:25Z  approved  " + written["hash"][:8]
                        + "  railway volume delete prod-db  [railway.volume-delete]  key "
                        + key.credential.short_id)
    assert audit.show(path, limit=1) == lines[-1:]
    assert audit.show(path, limit=0) == []


def test_show_escapes_terminal_control_characters(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    audit.append(path, _event(1, command="ls\n\x1b[2Jrm -rf /"))
    (line,) = audit.show(path)
    assert "\x1b" not in line and "\n" not in line
    assert "ls\\n\\x1b[2Jrm -rf /" in line


# --- software keys -----------------------------------------------------------------------

def test_a_software_approval_is_shown_as_software_and_verifies(tmp_path: Path) -> None:
    soft = _Key("soft")
    path = tmp_path / AUDIT_FILE
    request = _request()
    audit.append(path, _approved(request, soft.approve(request, 1)))
    assert audit.show(path)[-1].endswith(f"key {soft.credential.short_id}  SOFTWARE")
    report = audit.verify(path, [soft.credential])
    assert (report.ok, report.records) == (True, 1)


@pytest.mark.parametrize("claim", ["hardware", None])
def test_a_software_approval_not_marked_software_fails_verify(tmp_path: Path,
                                                              claim: str | None) -> None:
    soft = _Key("soft")
    path = tmp_path / AUDIT_FILE
    request = _request()
    approval = soft.approve(request, 1)
    if claim is None:
        del approval["key"]
    else:
        approval["key"] = claim
    audit.append(path, _approved(request, approval))
    report = audit.verify(path, [soft.credential])
    assert (report.ok, report.first_bad) == (False, 1)
    assert "is a software key, and the record does not say SOFTWARE" in report.reason
    assert "SOFTWARE" not in audit.show(path)[-1]


def test_an_enrolment_of_a_software_key_is_shown_as_software(tmp_path: Path) -> None:
    path = tmp_path / AUDIT_FILE
    audit.append(path, {"time": T0, "event": "enrolled", "decision": "gate",
                        "command": "shellgate enroll --soft k.json", "rules": [],
                        "credential_id": "abc", "kind": "soft"})
    assert audit.show(path)[-1].endswith("SOFTWARE key")
