"""curl's text syntaxes: config-file values, ``{{variable}}`` expansion and its
functions, URL globs (``{a,b}``, ``[1-3]``) and scheme guessing."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from urllib.parse import quote

from shellgate.payloads.http.request import Reader

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Mapping

_MAX_GLOB = 100
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_RANGE = re.compile(
    r"(\d{1,9})-(\d{1,9})(?::(\d{1,9}))?\]|([a-zA-Z])-([a-zA-Z])(?::(\d{1,9}))?\]")
_VAR_NAME = re.compile(r"[A-Za-z0-9_]+")


def config_value(rest: str) -> str:
    """The parameter of a config-file line: a word, or a ``"quoted"`` string with
    ``\\`` escapes (``\\t``, ``\\n``, ``\\r``, ``\\v``; others stand for the letter)."""
    if not rest.startswith('"'):
        return rest.split()[0]
    out: list[str] = []
    i = 1
    while i < len(rest) and rest[i] != '"':
        if rest[i] == "\\" and i + 1 < len(rest):
            i += 1
            out.append({"t": "\t", "n": "\n", "r": "\r", "v": "\v"}.get(rest[i], rest[i]))
        else:
            out.append(rest[i])
        i += 1
    return "".join(out)


def _var_function(func: str, value: str) -> str | None:
    if not value:
        return "" if func in ("trim", "json", "url", "b64", "64dec") else None
    if func == "trim":
        return value.strip(" \t\n\v\f\r")
    if func == "json":
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if func == "url":
        return quote(value, safe="")
    if func == "b64":
        return base64.b64encode(value.encode()).decode()
    if func == "64dec":
        try:
            return base64.b64decode(value, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return "[64dec-fail]"
    return None


def _glob_range(url: str, i: int) -> tuple[list[str] | None, int]:
    """The values of a ``[a-z]``/``[01-10:2]`` range opening at ``url[i]`` and the index
    after it; ([], i) when there are too many, (None, i) when it is no range."""
    match = _RANGE.match(url, i + 1)
    if match is None:
        return None, i
    if match.group(1) is not None:
        low, high, step = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
        width = len(match.group(1)) if match.group(1).startswith("0") else 0
    else:
        low, high, step = ord(match.group(4)), ord(match.group(5)), int(match.group(6) or 1)
        width = -1
    if step < 1 or high < low:
        return None, i
    if (high - low) // step >= _MAX_GLOB:
        return [], i
    values = range(low, high + 1, step)
    found = [chr(v) for v in values] if width < 0 else [str(v).zfill(width) for v in values]
    return found, match.end()


def expand_globs(url: str) -> tuple[list[str], str]:
    """curl's URL globbing: ``{a,b}`` sets and ``[1-3]`` ranges (IPv6 ``[::1]`` stays).

    Linear in the URL's length: a set is read once up to its ``}``; a nested ``{`` (an
    error for curl) leaves the set as text."""
    pieces: list[list[str]] = []
    literal: list[str] = []
    too_many = ([url], "URL glob expands to too many URLs; shown unexpanded")
    total = 1
    next_brace = -1
    i = 0
    while i < len(url):
        char = url[i]
        values: list[str] | None = None
        end = i + 1
        if char == "\\" and i + 1 < len(url) and url[i + 1] in "{}[]":
            literal.append(url[i + 1])
            i += 2
            continue
        if char == "{":
            if next_brace < i:
                next_brace = url.find("}", i)
                next_brace = len(url) if next_brace < 0 else next_brace
            end = min(next_brace + 1, len(url))
            body = url[i + 1:next_brace]
            values = body.split(",") if next_brace < len(url) and "{" not in body else None
            if values is None:
                literal.append(url[i:end])
                i = end
                continue
        elif char == "[":
            values, end = _glob_range(url, i)
            if values == []:
                return too_many
            end = end if values is not None else i + 1
        if values is None:
            literal.append(char)
        else:
            total *= len(values)
            if total > _MAX_GLOB:
                return too_many
            pieces.extend([["".join(literal)], values])
            literal = []
        i = end
    pieces.append(["".join(literal)])
    return ["".join(combo) for combo in itertools.product(*pieces)], ""


def with_scheme(url: str, default: str | None) -> str:
    """``url`` with a scheme: ``--proto-default``, else guessed from the host name's first
    label (``ftp.`` → ftp, …), else http, as curl does."""
    if _SCHEME.match(url):
        return url
    if default is None:
        lower = url.lower()
        default = next((p for p in ("ftp", "dict", "ldap", "imap", "smtp", "pop3")
                        if lower.startswith(p + ".")), "http")
    return f"{default}://{url}"


def add_query(url: str, query: str) -> str:
    """``url`` with ``query`` appended to its query string (before any fragment)."""
    base, hash_, fragment = url.partition("#")
    return base + ("&" if "?" in base else "?") + query + hash_ + fragment


def expand_variables(text: str | None, variables: Mapping[str, str | None], unknown: bool,
                     reader: Reader) -> str | None:
    """``{{name}}`` / ``{{name:func:…}}`` substitution as ``--expand-*`` does it; a
    variable that is not set expands to nothing, as in curl. ``unknown``: some
    ``--variable`` could not be read, so any name may hold anything."""
    if text is None:
        return None
    out: list[str] = []
    pos = 0
    while (start := text.find("{{", pos)) >= 0:
        if start > 0 and text[start - 1] == "\\":
            out.append(text[pos:start - 1] + "{{")
            pos = start + 2
            continue
        end = text.find("}}", start)
        if end < 0:
            break
        name, _, funcs = text[start + 2:end].partition(":")
        out.append(text[pos:start])
        pos = end + 2
        if not _VAR_NAME.fullmatch(name):
            out.append(text[start:pos])
            continue
        value = variables.get(name, None if unknown else "")
        if value is None:
            reader.note(f"curl variable {name} is not statically known")
            return None
        for func in funcs.split(":") if funcs else ():
            result = _var_function(func, value)
            if result is None:
                reader.note(f"curl variable function {func!r} is not supported")
                return None
            value = result
        out.append(value)
    out.append(text[pos:])
    return "".join(out)
