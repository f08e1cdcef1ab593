"""HTTP requests made by interpreter one-liners, where they are statically visible.

``python -c``, ``node -e``/``-p``, ``perl -e``/``-E``, ``ruby -e`` (and the same code
given as a script file or on stdin). Python is read with the standard ``ast`` parser;
node, perl and ruby with a small tokenizer (:mod:`shellgate.payloads.code.scripts`).
A call whose URL or method is not a constant gives a request with ``opaque`` reasons;
HTTP-looking code that cannot be followed (an HTTP module passed around, ``exec`` of
built strings, an unrecognised sending call, a URL literal not used by a recognised
call) gives a request with ``method=""`` and an opaque reason. Parts of strings computed
at run time appear as :data:`~shellgate.payloads.http.request.DYNAMIC` in ``url`` and ``body``.
"""

from __future__ import annotations

import re

from shellgate.payloads.http.request import HttpRequest, build_request, http_requests
from shellgate.values import field, mutable_record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

    from shellgate.payloads.http.request import ReadFile

LANGUAGES = ("python", "node", "perl", "ruby")
_PYTHON = re.compile(r"(python|pypy)(\d+(\.\d+)*)?")
# How each short option takes its argument: code (rest of the word or the next word),
# next (the next word: node), module (rest or next), attached (rest of the word, which
# may be empty: perl -M), value (rest or next, ignored), rest (rest of the word,
# ignored), digits (following digits, then the bundle goes on).
_SHORT = {
    "python": {"c": "code", "m": "module", "W": "value", "X": "value"},
    "node": {"e": "next", "p": "next", "r": "value", "C": "value"},
    "perl": {"e": "code", "E": "code", "I": "value", "M": "attached", "m": "attached",
             "i": "rest", "x": "rest", "d": "rest", "D": "rest", "F": "rest", "l": "digits",
             "0": "digits", "C": "digits"},
    "ruby": {"e": "code", "r": "module", "I": "value", "C": "value", "E": "value", "F": "rest",
             "W": "rest", "x": "rest", "K": "rest", "0": "digits"},
}
_NODE_LONG_VALUE = frozenset({"--require", "--import", "--conditions", "--input-type",
                              "--loader", "--experimental-loader", "--inspect-port", "--title",
                              "--env-file", "--stack-size", "--max-old-space-size"})


def language_of(tool: str) -> str | None:
    """The language a normalised tool name runs (``python3.12`` → ``python``), or None."""
    if _PYTHON.fullmatch(tool):
        return "python"
    return {"node": "node", "nodejs": "node", "deno": "node", "bun": "node", "perl": "perl",
            "ruby": "ruby"}.get(tool)


def code_requests(language: str, code: str) -> list[HttpRequest]:
    """The HTTP requests ``code`` in ``language`` (one of :data:`LANGUAGES`) makes."""
    if language == "python":
        from shellgate.payloads.code.python import python_requests

        return python_requests(code)
    if language in LANGUAGES:
        from shellgate.payloads.code.scripts import script_requests

        return script_requests(language, code)
    return []


def _opaque(reason: str) -> list[HttpRequest]:
    return [build_request("", None, opaque=(reason,))]


@mutable_record
class _Source:
    """Where an interpreter command takes its code from."""

    pieces: list[str | None] = field(default_factory=list)
    operand: int = 0
    modules: list[str] = field(default_factory=list)
    run_module: str | None = None


def _code_source(language: str, args: Sequence[str | None]) -> _Source:
    """Code from -c/-e, the index of the first operand, preloaded modules (perl -M,
    ruby -r) and python's ``-m`` module."""
    src = _Source()
    i = 0
    while i < len(args):
        word = args[i]
        src.operand = i
        if word is None or not word.startswith("-") or word == "-":
            return src
        i += 1
        src.operand = i
        if word == "--":
            return src
        if word.startswith("--"):
            name, eq, attached = word.partition("=")
            if name in ("--eval", "--print") and language == "node":
                src.pieces.append(attached if eq else args[i] if i < len(args) else None)
                src.operand = i + (0 if eq else 1)
                return src
            i += 1 if (name in _NODE_LONG_VALUE and not eq and language == "node") else 0
            continue
        i = _short_options(language, word, args, i, src)
        if src.run_module is not None:
            return src
        if src.pieces and language in ("python", "node"):
            return src
    return src


