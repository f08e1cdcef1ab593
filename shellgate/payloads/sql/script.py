"""Reads a database client's script the way the client does: statements and client commands.

A hand-written, linear scanner (no regex backtracking): strings, quoted identifiers,
comments, dollar quotes and each client's own commands (psql ``\\i``, mysql ``source`` and
``DELIMITER``, sqlite ``.read``) are told apart per dialect, so that a keyword inside a
string or a comment is never mistaken for code and code is never hidden as a comment.
Used by :mod:`shellgate.payloads.sql.statements`; imports nothing heavy.
"""

from __future__ import annotations

from shellgate.payloads.sql.client import Item, LexerState, Meta, Statement, Token, Traits
from shellgate.values import lazy_pattern, replace

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    import re
    from collections.abc import Callable

DIALECTS = frozenset({"postgres", "mysql", "sqlite", "duckdb", "clickhouse", "cockroach",
                      "generic"})
"""The dialect names :func:`split_script` accepts."""
GENERIC_BACKSLASH = "generic/backslash"
"""Also accepted: generic's psql-style client commands, with backslash escapes in strings."""

__all__ = ["DIALECTS", "TRAITS", "Item", "Meta", "Statement", "Token", "Traits", "lex_fragment",
           "split_script"]

_PG = Traits("psql", False, True, True, True, False, False, False, False, False, True)
TRAITS: dict[str, Traits] = {
    "postgres": _PG,
    "cockroach": _PG,
    "generic": Traits("psql", False, True, True, False, False, False, False, False, False, True),
    "duckdb": Traits("sqlite", False, True, True, True, False, False, False, False, False, False),
    "sqlite": Traits("sqlite", False, False, False, False, False, False, True, False, False,
                     False),
    "mysql": Traits("mysql", True, False, False, False, True, True, False, True, True, False),
    "clickhouse": Traits("", True, False, True, False, True, False, False, False, False, False),
}
TRAITS[GENERIC_BACKSLASH] = replace(TRAITS["mysql"], client="psql")


_PLAIN_OPS = frozenset("(),=+<>!%&|^~?@{}].")
_BLANKS = lazy_pattern(r"[ \t\r\n\f\v]+")
_WORD = lazy_pattern(r"[\w$]+")
_NUMBER = lazy_pattern(r"[\w.]+")
_SHORT_RUN = 64
"""Characters :func:`run_end` reads one by one before it hands a longer run to ``re``."""


def _blank(c: str) -> bool:
    return c in " \t\r\n\f\v"


def _word_char(c: str) -> bool:  # ``[\w$]``: ``\w`` is str.isalnum() or ``_``
    return c.isalnum() or c == "_" or c == "$"


def _number_char(c: str) -> bool:  # ``[\w.]``
    return c.isalnum() or c == "_" or c == "."


def run_end(s: str, i: int, accept: Callable[[str], bool],
            pattern: Callable[[], re.Pattern[str]]) -> int:
    """Where the run of ``accept``ed characters from ``i`` ends (``i + 1`` when there is
    none): what ``pattern().match(s, i)`` answers. Short runs (most SQL tokens) are read
    here, so a short statement needs no ``re`` (a ~14 ms import); a run longer than
    ``_SHORT_RUN`` is finished by the regular expression, in C."""
    n = len(s)
    j, stop = i, min(n, i + _SHORT_RUN)
    while j < stop and accept(s[j]):
        j += 1
    if j == stop and j < n and accept(s[j]):
        match = pattern().match(s, i)
        return match.end() if match else i + 1
    return j if j > i else i + 1


def _ident_char(c: str) -> bool:
    return c.isalnum() or c in "_$" or ord(c) > 127


