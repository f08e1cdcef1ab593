"""``xargs``: the commands it runs, from the input it would read when that is known.

Without ``-0``/``-d`` GNU xargs reads quotes and backslashes in its input (``echo
"'--force'" | xargs git push`` pushes with ``--force``); with ``-I`` each line is an item.
Unknown input is a run-time word, so rules see an argument they cannot trust.
"""

from __future__ import annotations

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.options import XARGS, after_options
from shellgate.parse.wrappers.unwrap import Inner, register
from shellgate.values import Command, Word, lit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_MAX_FANOUT = 16


def _xargs(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    index = after_options(args, XARGS)
    template = tuple(args[index:]) if index is not None and index < len(args) else (lit("echo"),)
    replace = _xargs_replace(args[: index if index is not None else len(args)])
    stdin = command.stdin.text
    if any(w.dynamic for w in args[: index if index is not None else len(args)]):
        stdin = None  # an option only known at run time (`-d "$SEP"`): input unknowable
    if stdin is None:
        unknown = Word(None, "<xargs input>")
        if replace:
            return [Inner("xargs", argv=tuple(unknown if w.value and replace in w.value else w
                                              for w in template))]
        return [Inner("xargs", argv=template + (unknown,))]
    delimiter = _xargs_delimiter(args[: index if index is not None else len(args)])
    if delimiter is not None:  # -0 / -d: items end at the delimiter, blanks are data
        items = stdin.split(delimiter)
        if items and items[-1] == "":
            items.pop()
    else:  # GNU xargs reads quotes and backslashes; with -I one item per line
        read = xargs_items(stdin, by_line=bool(replace))
        if read is None:  # an unmatched quote: xargs stops; do not guess its input
            return [Inner("xargs", argv=template + (Word(None, "<xargs input>"),))]
        items = read
    if replace:
        return [Inner("xargs", argv=tuple(lit(w.value.replace(replace, item)) if w.value else w
                                          for w in template)) for item in items[:_MAX_FANOUT]]
    return [Inner("xargs", argv=template + tuple(lit(t) for t in items))]


def xargs_items(text: str, by_line: bool = False) -> list[str] | None:
    """Input items as GNU xargs reads them without -0/-d: blanks (with -I, newlines)
    separate; quotes and backslashes quote. None for an unmatched quote."""
    items: list[str] = []
    current: list[str] = []
    started = False
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\n":
                return None
            else:
                current.append(ch)
        elif ch in "'\"":
            quote, started = ch, True
        elif ch == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            started = True
            i += 1
        elif ch == "\n" or (ch in " \t" and not by_line):
            if started:
                items.append("".join(current))
            current, started = [], False
        elif ch in " \t" and not started:
            pass  # leading blanks of an item
        else:
            current.append(ch)
            started = True
        i += 1
    if quote:
        return None
    if started:
        items.append("".join(current))
    return items


def _xargs_delimiter(options: Sequence[Word]) -> str | None:
    """The input delimiter ``-0``/``--null`` or ``-d X``/``--delimiter=X`` sets, if any."""
    found: str | None = None
    for i, word in enumerate(options):
        value = word.value or ""
        if value in ("-0", "--null"):
            found = "\0"
        elif value in ("-d", "--delimiter") and i + 1 < len(options):
            found = options[i + 1].value
        elif value.startswith("--delimiter="):
            found = value.partition("=")[2]
        elif value.startswith("-d") and len(value) > 2:
            found = value[2:]
        elif value.startswith("-") and not value.startswith("--"):
            for letter in value[1:]:  # bundled flags: -0r, but not the 0 of -n10
                if letter == "0":
                    found = "\0"
                if letter in "0nLlsPIdEeai":
                    break
    if found is not None and found.startswith("\\") and len(found) > 1:
        found = {"n": "\n", "t": "\t", "0": "\0"}.get(found[1], found[1])
    return found[:1] if found else found


def _xargs_replace(options: Sequence[Word]) -> str | None:
    for i, word in enumerate(options):
        value = word.value or ""
        if value in ("-I", "--replace") and i + 1 < len(options):
            return options[i + 1].value or "{}"
        if value.startswith("-I") and len(value) > 2:
            return value[2:]
        if value.startswith("--replace") or value == "-i" or value.startswith("-i"):
            return value.partition("=")[2] or value[2:] or "{}"
    return None


register("xargs", _xargs)
