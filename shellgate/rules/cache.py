"""Compiled rules cached on disk, so no command pays for parsing every TOML file.

The cache is plain data (``marshal`` of tuples, dicts and strings: loading it runs no
code), keyed by shellgate's version and the path, size and mtime of every pattern file;
any change to any file makes a fresh strict load. It also holds the quick index that
``shellgate.fastpath`` reads to prove, without importing the engine, that no rule can
match a shim's argv.
"""

from __future__ import annotations

import marshal
import os
from dataclasses import astuple
from pathlib import Path
from typing import Any

from shellgate.fastpath import CACHE_NAME, QUICK_NAME, cache_key, quick_text
from shellgate.rules.model import Match, Rule, RuleSet, ToolSpec, group_indexes


def load_cached(paths: list[Path], cache_dir: Path | None) -> RuleSet:
    """The rule set from the cache when it is current, else a strict load (then cached)."""
    if cache_dir is None:
        from shellgate.rules.loader import load_rules

        return load_rules(paths)
    key = cache_key([str(p) for p in paths])
    cache = cache_dir / CACHE_NAME
    try:
        with open(cache, "rb") as handle:
            # marshal builds data only (it runs no code); the cache sits in the config
            # directory, as trusted as the pattern files it is compiled from.
            data = marshal.load(handle)  # noqa: S302
        if isinstance(data, dict) and data.get("key") == key:
            return _rebuild(data)
    except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        pass
    from shellgate.rules.loader import load_rules

    rules = load_rules(paths)
    _write(cache, key, rules)
    return rules


def _write(cache: Path, key: str, rules: RuleSet) -> None:
    """Best effort: a cache that cannot be written only costs time, never a decision."""
    loaded = rules.rules
    data = {"key": key, "rules": [_rule_data(r) for r in loaded],
            "groups": group_indexes(loaded, rules.aliases),
            "tools": [astuple(t) for t in rules.tools.values()]}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
        with open(tmp, "wb") as handle:
            marshal.dump(data, handle)
        os.replace(tmp, cache)
        quick = cache.with_name(QUICK_NAME)
        tmp = quick.with_name(f".{quick.name}.{os.getpid()}")
        tmp.write_text(quick_text(key, rules), encoding="utf-8")
        os.replace(tmp, quick)
    except (OSError, ValueError):
        return


def _rule_data(rule: Rule) -> tuple[Any, ...]:
    """A rule as plain data, without its examples (deciding never needs them; ``rules
    check`` always loads the pattern files themselves)."""
    values = list(astuple(rule))
    fields = [f for f in Rule.__dataclass_fields__]
    for name in ("examples_gate", "examples_pass", "known_gaps"):
        values[fields.index(name)] = ()
    values[fields.index("options_with_value")] = tuple(sorted(rule.options_with_value))
    values[fields.index("matches")] = tuple(astuple(m) for m in rule.matches)
    return tuple(values)


def _rebuild(data: dict[str, Any]) -> RuleSet:
    """A lazy rule set: each rule is decoded the first time its tool is looked up."""
    fields = list(Rule.__dataclass_fields__)
    raw_rules = data["rules"]

    def decode(index: int) -> Rule:
        values = dict(zip(fields, raw_rules[index], strict=True))
        values["options_with_value"] = frozenset(values["options_with_value"])
        values["matches"] = tuple(_match(m) for m in values["matches"])
        return Rule(**values)

    tools: dict[str, ToolSpec] = {}
    for raw in data["tools"]:
        name, options, abbreviations, style, helps, aliases = raw
        tools[name] = ToolSpec(name, frozenset(options), abbreviations, style, frozenset(helps),
                               tuple(aliases))
    groups = {str(k): [int(i) for i in v] for k, v in data["groups"].items()}
    return RuleSet.lazy(tools, groups, decode, len(raw_rules))


def _match(raw: tuple[Any, ...]) -> Match:
    values = dict(zip(Match.__dataclass_fields__, raw, strict=True))
    for key in ("option_values", "unless_option_values"):
        values[key] = tuple((opt, tuple(globs)) for opt, globs in values[key])
    return Match(**values)
