"""``shellgate rules explain ID``: a rule as defined, as in force, and what changes it."""

from __future__ import annotations

from shellgate.errors import ShellgateError
from shellgate.rules.policy import APPLIED, Policy
from shellgate.rules.ruleset import Match, Rule


def explain_rule(policy: Policy, rule_id: str) -> list[str]:
    """Lines describing ``rule_id``; ShellgateError (exit 2) for an unknown id."""
    if rule_id.startswith("core."):
        return _core(rule_id)
    rule = policy.defined.get(rule_id)
    if rule is None:
        raise ShellgateError(f"no rule has the id {rule_id!r} (see `shellgate rules list`)", 2)
    live = [r for r in policy.rules.rules if r.id == rule_id]
    lines = [f"{rule.id}: {rule.summary}", f"  defined in {rule.source}",
             f"  why: {rule.why}", f"  as defined: action {rule.action}, severity "
             f"{rule.severity}"]
    if not live:
        lines.append("  in force: OFF (switched off by an override or a pack switched off)")
    for copy in live:
        lines.append(f"  in force: action {copy.action}, severity {copy.severity}"
                     f"  [{copy.source}]")
    if rule.on == "command":
        path = " ".join("|".join(step) for step in rule.command)
        lines.append(f"  matches: {', '.join(rule.tools)}{' ' + path if path else ''}")
    else:
        lines.append(f"  matches: {rule.on}")
    lines += [f"    when {_match(m)}" for m in rule.matches]
    lines += [f"  gates:  {cmd}" for cmd in rule.examples_gate]
    lines += [f"  passes: {cmd}" for cmd in rule.examples_pass]
    lines += [f"  known gap: {cmd}" for cmd in rule.known_gaps]
    pack = rule.source.split(":")[0].removesuffix(".toml")
    touching = [c for c in policy.changes
                if c.target == rule_id or (c.kind == "pack-off" and c.target == pack)]
    if not touching:
        lines.append("  no override, exception or pack switch touches it")
    for change in touching:
        mark = "" if change.state == APPLIED else "  <- NOT IN FORCE"
        lines.append(f"  {change.kind}: {change.detail}{mark}\n    from {change.source}: "
                     f"{change.state}")
    return lines


def _match(block: Match) -> str:
    parts = []
    for key in ("flags", "all_flags", "no_flags", "args", "no_args", "safe_args", "payload",
                "method", "host", "path", "graphql"):
        value = getattr(block, key)
        if value:
            parts.append(f"{key} {list(value)}")
    for key in ("min_args", "max_args"):
        if getattr(block, key) is not None:
            parts.append(f"{key} {getattr(block, key)}")
    if block.option_values:
        parts.append(f"option_values {dict(block.option_values)}")
    if block.unless_option_values:
        parts.append(f"unless_option_values {dict(block.unless_option_values)}")
    return "; ".join(parts) or "always"


def _core(rule_id: str) -> list[str]:
    from shellgate.classify.core import CORE

    core = CORE.get(rule_id.removeprefix("core."))
    if core is None:
        raise ShellgateError(f"no core check has the id {rule_id!r}", 2)
    return [f"{core.id}: {core.summary}", f"  why: {core.why}",
            f"  action {core.action}, severity {core.severity}",
            "  a core check: built into shellgate, never switched off, overridden or "
            "waived by an exception"]


def rule_text(rule: Rule) -> str:
    """One line: id, action, severity, summary."""
    return f"{rule.id} ({rule.action}, {rule.severity}): {rule.summary}"
