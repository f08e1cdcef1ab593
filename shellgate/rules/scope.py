"""What a scoped exception is, and the facts it is checked against: the records shared by
the loader (``shellgate.rules.tuning``), the edge (``shellgate.rules.where``) and the pure
check (``shellgate.classify.exceptions``), and the path globs of ``paths``."""

from __future__ import annotations

import re

from shellgate.values import record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable

_MAX_WILDCARDS = 8


@record
class RuleException:
    """One ``[[exception]]`` entry: ``paths`` are absolute globs (``~`` already expanded)."""

    rule: str
    paths: tuple[str, ...]
    args: tuple[str, ...] = ()
    expires: str = ""
    why: str = ""
    source: str = ""


@record
class Where:
    """Facts from the edge. ``home`` is None when ``~`` cannot be trusted to mean the real
    user's home (the environment disagrees, or the command line mentions HOME)."""

    cwd: str
    today: str
    home: str | None
    realpath: Callable[[str], str]
    expand: Callable[[str], tuple[str, ...] | None]


def path_words(value: str, options_done: bool) -> list[str]:
    """The path-like parts of one word: the word, a value after ``=``, an option's
    attached value (``-C/dir``)."""
    if value in ("-", "--") and not options_done:
        return []
    if value.startswith("-") and not options_done:
        if "=" in value:
            return [value.split("=", 1)[1]]
        slash = min((i for i in (value.find("/"), value.find("~")) if i > 0), default=-1)
        return [value[slash:]] if slash > 0 else []
    if "=" in value:
        return [value, value.split("=", 1)[1]]
    return [value]


def path_matches(path: str, glob: str) -> bool:
    """``glob`` over a real path: ``*`` and ``?`` stay within one component, ``**``
    crosses them, and ``dir/**`` covers ``dir`` itself."""
    return _compiled(glob).fullmatch(path) is not None


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(glob: str) -> re.Pattern[str]:
    pattern = _CACHE.get(glob)
    if pattern is None:
        pattern = _CACHE[glob] = re.compile(glob_regex(glob))
    return pattern


def glob_regex(glob: str) -> str:
    """The regular expression for a path glob (see :func:`path_matches`)."""
    if sum(glob.count(c) for c in "*?") > _MAX_WILDCARDS:
        raise ValueError(f"more than {_MAX_WILDCARDS} wildcards")
    out: list[str] = []
    i = 0
    if glob.endswith("/**"):
        glob, tail = glob[:-3], "(?:/.*)?"
    else:
        tail = ""
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = glob.find("]", i + 2)
            if close < 0:
                out.append(re.escape(char))
            else:
                body = glob[i + 1:close]
                negate = body.startswith(("!", "^"))
                body = body[1:] if negate else body
                out.append("[" + ("^/" if negate else "") + body.replace("\\", "\\\\") + "]")
                i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out) + tail
