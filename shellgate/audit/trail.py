"""The audit trail: an append-only, hash-chained JSON Lines file.

Every record carries ``seq`` (1, 2, …), ``prev`` (the previous record's ``hash``) and its
own ``hash`` over its canonical JSON, so an edited, deleted, inserted or reordered record
breaks the chain. Approvals keep the key's authenticator data and signature, so
``verify`` (in ``audit_verify``) re-checks every approval offline.

Writers in separate processes serialise on an ``flock`` held on a sidecar lock file;
each record is one ``os.write`` on an ``O_APPEND`` descriptor, fsynced before ``append``
returns. A crash mid-write leaves a torn fragment with no trailing newline; the next
``append`` starts on a fresh line and chains to the last whole record, and ``verify``
reports the fragment without counting it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shellgate.errors import ShellgateError

if TYPE_CHECKING:
    from shellgate.approve.keystore import Credential

AUDIT_FILE = "audit.jsonl"
"""The audit log's file name inside the config directory."""
FORMAT_VERSION = 1
"""The value of every record's ``"v"`` field."""
GENESIS = "0" * 64
"""The ``prev`` of the first record."""
CHAIN_FIELDS = ("v", "seq", "prev", "hash")
"""Fields ``append`` adds; a caller may not supply them."""

_CHUNK = 8192
_FILE_MODE = 0o600
_OPEN_FLAGS = os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


class AuditError(ShellgateError):
    """The audit log cannot be written or read; whatever needed the record is refused."""


@dataclass(frozen=True)
class AuditReport:
    """The outcome of ``verify``.

    ``records`` counts the records that verified (all of them when ``ok``; those before
    ``first_bad`` otherwise). ``first_bad`` is the 1-based line number of the first bad
    line. ``torn_tail`` says the log ends in a fragment of an unfinished write;
    ``torn_lines`` lists every such fragment (line numbers), which hold no record.
    """

    ok: bool
    records: int
    first_bad: int | None
    reason: str
    torn_tail: bool
    torn_lines: tuple[int, ...] = ()


def canonical(data: Mapping[str, Any]) -> bytes:
    """Deterministic JSON bytes: sorted keys, no whitespace, ASCII only, no NaN."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)
    return text.encode("ascii")


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 hex over the canonical JSON of ``record`` without its ``hash`` field."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def parse_line(line: bytes) -> dict[str, Any] | None:
    """The JSON object on one line, or None when the line is not one (a torn write)."""
    try:
        data = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def chain_position(record: Mapping[str, Any]) -> tuple[int, str] | None:
    """``(seq, hash)`` of a record that can be chained to, else None."""
    seq, digest = record.get("seq"), record.get("hash")
    if isinstance(seq, int) and not isinstance(seq, bool) and isinstance(digest, str):
        return seq, digest
    return None


def append(path: Path, record: Mapping[str, Any]) -> dict[str, Any]:
    """Add one record to the log, fsynced, and return it with its chain fields.

    Safe under many concurrent writers in separate processes. Raises ``AuditError`` when
    the record cannot be serialised or written; the caller must then refuse.
    """
    for key in record:
        if not isinstance(key, str):
            raise AuditError(f"audit record keys must be strings, got {key!r}")
        if key in CHAIN_FIELDS:
            raise AuditError(f"audit record field {key!r} is set by the log itself")
    try:
        canonical(record)
    except (TypeError, ValueError) as exc:
        raise AuditError(f"the audit record cannot be written as JSON: {exc}") from exc
    try:
        with _locked(path):
            return _append_locked(path, record)
    except OSError as exc:
        raise AuditError(f"cannot write the audit log {path}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | _OPEN_FLAGS, _FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _append_locked(path: Path, record: Mapping[str, Any]) -> dict[str, Any]:
    created = False
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS,
                     _FILE_MODE)
        created = True
    except FileExistsError:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | _OPEN_FLAGS)
    try:
        size = os.fstat(fd).st_size
        seq, prev = _last_position(fd, size)
        full = {**record, "v": FORMAT_VERSION, "seq": seq + 1, "prev": prev}
        full["hash"] = record_hash(full)
        line = canonical(full) + b"\n"
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a torn tail: start on a fresh line, leave the fragment
        _write_all(fd, line, size)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)
    written: dict[str, Any] = json.loads(line)  # what a reader gets back: lists, not tuples
    return written


def _write_all(fd: int, data: bytes, size: int) -> None:
    """One ``os.write``; loop only if the kernel took less, undo a half-written line."""
    written = 0
    try:
        while written < len(data):
            written += os.write(fd, data[written:])
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)  # we hold the lock, so nothing was appended after us
        raise


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _last_position(fd: int, size: int) -> tuple[int, str]:
    """``(seq, hash)`` of the last whole record, reading backwards from the end."""
    for line in _lines_backwards(fd, size):
        parsed = parse_line(line)
        position = chain_position(parsed) if parsed is not None else None
        if position is not None:
            return position
    return 0, GENESIS


def _lines_backwards(fd: int, size: int) -> Iterator[bytes]:
    end, tail = size, b""
    while end > 0:
        start = max(0, end - _CHUNK)
        tail = os.pread(fd, end - start, start) + tail
        end = start
        pieces = tail.split(b"\n")
        tail = pieces[0]
        yield from (piece for piece in reversed(pieces[1:]) if piece)
    if tail:
        yield tail


def read_lines(path: Path) -> list[bytes]:
    """The log's lines without their newlines; a final piece with none is kept as-is.

    ``[]`` for a missing file; ``AuditError`` if it cannot be read.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AuditError(f"cannot read the audit log {path}: {exc.strerror or exc}") from exc
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def read(path: Path) -> list[dict[str, Any]]:
    """Every record in file order; lines that are not JSON objects (torn writes) are skipped.

    Reading does not verify: use ``verify`` for that.
    """
    return [parsed for parsed in map(parse_line, read_lines(path)) if parsed is not None]


