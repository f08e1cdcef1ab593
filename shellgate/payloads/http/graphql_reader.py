"""A small exact reader of GraphQL operations: operation types, names and root selections.

Importing graphql-core costs a hook call ~130 ms (its package imports ``asyncio``, the
type system and validation), for a decision that needs only which operations a document
holds and which root fields they call. :func:`read` reads executable documents
(operations and fragments) itself, and answers ``None`` for anything it does not read
exactly the way graphql-core does: a syntax error, type-system definitions, descriptions,
empty selection sets, ``\\u{…}`` or surrogate escapes, surrogate code points, nesting
deeper than :data:`MAX_DEPTH`, documents longer than :data:`MAX_CHARS`. The caller then
parses with graphql-core, so every document is either read here with graphql-core's own
result or read by graphql-core. ``tests/unit/payloads/test_graphql_reader.py`` holds the two to the
same operations on generated documents.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    Selection = tuple[str, object]
    """("field", name) | ("spread", fragment name) | ("inline", [Selection, …])."""
    Operation = tuple[str, str | None, list[Selection]]

MAX_CHARS = 100_000
"""Longer documents go to graphql-core (whose token limit a shorter one cannot reach: every
token is at least one character)."""
MAX_DEPTH = 64
"""Deeper nesting goes to graphql-core, which has its own limit (200)."""

_BLOCK = r'"""(?:[^"\\]|\\"""|\\(?!""")|"(?!""))*"""'
_STRING = (r'"(?!"")(?:[^"\\\r\n]|\\["\\/bfnrt]|\\u(?![dD][89a-fA-F])[0-9a-fA-F]{4})*"')
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![._A-Za-z0-9])"
_TOKEN = re.compile(
    r"[ \t\n\r,\ufeff]+|#[^\r\n]*"
    r"|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    rf"|(?P<number>{_NUMBER})"
    r"|(?P<punct>\.\.\.|[!$():=@\[\]{}])"
    rf"|(?P<string>{_BLOCK}|{_STRING})")
_SURROGATE = re.compile("[\ud800-\udfff]")
_OPERATIONS = frozenset({"query", "mutation", "subscription"})


class _Unread(Exception):
    """Not read here: graphql-core decides."""


def _tokens(document: str) -> list[tuple[str, str]]:
    """(kind, text) of every token: kind is ``name``, ``number``, ``string`` or the
    punctuator itself."""
    if _SURROGATE.search(document):
        raise _Unread
    out: list[tuple[str, str]] = []
    position, end = 0, len(document)
    match = _TOKEN.match
    while position < end:
        found = match(document, position)
        if found is None:
            raise _Unread
        kind = found.lastgroup
        if kind is not None:
            text = found.group()
            out.append((text if kind == "punct" else kind, text))
        position = found.end()
    out.append(("<EOF>", ""))
    return out


class _Reader:
    """Recursive descent over the executable grammar (GraphQL spec, October 2021)."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    def peek(self, kind: str) -> bool:
        return self.tokens[self.at][0] == kind

    def take(self, kind: str) -> str:
        token_kind, text = self.tokens[self.at]
        if token_kind != kind:
            raise _Unread
        self.at += 1
        return text

    def optional(self, kind: str) -> bool:
        if self.tokens[self.at][0] == kind:
            self.at += 1
            return True
        return False

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Unread

    def document(self) -> tuple[list[Operation], dict[str, list[Selection]]]:
        operations: list[Operation] = []
        fragments: dict[str, list[Selection]] = {}
        while True:
            kind, text = self.tokens[self.at]
            if kind == "{":
                operations.append(("query", None, self.selection_set(True)))
            elif kind == "name" and text in _OPERATIONS:
                self.at += 1
                name = self.take("name") if self.peek("name") else None
                if self.optional("("):
                    self.variable_definition()
                    while not self.optional(")"):
                        self.variable_definition()
                self.directives(const=False)
                operations.append((text, name, self.selection_set(True)))
            elif kind == "name" and text == "fragment":
                self.at += 1
                name = self.take("name")
                if name == "on" or self.take("name") != "on":
                    raise _Unread
                self.take("name")
                self.directives(const=False)
                fragments[name] = self.selection_set(True)
            else:  # type-system definitions, descriptions, errors: graphql-core
                raise _Unread
            if self.peek("<EOF>"):
                return operations, fragments

    def variable_definition(self) -> None:
        self.take("$")
        self.take("name")
        self.take(":")
        self.type_reference()
        if self.optional("="):
            self.value(const=True)
        self.directives(const=True)

    def type_reference(self) -> None:
        if self.optional("["):
            self.nest()
            self.type_reference()
            self.depth -= 1
            self.take("]")
        else:
            self.take("name")
        self.optional("!")

    def directives(self, const: bool) -> None:
        while self.optional("@"):
            self.take("name")
            self.arguments(const)

    def arguments(self, const: bool) -> None:
        if self.optional("("):
            while True:
                self.take("name")
                self.take(":")
                self.value(const)
                if self.optional(")"):
                    return

    def value(self, const: bool) -> None:
        kind = self.tokens[self.at][0]
        if kind in ("name", "number", "string"):
            self.at += 1
        elif kind == "$" and not const:
            self.at += 1
            self.take("name")
        elif kind in ("[", "{"):
            self.at += 1
            self.nest()
            close = "]" if kind == "[" else "}"
            while not self.optional(close):
                if kind == "{":
                    self.take("name")
                    self.take(":")
                self.value(const)
            self.depth -= 1
        else:
            raise _Unread

    def selection_set(self, keep: bool) -> list[Selection]:
        """The selections of a ``{…}`` (kept only when ``keep``: root selection sets)."""
        self.take("{")
        self.nest()
        kept: list[Selection] = []
        if self.peek("}"):  # empty: graphql-core's deprecated option decides
            raise _Unread
        while not self.optional("}"):
            if self.optional("..."):
                on = self.tokens[self.at] == ("name", "on")
                if self.peek("name") and not on:
                    kept.append(("spread", self.take("name")))
                    self.directives(const=False)
                    continue
                if on:
                    self.at += 1
                    self.take("name")
                self.directives(const=False)
                kept.append(("inline", self.selection_set(keep)))
                continue
            name = self.take("name")
            if self.optional(":"):
                name = self.take("name")
            self.arguments(const=False)
            self.directives(const=False)
            if self.peek("{"):
                self.selection_set(False)
            kept.append(("field", name))
        self.depth -= 1
        return kept if keep else []


def read(document: str) -> tuple[list[Operation], dict[str, list[Selection]]] | None:
    """(operations, fragments) of ``document``, or None when graphql-core must read it.

    Each operation is (type, name or None, root selections); each fragment maps its name
    to its selections (a later definition of a name replaces an earlier one, as a dict
    built over graphql-core's definitions does). Root selections are ``("field", name)``
    (aliases resolved), ``("spread", fragment)`` and ``("inline", selections)``.
    """
    if len(document) > MAX_CHARS:
        return None
    try:
        return _Reader(_tokens(document)).document()
    except _Unread:
        return None
