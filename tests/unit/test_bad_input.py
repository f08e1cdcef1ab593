"""Hostile input is decided (gate or deny, with a reason), never raises, in bounded time."""

from __future__ import annotations

import threading

import pytest

from shellgate.engine import evaluate
from shellgate.values import Decision
from tests.conftest import shipped_rules

BAD = {
    "invalid utf-8": b"git push \xff\xfe --force",
    "nul bytes": "git status\x00; rm -rf /",
    "1 MB command": "echo " + "a" * (1024 * 1024),
    "500-deep $(": "$(" * 500 + "rm -rf /" + ")" * 500,
    "unterminated quote": "git push 'origin main",
    "unterminated double quote": 'echo "abc',
    "10,000-stage pipeline": " | ".join(["cat"] * 10_000),
    "deep subshells": "(" * 2000 + "ls" + ")" * 2000,
    "unterminated nested bash -c": "bash -c " + "'" * 301,
    "over the hard size cap": "x" * (5 * 1024 * 1024),
}


def _decide_bounded(cmd: str | bytes) -> Decision:
    result: list[Decision] = []
    worker = threading.Thread(target=lambda: result.append(evaluate(cmd, shipped_rules())))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "no decision within 30 s"
    return result[0]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_refused_with_a_reason(name: str) -> None:
    decision = _decide_bounded(BAD[name])
    assert decision.verdict in ("gate", "deny")
    assert decision.findings and all(f.summary for f in decision.findings)


def test_internal_error_is_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    import shellgate.engine as engine

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(engine, "parse", boom)
    decision = evaluate("ls", shipped_rules())
    assert decision.verdict == "deny"
    assert decision.rule_ids == ["core.internal-error"]


def test_ordinary_command_is_allowed() -> None:
    assert evaluate("ls -la", shipped_rules()).verdict == "allow"
