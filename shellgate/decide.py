"""decide: Findings → Decision. The stricter finding wins; no finding means allow."""

from __future__ import annotations

from collections.abc import Iterable

from shellgate.model import Decision, Finding, Verdict, stricter


def decide(findings: Iterable[Finding], files: tuple[tuple[str, str], ...] = ()) -> Decision:
    """Combine findings: deny beats gate beats allow."""
    found = tuple(findings)
    verdict: Verdict = "allow"
    for finding in found:
        verdict = stricter(verdict, finding.action)
    return Decision(verdict, found, files)
