"""Typed, validated rules as loaded from pattern files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shellgate.model import Verdict

Style = Literal["gnu", "go", "plain"]
SEVERITIES = ("low", "medium", "high", "critical")
TARGETS = ("command", "redirect", "payload", "http")


@dataclass(frozen=True)
class ToolSpec:
    """How one tool's argv is read."""

    name: str
    options_with_value: frozenset[str] = frozenset()
    abbreviations: bool = True
    style: Style = "gnu"
    help_flags: frozenset[str] = frozenset({"--help"})
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """One ``[[rule.match]]`` block: every key given must hold."""

    flags: tuple[str, ...] = ()
    all_flags: tuple[str, ...] = ()
    no_flags: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    no_args: tuple[str, ...] = ()
    safe_args: tuple[str, ...] = ()
    min_args: int | None = None
    max_args: int | None = None
    option_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unless_option_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ignore_case: bool = False
    payload: tuple[str, ...] = ()
    method: tuple[str, ...] = ()
    host: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    graphql: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule: what it matches and what the human is told."""

    id: str
    summary: str
    why: str
    severity: str
    action: Verdict
    on: str
    tools: tuple[str, ...]
    command: tuple[tuple[str, ...], ...]
    options_with_value: frozenset[str]
    matches: tuple[Match, ...]
    examples_gate: tuple[str, ...] = ()
    examples_pass: tuple[str, ...] = ()
    known_gaps: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class RuleSet:
    """All rules, indexed by tool name for lookups that do not grow with unrelated files."""

    rules: tuple[Rule, ...]
    tools: dict[str, ToolSpec] = field(default_factory=dict)
    by_tool: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    by_target: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, rules: list[Rule], tools: dict[str, ToolSpec]) -> RuleSet:
        aliases = {alias: spec.name for spec in tools.values() for alias in spec.aliases}
        by_tool: dict[str, list[Rule]] = {}
        by_target: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.on == "command":
                for tool in rule.tools:
                    by_tool.setdefault(aliases.get(tool, tool), []).append(rule)
            else:
                by_target.setdefault(rule.on, []).append(rule)
        return cls(
            tuple(rules),
            dict(tools),
            {k: tuple(v) for k, v in by_tool.items()},
            {k: tuple(v) for k, v in by_target.items()},
            aliases,
        )

    def tool(self, name: str) -> ToolSpec:
        canonical = self.aliases.get(name, name)
        return self.tools.get(canonical) or ToolSpec(canonical)

    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)

    def for_tool(self, name: str) -> tuple[Rule, ...]:
        return self.by_tool.get(self.aliases.get(name, name), ())

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)
