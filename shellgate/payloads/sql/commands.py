"""Statement kinds decided from a statement's words, and client commands (psql ``\\x``,
mysql ``source``, sqlite ``.x``).

DROP, TRUNCATE, ALTER … DROP, GRANT/REVOKE ALL and dynamic SQL carry no row scope, so
their words decide them: a gap in the SQL parser can then never turn one into "benign".
Helper of :mod:`shellgate.payloads.sql.statements`; imports nothing heavy.
"""

from __future__ import annotations

from shellgate.payloads.sql.script import Meta, Statement, Token, lex_fragment
from shellgate.values import field, mutable_record

COMMAND_LEADS = frozenset({
    "SHOW", "VACUUM", "ANALYZE", "ANALYSE", "EXPLAIN", "CHECKPOINT", "LISTEN", "NOTIFY",
    "UNLISTEN", "DISCARD", "REINDEX", "CLUSTER", "COMMENT", "LOCK", "UNLOCK", "OPTIMIZE",
    "FLUSH", "KILL", "REFRESH", "DEALLOCATE", "CLOSE", "FETCH", "MOVE", "DECLARE", "USE",
    "DESCRIBE", "DESC", "PRAGMA", "ATTACH", "DETACH", "INSTALL", "LOAD", "CHECK", "CHECKSUM",
    "REPAIR", "HELP", "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END",
    "ABORT", "SET", "RESET", "CREATE", "SECURITY", "IMPORT", "EXPORT", "SUMMARIZE", "RENAME",
    "EXCHANGE", "WATCH", "REASSIGN", "HANDLER", "CHANGE", "STOP", "XA", "CACHE", "UNCACHE",
    "CANCEL", "PAUSE", "RESUME", "BACKUP", "RESTORE", "UNDROP", "COPY",
})
"""Leading words of statements that are harmless even when the parser only sees an opaque
command (the harmful ones among their forms are caught by :func:`lead_rules` first)."""

_DYNAMIC = {"EXECUTE": "executes a prepared statement or a string as SQL",
            "EXEC": "executes a procedure or a string as SQL",
            "CALL": "calls a stored procedure whose body is not in the payload",
            "DO": "runs an anonymous code block",
            "PREPARE": "prepares SQL to run later by name"}
_INNER_LEADS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "MERGE", "REPLACE",
                          "UPSERT", "VALUES", "EXECUTE", "DECLARE", "CREATE", "CALL"})
_ROUTINES = frozenset({"FUNCTION", "PROCEDURE", "TRIGGER", "EVENT", "RULE"})
_BODY_VERBS = frozenset({"DELETE", "UPDATE", "DROP", "TRUNCATE", "ALTER", "GRANT", "REVOKE",
                         "EXECUTE", "EXEC", "PREPARE", "CALL"})
_CREATE_MODIFIERS = frozenset({
    "OR", "REPLACE", "TEMP", "TEMPORARY", "DEFINER", "CURRENT_USER", "CONSTRAINT", "IF", "NOT",
    "EXISTS", "ALGORITHM", "UNDEFINED", "MERGE", "TEMPTABLE", "SQL", "SECURITY", "INVOKER",
    "TRUSTED", "PROCEDURAL", "AGGREGATE", "EVENT_TRIGGER"})
_KEEPS_DATA = frozenset({"DEFAULT", "NOT", "IDENTITY", "EXPRESSION"})


@mutable_record
class LeadRules:
    """What a statement's words alone say about it."""

    found: list[tuple[str, str]] = field(default_factory=list)
    inner: list[list[Token]] = field(default_factory=list)   # statements it embeds
    bodies: list[list[Token]] = field(default_factory=list)  # routine bodies it stores
    skip_parse: bool = False


def _w(tok: Token, *values: str) -> bool:
    return tok.kind == "word" and tok.value in values


def _fragments(text: str, dialect: str) -> list[list[Token]]:
    """The statements of an SQL string (``PREPARE s FROM '…'``), split on ";"."""
    out: list[list[Token]] = [[]]
    for tok in lex_fragment(text, dialect):
        if tok.kind == "op" and tok.text == ";":
            out.append([])
        else:
            out[-1].append(tok)
    return [f for f in out if f]


