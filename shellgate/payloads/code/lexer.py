"""A small tokenizer for node, perl and ruby one-liners: string literals (with escapes
decoded and interpolations replaced by :data:`~shellgate.payloads.http.request.DYNAMIC`),
identifiers, numbers and operators. Comments are dropped. Best effort by design: it
never raises, and runs in time linear in the code's length."""

from __future__ import annotations

from shellgate.payloads.http.request import DYNAMIC
from shellgate.values import record

_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_OPS = ("===", "!==", "...", "=>", "->", "::", "==", "!=", "=~", "!~", "&&", "||", "+=",
        ".=", "**", "<<", "?.")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "v": "\v",
            "e": "\x1b", "a": "\a"}


@record
class Token:
    """``kind``: ``s`` string (``value`` decoded), ``n`` number, ``i`` identifier
    (sigils and ``::`` included), ``o`` operator."""

    kind: str
    text: str
    value: str = ""


def _escape(code: str, i: int) -> tuple[str, int]:
    """The character(s) a backslash escape at ``code[i] == '\\\\'`` stands for."""
    char = code[i + 1:i + 2]
    if char in ("x", "u") and code[i + 2:i + 3] == "{":
        end = code.find("}", i)
        digits = code[i + 3:end] if end > 0 else ""
        width = len(digits) + 3
    else:
        width = {"x": 2, "u": 4}.get(char, 0)
        digits = code[i + 2:i + 2 + width]
    if width:
        try:
            return chr(int(digits, 16)), i + 2 + width
        except ValueError:
            return char, i + 2
    return _ESCAPES.get(char, char), i + 2


def _skip_interpolation(code: str, i: int, language: str) -> int:
    """End of an interpolated expression starting at ``code[i]``."""
    if language == "perl":
        j = i + 1
        if code[j:j + 1] == "{":
            return _balanced(code, j, "{", "}")
        while j < len(code) and (code[j].isalnum() or code[j] in "_:"):
            j += 1
        while code[j:j + 1] in ("[", "{") or code.startswith("->", j):
            j = j + 2 if code.startswith("->", j) else _balanced(code, j, code[j],
                                                                    _PAIRS[code[j]])
        return j
    return _balanced(code, i + 1, "{", "}")


def _balanced(code: str, i: int, open_: str, close: str) -> int:
    """Index after the ``close`` matching ``code[i] == open_`` (end of code if none)."""
    depth = 0
    while i < len(code):
        if code[i] == "\\":
            i += 2
            continue
        depth += (code[i] == open_) - (code[i] == close)
        i += 1
        if depth <= 0:
            return i
    return len(code)


def _quoted(code: str, i: int, close: str, language: str, interpolate: bool,
            open_: str = "") -> tuple[str, int]:
    """Decode a string literal whose body starts at ``code[i]``; returns (value, end)."""
    out: list[str] = []
    depth = 0
    raw = not interpolate and language in ("perl", "ruby")
    while i < len(code):
        char = code[i]
        if char == "\\" and i + 1 < len(code):
            if raw:
                nxt = code[i + 1]
                out.append(nxt if nxt in ("\\", close, open_) else "\\" + nxt)
                i += 2
            else:
                text, i = _escape(code, i)
                out.append(text)
            continue
        if open_ and char == open_:
            depth += 1
        elif char == close and depth:
            depth -= 1
        elif char == close:
            return "".join(out), i + 1
        if interpolate and ((language == "perl" and char in "$@" and i + 1 < len(code)
                             and (code[i + 1].isalpha() or code[i + 1] in "_{"))
                            or (language == "ruby" and code.startswith("#{", i))
                            or (language == "node" and close == "`"
                                and code.startswith("${", i))):
            out.append(DYNAMIC)
            i = _skip_interpolation(code, i, language)
            continue
        out.append(char)
        i += 1
    return "".join(out), len(code)


