"""Classifies SQL scripts: which statements destroy data, and which cannot be read.

Each statement is split out by :mod:`shellgate.payloads.sql.script` (the client's own
lexing rules: strings, comments, dollar quotes, client commands), then parsed by sqlglot
— imported here lazily, on the first call, never at module import — and its syntax tree
is searched for DELETE/UPDATE without a narrowing WHERE (anywhere: CTEs, MERGE, EXPLAIN
ANALYZE). Statement kinds that carry no scope (DROP, TRUNCATE, ALTER … DROP, GRANT ALL,
dynamic SQL) are decided from the statement's leading words, so a parser gap cannot hide
them. A statement the parser cannot read is reported as ``sql.unparsed``: fail closed.
"""

from __future__ import annotations

from shellgate.payloads.sql import commands as sqlcommands
from shellgate.payloads.sql.script import (
    DIALECTS,
    GENERIC_BACKSLASH,
    Meta,
    Statement,
    Token,
    split_script,
)
from shellgate.values import record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

KINDS = frozenset({
    "sql.drop", "sql.truncate", "sql.delete-unscoped", "sql.update-unscoped", "sql.alter-drop",
    "sql.grant-all", "sql.dynamic", "sql.include", "sql.shell", "sql.unparsed",
})
"""Every kind :func:`classify_sql` reports."""

_SQLGLOT_DIALECT = {"postgres": "postgres", "cockroach": "postgres", "mysql": "mysql",
                    "sqlite": "sqlite", "duckdb": "duckdb", "clickhouse": "clickhouse",
                    "generic": None}
_STATEMENTS = frozenset({
    "Select", "Union", "Except", "Intersect", "Values", "Subquery", "Insert", "Update",
    "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable", "Command", "Transaction",
    "Commit", "Rollback", "Set", "Use", "Show", "Describe", "Pragma", "Copy", "Grant",
    "Revoke", "Analyze", "Comment", "Cache", "Uncache", "LoadData", "Kill", "Refresh",
    "Summarize", "Attach", "Detach", "Install", "Export", "Declare", "Execute", "ExecuteSql",
    "Pivot", "Undrop", "SwapTable", "AlterRename",
})
"""sqlglot node types that are statements; any other top node (a bare expression) is unread."""
_READ_OR_ADD = frozenset({"SELECT", "INSERT", "VALUES", "TABLE", "SHOW", "SET", "USE",
                          "BEGIN", "START", "COMMIT", "ROLLBACK", "END", "SAVEPOINT", "RELEASE"})
"""Leading words of statements that, holding none of the _RISKY words, can neither delete
nor change existing rows: they skip the parser (a dump's 50 000 INSERTs would otherwise
take many seconds to parse, for no finding)."""
_RISKY = frozenset({"DELETE", "UPDATE", "DROP", "TRUNCATE", "ALTER", "GRANT", "REVOKE",
                    "EXECUTE", "EXEC", "CALL", "DO", "PREPARE", "OVERWRITE", "MERGE", "PROGRAM",
                    "WITH", "REPLACE"})


@record
class PayloadFinding:
    """One destructive or unreadable part of a payload.

    ``kind`` is one of :data:`KINDS` (or a ``mongo.*``/``redis.*`` kind from
    :mod:`shellgate.payloads.databases.nosql`); ``detail`` quotes the offending statement (at most
    160
    characters, whitespace folded) and says what it does.
    """

    kind: str
    detail: str