def verify(path: Path, credentials: Sequence[Credential]) -> AuditReport:
    """Walk the chain and re-check every approval against ``credentials``, offline."""
    from shellgate.audit.verify import verify_lines

    return verify_lines(read_lines(path), credentials)


def show(path: Path, limit: int | None = None) -> list[str]:
    """Readable history, one line per record, newest last; ``limit`` keeps the newest."""
    out: list[str] = []
    for number, line in enumerate(read_lines(path), start=1):
        parsed = parse_line(line)
        if parsed is None:
            out.append(f"line {number}: unreadable (a torn write or damage; "
                       "run 'shellgate audit verify')")
        else:
            out.append(format_record(parsed))
    if limit is not None:
        out = out[-limit:] if limit > 0 else []
    return out


def format_record(record: Mapping[str, Any]) -> str:
    """One history line: time (UTC), event, short hash, command, rules, approving key."""
    parts = [
        _utc(record.get("time")),
        _text(record.get("event", "?")),
        _text(record.get("hash", "?"))[:8],
        _text(record.get("command", "")),
    ]
    rules = record.get("rules")
    if isinstance(rules, list) and rules:
        parts.append("[" + ", ".join(_text(rule) for rule in rules) + "]")
    approval = record.get("approval")
    if isinstance(approval, Mapping):
        parts.append("key " + _text(approval.get("credential_id", "?"))[:12])
        kind = key_kind(record)
        if kind != "hardware":  # said so, or an older record that did not say
            parts.append("SOFTWARE" if kind == "software" else "(key kind not recorded)")
    elif record.get("kind") == "soft":
        parts.append("SOFTWARE key")
    return "  ".join(parts)


def key_kind(record: Mapping[str, Any]) -> str | None:
    """"software" or "hardware" as an approval record says (the approval's ``key``, or the
    broker's ``key_kind``), or None when it does not say."""
    approval = record.get("approval")
    said = approval.get("key") if isinstance(approval, Mapping) else None
    if said is None and record.get("key_kind") in ("soft", "hardware"):
        said = "software" if record["key_kind"] == "soft" else "hardware"
    return said if isinstance(said, str) else None


def _utc(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "????-??-??T??:??:??Z"
    try:
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return "????-??-??T??:??:??Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: Any) -> str:
    """Text safe for a terminal: control characters (escape sequences, newlines) escaped,
    so a command cannot redraw or hide lines of the history it appears in."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=True)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
