"""Values of expressions in node, perl and ruby code, computed over the tokens of
:mod:`shellgate.payloads.code.lexer`: string concatenation, object/hash/array
literals, JSON encoders, ``URI(…)``, and names bound once. Also the value helpers the
Python reader shares. Anything else is :data:`UNKNOWN`."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from shellgate.payloads.code.lexer import Token
from shellgate.payloads.http.request import DYNAMIC

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()
"""A value shellgate cannot compute statically."""

BLOCK_OWNERS = ("Net::HTTP", "HTTParty", "RestClient", "Faraday", "Excon", "HTTP")
_FETCH_MODULES = {"node-fetch": "fetch", "cross-fetch": "fetch", "isomorphic-fetch": "fetch"}
_JSON_FUNCS = frozenset({"JSON.stringify", "encode_json", "to_json", "JSON.generate",
                         "JSON.dump", "JSON::PP.new.encode", "JSON.new.encode",
                         "JSON::XS.new.encode", "JSON::PP.encode_json"})
_URL_FUNCS = frozenset({"URI", "URI.parse", "URI.new", "URL", "URI.join"})
_CONSTANTS = {"true": True, "false": False, "null": None, "nil": None, "undef": None,
              "undefined": None}
_BARE_CALLS = frozenset({"get", "post", "put", "patch", "delete", "head", "options",
                         "getstore", "getprint", "mirror", "request", "open", "post_form",
                         "send_request", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})
"""Perl and ruby calls recognised even without parentheses (``get 'https://…'``)."""
_MAX_DEPTH = 20
_MAX_TEXT = 1 << 20


class JsonText(str):
    """A string produced by a JSON encoder in the code (implies a JSON body)."""


def text(value: Any) -> str:
    """``value`` as the text it would be in a string; DYNAMIC when not known."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return DYNAMIC


def jsonable(value: Any) -> Any:
    """``value`` with UNKNOWN parts replaced by DYNAMIC, ready for ``json.dumps``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return DYNAMIC if value is UNKNOWN else value


def form(value: Any) -> Any:
    """A dict or flat pair list as ``application/x-www-form-urlencoded`` text."""
    if isinstance(value, dict):
        return urlencode([(str(k), text(v)) for k, v in value.items()])
    if isinstance(value, list):
        return urlencode([(text(k), text(v)) for k, v in zip(value[::2], value[1::2],
                                                            strict=False)])
    return value


def _number(literal: str) -> Any:
    """A decimal number literal's value (UNKNOWN for hex, versions, suffixes, huge)."""
    if len(literal) > 30:
        return UNKNOWN
    try:
        return int(literal) if literal.isdigit() else float(literal)
    except ValueError:
        return UNKNOWN


