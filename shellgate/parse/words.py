"""Pure helpers for shell word text: escapes, ANSI-C strings, brace expansion, echo/printf."""

from __future__ import annotations

import re

_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n",
    "r": "\r", "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}
_MAX_BRACE_WORDS = 64


def unescape_unquoted(text: str) -> str:
    """Remove backslash quoting from an unquoted word (``\\r\\m`` → ``rm``)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def unescape_double(text: str) -> str:
    """Backslash rules inside double quotes: only ``$ ` " \\`` and newline are special."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '$`"\\\n':
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def decode_escapes(body: str, *, octal_needs_zero: bool = False) -> str:
    """Decode backslash escapes as ``$'…'`` (and ``echo -e``/``printf`` with the flag) do."""
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _ANSI_SIMPLE:
            out.append(_ANSI_SIMPLE[nxt])
            i += 2
        elif nxt in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            digits = _take(body, i + 2, width, "0123456789abcdefABCDEF")
            if digits:
                out.append(_chr(int(digits, 16)))
                i += 2 + len(digits)
            else:
                out.append("\\" + nxt)
                i += 2
        elif nxt in "01234567":
            start = i + 1
            if octal_needs_zero:
                if nxt != "0":
                    out.append("\\" + nxt)
                    i += 2
                    continue
                start = i + 2
            digits = _take(body, start, 3, "01234567")
            out.append(_chr(int(digits or "0", 8)))
            i = start + len(digits)
        elif nxt == "c" and i + 2 < n:
            out.append(chr(ord(body[i + 2]) & 0x1F))
            i += 3
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out)


def _take(text: str, start: int, width: int, allowed: str) -> str:
    end = start
    while end < len(text) and end - start < width and text[end] in allowed:
        end += 1
    return text[start:end]


def _chr(code: int) -> str:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


_BRACE = re.compile(r"\{([^{}]*,[^{}]*)\}")
_SEQ = re.compile(r"\{(-?\d{1,6})\.\.(-?\d{1,6})\}")


def expand_braces(text: str) -> list[str]:
    """Bash brace expansion of an unquoted static word (``x{a,b}`` → ``xa xb``), bounded."""
    results = [text]
    for _ in range(8):
        changed = False
        nxt: list[str] = []
        for item in results:
            match = _BRACE.search(item) or _SEQ.search(item)
            if match is None:
                nxt.append(item)
                continue
            changed = True
            head, tail = item[: match.start()], item[match.end() :]
            if match.re is _SEQ:
                lo, hi = int(match.group(1)), int(match.group(2))
                step = 1 if hi >= lo else -1
                parts = [str(v) for v in range(lo, hi + step, step)][:_MAX_BRACE_WORDS]
            else:
                parts = match.group(1).split(",")
            nxt.extend(head + part + tail for part in parts)
        results = nxt[:_MAX_BRACE_WORDS]
        if not changed:
            break
    return results


def echo_output(args: list[str]) -> str:
    """What ``echo ARGS`` prints (bash builtin: -n, -e, -E flags)."""
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        flags = args.pop(0)
        newline = newline and "n" not in flags
        if "e" in flags:
            escapes = True
        if "E" in flags:
            escapes = False
    text = " ".join(args)
    if escapes:
        text = decode_escapes(text, octal_needs_zero=True)
    return text + ("\n" if newline else "")


_PRINTF_SPEC = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?([sbdiqcxXo]))")


def printf_output(args: list[str]) -> str | None:
    """What ``printf FORMAT ARGS`` prints, for the common conversions; None if unsure."""
    if args and args[0] == "--":
        args = args[1:]
    if not args or args[0].startswith("-v"):
        return None
    fmt, rest = args[0], list(args[1:])
    out: list[str] = []
    while True:
        consumed = False
        pieces: list[str] = []
        pos = 0
        for match in _PRINTF_SPEC.finditer(fmt):
            pieces.append(decode_escapes(fmt[pos : match.start()], octal_needs_zero=False))
            pos = match.end()
            conv = match.group(1)
            if conv is None:
                pieces.append("%")
                continue
            value = rest.pop(0) if rest else ""
            consumed = True
            if conv == "b":
                value = decode_escapes(value, octal_needs_zero=True)
            elif conv in "xXoc":
                return None
            pieces.append(value)
        pieces.append(decode_escapes(fmt[pos:], octal_needs_zero=False))
        out.append("".join(pieces))
        if not rest or not consumed:
            break
    return "".join(out)
