"""decide: Findings → Decision (the stricter finding wins; no finding means allow), and how a
Decision is told: to a human (``check``, refusals) and as JSON (``check --json``, ``scan``)."""

from __future__ import annotations

from shellgate.values import Decision, Finding, Verdict, stricter


def decide(findings: Iterable[Finding], files: tuple[tuple[str, str], ...] = ()) -> Decision:
    """Combine findings: deny beats gate beats allow. Findings a scoped exception waived
    (action ``allow``) decide nothing; they are kept apart for ``check`` to show."""
    every = tuple(findings)
    found = tuple(f for f in every if f.action != "allow")
    verdict: Verdict = "allow"
    for finding in found:
        verdict = stricter(verdict, finding.action)
    return Decision(verdict, found, files, tuple(f for f in every if f.action == "allow"))


# Command sizes. Here, in a module the hooks and the restricted shell load anyway, so
# that they can refuse an oversize command before importing the parser (a 1 MB command
# took a hook call ~1 s to parse, only to need a touch nobody could give knowingly).
MAX_COMMAND_BYTES = 4 * 1024 * 1024
"""Larger command lines are refused unread by the engine."""
LARGE_COMMAND_BYTES = 256 * 1024
"""Larger command lines need approval whatever they hold (engine), and are refused unread
by the agent surfaces (hooks, restricted shell): no person can review them."""


def refuse_unread(text: str | bytes) -> Decision | None:
    """The deny an agent surface answers for a command over :data:`LARGE_COMMAND_BYTES`,
    without parsing it; None for any other command."""
    if len(text) <= LARGE_COMMAND_BYTES:
        return None
    from shellgate.classify.core import core_finding

    unit = "bytes" if isinstance(text, bytes) else "characters"
    return decide([core_finding("too-large", f"{len(text)} {unit}, over the "
                                f"{LARGE_COMMAND_BYTES // 1024} KiB an agent's command may "
                                "have; refused unread")])


def unread_summary(text: str | bytes) -> str:
    """What the audit trail records of a command refused unread: its start, its length and
    its SHA-256 (recording a megabyte per refusal would let an agent grow the trail, and
    slow every later append, at will)."""
    import hashlib

    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    start = raw[:160].decode("utf-8", "replace")
    return (f"{start}… [{len(text)} {'bytes' if isinstance(text, bytes) else 'characters'}"
            f" refused unread; sha256 {hashlib.sha256(raw).hexdigest()}]")


TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


def decision_json(cmd: str, decision: Decision, full: bool = True) -> dict[str, Any]:
    """The stable JSON shape: ``cmd``, ``decision``, ``rules`` (+ details when ``full``)."""
    out: dict[str, Any] = {"cmd": cmd, "decision": decision.verdict, "rules": decision.rule_ids}
    if full:
        out["findings"] = [finding_json(f) for f in decision.findings]
        out["files"] = dict(decision.files)
    return out


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule_id,
        "action": finding.action,
        "severity": finding.severity,
        "summary": finding.summary,
        "why": finding.why,
        "command": finding.command,
        "via": list(finding.via),
    }


def explain(cmd: str, decision: Decision) -> str:
    """A short explanation for a human: decision, then each rule with what matched."""
    lines = [f"{decision.verdict}: {cmd}"]
    if not decision.findings:
        lines.append("  no rule matched: the command runs without approval" if not
                     decision.waived else "  every match is waived: the command runs "
                     "without approval")
    for finding in decision.waived:
        lines.append(f"  rule {finding.rule_id} waived by {finding.evidence}: "
                     f"{finding.command}")
    for finding in decision.findings:
        lines.append(f"  rule {finding.rule_id} ({finding.severity}, {finding.action}): "
                     f"{finding.summary}")
        where = f"  (via {' → '.join(finding.via)})" if finding.via else ""
        lines.append(f"    matched: {finding.command}{where}")
        lines.append(f"    why: {finding.why}")
    for path, digest in decision.files:
        lines.append(f"  payload file {path}: sha256 {digest[:16]}…")
    return "\n".join(lines)


def refusal_line(decision: Decision) -> str:
    """The one ``shellgate: …`` line printed when a command is refused."""
    if not decision.findings:
        return "shellgate: refused"
    first = decision.findings[0]
    more = len(decision.rule_ids) - 1
    extra = f" (+{more} more)" if more > 0 else ""
    verb = "denied" if decision.verdict == "deny" else "needs approval"
    return (f"shellgate: {verb}: {first.rule_id}{extra}: {first.summary} — "
            f"`shellgate check` explains; a human must approve with a key touch")


def dumps(value: object) -> str:
    import json  # only renderings need it; deciding must not pay for it

    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