class Evaluator:
    """Bindings and expression values over one piece of tokenized code."""

    def __init__(self, language: str, tokens: list[Token]) -> None:
        self.lang = language
        self.t = tokens
        self.used: set[int] = set()
        self.used_ranges: list[tuple[int, int]] = []
        self.bindings: dict[str, list[int]] = {}
        self.modules: dict[str, str] = {}
        self.imports: set[str] = set()
        self.closers: dict[int, int] = {}
        self.memo: dict[int, Any] = {}
        self.primaries: dict[int, tuple[Any, int]] = {}
        self.stops: list[int] = []
        self.seps: list[int] = []
        self._pair_brackets()
        self._bind()

    def op(self, i: int, *texts: str) -> bool:
        """Whether token ``i`` is one of the operators ``texts``."""
        return 0 <= i < len(self.t) and self.t[i].kind == "o" and self.t[i].text in texts

    def mark(self, start: int, end: int) -> None:
        """Record tokens ``start``…``end - 1`` as read by a recognised construct."""
        if start < end:
            self.used_ranges.append((start, end))

    def used_mask(self) -> list[bool]:
        """For every token, whether something recognised read it."""
        delta = [0] * (len(self.t) + 1)
        for start, end in self.used_ranges:
            delta[start] += 1
            delta[min(end, len(self.t))] -= 1
        mask: list[bool] = []
        depth = 0
        for i in range(len(self.t)):
            depth += delta[i]
            mask.append(depth > 0 or i in self.used)
        return mask

    def match(self, i: int) -> int:
        """Index of the bracket closing ``self.t[i]`` (len(tokens) if unbalanced)."""
        return self.closers.get(i, len(self.t))

    def _pair_brackets(self) -> None:
        """Match brackets, and for every token the next ``;``/closer (``stops``) and the
        next ``,`` (perl: also ``=>``) or stop (``seps``) at its own nesting level."""
        stack: list[int] = []
        for i, tok in enumerate(self.t):
            if tok.kind == "o" and tok.text in "([{":
                stack.append(i)
            elif tok.kind == "o" and tok.text in ")]}" and stack:
                self.closers[stack.pop()] = i
        n = len(self.t)
        self.stops = [n] * (n + 1)
        self.seps = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            tok = self.t[i]
            if tok.kind == "o" and tok.text in (";", ")", "]", "}"):
                self.stops[i] = self.seps[i] = i
            elif tok.kind == "o" and i in self.closers:
                after = self.closers[i] + 1
                self.stops[i], self.seps[i] = self.stops[after], self.seps[after]
            else:
                self.stops[i], self.seps[i] = self.stops[i + 1], self.seps[i + 1]
            if tok.kind == "o" and (tok.text == "," or (tok.text == "=>" and self.lang == "perl")):
                self.seps[i] = i

    def _bind(self) -> None:
        t = self.t
        for i, tok in enumerate(t):
            if tok.kind != "i":
                continue
            if self.op(i + 1, "=") and not self.op(i - 1, ".", "->", "?."):
                self.bindings.setdefault(tok.text, []).append(i + 2)
                self.used.add(i)
            elif tok.text in ("use", "require") and i + 1 < len(t) and t[i + 1].kind in "is":
                self.imports.add(t[i + 1].value or t[i + 1].text)
                self.used.add(i + 1)
            elif tok.text == "import":
                self._import(i)
            elif (tok.text == "do" and self.op(i + 1, "|")) or (
                    self.lang == "ruby" and self.op(i - 1, "|") and self.op(i - 2, "{")):
                self._block_param(i)

    def _import(self, i: int) -> None:
        """``import x from 'm'``, ``import * as x from 'm'``, ``import {a as b} from 'm'``."""
        end = next((j for j in range(i, min(i + 64, len(self.t))) if self.t[j].text == "from"),
                   None)
        if end is None or end + 1 >= len(self.t) or self.t[end + 1].kind != "s":
            return
        module = self.t[end + 1].value.removeprefix("node:")
        module = _FETCH_MODULES.get(module, module)
        braced = False
        j = i + 1
        while j < end:
            tok = self.t[j]
            braced = braced or tok.text == "{"
            if tok.kind == "i" and tok.text != "as":
                aliased = j + 2 < end and self.t[j + 1].text == "as"
                local = self.t[j + 2].text if aliased else tok.text
                self.modules[local] = f"{module}.{tok.text}" if braced else module
                self.used.update((j, j + 2) if local != tok.text else (j,))
                j += 2 if local != tok.text else 0
            j += 1

    def _block_param(self, i: int) -> None:
        """``Net::HTTP.start(…) do |http|`` / ``{ |http|``: bind ``http`` to the call."""
        j = i + 2 if self.t[i].text == "do" else i
        if j >= len(self.t) or self.t[j].kind != "i":
            return
        for k in range(i - 1, max(i - 256, -1), -1):
            if self.t[k].kind == "i" and self.t[k].text.startswith(BLOCK_OWNERS):
                self.bindings.setdefault(self.t[j].text, []).append(k)
                return

    # --- values -------------------------------------------------------------------------

    def chain(self, i: int) -> tuple[list[str], list[tuple[int, int] | None], int]:
        """Names and argument spans of ``a.b(…)->c(…)`` at ``i``; the index after it."""
        if self.t[i].text == "new" and i + 1 < len(self.t) and self.t[i + 1].kind == "i":
            i += 1
        names: list[str] = [self.t[i].text]
        spans: list[tuple[int, int] | None] = [None]
        j = i + 1
        while j < len(self.t):
            if self.op(j, "(") and spans[-1] is None:
                end = self.match(j)
                spans[-1] = (j + 1, end)
                j = end + 1
            elif self.op(j, ".", "->", "?.", "::") and j + 1 < len(self.t) and (
                    self.t[j + 1].kind == "i"):
                names.append(self.t[j + 1].text)
                spans.append(None)
                j += 2
            else:
                break
        if spans[-1] is None and j < len(self.t) and self.t[j].kind in "sin" and (
                self.lang != "node" and names[-1] in _BARE_CALLS):
            end = self.stops[j]  # perl/ruby call without parentheses: to the statement end
            spans[-1] = (j, end)
            j = end
        return names, spans, j

    def resolve(self, names: list[str], spans: list[tuple[int, int] | None],
                depth: int = 0) -> tuple[str, list[tuple[int, int]]]:
        """The dotted path a chain names, with a bound head replaced by what it holds
        (``require('m')`` by ``m``); and the token ranges the bindings span."""
        head, rest = names[0], names[1:]
        touched: list[tuple[int, int]] = []
        base = head
        if head == "require" and spans and spans[0] is not None:
            module = self.expr(spans[0][0], depth + 1)
            if isinstance(module, str):
                base = _FETCH_MODULES.get(module, module.removeprefix("node:"))
        elif head in self.modules:
            base = self.modules[head]
        else:
            places = self.bindings.get(head, [])
            if len(places) == 1 and depth <= _MAX_DEPTH and places[0] < len(self.t) and (
                    self.t[places[0]].kind == "i"):
                inner, inner_spans, end = self.chain(places[0])
                base, touched = self.resolve(inner, inner_spans, depth + 1)
                touched = [(places[0], end), *touched]
        return ".".join([base, *rest]), touched

    def args(self, span: tuple[int, int] | None, depth: int = 0) -> list[Any]:
        """Argument values; perl's ``=>`` separates like a comma; ruby's trailing
        ``key: value`` / ``"k" => v`` pairs become one dict."""
        if span is None:
            return []
        values: list[Any] = []
        pairs: dict[Any, Any] = {}
        start, end = span
        j = start
        while j < end:
            piece_end = min(self.seps[j], end)
            key = self._pair_key(j, piece_end)
            if key is not None and self.lang != "perl":
                pairs[key[0]] = self.expr(key[1], depth + 1)
            elif j < piece_end:
                if self.lang == "perl" and self.t[j].kind == "i" and self.op(piece_end, "=>"):
                    values.append(self.t[j].text)
                    self.used.add(j)
                else:
                    values.append(self.expr(j, depth + 1))
            j = piece_end + 1
        return [*values, pairs] if pairs else values

    def _pair_key(self, i: int, end: int) -> tuple[str, int] | None:
        """``key: value`` / ``"key" => value`` / ``:key => value`` in a ruby or node list."""
        if i + 1 >= end:
            return None
        tok = self.t[i]
        if tok.kind in "is" and self.op(i + 1, ":") and self.lang == "ruby":
            return tok.value or tok.text, i + 2
        if self.op(i, ":") and self.t[i + 1].kind == "i" and self.op(i + 2, "=>"):
            return self.t[i + 1].text, i + 3
        if tok.kind in "s" and self.op(i + 1, "=>"):
            return tok.value, i + 2
        return None

    def expr(self, i: int, depth: int = 0) -> Any:
        """Value of the expression at ``i``: primaries joined by the concat operator."""
        parts: list[Any] = []
        concat = "." if self.lang == "perl" else "+"
        while i < len(self.t) and depth <= _MAX_DEPTH:
            value, i = self.primary(i, depth)
            parts.append(value)
            if not self.op(i, concat):
                break
            self.used.add(i)
            i += 1
        if len(parts) == 1:
            return parts[0]
        if not any(isinstance(p, str) for p in parts):
            return UNKNOWN
        joined = "".join(text(p) for p in parts)
        return joined if len(joined) <= _MAX_TEXT else UNKNOWN

    def primary(self, i: int, depth: int) -> tuple[Any, int]:
        """Value of the operand at ``i`` (literal, container, call, name) and the index
        after it, with a trailing ``.to_json``/``.strip`` applied. Computed once."""
        if i not in self.primaries:
            self.primaries[i] = (UNKNOWN, i + 1)  # an operand that refers to itself
            self.primaries[i] = self._primary(i, depth)
        return self.primaries[i]

    def _primary(self, i: int, depth: int) -> tuple[Any, int]:
        tok = self.t[i]
        self.used.add(i)
        value: Any = UNKNOWN
        end = i + 1
        if tok.kind == "s":
            value = tok.value
        elif tok.kind == "n":
            value = _number(tok.text)
        elif self.op(i, "{", "["):
            end = self.match(i) + 1
            value = self.container(i, end - 1, depth)
        elif self.op(i, "\\") and i + 1 < len(self.t):
            return self.primary(i + 1, depth)
        elif self.op(i, "("):
            return self.expr(i + 1, depth + 1), self.match(i) + 1
        elif self.op(i, ":") and i + 1 < len(self.t) and self.t[i + 1].kind == "i":
            value, end = self.t[i + 1].text, i + 2
        elif tok.kind == "i":
            value, end = self.call_value(i, depth)
        if self.op(end, ".", "->") and end + 1 < len(self.t) and self.t[end + 1].text in (
                "to_json", "strip", "trim", "freeze", "to_s"):
            method = self.t[end + 1].text
            value = JsonText(json.dumps(jsonable(value))) if method == "to_json" else (
                value.strip() if isinstance(value, str) and method in ("strip", "trim") else value)
            end += 4 if self.op(end + 2, "(") else 2
        return value, end

    def call_value(self, i: int, depth: int) -> tuple[Any, int]:
        """Value of a name or call chain at ``i``: constants, JSON encoders, ``URI(…)``
        and names bound once; UNKNOWN otherwise."""
        names, spans, end = self.chain(i)
        path = ".".join(names)
        self.mark(i, end)
        if path in _CONSTANTS:
            return _CONSTANTS[path], end
        args = self.args(spans[-1], depth + 1)
        if path in _JSON_FUNCS and args:
            return JsonText(json.dumps(jsonable(args[0]))), end
        if path in _URL_FUNCS and args:
            return args[0], end
        places = self.bindings.get(names[0], [])
        if len(names) == 1 and spans[0] is None and len(places) == 1:
            if places[0] not in self.memo:
                self.memo[places[0]] = UNKNOWN  # a binding that refers to itself
                self.memo[places[0]] = self.expr(places[0], depth + 1)
            return self.memo[places[0]], end
        return UNKNOWN, end

    def container(self, i: int, close: int, depth: int) -> Any:
        """An object/hash (dict) or array (list) literal between ``i`` and ``close``."""
        if self.t[i].text == "[" or self.lang != "node":
            items = self.args((i + 1, close), depth + 1)
            if self.t[i].text == "[":
                return items
            if self.lang == "perl":
                return {text(k): v for k, v in zip(items[::2], items[1::2], strict=False)}
            return next((item for item in items if isinstance(item, dict)), {})
        result: dict[str, Any] = {}
        j = i + 1
        while j < close:  # node object literal: key: value, shorthand, spread
            tok = self.t[j]
            if tok.kind in "is" and self.op(j + 1, ":"):
                result[tok.value or tok.text] = self.expr(j + 2, depth + 1)
            elif tok.kind == "i" and self.op(j + 1, ",", "}") and self.op(j - 1, "{", ","):
                result[tok.text] = self.expr(j, depth + 1)
            elif self.op(j, "...", "[") and self.op(j - 1, "{", ","):
                result[DYNAMIC] = UNKNOWN
            j = self.match(j) + 1 if self.op(j, "(", "[", "{") else j + 1
        return result

    # --- requests -----------------------------------------------------------------------