class _Lexer(LexerState):
    # -- main loop ------------------------------------------------------------------
    def run(self) -> list[Item]:
        s, t = self.s, self.t
        while self.i < self.n:
            c = s[self.i]
            if c in " \t\r\n\f\v":
                self.i = run_end(s, self.i, _blank, _BLANKS)
            elif (not self.cur.tokens and t.client in ("sqlite", "mysql")
                  and self.at_line_start() and self.client_line()):
                continue
            elif self.delim != ";" and s.startswith(self.delim, self.i):  # mysql DELIMITER
                self.i += len(self.delim)
                self.finish()
            elif c in _PLAIN_OPS:  # the most frequent tokens in a dump: checked early
                self.depth += {"(": 1, ")": -1}.get(c, 0)
                self.tok("op", self.i, self.i + 1)
                self.i += 1
            elif c == ";" and (self.delim == ";" or t.client != "mysql"):
                self.i += 1
                if self.depth > 0 and t.paren_semis:
                    self.tok("op", self.i - 1, self.i)
                elif not self.in_block():
                    self.finish()
                    self.copy_data()
                else:
                    self.tok("op", self.i - 1, self.i)
            elif c in "-#" and self.line_comment(c):
                self.i = self.line_end(self.i)
            elif c == "/" and s.startswith("/*", self.i):
                self.comment()
            elif c == "*" and self.in_exec and s.startswith("*/", self.i):
                self.in_exec = False
                self.i += 2
            elif c == "\\" and t.client in ("psql", "mysql"):
                self.backslash()
            elif c == "'":
                self.string(self.i, self.i, t.backslash)
            elif c == '"':
                if t.dq_strings:
                    self.string(self.i, self.i, True)
                else:
                    self.quoted(self.i, '"', '"')
            elif c == "`" and t.client != "psql":
                self.quoted(self.i, "`", "`")
            elif c == "[" and t.brackets:
                self.quoted(self.i, "[", "]")
            elif (c == "$" and t.dollar and self.dollar()) or (
                    c == ":" and t.client == "psql" and self.psql_var()):
                continue
            elif _ident_char(c) and not c.isdigit():
                self.word()
            elif c.isdigit():
                j = run_end(s, self.i, _number_char, _NUMBER)
                self.tok("number", self.i, j)
                self.i = j
            else:
                self.depth += {"(": 1, ")": -1}.get(c, 0)
                self.tok("op", self.i, self.i + 1)
                self.i += 1
        self.in_exec = False
        self.finish()
        return self.items

    def line_comment(self, c: str) -> bool:
        """``--`` (mysql: only before a blank) or ``#`` (mysql, clickhouse) to the line's end."""
        if c == "#":
            return self.t.hash_comments
        if c != "-" or not self.s.startswith("--", self.i):
            return False
        return not self.t.mysql_dash or self.i + 2 >= self.n or self.s[self.i + 2] in " \t\r\n"

    def in_block(self) -> bool:
        """Inside a trigger body (sqlite) or BEGIN ATOMIC (psql), ";" ends only after END."""
        toks = self.cur.tokens
        if not toks or toks[0].value != "CREATE":
            return False
        words = self.cur.words()
        if "BEGIN" not in words:
            return False
        if self.t.client == "sqlite" and "TRIGGER" in words[:4]:
            return words[-1] != "END"
        b = words.index("BEGIN")
        return self.t.client == "psql" and words[b + 1:b + 2] == ["ATOMIC"] and words[-1] != "END"

    # -- pieces -----------------------------------------------------------------------
    def word(self) -> None:
        j = run_end(self.s, self.i, _word_char, _WORD)
        text = self.s[self.i:j]
        if (j < self.n and self.s[j] == "'" and text in ("E", "e") and self.t.e_strings):
            self.string(self.i, j, True)
            return
        self.tok("word", self.i, j, text.upper())
        self.i = j

    def string(self, start: int, quote_at: int, backslash: bool) -> None:
        s, q, n = self.s, self.s[quote_at], self.n
        j, k = quote_at + 1, -1
        out: list[str] = []
        while True:
            if k < j:  # the next quote, found again only once passed: linear time
                k = s.find(q, j)
                k = n if k < 0 else k
            b = s.find("\\", j, k) if backslash else -1
            if b >= 0:
                out += (s[j:b], s[b + 1:b + 2])
                j = b + 2
                continue
            if k >= n:
                self.broken()
                return
            out.append(s[j:k])
            if k + 1 < n and s[k + 1] == q:
                out.append(q)
                j = k + 2
                continue
            break
        self.tok("string", start, k + 1, "".join(out))
        self.i = k + 1

    def quoted(self, start: int, open_: str, close: str) -> None:
        j = start + 1
        while True:
            k = self.s.find(close, j)
            if k < 0:
                self.broken()
                return
            if close != "]" and self.s.startswith(close * 2, k):
                j = k + 2
                continue
            self.tok("qident", start, k + 1, self.s[start + 1:k])
            self.i = k + 1
            return

    def dollar(self) -> bool:
        s, i = self.s, self.i
        if i > 0 and _ident_char(s[i - 1]):
            return False
        j = i + 1
        while j < self.n and (s[j].isalnum() or s[j] == "_" or ord(s[j]) > 127):
            j += 1
        if j >= self.n or s[j] != "$" or (j > i + 1 and s[i + 1].isdigit()):
            return False
        tag = s[i:j + 1]
        k = s.find(tag, j + 1)
        if k < 0:
            self.broken()
            return True
        self.tok("string", i, k + len(tag), s[j + 1:k])
        self.i = k + len(tag)
        return True

    def psql_var(self) -> bool:
        s, i = self.s, self.i
        if s.startswith("::", i):
            self.tok("op", i, i + 2)
            self.i = i + 2
            return True
        j = i + 1
        if j < self.n and s[j] in "'\"":
            k = s.find(s[j], j + 1)
            if k < 0:
                return False
            name = s[j + 1:k]
            # :'v' is a quoted literal, :"v" a quoted identifier: the value cannot change the
            # statement's shape, so it stands in as a placeholder of the same kind.
            kind, text = ("string", "'?'") if s[j] == "'" else ("qident", f'"{name}"')
            self.tok(kind, i, k + 1, "", text)
            self.i = k + 1
            return True
        while j < self.n and (s[j].isalnum() or s[j] == "_"):
            j += 1
        if j == i + 1 or s[i + 1].isdigit():
            return False
        self.tok("var", i, j, s[i + 1:j])
        self.i = j
        return True

    def comment(self) -> None:
        s, i = self.s, self.i
        if self.t.exec_comments and (s.startswith("/*!", i) or s.startswith("/*M!", i)):
            j = s.index("!", i) + 1
            while j < self.n and s[j].isdigit():
                j += 1
            self.in_exec = True
            self.i = j
            return
        depth, j = 1, i + 2
        while depth:
            close = s.find("*/", j)
            if close < 0:
                self.i = self.n  # an unclosed comment runs to the end: nothing is sent
                return
            opened = s.find("/*", j, close) if self.t.nested else -1
            if opened >= 0:
                depth, j = depth + 1, opened + 2
            else:
                depth, j = depth - 1, close + 2
        self.i = j


def split_script(text: str, dialect: str) -> list[Item]:
    """Split a client script into statements and client commands, in order."""
    return _Lexer(text, TRAITS.get(dialect, TRAITS["generic"])).run()


def lex_fragment(text: str, dialect: str) -> list[Token]:
    """All tokens of a piece of SQL (a routine body), client commands and splits ignored."""
    lexer = _Lexer(text, replace(TRAITS.get(dialect, TRAITS["generic"]), client=""))
    out: list[Token] = []
    for item in lexer.run():
        if isinstance(item, Statement):
            out.extend(item.tokens)
            out.append(Token("op", ";", item.tokens[-1].end if item.tokens else 0, 0))
    return out
