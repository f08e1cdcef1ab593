"""Data types of an SQL client script, and each client's own commands.

psql ``\\x`` meta-commands (anywhere outside quotes), mysql ``source``, ``DELIMITER`` and
``\\.`` (at a line's start or as backslash commands) and sqlite ``.read``-style
dot-commands are read here the way each client reads them. Helper of
:mod:`shellgate.payloads.sql.script`.
"""

from __future__ import annotations

from shellgate.values import field, mutable_record, record

_SEND_METAS = frozenset({"g", "gx", "gexec", "gset", "gdesc", "watch", "crosstabview", ";"})
"""psql meta-commands that send the query buffer, so they end a statement."""

_MYSQL_COMMANDS = frozenset({
    "?", "charset", "clear", "connect", "delimiter", "edit", "ego", "exit", "go", "help",
    "nopager", "notee", "nowarning", "pager", "print", "prompt", "query_attributes", "quit",
    "rehash", "resetconnection", "source", "status", "system", "tee", "use", "warnings",
})
_MYSQL_SHORT = {".": "source", "!": "system", "d": "delimiter", "u": "use", "P": "pager",
                "T": "tee", "r": "connect", "e": "edit", "C": "charset", "R": "prompt"}
_MYSQL_SEND = frozenset({"g", "G"})


@record
class Traits:
    """How one dialect's text is read."""

    client: str            # "psql" | "mysql" | "sqlite" | "" — whose client commands exist
    backslash: bool        # '…' honours backslash escapes
    e_strings: bool        # E'…' honours backslash escapes
    dollar: bool           # $tag$…$tag$ strings
    nested: bool           # /* /* */ */ nests
    hash_comments: bool    # "#" starts a comment
    dq_strings: bool       # "…" is a string, not an identifier
    brackets: bool         # […] is an identifier
    mysql_dash: bool       # "--" is a comment only when followed by a space
    exec_comments: bool    # /*! … */ is code, not a comment
    paren_semis: bool      # ";" inside parentheses does not end a statement


TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import NamedTuple

    class Token(NamedTuple):
        """One lexical token. ``kind``: word, qident, string, number, op, var."""

        kind: str
        text: str
        start: int
        end: int
        value: str = ""  # words: upper case; strings: the content; var: the psql variable name
else:  # typing.NamedTuple imports typing (~9 ms), collections.namedtuple collections (~3 ms)
    class Token(tuple):
        """One lexical token. ``kind``: word, qident, string, number, op, var."""

        __slots__ = ()
        _fields = ("kind", "text", "start", "end", "value")

        def __new__(cls, kind, text, start, end, value=""):
            return tuple.__new__(cls, (kind, text, start, end, value))

        def __repr__(self):
            shown = (f"{n}={v!r}" for n, v in zip(self._fields, self, strict=True))
            return "Token(" + ", ".join(shown) + ")"

        kind = property(lambda self: self[0], doc="word, qident, string, number, op or var")
        text = property(lambda self: self[1], doc="the token as written")
        start = property(lambda self: self[2], doc="offset of its first character")
        end = property(lambda self: self[3], doc="offset after its last character")
        value = property(lambda self: self[4], doc="words: upper case; strings: the content; "
                                                   "var: the psql variable name")


@mutable_record
class Statement:
    """One statement as the server will receive it; ``broken`` when a quote never closed."""

    tokens: list[Token] = field(default_factory=list)
    broken: bool = False
    sends_with: str = ""  # a psql meta-command that sent it (``gexec``…)

    def words(self) -> list[str]:
        """Upper-cased words, in order (strings, identifiers and operators left out)."""
        return [t.value for t in self.tokens if t.kind == "word"]

    def text(self) -> str:
        """The statement's source with comments dropped and any gap folded to one space."""
        parts: list[str] = []
        last = -1
        for tok in self.tokens:
            if parts and tok.start != last:
                parts.append(" ")
            parts.append(tok.text)
            last = tok.end
        return "".join(parts)


@record
class Meta:
    """A client command (psql ``\\i f``, mysql ``source f``, sqlite ``.read f``)."""

    client: str
    name: str
    args: tuple[str, ...]
    raw: str
    backquote: bool = False  # psql runs `…` in arguments as a shell command


Item = Statement | Meta
"""One element of a script: a statement or a client command."""


def split_args(raw: str, backslash: bool) -> tuple[list[str], bool]:
    """Split client-command arguments on blanks, honouring '…', "…" and `…` quotes."""
    args: list[str] = []
    i, n, shell = 0, len(raw), False
    while i < n:
        if raw[i].isspace():
            i += 1
            continue
        cur: list[str] = []
        while i < n and not raw[i].isspace():
            c = raw[i]
            if c in "'\"`":
                shell = shell or c == "`"
                j = i + 1
                while j < n and raw[j] != c:
                    if backslash and raw[j] == "\\" and j + 1 < n:
                        j += 1
                    cur.append(raw[j])
                    j += 1
                i = j + 1
            else:
                cur.append(c)
                i += 1
        args.append("".join(cur))
    return args, shell


