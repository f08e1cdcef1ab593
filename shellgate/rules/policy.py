"""The policy in force: shipped packs, then the user's files, then project files, merged.

User files add rules (new ids) and change shipped ones by id (``[[override]]``,
``[[exception]]``, ``[packs]``, or a rule redefined under its shipped id). What tightens
applies at once; what could weaken — a lower action or severity, an exception, a pack
switched off, a redefinition, a new description of a known tool — applies only while the
file's exact content is accepted with a key touch (``shellgate rules accept FILE``);
until then it is set aside and the shipped rule stays in force. Project files
(``.shellgate.toml``) may only add rules and tighten; anything else in them is ignored
with a warning. :func:`build_policy` reports every change and its state.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from shellgate.errors import RuleFileError
from shellgate.rules.loader import load_layer_file, load_rules, read_toml
from shellgate.rules.ruleset import Rule, RuleSet, ToolSpec
from shellgate.rules.scope import RuleException
from shellgate.rules.tuning import (
    TABLES,
    Override,
    Tuning,
    action_rank,
    parse_tuning,
    severity_rank,
)
from shellgate.values import mutable_record, record, replace

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable

APPLIED = "applied"
NOT_ACCEPTED = "set aside: not accepted (run `shellgate rules accept FILE`)"
EDITED = "set aside: the file changed since it was accepted (run `shellgate rules accept FILE`)"
PROJECT = "ignored: a project file may only add rules or tighten"


@record
class Change:
    """One change a user or project file makes to another rule, pack or tool."""

    kind: str
    """override | exception | pack-off | redefinition | tool"""
    target: str
    detail: str
    source: str
    state: str
    weakens: bool


@record
class LayerFile:
    """One user or project file: its digest and whether that content is accepted."""

    path: str
    layer: str
    digest: str
    acceptance: str
    """accepted | not accepted | edited (accepted once, changed since) | n/a (project)"""


@mutable_record
class Policy:
    """The merged rule set (with its accepted exceptions) and how it came about."""

    rules: RuleSet
    changes: list[Change]
    files: list[LayerFile]
    defined: dict[str, Rule]
    """Every rule as defined (first definition), switched off or not."""

    def warnings(self) -> list[str]:
        """One line per change that is set aside or ignored."""
        return [f"{c.source}: {c.kind} {c.target} ({c.detail}) {c.state}"
                for c in self.changes if c.state != APPLIED]


@mutable_record
class _File:
    path: str
    layer: str
    rules: list[Rule]
    tools: dict[str, ToolSpec]
    tuning: Tuning
    info: LayerFile


def build_policy(layers: list[tuple[str, str]], accepted: dict[str, str],
                 home: str | None, today: str,
                 extra: list[tuple[str, str]] | None = None) -> Policy:
    """Merge the layers. ``accepted`` maps a user file's path to the digest last accepted
    for it; ``extra`` are draft files treated as user files accepted as they are (for
    ``rules test --with``). Exceptions that expired before ``today`` are left out (and
    the engine checks the date again on every command). Raises RuleFileError, naming
    file:line, on a malformed file or a change to a rule, pack or tool that does not
    exist."""
    shipped = load_rules(Path(p) for p, layer in layers if layer == "shipped")
    base = list(shipped.rules)
    files = [_read(p, layer, accepted, home) for p, layer in layers if layer != "shipped"]
    for path, _ in extra or []:
        loaded = _read(path, "user", {}, home)
        loaded.info = replace(loaded.info, acceptance="accepted (draft)")
        files.append(loaded)
    return _Merge(base, dict(shipped.tools), files, today).run()


def compile_policy(layers: list[tuple[str, str]], accepted: Callable[[], dict[str, str]],
                   extra: list[tuple[str, str]] | None = None) -> Policy:
    """:func:`build_policy` with the facts read here: the verified acceptances (``accepted``,
    only called when there are user files), the real user's home, today's date."""
    import time

    from shellgate.rules.where import real_home

    digests = accepted() if any(layer == "user" for _, layer in layers) else {}
    return build_policy(layers, digests, real_home(), time.strftime("%Y-%m-%d"), extra)


def _read(path: str, layer: str, accepted: dict[str, str], home: str | None) -> _File:
    text, data, raw = read_toml(Path(path))
    stem = "project" if layer == "project" else Path(path).stem
    rules, tools = load_layer_file(Path(path), text, data, stem, TABLES)
    digest = hashlib.sha256(raw).hexdigest()
    if layer == "project":
        state = "n/a"
    elif accepted.get(path) == digest:
        state = "accepted"
    else:
        state = "edited" if path in accepted else "not accepted"
    return _File(path, layer, rules, tools, parse_tuning(path, text, data, home),
                 LayerFile(path, layer, digest, state))


class _Merge:
    def __init__(self, base: list[Rule], tools: dict[str, ToolSpec], files: list[_File],
                 today: str) -> None:
        self.base, self.tools, self.files, self.today = base, tools, files, today
        self.changes: list[Change] = []
        self.shipped_ids = {r.id: r for r in base}
        self.packs = {r.source.split(":")[0].removesuffix(".toml") for r in base}
        self.known_tools = set(tools) | {a for t in tools.values() for a in t.aliases}
        self.known_tools |= {t for r in base for t in r.tools}

    def state(self, file: _File, weakens: bool) -> str:
        if not weakens:
            return APPLIED
        if file.layer == "project":
            return PROJECT
        return {"accepted": APPLIED, "accepted (draft)": APPLIED, "edited": EDITED}.get(
            file.info.acceptance, NOT_ACCEPTED)

    def note(self, file: _File, kind: str, target: str, detail: str, source: str,
             weakens: bool) -> bool:
        state = self.state(file, weakens)
        self.changes.append(Change(kind, target, detail, source, state, weakens))
        return state == APPLIED

    def run(self) -> Policy:
        rules = self.rules_and_tools()
        self.check_targets(rules)
        off = self.packs_off()
        defined = {r.id: r for r in reversed(rules)}  # the first definition is the base
        shipped = {id(r) for r in self.base}
        rules = [r for r in rules
                 if id(r) not in shipped or r.source.split(":")[0].removesuffix(".toml")
                 not in off]
        rules = self.overridden(rules, defined)
        ruleset = RuleSet.build(rules, self.tools)
        ruleset.exceptions = self.exceptions()
        sources = {r.source for r in self.base}  # overridden rules are copies: match by source
        shipped_tools = {ruleset.canonical(t) for r in rules if r.source in sources
                         for t in r.tools}
        ruleset.layered_tools = frozenset(
            ruleset.canonical(t) for r in rules for t in r.tools) - shipped_tools
        return Policy(ruleset, self.changes, [f.info for f in self.files], defined)

    def rules_and_tools(self) -> list[Rule]:
        rules = list(self.base)
        owners: dict[str, str] = {r.id: r.source for r in rules}
        for file in self.files:
            for rule in file.rules:
                if rule.id in self.shipped_ids and file.layer == "user":
                    if self.note(file, "redefinition", rule.id, "replaces the shipped rule",
                                 rule.source, True):
                        rules = [rule if r.id == rule.id and r.source == owners[rule.id]
                                 else r for r in rules]
                        owners[rule.id] = rule.source
                    else:
                        rules.append(rule)  # until accepted both apply: the stricter wins
                    continue
                if rule.id in owners:
                    raise RuleFileError(f"{rule.source} rule '{rule.id}' key 'id': duplicate "
                                        f"id (also in {owners[rule.id]})")
                owners[rule.id] = rule.source
                rules.append(rule)
            for name, spec in file.tools.items():
                known = name in self.known_tools or any(a in self.known_tools
                                                        for a in spec.aliases)
                if self.note(file, "tool", name, "describes how its argv is read",
                             f"{file.path}:1", known):
                    self.tools[name] = spec
        return rules

    def check_targets(self, rules: list[Rule]) -> None:
        ids = {r.id for r in rules}
        for file in self.files:
            targets = [("override", o.rule, o.source) for o in file.tuning.overrides]
            targets += [("exception", e.rule, e.source) for e in file.tuning.exceptions]
            for kind, rule_id, source in targets:
                if rule_id.startswith("core."):
                    raise RuleFileError(f"{source} {kind} key 'rule': {rule_id} is a core "
                                        "check; core findings cannot be changed")
                if rule_id not in ids:
                    raise RuleFileError(f"{source} {kind} key 'rule': no rule has the id "
                                        f"{rule_id!r} (see `shellgate rules list`)")
            for name, source in file.tuning.packs_off:
                if name not in self.packs:
                    raise RuleFileError(f"{source} key 'packs.off': no shipped pack is named "
                                        f"{name!r} (packs: {', '.join(sorted(self.packs))})")

    def packs_off(self) -> set[str]:
        off: set[str] = set()
        for file in self.files:
            for name, source in file.tuning.packs_off:
                if self.note(file, "pack-off", name, "switches the whole pack off", source,
                             True):
                    off.add(name)
        return off

    def overridden(self, rules: list[Rule], defined: dict[str, Rule]) -> list[Rule]:
        by_id: dict[str, list[Override]] = {}
        for file in self.files:
            for o in file.tuning.overrides:
                rule = defined[o.rule]
                weakens = ((bool(o.action) and action_rank(o.action) < action_rank(rule.action))
                           or (bool(o.severity) and severity_rank(o.severity)
                           < severity_rank(rule.severity)))
                detail = ", ".join(f"{k} {v}" for k, v in (("action", o.action),
                                                           ("severity", o.severity)) if v)
                if self.note(file, "override", o.rule, detail, o.source, weakens):
                    by_id.setdefault(o.rule, []).append(o)
        out: list[Rule] = []
        for rule in rules:
            applied = by_id.get(rule.id, [])
            actions = [o.action for o in applied if o.action]
            severities = [o.severity for o in applied if o.severity]
            action = max(actions, key=action_rank) if actions else rule.action
            if action == "off":
                continue  # the strictest applicable override switches it off
            severity = max(severities, key=severity_rank) if severities else rule.severity
            out.append(replace(rule, action=action, severity=severity))
        return out

    def exceptions(self) -> tuple[RuleException, ...]:
        kept: list[RuleException] = []
        for file in self.files:
            for exc in file.tuning.exceptions:
                scope = ", ".join(exc.paths) + (f"; args {', '.join(exc.args)}" if exc.args
                                                else "")
                if exc.expires:
                    scope += f"; until {exc.expires}"
                if exc.expires and exc.expires < self.today:
                    self.changes.append(Change("exception", exc.rule, scope, exc.source,
                                               f"ignored: expired on {exc.expires}", True))
                    continue
                if self.note(file, "exception", exc.rule, scope, exc.source, True):
                    kept.append(exc)
        return tuple(kept)
