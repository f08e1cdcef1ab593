"""Run every rule's inline examples through the real engine (``rules check`` and tests)."""

from __future__ import annotations

from shellgate.engine import evaluate
from shellgate.rules.ruleset import Rule, RuleSet


def example_failures(rule: Rule, rules: RuleSet) -> list[str]:
    """Messages for each example of ``rule`` the engine decides differently."""
    failures: list[str] = []
    for cmd in rule.examples_gate:
        decision = evaluate(cmd, rules)
        if decision.verdict == "allow" or rule.id not in decision.rule_ids:
            failures.append(f"{rule.source} rule '{rule.id}': example should gate with this "
                            f"rule, got {decision.verdict} {decision.rule_ids}: {cmd}")
    for cmd in rule.examples_pass:
        decision = evaluate(cmd, rules)
        if decision.verdict != "allow":
            failures.append(f"{rule.source} rule '{rule.id}': example should pass, got "
                            f"{decision.verdict} {decision.rule_ids}: {cmd}")
    return failures


def run_examples(rules: RuleSet) -> list[str]:
    return [msg for rule in rules.rules for msg in example_failures(rule, rules)]