class LexerState:
    """A scan in progress: the text, the position, what has been read so far."""

    def __init__(self, text: str, traits: Traits) -> None:
        """Start scanning ``text`` with ``traits``."""
        self.s = text
        self.n = len(text)
        self.t = traits
        self.i = 0
        self.items: list[Item] = []
        self.cur = Statement()
        self.depth = 0
        self.delim = ";"
        self.in_exec = False  # inside a mysql /*! … */

    # -- statement bookkeeping -------------------------------------------------------
    def finish(self, sends_with: str = "") -> None:
        """End the statement being read."""
        if self.cur.tokens or self.cur.broken:
            self.cur.sends_with = sends_with
            self.items.append(self.cur)
        self.cur = Statement()
        self.depth = 0

    def tok(self, kind: str, start: int, end: int, value: str = "", text: str = "") -> None:
        """Add a token to the statement being read."""
        self.cur.tokens.append(Token(kind, text or self.s[start:end], start, end, value))

    def broken(self) -> None:
        """A quote never closes: the statement cannot be read."""
        self.cur.broken = True
        self.i = self.n

    def line_end(self, i: int) -> int:
        """Index of the newline ending the line at ``i`` (or the end of text)."""
        j = self.s.find("\n", i)
        return self.n if j < 0 else j

    def at_line_start(self) -> bool:
        """Only blanks stand between the line's start and the position."""
        j = self.i - 1
        while j >= 0 and self.s[j] in " \t\r":
            j -= 1
        return j < 0 or self.s[j] == "\n"

    # -- client commands ------------------------------------------------------------
    def client_line(self) -> bool:
        """A line that is a client command (sqlite ``.x``, mysql ``source x``)."""
        s, i = self.s, self.i
        end = self.line_end(i)
        line = s[i:end]
        if self.t.client == "sqlite" and line[:1] in (".", "#"):
            if line[0] == ".":
                args, _ = split_args(line[1:], True)
                if args:
                    self.items.append(Meta("sqlite", args[0].lower(), tuple(args[1:]), line))
            self.i = end
            return True
        if self.t.client != "mysql":
            return False
        head = line.split(None, 1)
        name = head[0].lower().rstrip(";") if head else ""
        if name not in _MYSQL_COMMANDS or name in ("?", "help"):
            return False
        rest = line[len(head[0]):].strip()
        self.mysql_command(name, rest, line)
        self.i = end
        return True

    def mysql_command(self, name: str, rest: str, raw: str) -> None:
        """Record a mysql client command (``DELIMITER`` changes how statements end)."""
        if name == "delimiter":
            args, _ = split_args(rest, True)
            self.delim = args[0] if args else self.delim
            return
        if rest.endswith(self.delim):
            rest = rest[:-len(self.delim)].rstrip()
        args, _ = split_args(rest, True)
        if name in ("system", "pager"):
            args = [rest]
        self.items.append(Meta("mysql", name, tuple(args), raw.strip()))

    def backslash(self) -> None:
        """A backslash outside quotes: a mysql short command or a psql meta-command."""
        s, i = self.s, self.i
        if self.t.client == "mysql":
            c = s[i + 1:i + 2]
            self.i = i + 2
            if c in _MYSQL_SEND:
                self.finish()
            elif c in _MYSQL_SHORT:
                end = self.line_end(self.i)
                k = s.find(self.delim, self.i, end)
                end = k if k >= 0 else end
                self.mysql_command(_MYSQL_SHORT[c], s[self.i:end].strip(), s[i:end])
                self.i = end
            return
        self.psql_meta()

    def psql_meta(self) -> None:
        """A psql meta-command: arguments to the line's end or the next backslash."""
        s, i = self.s, self.i
        if s.startswith("\\\\", i):
            self.i = i + 2
            return
        j = i + 1
        if j < self.n and (s[j].isalnum() or s[j] == "_"):
            while j < self.n and (s[j].isalnum() or s[j] in "_+"):
                j += 1
        else:
            j = min(j + 1, self.n)
        name = s[i + 1:j]
        end = self.line_end(j)
        if name in ("copy", "!"):  # these take the rest of the line verbatim
            k = end
        else:
            k = j
            quote = ""
            while k < end:
                c = s[k]
                if quote:
                    quote = "" if c == quote else quote
                elif c in "'\"`":
                    quote = c
                elif c == "\\":
                    break
                k += 1
        raw = s[j:k]
        args, shell = split_args(raw, True)
        if name in ("copy", "!"):
            args = [raw.strip()]
        self.items.append(Meta("psql", name, tuple(args), s[i:k].strip(), shell))
        self.i = k
        if name in _SEND_METAS:
            self.finish(name)
        if name == "copy" and "from stdin" in " ".join(raw.lower().split()):
            self.copy_data()

    def copy_data(self) -> None:
        """After ``COPY … FROM STDIN`` psql reads data rows up to a line ``\\.``."""
        last = self.items[-1] if self.items else None
        if self.t.client != "psql" or last is None:
            return
        if isinstance(last, Statement):
            if not last.tokens or last.tokens[0].value != "COPY":
                return
            words = last.words()
            if not (words[:1] == ["COPY"] and "FROM" in words and "STDIN" in words):
                return
        elif last.name != "copy":
            return
        j = self.line_end(self.i) + 1
        while j < self.n:
            end = self.line_end(j)
            if self.s[j:end].rstrip("\r") == "\\.":
                self.i = end
                return
            j = end + 1
        self.i = self.n