def _short_options(language: str, word: str, args: Sequence[str | None], i: int,
                   src: _Source) -> int:
    """Read one bundle of short options (``-Ic``, ``-le``, ``-MLWP::Simple``); returns the
    index of the next word."""
    j = 1
    while j < len(word):
        kind = _SHORT[language].get(word[j], "flag")
        rest = word[j + 1:]
        if kind == "digits":
            j += 1
            while j < len(word) and word[j].isalnum() and not word[j].isalpha():
                j += 1
            continue
        if kind == "flag":
            j += 1
            continue
        value: str | None = rest
        if kind == "next" or (kind in ("code", "module", "value") and not rest):
            value = args[i] if i < len(args) else None
            i += 1
            if kind == "next":
                src.pieces.append(value)
                src.operand = i
                return i
        if kind == "code":
            src.pieces.append(value)
        elif kind == "module" and language == "python":
            src.run_module = value or ""
        elif kind in ("module", "attached") and value:
            src.modules.append(value)
        src.operand = i
        return i
    return i


_DENO_VALUE = frozenset({"--ext", "--config", "-c", "--import-map", "--location", "--cert",
                         "--v8-flags", "--env-file", "--lock", "--seed", "--inspect"})


def _deno_as_node(args: list[str | None]) -> list[str | None] | None:
    """``deno eval [OPTIONS] CODE`` as ``node -e CODE``, ``deno run [OPTIONS] SCRIPT`` as
    ``node SCRIPT``; None for other sub-commands (they run no code of their own)."""
    if not args or args[0] not in ("eval", "run"):
        return None
    i = 1
    while i < len(args):
        word = args[i]
        if word is None or not word.startswith("-") or word == "-":
            break
        i += 2 if word in _DENO_VALUE else 1
    rest = args[i:]
    if args[0] == "eval":
        return ["-e", *rest[:1]] if rest else None
    return rest


def _preamble(language: str, modules: Sequence[str]) -> str:
    if language == "perl":
        return "".join(f"use {m.split('=')[0]};\n" for m in modules)
    if language == "ruby":
        return "".join(f"require '{m}'\n" for m in modules)
    return ""


def oneliner_requests(tool: str, argv: Sequence[str | None], stdin: str | None,
                      stdin_opaque: bool, read_file: ReadFile) -> list[HttpRequest]:
    """The HTTP requests an interpreter command makes, as far as can be seen.

    The code comes from ``-c``/``-e``/``--eval``/``-p`` (several ``-e`` in perl and
    ruby are joined), from a script file (through ``read_file``; the file is listed
    in each request's ``body_files``), or from stdin. ``python -m httpie`` is read as
    the ``http`` command. Returns [] for a language this module does not know.
    """
    language = language_of(tool)
    if language is None:
        return []
    args: list[str | None] = list(argv[1:])
    if tool == "deno":
        as_node = _deno_as_node(args)
        if as_node is None:
            return []
        args = as_node
    src = _code_source(language, args)
    if src.run_module is not None:
        if src.run_module == "httpie":
            rest = ["http", *args[src.operand:]]
            return http_requests("http", rest, stdin, stdin_opaque, read_file)
        return []
    script_file: str | None = None
    if src.pieces:
        if None in src.pieces:
            return _opaque(f"{tool} code is not statically known")
        code = "\n".join(p for p in src.pieces if p is not None)
    elif src.operand < len(args) and args[src.operand] != "-":
        script_file = args[src.operand]
        if script_file is None:
            return _opaque(f"{tool} script name is not statically known")
        data = read_file(script_file)
        if data is None:
            return _opaque(f"{tool} script {script_file} not visible")
        code = data.decode("utf-8", "replace")
    elif stdin is not None:
        code = stdin
    elif stdin_opaque:
        return _opaque(f"{tool} code from stdin pipe")
    else:
        return []
    found = code_requests(language, _preamble(language, src.modules) + code)
    if script_file is None:
        return found
    return [build_request(r.method, r.url, headers=r.headers, body=r.body,
                          content_type=r.content_type, body_files=(script_file, *r.body_files),
                          opaque=r.opaque) for r in found]
