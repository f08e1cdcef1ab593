"""``shellgate watch``: the console where the human sees what they are asked to approve.

It lists the requests waiting for a touch (the ``pending/*.json`` files ``gate`` writes
while it waits) and the recent decisions from the audit log. A pending file counts only
while the process that wrote it is alive and its deadline has not passed; files left
behind by a killed process are ignored, never deleted (they may belong to another
user's process, or be mid-write). Everything shown is escaped, so a command cannot
redraw the console with escape sequences.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from shellgate.approve.notify import printable
from shellgate.config import Config

PENDING_DIR = "pending"
"""The directory inside the config directory that holds pending-request files."""
RECENT = 10
"""How many recent decisions ``watch`` shows by default."""
_MAX_PENDING_BYTES = 1024 * 1024
_CLEAR = "\x1b[H\x1b[2J"
_CLOCK_SKEW = 5  # seconds a process may appear to start after the request's timestamp


@dataclass(frozen=True)
class Rule:
    """One matched rule of a pending request."""

    id: str
    summary: str
    why: str


@dataclass(frozen=True)
class Pending:
    """A request waiting for a touch, as announced by the waiting process."""

    nonce: str
    agent: str
    cwd: str
    command: str
    short: str
    started: int
    deadline: int
    pid: int
    rules: tuple[Rule, ...]

    @classmethod
    def from_json(cls, nonce: str, data: Mapping[str, Any]) -> Pending | None:
        """The request in a pending file's JSON, or None when a field is missing or wrong."""
        try:
            rules = tuple(Rule(str(r["id"]), str(r.get("summary", "")), str(r.get("why", "")))
                          for r in data.get("rules", []))
            started, deadline, pid = (data[key] for key in ("started", "deadline", "pid"))
            if any(isinstance(n, bool) or not isinstance(n, int)
                   for n in (started, deadline, pid)):
                return None
            return cls(nonce, str(data.get("agent", "")), str(data["cwd"]),
                       str(data["command"]), str(data["short"]), started, deadline, pid, rules)
        except (KeyError, TypeError, AttributeError):
            return None

    def seconds_left(self, now: float) -> int:
        """Whole seconds until the deadline (0 once it passed)."""
        return max(0, int(self.deadline - now))


def _process_alive(pid: int, started: int) -> bool:
    """Is ``pid`` still the process that wrote the request (not a later reuse of the pid)?"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    from shellgate.surfaces.procs import started_by

    return started_by(pid, started + _CLOCK_SKEW)


def load_pending(config_dir: Path, now: float,
                 alive: Callable[[int, int], bool] = _process_alive) -> list[Pending]:
    """Live pending requests, oldest first; stale and unreadable files are skipped."""
    directory = config_dir / PENDING_DIR
    try:
        paths = sorted(directory.glob("*.json"))
    except OSError:
        return []
    found = []
    for path in paths:
        entry = _read_entry(path)
        if entry is None or entry.deadline <= now or not alive(entry.pid, entry.started):
            continue
        found.append(entry)
    return sorted(found, key=lambda p: (p.started, p.nonce))


def _read_entry(path: Path) -> Pending | None:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_PENDING_BYTES + 1)
    except OSError:
        return None
    if len(raw) > _MAX_PENDING_BYTES:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None  # mid-write or damaged
    return Pending.from_json(path.stem, data) if isinstance(data, dict) else None


def recent_decisions(audit_path: Path, limit: int = RECENT) -> list[str]:
    """The last ``limit`` audit records, one escaped line each, newest last."""
    from shellgate.audit import trail as audit

    try:
        records = audit.read(audit_path)
    except audit.AuditError as exc:
        return [f"(cannot read the audit log: {printable(exc.message)})"]
    return [format_decision(record) for record in records[-limit:]] if limit > 0 else []


def request_short(record: Mapping[str, Any]) -> str:
    """The short hash of the request a record decided on (as shown while it waited)."""
    from shellgate.approve.request import ApprovalRequest

    request = record.get("request")
    if not isinstance(request, dict):
        return "-" * 8
    try:
        return ApprovalRequest.from_json(request).short()
    except (KeyError, TypeError, ValueError):
        return "?" * 8


def format_decision(record: Mapping[str, Any]) -> str:
    """``time  event  short  command  [rules]  (agent)`` with everything escaped."""
    parts = [_clock(record.get("time")), printable(record.get("event", "?")).ljust(9),
             request_short(record), printable(record.get("command", ""))]
    rules = record.get("rules")
    if isinstance(rules, list) and rules:
        parts.append("[" + ", ".join(printable(rule) for rule in rules) + "]")
    agent = record.get("agent")
    if isinstance(agent, str) and agent:
        parts.append(f"({printable(agent)})")
    return "  ".join(parts)


def _clock(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "????-??-?? ??:??:??"
    try:
        moment = datetime.fromtimestamp(value, tz=timezone.utc).astimezone()
    except (OverflowError, OSError, ValueError):
        return "????-??-?? ??:??:??"
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_pending(entry: Pending, now: float) -> list[str]:
    """The lines that describe one waiting request."""
    lines = [f"  [{printable(entry.short)}]  {entry.seconds_left(now)}s left  "
             f"agent: {printable(entry.agent or 'unknown')}  pid {entry.pid}",
             f"    cwd:     {printable(entry.cwd)}",
             f"    command: {printable(entry.command)}"]
    for rule in entry.rules:
        lines.append(f"    rule:    {printable(rule.id)}: {printable(rule.summary)}")
        if rule.why:
            lines.append(f"             why: {printable(rule.why)}")
    return lines


def render(config: Config, now: float, limit: int = RECENT,
           alive: Callable[[int, int], bool] = _process_alive) -> str:
    """One snapshot of the console: pending requests, then recent decisions."""
    pending = load_pending(config.directory, now, alive)
    lines = [f"shellgate watch  {printable(str(config.directory))}", ""]
    if pending:
        lines.append(f"PENDING ({len(pending)}): touch your key only for a request whose "
                     "hash matches the prompt or notification")
        for entry in pending:
            lines.extend(format_pending(entry, now))
    else:
        lines.append("PENDING: none waiting for a touch")
    lines.append("")
    recent = recent_decisions(config.audit_path, limit)
    lines.append(f"RECENT DECISIONS (last {limit})" if recent else "RECENT DECISIONS: none yet")
    lines.extend("  " + line for line in recent)
    return "\n".join(lines) + "\n"


def console(config: Config, out: TextIO, *, once: bool = False, limit: int = RECENT,
            interval: float = 0.5) -> int:
    """Print snapshots to ``out``: one with ``once``, else redraw whenever it changes.

    Returns the exit status (0; Ctrl-C ends the live console normally).
    """
    if once:
        out.write(render(config, time.time(), limit))
        out.flush()
        return 0
    shown = None
    try:
        while True:
            snapshot = render(config, time.time(), limit)
            if snapshot != shown:
                out.write(_CLEAR + snapshot + "\n(Ctrl-C to quit)\n")
                out.flush()
                shown = snapshot
            time.sleep(interval)
    except KeyboardInterrupt:
        out.write("\n")
        out.flush()
        return 0
