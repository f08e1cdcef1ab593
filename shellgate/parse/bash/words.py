"""Pure helpers for shell word text: escapes, ANSI-C strings, brace expansion, echo/printf."""

from __future__ import annotations

from shellgate.values import Word, lazy_pattern

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n",
    "r": "\r", "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}
_MAX_BRACE_WORDS = 64


def unescape_unquoted(text: str) -> str:
    """Remove backslash quoting from an unquoted word (``\\r\\m`` → ``rm``)."""
    return _unescape(text, None)


def unescape_double(text: str) -> str:
    """Backslash rules inside double quotes: only ``$ ` " \\`` and newline are special."""
    return _unescape(text, '$`"\\\n')


def _unescape(text: str, special: str | None) -> str:
    """Drop each quoting backslash (before any character, or only before ``special``);
    a backslash-newline pair disappears."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and (special is None or text[i + 1] in special):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


RESERVED = frozenset({"{", "}", "!", "if", "then", "else", "elif", "fi", "do", "done", "while",
                      "until", "for", "case", "esac", "select", "function", "coproc"})
"""Bash reserved words: never a command name when unquoted at the start of a command."""


def strip_reserved(argv: Sequence[Word]) -> tuple[list[Word], list[str]]:
    """Split leading unquoted reserved words off an argv.

    tree-sitter-bash parses ``! { git push -f; }`` and ``time { x; }`` as a command named
    ``{`` (and ``! if …`` as commands named ``if``, ``then``, ``fi``). Returns the real
    command's words and the reserved words that were taken for its name.
    """
    index = 0
    while index < len(argv):
        if _reserved(argv[index]):
            index += 1
            continue
        # `time { …; }` and `time -p ! …`: the keyword before a misread reserved word
        after = index + 1 + (index + 1 < len(argv) and argv[index + 1].value == "-p")
        if argv[index].value == "time" == argv[index].source and after < len(argv) \
                and _reserved(argv[after]):
            index = after
            continue
        break
    return list(argv[index:]), [w.value or "" for w in argv[:index]]


def _reserved(word: Word) -> bool:
    value = word.value
    if value is None or word.source != value:
        return False
    return value in RESERVED or (bool(value.strip()) and set(value) <= set("{}! \t\n"))


def gap_pieces(gap: str) -> list[str | None]:
    """Word text hiding in the source between two word nodes, as bash reads it.

    tree-sitter-bash leaves some characters outside its word nodes (``"--"\\force`` is
    two nodes, the escaped tab in ``a\\<TAB>b`` belongs to neither). Returns the pieces:
    a string is literal word text, None an unescaped blank (a word boundary). Line
    continuations vanish; ``[]`` means the nodes touch.
    """
    pieces: list[str | None] = []
    text = gap.replace("\\\n", "")
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\n":
            if not pieces or pieces[-1] is not None:
                pieces.append(None)
            i += 1
            continue
        if ch == "\\" and i + 1 < len(text):
            ch, i = text[i + 1], i + 2
        else:
            i += 1
        if pieces and pieces[-1] is not None:
            pieces[-1] += ch
        else:
            pieces.append(ch)
    return pieces


def add_gap_words(argv: list[Word], gap: str, boundary: bool) -> bool:
    """Add the word text of ``gap`` (see ``gap_pieces``) to ``argv``, gluing onto the last
    word unless ``boundary``; return whether a blank now ends the last word."""
    for piece in gap_pieces(gap):
        if piece is None:
            boundary = True
        elif boundary or not argv:
            argv.append(Word(piece, piece))
            boundary = False
        else:
            argv[-1] = glue(argv[-1], piece, [])
    return boundary


def lstrip_word(word: Word) -> Word:
    """``word`` without the unescaped blanks tree-sitter-bash left at its start."""
    if word.value is None:
        return Word(None, word.source.lstrip(), word.prefix.lstrip())
    return Word(word.value.lstrip(" \t\n"), word.source.lstrip())


def glue(left: Word, joint: str, right: list[Word]) -> Word:
    """One word from touching pieces; run-time or multi-word pieces make it dynamic."""
    source = left.source + joint + "".join(w.source for w in right)
    if len(right) <= 1 and left.value is not None and all(w.value is not None for w in right):
        return Word(left.value + joint + "".join(w.value or "" for w in right), source)
    prefix = left.prefix if left.value is None else left.value + joint + (
        right[0].prefix if right and right[0].value is None else "")
    return Word(None, source, prefix)


def ansi_c_end(text: str) -> int:
    """Index of the quote that closes the ``$'…'`` string at the start of ``text`` (-1 if
    none): a backslash escapes the next character, so ``$'\\\\'`` ends at its third quote."""
    i = 2
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "'":
            return i
        i += 1
    return -1


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


_SEQ = lazy_pattern(r"\{(-?\d{1,6})\.\.(-?\d{1,6})\}")


def _comma_braces(text: str) -> tuple[int, int] | None:
    """The leftmost ``{…,…}`` without braces inside: (index of ``{``, index after ``}``).

    A scan, not the regex ``\\{([^{}]*,[^{}]*)\\}``, which backtracks quadratically over
    one ``{`` followed by many commas and no ``}`` (agent-controlled text must cost linear
    time). The candidate ``{`` is always the last one before the next ``}``."""
    start = -1
    comma = False
    for index, char in enumerate(text):
        if char == "{":
            start, comma = index, False
        elif char == "," and start >= 0:
            comma = True
        elif char == "}":
            if start >= 0 and comma:
                return start, index + 1
            start = -1
    return None


def expand_braces(text: str) -> list[str]:
    """Bash brace expansion of an unquoted static word (``x{a,b}`` → ``xa xb``), bounded."""
    results = [text]
    for _ in range(8):
        changed = False
        nxt: list[str] = []
        for item in results:
            span = _comma_braces(item)
            if span is not None:
                head, tail = item[: span[0]], item[span[1] :]
                parts = item[span[0] + 1 : span[1] - 1].split(",")
            else:
                match = _SEQ().search(item)
                if match is None:
                    nxt.append(item)
                    continue
                head, tail = item[: match.start()], item[match.end() :]
                lo, hi = int(match.group(1)), int(match.group(2))
                step = 1 if hi >= lo else -1
                parts = [str(v) for v in range(lo, hi + step, step)][:_MAX_BRACE_WORDS]
            changed = True
            nxt.extend(head + part + tail for part in parts)
        results = nxt[:_MAX_BRACE_WORDS]
        if not changed:
            break
    return results


def echo_flags(word: str) -> bool:
    """A word ``echo`` reads as its flags (``-[neE]+``, read without ``re``)."""
    return len(word) > 1 and word[0] == "-" and not word[1:].strip("neE")


def echo_output(args: list[str]) -> str:
    """What ``echo ARGS`` prints (bash builtin: -n, -e, -E flags)."""
    newline, escapes = True, False
    while args and echo_flags(args[0]):
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


_PRINTF_SPEC = lazy_pattern(r"%(?:%|[-+ #0]*(?:[1-9]\d*)?(?:\.\d+)?([sbdiqcxXo]))")
"""Flags, then a width that cannot start with ``0`` (a ``0`` is a flag): one way to match
each spelling, so a long run of zeros costs linear time (``[-+ #0]*\\d*`` was quadratic)."""
_MAX_PRINTF_OUTPUT = 1024 * 1024


def printf_output(args: list[str]) -> str | None:
    """What ``printf FORMAT ARGS`` prints, for the common conversions; None if unsure."""
    if args and args[0] == "--":
        args = args[1:]
    if not args or args[0].startswith("-v"):
        return None
    fmt, rest = args[0], list(args[1:])
    out: list[str] = []
    size = 0
    while True:
        consumed = False
        pieces: list[str] = []
        pos = 0
        for match in _PRINTF_SPEC().finditer(fmt):
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
        size += len(out[-1])
        if size > _MAX_PRINTF_OUTPUT:
            return None  # the format repeats per argument: output can grow as their product
        if not rest or not consumed:
            break
    return "".join(out)
