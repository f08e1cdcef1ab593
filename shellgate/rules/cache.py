"""Compiled rules cached on disk, so no command pays for parsing every TOML file.

The cache is plain data (``marshal`` of tuples, dicts and strings: loading it runs no
code), keyed by shellgate's version, the path, size and mtime of every pattern file (shipped,
the user's, the project's), the state of ``config.toml``, of the acceptance records and
of the key store; any change to any of them makes a fresh strict load. It also
holds the quick index that ``shellgate.surfaces.fastpath`` reads to prove, without importing the
engine, that no rule can match a shim's argv or a plain script.
"""

from __future__ import annotations

import marshal
import os

from shellgate.rules.index import (
    CACHE_NAME,
    QUICK_NAME,
    SETTINGS_NAME,
    cache_key,
    quick_text,
    state_files,
)
from shellgate.rules.ruleset import Match, Rule, RuleSet, ToolSpec, group_indexes
from shellgate.values import astuple, fields

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def load_cached(layers: list[tuple[str, str]], config_dir: str,
                engine_only: Callable[[RuleSet], frozenset[str]],
                accepted: Callable[[], dict[str, str]], write: bool = True) -> RuleSet:
    """The merged rule set of these layers (``shellgate.rules.policy``) from the cache in
    ``config_dir/cache`` when it is current, else a strict load and merge (then cached,
    with the quick index; ``engine_only`` names the tools that always need the engine,
    ``accepted`` reads the verified acceptances of user files).

    The key covers every layer file, the settings file, the acceptance records and the
    key store, so a stale cache can neither apply a weakening no longer accepted nor miss
    a tightening."""
    cache_dir = os.path.join(config_dir, "cache")
    settings = os.path.join(config_dir, SETTINGS_NAME)
    key = cache_key([p for p, _ in layers], settings, state_files(config_dir))
    cache = os.path.join(cache_dir, CACHE_NAME)
    try:
        with open(cache, "rb") as handle:
            blob = handle.read()
        size = int.from_bytes(blob[:8], "big")
        # marshal builds data only (it runs no code); the cache sits in the config
        # directory, as trusted as the pattern files it is compiled from.
        index = marshal.loads(blob[8:8 + size])  # noqa: S302
        if isinstance(index, dict) and index.get("key") == key:
            return _rebuild(index, memoryview(blob)[8 + size:])
    except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        pass
    from shellgate.rules.policy import compile_policy

    rules = compile_policy(layers, accepted).rules
    if write:
        _write(cache, key, rules, engine_only(rules))
    return rules


def _write(cache: str, key: str, rules: RuleSet, engine_only: frozenset[str]) -> None:
    """One file: an index (offsets, groups, tools) then one marshal blob per rule, so a
    command decodes only its own tools' rules. Best effort: a cache that cannot be written
    only costs time, never a decision."""
    loaded = rules.rules
    blobs = [marshal.dumps(_rule_data(r)) for r in loaded]
    offsets = [0]
    for blob in blobs:
        offsets.append(offsets[-1] + len(blob))
    index = marshal.dumps({"key": key, "offsets": offsets,
                           "groups": group_indexes(loaded, rules.aliases),
                           "tools": [astuple(t) for t in rules.tools.values()],
                           "exceptions": [astuple(e) for e in rules.exceptions],
                           "layered": sorted(rules.layered_tools)})
    directory = os.path.dirname(cache)
    try:
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f".{CACHE_NAME}.{os.getpid()}")
        with open(tmp, "wb") as handle:
            handle.write(len(index).to_bytes(8, "big") + index + b"".join(blobs))
        os.replace(tmp, cache)
        tmp = os.path.join(directory, f".{QUICK_NAME}.{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(quick_text(key, rules, engine_only))
        os.replace(tmp, os.path.join(directory, QUICK_NAME))
    except (OSError, ValueError):
        return


def _rule_data(rule: Rule) -> tuple[Any, ...]:
    """A rule as plain data, without its examples (deciding never needs them; ``rules
    check`` always loads the pattern files themselves)."""
    values = list(astuple(rule))
    names = fields(Rule)
    for name in ("examples_gate", "examples_pass", "known_gaps"):
        values[names.index(name)] = ()
    values[names.index("options_with_value")] = tuple(sorted(rule.options_with_value))
    values[names.index("matches")] = tuple(astuple(m) for m in rule.matches)
    return tuple(values)


def _rebuild(index: dict[str, Any], data: memoryview) -> RuleSet:
    """A lazy rule set: each rule is decoded the first time its tool is looked up."""
    names = fields(Rule)
    offsets = index["offsets"]

    def decode(position: int) -> Rule:
        raw = marshal.loads(data[offsets[position]:offsets[position + 1]])  # noqa: S302
        values = dict(zip(names, raw, strict=True))
        values["options_with_value"] = frozenset(values["options_with_value"])
        values["matches"] = tuple(_match(m) for m in values["matches"])
        return Rule(**values)

    tools: dict[str, ToolSpec] = {}
    for raw in index["tools"]:
        spec = ToolSpec(*raw)  # marshal keeps frozensets and tuples as they were
        tools[spec.name] = spec
    groups = {str(k): [int(i) for i in v] for k, v in index["groups"].items()}
    ruleset = RuleSet.lazy(tools, groups, decode, len(offsets) - 1)
    ruleset.layered_tools = frozenset(str(t) for t in index["layered"])
    if index["exceptions"]:
        from shellgate.rules.scope import RuleException

        ruleset.exceptions = tuple(
            RuleException(rule, tuple(paths), tuple(args), expires, why, source)
            for rule, paths, args, expires, why, source in index["exceptions"])
    return ruleset


def _match(raw: tuple[Any, ...]) -> Match:
    values = dict(zip(fields(Match), raw, strict=True))
    for key in ("option_values", "unless_option_values"):
        values[key] = tuple((opt, tuple(globs)) for opt, globs in values[key])
    return Match(**values)
