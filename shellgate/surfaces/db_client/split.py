"""Statement boundaries at an interactive database prompt, and what each statement does.

Lines typed at the client's prompt are held until they form what the client would act
on, then inspected as one text, with the inspectors ``psql -c`` / ``redis-cli CMD`` /
``mongosh --eval`` use:

* psql, mysql/mariadb: until a statement ends (``;``, ``\\g``, mysql's ``DELIMITER``)
  outside quotes, dollar quotes and comments — read by the clients' own lexer
  (:mod:`shellgate.payloads.sql.script`) — or a client command (``\\dt``, ``\\i f``,
  ``source f``) ends the line. A client command typed while a statement is still open is
  sent on its own (the client runs it at once and keeps the open statement, which is
  inspected again, whole, when it ends).
* redis-cli: one command per line.
* mongosh: one line, or until brackets, comments and template literals close and the
  line does not end in an operator.

Editor commands (psql ``\\e``, mysql ``edit``, mongosh ``edit``/``.editor``/``.load``)
hand statements to a program shellgate does not see: they count as dynamic SQL/code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shellgate.payloads.sql.statements import PayloadFinding, snippet

_SENTINEL = "SHELLGATE_END_OF_INPUT_7F3A"
_LANGUAGES = {"psql": ("sql", "postgres"), "usql": ("sql", "generic"),
              "mysql": ("sql", "mysql"), "mariadb": ("sql", "mysql"),
              "redis-cli": ("redis", ""), "valkey-cli": ("redis", ""), "keydb-cli": ("redis", ""),
              "mongosh": ("mongo", ""), "mongo": ("mongo", "")}
_PSQL_EDIT = frozenset({"e", "edit", "ef", "ev"})
_CLEAR = {"postgres": "\\r", "generic": "\\r", "mysql": "\\c"}
_DELIMITER = re.compile(r"(?im)^[ \t]*(?:delimiter|\\d)[ \t]+(\S+)")
_JS_CLOSED = frozenset({")", "]", "}", ";", "++", "--"})
_JS_OPEN = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def language(tool: str) -> tuple[str, str]:
    """(``sql`` | ``redis`` | ``mongo``, SQL dialect) for a client name."""
    return _LANGUAGES.get(tool.rsplit("/", 1)[-1], ("sql", "generic"))


@dataclass(frozen=True)
class Ready:
    """Lines to send now, and the text to inspect before they may go."""

    lines: tuple[str, ...]
    text: str


class StatementBuffer:
    """Holds typed lines until the client would act on them (see module doc)."""

    def __init__(self, tool: str) -> None:
        """A buffer for the client named ``tool``."""
        self.language, self.dialect = language(tool)
        self._held: list[str] = []
        self._open = ""        # an open statement the client holds (sent before a command)
        self._delimiter = ""   # mysql: the last DELIMITER line sent, for reading on

    @property
    def holding(self) -> bool:
        """True while a statement is being typed (held here or open in the client)."""
        return bool(self._held or self._open)

    def feed(self, line: str) -> Ready | None:
        """Add a typed line; what to inspect and send when the client would act on it."""
        self._held.append(line)
        if self.language == "redis":
            return Ready(tuple(self._held), line)
        text = "\n".join(self._held)
        if self.language == "mongo":
            return None if js_incomplete(text) else Ready(tuple(self._held), text)
        return self._sql(text)

    def _sql(self, text: str) -> Ready | None:
        from shellgate.payloads.sql.client import Meta, Statement
        from shellgate.payloads.sql.script import split_script

        whole = self._open + text
        items = split_script(f"{self._delimiter}{whole}\n{_SENTINEL}", self.dialect)
        last = items[-1] if items else None
        if isinstance(last, Statement) and [t.text for t in last.tokens] == [_SENTINEL]:
            return Ready(tuple(self._held), self._delimiter + whole)
        before = split_script(self._delimiter + self._open + "\n".join(self._held[:-1]),
                              self.dialect)
        metas = [i for i in items if isinstance(i, Meta)]
        if len(metas) > sum(isinstance(i, Meta) for i in before):
            return Ready(tuple(self._held), "\n".join(m.raw for m in metas[
                sum(isinstance(i, Meta) for i in before):]))
        return None

    def sent(self) -> None:
        """The lines of the last :class:`Ready` went to the client."""
        text = "\n".join(self._held)
        self._held = []
        if self.language != "sql":
            return
        from shellgate.payloads.sql.client import Statement
        from shellgate.payloads.sql.script import split_script

        found = _DELIMITER.findall(text)
        if found and self.dialect == "mysql":
            self._delimiter = f"DELIMITER {found[-1]}\n"
        whole = self._open + text
        items = split_script(f"{self._delimiter}{whole}\n{_SENTINEL}", self.dialect)
        last = items[-1] if items else None
        still_open = isinstance(last, Statement) and [t.text for t in last.tokens] != [_SENTINEL]
        self._open = (Statement(last.tokens[:-1]).text() + "\n") if (
            still_open and isinstance(last, Statement)) else ""

    def drop(self) -> str | None:
        """Forget what is being typed; the client command that clears its buffer, if any."""
        had_open = bool(self._open)
        self._held = []
        self._open = ""
        return _CLEAR.get(self.dialect) if had_open and self.language == "sql" else None


def js_incomplete(text: str) -> bool:
    """True when mongosh would read another line into this statement."""
    from shellgate.payloads.databases.jsscan import JsSyntaxError, tokenize

    try:
        tokens = tokenize(text)
    except JsSyntaxError as exc:
        return "comment" in str(exc) or "template" in str(exc)
    depth = 0
    for token in tokens:
        if token.kind == "punct":
            depth += _JS_OPEN.get(token.value, 0)
    if depth > 0:
        return True
    last = tokens[-1] if tokens else None
    return last is not None and last.kind == "punct" and last.value not in _JS_CLOSED


def classify(tool: str, text: str) -> list[PayloadFinding]:
    """What one statement (or command) typed at the client's prompt does."""
    kind, dialect = language(tool)
    if kind == "redis":
        from shellgate.payloads.databases.nosql import classify_redis, split_redis_script

        return [f for words in split_redis_script(text) for f in classify_redis(words)]
    if kind == "mongo":
        from shellgate.payloads.databases.nosql import classify_mongo

        return _mongo_shell(text) + classify_mongo(text)
    from shellgate.payloads.sql.statements import classify_sql

    return _editors(text, dialect) + classify_sql(text, dialect)


def _editors(text: str, dialect: str) -> list[PayloadFinding]:
    from shellgate.payloads.sql.client import Meta
    from shellgate.payloads.sql.script import split_script

    out: list[PayloadFinding] = []
    for item in split_script(text, dialect):
        if isinstance(item, Meta) and (item.name in _PSQL_EDIT if item.client == "psql"
                                       else item.name == "edit"):
            out.append(PayloadFinding("sql.dynamic", f"{snippet(item.raw)} — runs SQL written "
                                      "in an editor shellgate does not see"))
    return out


def _mongo_shell(text: str) -> list[PayloadFinding]:
    first = text.lstrip().split(None, 1)[0] if text.strip() else ""
    if first in (".editor", ".load", "edit") or (first.startswith(".") and first not in (
            ".exit", ".help", ".clear", ".break")):
        return [PayloadFinding("mongo.dynamic", f"{snippet(text)} — runs code written or "
                               "loaded where shellgate does not see it")]
    return []