def lead_rules(toks: list[Token], words: list[str], dialect: str) -> LeadRules:
    """Findings decided by the statement's leading words."""
    r = LeadRules()
    lead = words[0] if words else ""
    second = words[1] if len(words) > 1 else ""
    if lead == "DROP" and second != "PREPARE":
        obj = " ".join(words[1:3] if second in ("MATERIALIZED", "FOREIGN", "TEMPORARY", "TEMP",
                                                 "UNIQUE") else words[1:2]).lower()
        what = "drops everything a role owns" if obj == "owned" else f"drops the {obj}"
        r.found.append(("sql.drop", what))
        r.skip_parse = True
    elif lead == "TRUNCATE":
        r.found.append(("sql.truncate", "removes every row"))
        r.skip_parse = True
    elif lead == "ALTER":
        _alter(toks, r)
    elif lead in ("GRANT", "REVOKE"):
        _grant(words, r)
        r.skip_parse = True
    elif (lead == "PREPARE" and second == "TRANSACTION") or (lead == "DO" and dialect == "mysql"):
        r.skip_parse = True  # two-phase commit; mysql's DO only evaluates expressions
    elif lead in _DYNAMIC:
        r.found.append(("sql.dynamic", _DYNAMIC[lead]))
        _dynamic(toks, lead, dialect, r)
        r.skip_parse = True
    elif lead == "COPY":
        if "PROGRAM" in words:
            r.found.append(("sql.shell", "COPY … PROGRAM runs a shell command on the server"))
        if len(toks) > 1 and toks[1].text == "(":
            r.inner.append(toks[2:_closing(toks, 1)])
        r.skip_parse = True
    elif lead == "CREATE":
        _create(toks, words, dialect, r)
    elif lead == "INSERT" and dialect == "clickhouse" and "FORMAT" in words:
        r.skip_parse = True  # INSERT … FORMAT CSV: what follows FORMAT is data, not SQL
    elif lead == "REPLACE" and second == "TABLE":
        r.found.append(("sql.drop", "replaces the table; its rows are lost"))
        r.skip_parse = True
    elif lead == "PURGE" or (lead == "RESET" and second in ("MASTER", "BINARY", "REPLICA",
                                                            "SLAVE")):
        r.found.append(("sql.drop", "deletes binary logs or dropped objects for good"))
        r.skip_parse = True
    elif lead == "SYSTEM":
        if "DROP" in words and "REPLICA" in words:
            r.found.append(("sql.drop", "drops a replica's data"))
        r.skip_parse = True
    return r


def _closing(toks: list[Token], open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(toks)):
        depth += {"(": 1, ")": -1}.get(toks[i].text, 0) if toks[i].kind == "op" else 0
        if depth == 0:
            return i
    return len(toks)


def _alter(toks: list[Token], r: LeadRules) -> None:
    r.skip_parse = True
    words = [t for t in toks if t.kind == "word"]
    values = [t.value for t in words]
    for verb in ("GRANT", "REVOKE"):  # ALTER DEFAULT PRIVILEGES … GRANT ALL …
        if verb in values:
            _grant(values[values.index(verb):], r)
    for i, tok in enumerate(words):
        nxt = values[i + 1] if i + 1 < len(values) else ""
        prev = values[i - 1] if i else ""
        if tok.value == "DROP" and nxt not in _KEEPS_DATA:
            r.found.append(("sql.alter-drop", f"drops {nxt.lower() or 'part of the object'}"))
        elif tok.value in ("CLEAR", "DISCARD") or (tok.value == "TRUNCATE" and i > 2):
            r.found.append(("sql.alter-drop", f"{tok.value} {nxt} removes stored data"))
        elif tok.value == "REPLACE" and nxt == "PARTITION":
            r.found.append(("sql.alter-drop", "REPLACE PARTITION overwrites a partition"))
        elif tok.value in ("DELETE", "UPDATE") and prev not in ("ON", "FOR", "OR"):
            _mutation(toks, toks.index(tok), tok.value, r)


def _mutation(toks: list[Token], at: int, verb: str, r: LeadRules) -> None:
    """ClickHouse ``ALTER TABLE t DELETE WHERE …``: checked as the DELETE it stands for."""
    where = next((i for i in range(at, len(toks)) if _w(toks[i], "WHERE")), None)
    table = next((i + 1 for i in range(at) if _w(toks[i], "TABLE")), at)
    name = "".join(t.text for t in toks[table:at] if t.kind != "word" or t.value not in (
        "ON", "CLUSTER", "IF", "EXISTS")) or "t"
    # SQL text for shellgate's own parser to read, never sent anywhere.
    text = f"DELETE FROM {name}" if verb == "DELETE" else f"UPDATE {name} SET x = 1"  # noqa: S608
    head = [Token("word", text, -10, -9, verb)]
    if where is None:
        r.inner.append(head)
    else:
        r.inner.append(head + toks[where:])


