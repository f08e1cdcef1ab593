"""``fnmatch.fnmatchcase`` without ``re`` for the rules' globs.

``fnmatch`` translates every pattern into a regular expression: importing ``re`` (with
``enum`` and ``functools``) and compiling the sixty-odd globs a typical command is held
against cost the engine path of a hook call more than the decision itself. Rule globs
almost never use ``[…]`` classes; for the others (only ``*`` and ``?`` special, every
other character literal, backslash included) this module matches with string operations
and answers exactly what ``fnmatchcase`` answers (``tests/unit/classify/test_globs.py``
holds it to ``fnmatchcase`` over generated names and patterns). A pattern with ``[`` is
handed to ``fnmatchcase`` itself.
"""

from __future__ import annotations

_SPLIT: dict[str, tuple[str, ...] | None] = {}
"""pattern → its ``*``-separated segments, or None when it has no wildcard at all."""
_CACHED = 4096


def fnmatchcase(name: str, pattern: str) -> bool:
    """Whether ``name`` matches the shell-style ``pattern``, case-sensitively, as
    ``fnmatch.fnmatchcase(name, pattern)`` answers."""
    if "[" in pattern:
        from fnmatch import fnmatchcase as by_regex

        return by_regex(name, pattern)
    segments = _SPLIT.get(pattern, ())
    if segments == ():
        if len(_SPLIT) >= _CACHED:
            _SPLIT.clear()
        segments = _SPLIT[pattern] = _segments(pattern)
    if segments is None:
        return name == pattern
    if len(segments) == 1:
        return len(name) == len(pattern) and _at(name, 0, pattern)
    first, last = segments[0], segments[-1]
    end = len(name) - len(last)
    if end < len(first) or not _at(name, 0, first) or not _at(name, end, last):
        return False
    position = len(first)
    for middle in segments[1:-1]:
        # leftmost is always right: every segment has a fixed length, and the earliest
        # place leaves the most room for the segments after it
        found = _find(name, middle, position, end)
        if found < 0:
            return False
        position = found + len(middle)
    return True


def _segments(pattern: str) -> tuple[str, ...] | None:
    if "*" not in pattern and "?" not in pattern:
        return None
    return tuple(pattern.split("*"))


def _at(name: str, start: int, segment: str) -> bool:
    """``segment`` (``?`` matching any one character) matches ``name`` at ``start``."""
    if "?" not in segment:
        return name.startswith(segment, start)
    if start + len(segment) > len(name):
        return False
    for offset, char in enumerate(segment):
        if char != "?" and name[start + offset] != char:
            return False
    return True


def _find(name: str, segment: str, start: int, end: int) -> int:
    """The first index ≥ ``start`` where ``segment`` matches wholly before ``end``; -1 if
    none."""
    if "?" not in segment:
        return name.find(segment, start, end)
    for index in range(start, end - len(segment) + 1):
        if _at(name, index, segment):
            return index
    return -1