def snippet(text: str, limit: int = 160) -> str:
    """``text`` with whitespace folded, cut to ``limit`` characters."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[:limit - 1] + "…"


def classify_sql(text: str, dialect: str) -> list[PayloadFinding]:
    """Classify every statement and client command of an SQL script.

    ``dialect`` is one of ``postgres mysql sqlite duckdb clickhouse cockroach generic``
    (anything else is read as ``generic``). Returns [] for a script that only reads,
    inserts, creates or does scoped writes.
    """
    dialect = dialect if dialect in DIALECTS else "generic"
    items = split_script(text, dialect)
    found = _classify_items(items, dialect)
    if dialect == "generic" and any(t.kind == "string" and "\\" in t.text for item in items
                                    if isinstance(item, Statement) for t in item.tokens):
        # Whether a backslash escapes a quote depends on the server: read it both ways.
        found += _classify_items(split_script(text, GENERIC_BACKSLASH), "mysql")
    return list(dict.fromkeys(found))


def includes(text: str, dialect: str) -> list[tuple[str, bool]]:
    """Files a script pulls in (psql ``\\i``/``\\ir``, mysql ``source``, sqlite ``.read``).

    Each as ``(path, relative)``; ``relative`` is True for psql ``\\ir``, whose path is
    taken from the including script's folder.
    """
    dialect = dialect if dialect in DIALECTS else "generic"
    out: list[tuple[str, bool]] = []
    for item in split_script(text, dialect):
        if isinstance(item, Meta):
            out.extend(sqlcommands.include_paths(item))
    return out


def _classify_items(items: list[Meta | Statement], dialect: str) -> list[PayloadFinding]:
    found: list[PayloadFinding] = []
    for at, item in enumerate(items):
        if isinstance(item, Meta):
            pairs = sqlcommands.classify_meta(item)
            nxt = items[at + 1] if at + 1 < len(items) else None
            if item.name == "gexec" and not (isinstance(nxt, Statement) and nxt.sends_with):
                # an empty query buffer: psql re-sends the previous query under \gexec
                pairs.append(("sql.dynamic", "runs every value the query returns as SQL", None))
            for kind, what, inner in pairs:
                if inner is not None:
                    found += _classify_items(split_script(inner, dialect), dialect)
                if kind:
                    found.append(PayloadFinding(kind, f"{snippet(item.raw)} — {what}"))
            continue
        kinds = _statement(item, dialect)
        if item.sends_with == "gexec":
            kinds.append(("sql.dynamic", "\\gexec runs every value it returns as SQL"))
        if kinds:
            text = snippet(item.text())
            found += [PayloadFinding(kind, f"{text} — {what}") for kind, what in kinds]
    return found


def _statement(stmt: Statement, dialect: str) -> list[tuple[str, str]]:
    if stmt.broken:
        return [("sql.unparsed", "a quote or dollar quote never closes")]
    toks, found = stmt.tokens, []
    if dialect == "cockroach":
        toks, inner = sqlcommands.cockroach_brackets(toks)
        for sub in inner:
            found += _statement(Statement(sub), dialect)
    words = [t.value for t in toks if t.kind == "word"]
    if not toks:
        return found
    if dialect in ("postgres", "generic"):
        found += [("sql.dynamic", f"interpolates psql variable :{t.value} as SQL text")
                  for t in toks if t.kind == "var"]
    wrapped = sqlcommands.unwrap_explain(toks)
    if wrapped is not None:
        return found + (_statement(Statement(wrapped), dialect) if wrapped else [])
    lead = words[0] if words else ""
    rules = sqlcommands.lead_rules(toks, words, dialect)
    for sub in rules.inner:
        found += _statement(Statement(sub), dialect)
    found += rules.found
    for body in rules.bodies:
        found += [(k, f"in a routine body: {w}") for k, w in _body_scan(body, dialect)]
    if rules.skip_parse:
        return found
    if lead in _READ_OR_ADD and not _RISKY.intersection(words):
        return found
    return found + _parsed(toks, lead, dialect)


def _parsed(toks: list[Token], lead: str, dialect: str) -> list[tuple[str, str]]:
    text = Statement(toks).text()
    if lead == "UPSERT":  # cockroach: INSERT … ON CONFLICT DO UPDATE by another name
        text = "INSERT" + text[len(toks[0].text):]
    trees = _parse(text, dialect)
    if trees is None:
        found = [("sql.unparsed", "the SQL parser cannot read this statement")]
        words = [t.value for t in toks if t.kind == "word"]
        if lead in ("DELETE", "UPDATE") and "WHERE" not in words:
            kind = "sql.delete-unscoped" if lead == "DELETE" else "sql.update-unscoped"
            found.append((kind, "has no WHERE clause"))
        return found
    found = []
    for tree in trees:
        name = type(tree).__name__
        if name not in _STATEMENTS:
            found.append(("sql.unparsed", "not a statement the parser recognises"))
        elif name == "Command" and lead not in sqlcommands.COMMAND_LEADS:
            found.append(("sql.unparsed", f"the SQL parser does not know {lead or 'it'}"))
        elif name == "Command":  # read only as words: look for statements inside them
            found += _body_scan(toks[1:], dialect)
        else:
            try:
                found += _tree(tree)
            except RecursionError:
                found.append(("sql.unparsed", "nested too deeply to inspect"))
    return found


def _parse(text: str, dialect: str) -> list[Any] | None:
    try:
        # Imported here, not at module level: sqlglot is heavy (see docs/sql-parser-choice.md).
        import logging

        import sqlglot

        logger = logging.getLogger("sqlglot")
        if not logger.handlers:  # its "falling back to Command" warnings are not for users
            logger.addHandler(logging.NullHandler())
            logger.propagate = False
        trees = sqlglot.parse(text, read=_SQLGLOT_DIALECT[dialect])
    except Exception:  # any parser failure, even RecursionError, fails closed
        return None
    return [t for t in trees if t is not None]


def _tree(tree: Any) -> list[tuple[str, str]]:
    """DELETE/UPDATE/MERGE/INSERT OVERWRITE anywhere in a parsed statement."""
    found: list[tuple[str, str]] = []
    for node in tree.walk():
        name = type(node).__name__
        if name in ("Delete", "Update") and type(node.parent).__name__ != "When":
            verb = "deletes" if name == "Delete" else "updates"
            why = _unscoped(node)
            if why:
                table = getattr(node.args.get("this"), "name", "") or "the table"
                found.append((f"sql.{name.lower()}-unscoped", f"{verb} every row of {table}"
                              f" ({why})"))
        elif name == "Merge":
            found += _merge(node)
        elif name == "Insert" and node.args.get("overwrite"):
            found.append(("sql.truncate", "INSERT OVERWRITE replaces every row"))
    return found


def _unscoped(node: Any) -> str:
    conds: list[Any] = []
    where = node.args.get("where")
    if where is not None:
        conds.append(where.this)
    target = node.args.get("this")
    joins = list(node.args.get("joins") or []) + list(getattr(target, "args", {}).get("joins")
                                                      or [])
    for join in joins:
        if join.args.get("on") is not None:
            conds.append(join.args["on"])
        elif join.args.get("using"):
            return ""
    if not conds:
        return "no WHERE clause"
    ties = bool(joins or node.args.get("using") or node.args.get("from")
                or node.args.get("from_"))
    from shellgate.payloads.sql.truth import CONST, TRUE, truth  # (imports decimal)

    verdict = min(truth(c, ties) for c in conds)
    if ties and verdict == CONST:
        return "its WHERE clause only ties the tables together"
    if verdict == TRUE:
        return "its WHERE clause is always true"
    if verdict == CONST:
        return "its WHERE clause does not depend on the row"
    return ""


def _merge(node: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    whens = node.args.get("whens")
    for when in (whens.expressions if whens is not None else []):
        then = when.args.get("then")
        verb = "delete" if str(getattr(then, "this", "")).upper() == "DELETE" else (
            "update" if type(then).__name__ == "Update" else "")
        if not verb:
            continue
        if not when.args.get("matched") and when.args.get("source"):
            found.append((f"sql.{verb}-unscoped",
                          f"MERGE {verb}s every target row missing from the source"))
            continue
        from shellgate.payloads.sql.truth import CONST, truth

        conds = [node.args.get("on"), when.args.get("condition")]
        if min(truth(c) for c in conds if c is not None) >= CONST:
            found.append((f"sql.{verb}-unscoped", f"MERGE {verb}s every matched row"))
    return found


def _body_scan(tokens: list[Token], dialect: str) -> list[tuple[str, str]]:
    """Destructive statements inside a routine body (plpgsql, a trigger's BEGIN … END)."""
    found: list[tuple[str, str]] = []
    for start, kind in sqlcommands.body_statements(tokens):
        piece = sqlcommands.until_semicolon(tokens, start)
        if kind in ("DELETE", "UPDATE"):
            trees = _parse(Statement(piece).text(), dialect)
            if trees is None:
                if not any(t.kind == "word" and t.value == "WHERE" for t in piece):
                    found.append((f"sql.{kind.lower()}-unscoped", f"{kind} with no WHERE"))
            else:
                for tree in trees:
                    found += _tree(tree)
        else:
            rules = sqlcommands.lead_rules(piece, [t.value for t in piece if t.kind == "word"],
                                           dialect)
            found += rules.found
    return found