def _grant(words: list[str], r: LeadRules) -> None:
    scope = words[:words.index("ON")] if "ON" in words else words
    if "ALL" in scope:
        verb = "grants" if words[0] == "GRANT" else "revokes"
        r.found.append(("sql.grant-all", f"{verb} every privilege"))


def _dynamic(toks: list[Token], lead: str, dialect: str, r: LeadRules) -> None:
    if lead == "DO":
        r.bodies += [lex_fragment(t.value, dialect) for t in toks if t.kind == "string"]
        return
    for i, tok in enumerate(toks):
        if lead == "PREPARE" and _w(tok, "AS") and i + 1 < len(toks):
            r.inner.append(toks[i + 1:])  # PREPARE p AS DELETE …
            return
        if tok.kind == "string" and (lead != "PREPARE" or (i and _w(toks[i - 1], "FROM"))):
            r.inner += _fragments(tok.value, dialect)  # PREPARE s FROM '…', EXECUTE '…'


def _create(toks: list[Token], words: list[str], dialect: str, r: LeadRules) -> None:
    head = words[:8]
    if head[1:3] == ["OR", "REPLACE"] and "TABLE" in head[3:5]:
        r.found.append(("sql.drop", "replaces the table; its rows are lost"))
    kind = next((w for w in words[1:] if w not in _CREATE_MODIFIERS), "")
    if kind not in _ROUTINES:
        return
    r.skip_parse = True
    # Code stored now runs later (a trigger on the next INSERT, an event at once): scan it.
    start = next((i for i, t in enumerate(toks) if _w(t, "BEGIN", "DO")), None)
    for i in range(2, len(toks) - 2):
        if _w(toks[i], "EACH") and _w(toks[i + 1], "ROW", "STATEMENT"):
            start = i + 2 if start is None else min(start, i + 2)
    if start is not None:
        r.bodies.append(toks[start:])
    for i, tok in enumerate(toks):
        if tok.kind == "string" and (tok.text.startswith("$") or (i and _w(toks[i - 1], "AS"))):
            r.bodies.append(lex_fragment(tok.value, dialect))


def body_statements(tokens: list[Token]) -> list[tuple[int, str]]:
    """Where destructive verbs start inside a routine body: (index, verb)."""
    out: list[tuple[int, str]] = []
    for i, tok in enumerate(tokens):
        if tok.kind != "word" or tok.value not in _BODY_VERBS:
            continue
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if prev is not None and _w(prev, "ON", "FOR", "OR", "BEFORE", "AFTER", "OF"):
            continue  # ON DELETE CASCADE, FOR UPDATE, AFTER UPDATE ON
        if tok.value == "EXECUTE" and nxt is not None and _w(nxt, "FUNCTION", "PROCEDURE"):
            continue  # a trigger's EXECUTE FUNCTION f(): f's own body is scanned when created
        out.append((i, tok.value))
    return out


def until_semicolon(tokens: list[Token], start: int) -> list[Token]:
    """Tokens from ``start`` to the next ";" outside parentheses."""
    depth = 0
    for i in range(start, len(tokens)):
        tok = tokens[i]
        if tok.kind == "op":
            depth += {"(": 1, ")": -1}.get(tok.text, 0)
            if tok.text == ";" and depth <= 0:
                return tokens[start:i]
    return tokens[start:]


def unwrap_explain(toks: list[Token]) -> list[Token] | None:
    """For EXPLAIN/ANALYZE/DESCRIBE: the statement it runs ([] when it runs none).

    None when the statement is no such wrapper. EXPLAIN ANALYZE (and MariaDB's ANALYZE
    stmt) execute the statement; plain EXPLAIN does not.
    """
    if not toks or not _w(toks[0], "EXPLAIN", "ANALYZE", "ANALYSE", "DESCRIBE", "DESC"):
        return None
    runs = toks[0].value in ("ANALYZE", "ANALYSE")
    i = 1
    if len(toks) > 1 and toks[1].text == "(" and toks[1].kind == "op":
        end = _closing(toks, 1)
        for option in _split_commas(toks[2:end]):
            if option and _w(option[0], "ANALYZE", "ANALYSE"):
                runs = runs or len(option) == 1 or option[1].text.upper() not in (
                    "FALSE", "OFF", "0")
        i = end + 1
    for j in range(i, len(toks)):
        if _w(toks[j], "ANALYZE", "ANALYSE"):
            runs = True
        elif _w(toks[j], *_INNER_LEADS):
            return toks[j:] if runs else []
    return []


