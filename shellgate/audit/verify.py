"""Offline verification of the audit log: the hash chain, then every approval in it.

Kept apart from ``audit`` so writing a record never imports the approval verifier. The
checks, per record in file order: a known format, its hash over its canonical JSON, the
exact bytes shellgate writes, ``prev`` equal to the previous record's hash, ``seq`` one
more than the previous; for approvals, the signature under an enrolled key over the
recorded request, a signature counter that rises per key, and a nonce used only once.

A line that is not a JSON object is a fragment of a write cut short by a crash when the
chain continues straight past it (or nothing follows it): it holds no record and is
reported, not counted. Otherwise it is the first bad record.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from shellgate.approve.keystore import Credential, unb64
from shellgate.approve.request import ApprovalRequest
from shellgate.approve.verify import Assertion, VerifyError, check_signature
from shellgate.audit.trail import (
    FORMAT_VERSION,
    GENESIS,
    AuditReport,
    canonical,
    key_kind,
    parse_line,
    record_hash,
)


class _Bad(Exception):
    """One record failed; the message is the report's reason."""


def verify_lines(lines: Sequence[bytes], credentials: Sequence[Credential]) -> AuditReport:
    """Verify the log's lines (without newlines) against the enrolled ``credentials``."""
    approvals = _Approvals(credentials)
    prev_hash, prev_line, count = GENESIS, 0, 0
    pending: list[int] = []  # lines that do not parse, not yet explained as torn writes
    torn: list[int] = []
    for number, line in enumerate(lines, start=1):
        record = parse_line(line)
        if record is None:
            pending.append(number)
            continue
        links = _links_problem(number, record, prev_hash, prev_line, count + 1)
        if pending and links is not None:
            first = pending[0]
            return _failed(count, first, f"record {first} does not parse, and the record "
                                         "after it does not continue the chain")
        torn += pending
        pending = []
        try:
            _check_hash(number, record, line)
            if links is not None:
                raise _Bad(links)
            approvals.check(number, record)
        except _Bad as bad:
            return _failed(count, number, str(bad))
        prev_hash, prev_line, count = record["hash"], number, count + 1
    torn += pending
    return AuditReport(ok=True, records=count, first_bad=None,
                       reason=_success(count, torn, bool(pending)),
                       torn_tail=bool(pending), torn_lines=tuple(torn))


def _failed(count: int, line: int, reason: str) -> AuditReport:
    return AuditReport(ok=False, records=count, first_bad=line, reason=reason,
                       torn_tail=False)


def _success(count: int, torn: list[int], torn_tail: bool) -> str:
    noun = "record verifies" if count == 1 else "records verify"
    if not torn:
        return f"{count} {noun}"
    where = ("line " if len(torn) == 1 else "lines ") + ", ".join(map(str, torn))
    upto = " up to the last complete record" if torn_tail else ""
    return (f"{count} {noun}{upto}; {where} {'is a' if len(torn) == 1 else 'are'} torn "
            f"write{'' if len(torn) == 1 else 's'} left by a crash, holding no record")


def _links_problem(number: int, record: Mapping[str, Any], prev_hash: str, prev_line: int,
                   seq: int) -> str | None:
    """Why this record does not continue the chain (format, prev, seq), or None."""
    if record.get("v") != FORMAT_VERSION:
        return f"record {number} has unknown format version {record.get('v')!r}"
    for field, kind in (("seq", int), ("prev", str), ("hash", str)):
        value = record.get(field)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"record {number} is not a shellgate audit record: {field!r} is malformed"
    if record["prev"] != prev_hash:
        after = f"record {prev_line}" if prev_line else "the start of the log"
        return f"record {number} is missing or out of order: prev does not match {after}"
    if record["seq"] != seq:
        return (f"record {number} is missing or out of order: its seq is {record['seq']}, "
                f"expected {seq}")
    return None


def _check_hash(number: int, record: Mapping[str, Any], line: bytes) -> None:
    try:
        if record.get("hash") != record_hash(record):
            raise _Bad(f"record {number} was edited: its hash does not match")
        if canonical(record) != line:
            raise _Bad(f"record {number} was edited: it is not in the form shellgate writes")
    except (ValueError, RecursionError) as exc:
        raise _Bad(f"record {number} cannot be hashed: {exc}") from exc


class _Approvals:
    """Per-log state for approvals: the last counter per key, the nonces already used."""

    def __init__(self, credentials: Sequence[Credential]) -> None:
        self.credentials = credentials
        self.counters: dict[str, tuple[int, int]] = {}  # credential id -> (counter, line)
        self.nonces: dict[str, int] = {}  # nonce -> line of the approval that used it

    def check(self, number: int, record: Mapping[str, Any]) -> None:
        approval = record.get("approval")
        if approval is None:
            if record.get("event") == "approved":
                raise _Bad(f"record {number} says approved but carries no approval")
            return
        prefix = f"record {number}'s approval does not verify"
        request, assertion, recorded = _decode(approval, record.get("request"), prefix)
        if "command" in record and record["command"] != request.command:
            raise _Bad(f"{prefix}: the command recorded is not the command approved")
        try:
            credential, counter = check_signature(assertion, request, self.credentials)
        except VerifyError as exc:
            raise _Bad(f"{prefix}: {exc.message}") from exc
        kind = key_kind(record)
        if credential.kind != "hardware" and kind != "software":
            raise _Bad(f"{prefix}: key {credential.short_id} is a software key, and the "
                       "record does not say SOFTWARE")
        if kind not in (None, "software", "hardware"):
            raise _Bad(f"{prefix}: the record's key kind {kind!r} is not one shellgate writes")
        if recorded is not None and recorded != counter:
            raise _Bad(f"{prefix}: the recorded counter {recorded} is not the signed "
                       f"counter {counter}")
        if request.nonce in self.nonces:
            raise _Bad(f"{prefix}: its nonce was already used in record "
                       f"{self.nonces[request.nonce]} (a replayed approval)")
        last, last_line = self.counters.get(credential.credential_id, (None, 0))
        if last is not None and (counter or last) and counter <= last:
            raise _Bad(f"{prefix}: key {credential.short_id}'s signature counter did not "
                       f"rise ({counter} after {last} in record {last_line}): a cloned "
                       "key or a replay")
        self.nonces[request.nonce] = number
        self.counters[credential.credential_id] = (counter, number)


def _decode(approval: Any, request: Any,
            prefix: str) -> tuple[ApprovalRequest, Assertion, int | None]:
    """The request, the assertion and the recorded counter, or ``_Bad`` if malformed."""
    if not isinstance(approval, dict) or not isinstance(request, dict):
        raise _Bad(f"{prefix}: the approval or its request is missing or malformed")
    fields = [approval.get(name) for name in ("credential_id", "auth_data", "signature")]
    texts = [field for field in fields if isinstance(field, str)]
    recorded = approval.get("counter")
    if len(texts) != len(fields) or not (
            recorded is None or (isinstance(recorded, int) and not isinstance(recorded, bool))):
        raise _Bad(f"{prefix}: the approval's fields are malformed")
    try:
        parsed = ApprovalRequest.from_json(request)
        assertion = Assertion(texts[0], unb64(texts[1]), unb64(texts[2]))
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise _Bad(f"{prefix}: the request or approval is malformed ({exc})") from exc
    return parsed, assertion, recorded
