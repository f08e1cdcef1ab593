"""One touch per tool call when several shellgate hook entries see the same call.

Cursor fires both ``preToolUse`` and ``beforeShellExecution`` (and, by default, the
Claude Code entry in ~/.claude/settings.json) for one shell command; VS Code runs the
Claude Code entry and ~/.copilot/hooks. Each entry is a separate process. The first one
to decide leaves a short-lived record keyed by the agent's ids for that tool call, the
exact command and the working directory; each *other* entry may reuse it once. An entry
never reuses its own record, so a second identical command asks again.

Holding the per-call lock while waiting for the touch makes a twin that runs in parallel
wait for the outcome instead of asking for a second touch.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from shellgate.surfaces.hooks.dialect import HookRequest, Verdict
from shellgate.values import mutable_record

RECORD_SECONDS = 120
"""A record outlives the decision by at most this long (twins fire right after it)."""
_PRUNE_SECONDS = 900


@mutable_record
class Twin:
    """The record slot of one tool call, held under its lock."""

    path: Path
    origin: str

    def previous(self) -> Verdict | None:
        """The decision another entry made for this call (once per entry), else None."""
        try:
            record = json.loads(self.path.read_text("utf-8"))
            used = list(record["used_by"])
            if (record["origin"] == self.origin or self.origin in used
                    or float(record["expires"]) < time.time()
                    or record["kind"] not in ("approved", "deny")):
                return None
            verdict = Verdict(str(record["kind"]), str(record["reason"]),
                              str(record["notice"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        record["used_by"] = [*used, self.origin]
        _write(self.path, record)
        return verdict

    def record(self, verdict: Verdict) -> None:
        """Leave this entry's decision for its twins."""
        _write(self.path, {"origin": self.origin, "kind": verdict.kind,
                           "reason": verdict.reason, "notice": verdict.notice,
                           "expires": time.time() + RECORD_SECONDS, "used_by": []})


def _write(path: Path, record: dict[str, object]) -> None:
    from shellgate.approve.keystore import write_atomic

    write_atomic(path, json.dumps(record, sort_keys=True))


def key_of(request: HookRequest) -> str | None:
    """The record name for this call, or None when the agent gave no ids to key on."""
    if len(request.dedup) < 2 or not all(request.dedup[1:]):
        return None
    cwd = os.path.realpath(request.cwd) if request.cwd else ""
    blob = json.dumps([*request.dedup, request.command, cwd])
    return hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()


@contextlib.contextmanager
def twin(directory: Path, request: HookRequest) -> Iterator[Twin | None]:
    """Hold this call's lock (waiting for a twin that is deciding) and yield its slot."""
    key = key_of(request)
    if key is None:
        yield None
        return
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _prune(directory)
    fd = os.open(directory / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield Twin(directory / f"{key}.json", request.origin)
    finally:
        os.close(fd)


def _prune(directory: Path) -> None:
    """Drop records and locks nobody can still hold (older than any hook timeout)."""
    cutoff = time.time() - _PRUNE_SECONDS
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