def _split_commas(toks: list[Token]) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for tok in toks:
        if tok.kind == "op" and tok.text == ",":
            out.append([])
        else:
            out[-1].append(tok)
    return out


def cockroach_brackets(toks: list[Token]) -> tuple[list[Token], list[list[Token]]]:
    """CockroachDB's ``FROM [SHOW JOBS]`` / ``[DELETE … RETURNING …]``: the bracketed
    statement is checked on its own and stands in the outer one as a table name."""
    out: list[Token] = []
    inner: list[list[Token]] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "op" and tok.text == "[" and i + 1 < len(toks) and _w(
                toks[i + 1], "SHOW", "SELECT", "DELETE", "UPDATE", "INSERT", "UPSERT", "WITH",
                "VALUES", "TABLE", "EXPLAIN"):
            depth, j = 0, i
            while j < len(toks):
                if toks[j].kind == "op" and toks[j].text in "[]":
                    depth += 1 if toks[j].text == "[" else -1
                    if depth == 0:
                        break
                j += 1
            inner.append(toks[i + 1:j])
            end = toks[min(j, len(toks) - 1)].end
            out.append(Token("word", "crdb_subquery", tok.start, end, "CRDB_SUBQUERY"))
            i = j + 1
            continue
        out.append(tok)
        i += 1
    return out, inner


# -- client commands ----------------------------------------------------------------

_PSQL_INCLUDE = {"i": False, "include": False, "ir": True, "include_relative": True}
_SQLITE_NAMES = (("shell", 2), ("system", 2), ("read", 2), ("restore", 3), ("load", 2),
                 ("open", 2))


def _sqlite_is(name: str, full: str) -> bool:
    """sqlite's shell accepts any prefix of a dot-command at least this long."""
    return len(name) >= dict(_SQLITE_NAMES)[full] and full.startswith(name)


def include_paths(meta: Meta) -> list[tuple[str, bool]]:
    """The file a client command reads as more script, as ``(path, relative)``."""
    if not meta.args:
        return []
    path = meta.args[0]
    if meta.client == "psql" and meta.name in _PSQL_INCLUDE:
        return [(path, _PSQL_INCLUDE[meta.name])]
    if meta.client == "mysql" and meta.name == "source":
        return [(path, False)]
    if meta.client == "sqlite" and _sqlite_is(meta.name, "read") and not path.startswith("|"):
        return [(path, False)]
    return []


def classify_meta(meta: Meta) -> list[tuple[str, str, str | None]]:
    """Findings for one client command, as ``(kind, what, inner SQL or None)``."""
    out: list[tuple[str, str, str | None]] = [
        ("sql.include", f"includes file {p}", None) for p, _ in include_paths(meta)]
    name, args = meta.name, meta.args
    piped = any(a.startswith("|") for a in args)
    if meta.client == "psql":
        if meta.backquote:
            out.append(("sql.shell", "runs the text in backquotes as a shell command", None))
        if name in ("!", "|"):
            out.append(("sql.shell", "runs a shell command", None))
        elif name in ("o", "out", "g", "gx", "w", "write") and piped:
            out.append(("sql.shell", "pipes output to a shell command", None))
        elif name == "lo_unlink":
            out.append(("sql.drop", "deletes a large object", None))
        elif name == "copy" and args:
            out += _psql_copy(args[0])
    elif meta.client == "mysql" and name in ("system", "pager"):
        out.append(("sql.shell", "runs a shell command", None))
    elif meta.client == "sqlite":
        if _sqlite_is(name, "shell") or _sqlite_is(name, "system") or piped:
            out.append(("sql.shell", "runs a shell command", None))
        if _sqlite_is(name, "restore") or (_sqlite_is(name, "open") and any(
                a.lstrip("-") == "new" for a in args)):
            out.append(("sql.drop", "replaces the database's contents", None))
        if _sqlite_is(name, "load"):
            out.append(("sql.dynamic", "loads a native extension", None))
    return out


def _psql_copy(raw: str) -> list[tuple[str, str, str | None]]:
    toks = lex_fragment(raw, "postgres")
    out: list[tuple[str, str, str | None]] = []
    if any(_w(t, "PROGRAM") for t in toks):
        out.append(("sql.shell", "\\copy … program runs a shell command", None))
    if toks and toks[0].text == "(":
        out.append(("", "", Statement(toks[1:_closing(toks, 0)]).text()))
    return out
