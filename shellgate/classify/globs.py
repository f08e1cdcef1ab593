"""``fnmatch.fnmatchcase`` without ``re`` for the rules' globs.

``fnmatch`` translates every pattern into a regular expression: importing ``re`` (with
``enum`` and ``functools``) and compiling the sixty-odd globs a typical command is held
against cost the engine path of a hook call more than the decision itself. This module
reads a pattern into ``*``-separated segments of one-character atoms — a literal, ``?``
(any character) or a ``[…]`` class of single characters and ``a-z`` ranges, ``[!…]``
negated — and matches with string operations, answering exactly what ``fnmatchcase``
answers (``tests/unit/classify/test_globs.py`` holds it to ``fnmatchcase`` over
generated names and patterns and over every rule glob against the corpus's words). A
class this reader does not take exactly as ``fnmatch`` does (backslashes, ``&~|``, a
``-`` that is not between two ascending characters) sends the whole pattern to
``fnmatchcase`` itself.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    Class = tuple[bool, frozenset[str], tuple[tuple[str, str], ...]]
    Atom = str | Class | None
    Segment = str | tuple[Atom, ...]

_UNREAD = "unread"
"""A pattern left to ``fnmatch``."""
_COMPILED: dict[str, tuple[Segment, ...] | str | None] = {}
"""pattern → its segments; None: no wildcard at all; ``_UNREAD``: left to ``fnmatch``."""
_CACHED = 4096


def fnmatchcase(name: str, pattern: str) -> bool:
    """Whether ``name`` matches the shell-style ``pattern``, case-sensitively, as
    ``fnmatch.fnmatchcase(name, pattern)`` answers."""
    segments = _COMPILED.get(pattern, ())
    if segments == ():
        if len(_COMPILED) >= _CACHED:
            _COMPILED.clear()
        segments = _COMPILED[pattern] = _compile(pattern)
    if segments is None:
        return name == pattern
    if isinstance(segments, str):
        from fnmatch import fnmatchcase as by_regex

        return by_regex(name, pattern)
    if len(segments) == 1:
        return _length(segments[0]) == len(name) and _at(name, 0, segments[0])
    first, last = segments[0], segments[-1]
    end = len(name) - _length(last)
    if end < _length(first) or not _at(name, 0, first) or not _at(name, end, last):
        return False
    position = _length(first)
    for middle in segments[1:-1]:
        # leftmost is always right: every segment has a fixed length, and the earliest
        # place leaves the most room for the segments after it
        found = _find(name, middle, position, end)
        if found < 0:
            return False
        position = found + _length(middle)
    return True


def _compile(pattern: str) -> tuple[Segment, ...] | str | None:
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        return None
    if "[" not in pattern:
        return tuple(pattern.split("*"))
    segments: list[Segment] = []
    atoms: list[Atom] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            segments.append(_segment(atoms))
            atoms = []
        elif c == "?":
            atoms.append(None)
        elif c == "[":
            # where fnmatch.translate ends the class: a leading ``!`` and ``]`` belong to it
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                atoms.append("[")  # no closing bracket: a literal [
                continue
            read = _class(pattern[i:j])
            if read is None:
                return _UNREAD
            atoms.append(read)
            i = j + 1
        else:
            atoms.append(c)
    segments.append(_segment(atoms))
    return tuple(segments)


def _class(stuff: str) -> Class | None:
    """The characters of ``[stuff]``, or None when fnmatch would read it otherwise than as
    plain characters and ascending ranges."""
    negated = stuff.startswith("!")
    body = stuff[1:] if negated else stuff
    if not body or "\\" in stuff or any(c in stuff for c in "&~|"):
        return None
    chars: set[str] = set()
    ranges: list[tuple[str, str]] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            low, high = body[k], body[k + 2]
            if low > high or low == "-" or high == "-":
                return None
            ranges.append((low, high))
            k += 3
        elif body[k] == "-":
            return None  # a leading, trailing or doubled hyphen: fnmatch's own rules
        else:
            chars.add(body[k])
            k += 1
    return negated, frozenset(chars), tuple(ranges)


def _segment(atoms: list[Atom]) -> Segment:
    """Without classes, a segment is a string (``?`` for any character: a literal ``?``
    only ever comes from a class)."""
    if all(a is None or isinstance(a, str) for a in atoms):
        return "".join(a if isinstance(a, str) else "?" for a in atoms)
    return tuple(atoms)


def _length(segment: Segment) -> int:
    return len(segment)


def _matches(atom: Atom, char: str) -> bool:
    if atom is None:
        return True
    if isinstance(atom, str):
        return atom == char
    negated, chars, ranges = atom
    inside = char in chars or any(low <= char <= high for low, high in ranges)
    return inside != negated


def _at(name: str, start: int, segment: Segment) -> bool:
    """``segment`` matches ``name`` at ``start`` (in a string segment, ``?`` matches any
    one character)."""
    if isinstance(segment, str):
        if "?" not in segment:
            return name.startswith(segment, start)
        if start + len(segment) > len(name):
            return False
        for offset, char in enumerate(segment):
            if char != "?" and name[start + offset] != char:
                return False
        return True
    if start + len(segment) > len(name):
        return False
    return all(_matches(atom, name[start + offset]) for offset, atom in enumerate(segment))


def _find(name: str, segment: Segment, start: int, end: int) -> int:
    """The first index ≥ ``start`` where ``segment`` matches wholly before ``end``; -1 if
    none."""
    if isinstance(segment, str) and "?" not in segment:
        return name.find(segment, start, end)
    for index in range(start, end - len(segment) + 1):
        if _at(name, index, segment):
            return index
    return -1
