"""A small JavaScript tokenizer for mongosh scripts.

Enough of ECMAScript's lexical grammar to never mistake a string, a template literal, a
comment or a regular expression for code, and to decode what can hide a name
(``\\u0064rop``, ``"\\x64rop"``). Linear time; raises :class:`JsSyntaxError` on anything
unterminated, which callers treat as "cannot read: fail closed".
"""

from __future__ import annotations

import re
from collections import namedtuple

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import NamedTuple


class JsSyntaxError(ValueError):
    """The script cannot be tokenized (an unterminated string, comment or template)."""


if TYPE_CHECKING:
    class JsToken(NamedTuple):
        """``kind``: name, string, template (no substitutions), dyntemplate, number,
        regex, punct. ``value`` is the decoded name or string; ``start``/``end`` index the
        source."""

        kind: str
        value: str
        start: int
        end: int
else:  # typing.NamedTuple would import typing (~9 ms) on every Mongo/Redis command
    JsToken = namedtuple("JsToken", ("kind", "value", "start", "end"))
    JsToken.__doc__ = """``kind``: name, string, template (no substitutions), dyntemplate,
    number, regex, punct. ``value`` is the decoded name or string; ``start``/``end`` index
    the source."""


_BLANKS = re.compile(r"[\s\ufeff]+")
_NAME = re.compile(r"(?:[\w$]|\\u\{[0-9A-Fa-f]+\}|\\u[0-9A-Fa-f]{4})+")
_NUMBER = re.compile(r"\.?[0-9][\w.]*")
_PUNCTS = ("...", "?.", "=>", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
           "==", "!=", "<=", ">=", "&&", "||", "??", "++", "--", "+=", "-=", "*=", "/=", "%=",
           "&=", "|=", "^=", "**", "<<", ">>")
_REGEX_AFTER_NAMES = frozenset({
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
    "do", "else", "yield", "await"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_UNICODE = re.compile(r"\\u\{([0-9A-Fa-f]+)\}|\\u([0-9A-Fa-f]{4})")


def _decode_name(raw: str) -> str:
    return _UNICODE.sub(lambda m: chr(min(int(m.group(1) or m.group(2), 16), 0x10FFFF)), raw)


def _unescape(s: str, i: int, end: int) -> tuple[str, int]:
    """Decode the escape at ``s[i]`` (just after a backslash): (text, next index)."""
    c = s[i] if i < end else ""
    if c == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", s[i + 1:i + 3]):
        return chr(int(s[i + 1:i + 3], 16)), i + 3
    if c == "u":
        m = _UNICODE.match(s, i - 1)
        if m:
            return _decode_name(m.group(0)), m.end()
    if c == "\r" and s[i + 1:i + 2] == "\n":
        return "", i + 2
    if c in "\n\r\u2028\u2029":
        return "", i + 1
    return _ESCAPES.get(c, c), i + 1


def tokenize(src: str) -> list[JsToken]:
    """Tokens of a script; comments and blanks dropped."""
    return _Scanner(src).run()


class _Scanner:
    def __init__(self, src: str) -> None:
        self.s = src
        self.n = len(src)
        self.out: list[JsToken] = []
        self.braces: list[str] = []  # "{" or "${" (a template substitution)

    def run(self) -> list[JsToken]:
        s, i = self.s, 0
        while i < self.n:
            c = s[i]
            if c.isspace() or c == "\ufeff":
                m = _BLANKS.match(s, i)
                i = m.end() if m else i + 1
            elif s.startswith("//", i) or s.startswith("<!--", i) or (
                    s.startswith("#!", i) and i == 0):
                j = s.find("\n", i)
                i = self.n if j < 0 else j
            elif s.startswith("/*", i):
                j = s.find("*/", i + 2)
                if j < 0:
                    raise JsSyntaxError("unterminated comment")
                i = j + 2
            elif c in "'\"":
                i = self.string(i)
            elif c == "`":
                i = self.template(i + 1, i)
            elif c == "/" and self.regex_allowed():
                i = self.regex(i)
            elif c.isdigit() or (c == "." and s[i + 1:i + 2].isdigit()):
                m = _NUMBER.match(s, i)
                j = m.end() if m else i + 1
                self.out.append(JsToken("number", s[i:j], i, j))
                i = j
            elif c.isalpha() or c in "_$\\" or ord(c) > 127:
                m = _NAME.match(s, i)
                if not m:
                    raise JsSyntaxError("stray backslash")
                self.out.append(JsToken("name", _decode_name(m.group(0)), i, m.end()))
                i = m.end()
            elif c == "}" and self.braces and self.braces[-1] == "${":
                self.braces.pop()
                i = self.template(i + 1, i)
            else:
                i = self.punct(i)
        if self.braces and "${" in self.braces:
            raise JsSyntaxError("unterminated template literal")
        return self.out

    def punct(self, i: int) -> int:
        s = self.s
        p = next((p for p in _PUNCTS if s.startswith(p, i)), s[i])
        if p == "?." and s[i + 2:i + 3].isdigit():
            p = "?"  # a ? .5 : b
        if p == "{":
            self.braces.append("{")
        elif p == "}" and self.braces:
            self.braces.pop()
        self.out.append(JsToken("punct", p, i, i + len(p)))
        return i + len(p)

    def regex_allowed(self) -> bool:
        if not self.out:
            return True
        last = self.out[-1]
        if last.kind == "name":
            return last.value in _REGEX_AFTER_NAMES
        return last.kind == "punct" and last.value not in (")", "]", "++", "--")

    def string(self, i: int) -> int:
        s, q = self.s, self.s[i]
        j, parts = i + 1, []
        while True:
            k = j
            while k < self.n and s[k] not in (q, "\\", "\n", "\r"):
                k += 1
            parts.append(s[j:k])
            if k >= self.n or s[k] in "\n\r":
                raise JsSyntaxError("unterminated string")
            if s[k] == q:
                self.out.append(JsToken("string", "".join(parts), i, k + 1))
                return k + 1
            text, j = _unescape(s, k + 1, self.n)
            parts.append(text)

    def template(self, j: int, start: int) -> int:
        """Scan template text from ``j`` up to its end or to a ``${``."""
        s, parts = self.s, []
        while j < self.n:
            c = s[j]
            if c == "\\":
                text, j = _unescape(s, j + 1, self.n)
                parts.append(text)
            elif c == "`":
                whole = s[start] == "`"
                kind = "template" if whole else "dyntemplate"
                self.out.append(JsToken(kind, "".join(parts), start, j + 1))
                return j + 1
            elif s.startswith("${", j):
                self.out.append(JsToken("dyntemplate", "".join(parts), start, j + 2))
                self.braces.append("${")
                return j + 2
            else:
                parts.append(c)
                j += 1
        raise JsSyntaxError("unterminated template literal")

    def regex(self, i: int) -> int:
        s, j, in_class = self.s, i + 1, False
        while j < self.n and s[j] not in "\n\r":
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == "[":
                in_class = True
            elif c == "]":
                in_class = False
            elif c == "/" and not in_class:
                m = _NAME.match(s, j + 1)
                end = m.end() if m else j + 1
                self.out.append(JsToken("regex", s[i:end], i, end))
                return end
            j += 1
        raise JsSyntaxError("unterminated regular expression")
