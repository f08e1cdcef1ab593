"""One test per inline rule example: gate examples must gate with that rule, pass
examples must pass; known gaps run as strict xfail (fixing one makes the test say so)."""

from __future__ import annotations

import pytest

from shellgate.rules.ruleset import Rule
from tests.conftest import decide_text, shipped_rules

_RULES = shipped_rules().rules



def _cases(kind: str) -> list[tuple[Rule, str]]:
    attr = {"gate": "examples_gate", "pass": "examples_pass", "gap": "known_gaps"}[kind]
    return [(rule, cmd) for rule in _RULES for cmd in getattr(rule, attr)]


def _id(case: tuple[Rule, str]) -> str:
    return f"{case[0].id}:{case[1][:40]}"


@pytest.mark.parametrize("case", _cases("gate"), ids=_id)
def test_gate_example(case: tuple[Rule, str]) -> None:
    rule, cmd = case
    decision = decide_text(cmd)
    assert decision.verdict in ("gate", "deny")
    assert rule.id in decision.rule_ids


@pytest.mark.parametrize("case", _cases("pass"), ids=_id)
def test_pass_example(case: tuple[Rule, str]) -> None:
    assert decide_text(case[1]).verdict == "allow", decide_text(case[1]).rule_ids


@pytest.mark.parametrize("case", _cases("gap"), ids=_id)
@pytest.mark.xfail(strict=True, reason="known gap")
def test_known_gap(case: tuple[Rule, str]) -> None:
    assert case[0].id in decide_text(case[1]).rule_ids


def test_every_rule_has_examples_both_ways() -> None:
    lacking = [r.id for r in _RULES if not r.examples_gate or not r.examples_pass]
    assert lacking == []
