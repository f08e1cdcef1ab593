"""The tool registry: what shellgate knows about a tool beyond its rules, as data.

Each ``[tools.X]`` block in a pattern file may say what the tool carries (``payload``: SQL,
a MongoDB script, Redis commands, an HTTP request, interpreter code), which built-in argv
model finds it (``reader``, default the tool's own name), the SQL ``dialect``, how its
standard input is treated (``stdin``), and whether its interactive sessions are inspected
statement by statement (``interactive``). A new SQL client, HTTP client or interpreter is a
TOML block with examples, not Python: ``reader`` points it at the built-in model it reads
like, or, for SQL, ``reader = "options"`` with ``sql_options``/``sql_file_options`` names
where its SQL is.

The engine, the quick index, the restricted shell and the installer all read this one
registry (``RuleSet.tools``). Everything here is checked when the pattern files load; a
block naming a kind, reader or dialect the engine cannot read stops shellgate with the
file and line (fail closed: a tool is never left unread because its entry was wrong).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

    from shellgate.rules.ruleset import RuleSet

READERS: dict[str, frozenset[str]] = {
    "sql": frozenset({"psql", "mysql", "mariadb", "sqlite3", "duckdb", "clickhouse-client",
                      "clickhouse", "cockroach", "usql", "options", "none"}),
    "mongo": frozenset({"mongosh", "mongo"}),
    "redis": frozenset({"redis-cli", "none"}),
    "http": frozenset({"curl", "wget", "http", "https", "xh", "xhs"}),
    "code": frozenset({"python", "python2", "python3", "node", "nodejs", "deno", "bun", "perl",
                       "ruby"}),
}
"""Payload kinds and the argv models the engine has for each. ``none``: the tool carries
that kind of payload but shellgate has no model of its argv yet (it always goes to the
engine, and its payload stays unread)."""
DIALECTS = frozenset({"postgres", "mysql", "sqlite", "duckdb", "clickhouse", "generic",
                      "tsql", "bigquery", "snowflake", "trino", "hive", "spark", "oracle"})
STDIN = frozenset({"", "payload", "unseen-first"})


def check_entry(name: str, entry: dict[str, Any]) -> tuple[str, str] | None:
    """The first problem with one tool's registry keys, as (key, message), or None."""
    kind = entry.get("payload", "")
    if kind and kind not in READERS:
        return "payload", f"expected one of {', '.join(sorted(READERS))}, got {kind!r}"
    for key in ("reader", "dialect", "interactive", "sql_subcommand", "sql_options",
                "sql_file_options", "sql_positional"):
        if key in entry and not kind:
            return key, "only meaningful with a payload kind (payload = \"…\")"
    if kind:
        reader = entry.get("reader", name)
        if reader not in READERS[kind]:
            return "reader", (f"no {kind} reader named {reader!r} (known: "
                              f"{', '.join(sorted(READERS[kind]))})")
    dialect = entry.get("dialect", "")
    if dialect and (entry.get("reader") != "options" or dialect not in DIALECTS):
        known = ", ".join(sorted(DIALECTS))
        return "dialect", (f'expected one of {known}, with reader = "options" (the other '
                           "SQL readers know their dialect)")
    if entry.get("stdin", "") not in STDIN:
        return "stdin", f"expected one of payload, unseen-first, got {entry['stdin']!r}"
    if any(key.startswith("sql_") for key in entry) and entry.get("reader") != "options":
        return "reader", 'sql_* keys need reader = "options"'
    return None


def payload_tools(rules: RuleSet, *kinds: str) -> frozenset[str]:
    """Tools (and their aliases) that carry one of ``kinds`` (any kind when none given)."""
    return _with_aliases(rules, {spec.name for spec in rules.tools.values()
                                 if spec.payload and (not kinds or spec.payload in kinds)})


def reader_of(rules: RuleSet, name: str) -> tuple[str, str]:
    """(payload kind, reader) for a tool; ("", "") when it carries no payload."""
    spec = rules.tool(name)
    return spec.payload, (spec.reader or spec.name) if spec.payload else ""


def interactive_tools(rules: RuleSet) -> frozenset[str]:
    """Clients whose interactive sessions are inspected statement by statement."""
    return _with_aliases(rules, {s.name for s in rules.tools.values() if s.interactive})


def stdin_tools(rules: RuleSet) -> frozenset[str]:
    """Tools whose standard input may carry a payload."""
    return _with_aliases(rules, {s.name for s in rules.tools.values() if s.stdin})


def registered_code_readers(rules: RuleSet) -> dict[str, str]:
    """Interpreters registered to read like a built-in one (tool → built-in reader)."""
    out: dict[str, str] = {}
    for spec in rules.tools.values():
        if spec.payload == "code" and spec.reader and spec.reader != spec.name:
            out[spec.name] = spec.reader
            out.update({a: spec.reader for a, c in rules.aliases.items() if c == spec.name})
    return out


def _with_aliases(rules: RuleSet, names: set[str]) -> frozenset[str]:
    """``names`` and every alias that names one of them."""
    return frozenset(names | {a for a, c in rules.aliases.items() if c in names})