def _quote_operator(code: str, i: int, language: str) -> tuple[int, bool] | None:
    """Perl ``q()``/``qq{}``/``qw//`` and ruby ``%q()``/``%Q[]``/``%()``/``%w``: the
    index of the opening delimiter and whether the body interpolates."""
    if language == "perl":
        for word, interp in (("qq", True), ("qw", False), ("q", False)):
            j = i + len(word)
            if code.startswith(word, i) and (i == 0 or not (code[i - 1].isalnum()
                                                             or code[i - 1] in "_$@%")):
                while j < len(code) and code[j] == " ":
                    j += 1
                if j < len(code) and not (code[j].isalnum() or code[j] in "_,;=)"):
                    return j, interp
    if language == "ruby" and code[i] == "%" and i + 1 < len(code):
        kind = code[i + 1]
        if kind in "qQwWi" and i + 2 < len(code) and not code[i + 2].isalnum():
            return i + 2, kind == "Q"
        if kind in "([{<":
            return i + 1, True
    return None


def _delimited(code: str, j: int) -> int:
    """Index after a ``/…/``- or ``{…}``-delimited part starting at ``code[j]``."""
    delim = code[j:j + 1]
    if delim in _PAIRS:
        return _balanced(code, j, delim, _PAIRS[delim])
    k = j + 1
    while k < len(code) and code[k] != delim:
        k += 2 if code[k] == "\\" else 1
    return k + 1


def _skip_regex(code: str, i: int) -> int:
    """Index after the perl match/substitution that follows ``=~`` at ``code[i:]``."""
    while i < len(code) and code[i].isspace():
        i += 1
    word = next((w for w in ("tr", "qr", "s", "y", "m") if code.startswith(w, i)
                 and not code[i + len(w):i + len(w) + 1].isalnum()), "")
    j = i + len(word)
    if j >= len(code) or code[j].isalnum() or code[j].isspace():
        return i
    end = _delimited(code, j)
    if word in ("s", "tr", "y"):
        end = _delimited(code, end) if code[j] in _PAIRS else _delimited(code, end - 1)
    while end < len(code) and code[end].isalpha():
        end += 1
    return end


def tokenize(language: str, code: str) -> list[Token]:
    """Tokens of ``code`` in ``language`` (``node``, ``perl`` or ``ruby``)."""
    tokens: list[Token] = []
    i, n = 0, len(code)
    while i < n:
        char = code[i]
        if char.isspace():
            i += 1
            continue
        line_start = i == 0 or code[i - 1] == "\n"
        if ((language == "node" and code.startswith("//", i))
                or (language != "node" and char == "#")):
            end = code.find("\n", i)
            i = n if end < 0 else end
            continue
        if language == "node" and code.startswith("/*", i):
            end = code.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if language != "node" and line_start and code.startswith(("__END__", "__DATA__", "=begin",
                                                                   "=pod", "=head"), i):
            break
        quote_op = _quote_operator(code, i, language)
        if quote_op is not None:
            start, interp = quote_op
            open_ = code[start]
            value, i = _quoted(code, start + 1, _PAIRS.get(open_, open_), language, interp,
                               open_ if open_ in _PAIRS else "")
            tokens.append(Token("s", code[quote_op[0]:i], value))
        elif char in "'\"" or (char == "`" and language == "node"):
            value, i = _quoted(code, i + 1, char, language, char != "'")
            tokens.append(Token("s", char, value))
        elif char.isdigit():
            j = i
            while j < n and (code[j].isalnum() or code[j] in "._"):
                j += 1
            tokens.append(Token("n", code[i:j]))
            i = j
        elif char.isalpha() or char in "_$" or (char in "@%" and language != "node"
                                                 and code[i + 1:i + 2].isalpha()):
            j = i + 1
            while j < n and (code[j].isalnum() or code[j] in "_$" or (
                    code.startswith("::", j) and code[j + 2:j + 3].isalpha())):
                j += 2 if code[j] == ":" else 1
            tokens.append(Token("i", code[i:j]))
            i = j
        else:
            op = next((o for o in _OPS if code.startswith(o, i)), char)
            tokens.append(Token("o", op))
            i += len(op)
            if op in ("=~", "!~") and language == "perl":
                i = _skip_regex(code, i)
    return tokens
