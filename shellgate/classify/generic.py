"""Tools without rules of their own: does the command name a destructive action?

A tool shellgate has no rules for still gates when its sub-command path (the first few
non-option words), its own name, or one of its long options names a destructive action
(``delete``, ``destroy``, ``purge``…), as listed by an ``on = "unruled"`` rule. The first
action word decides: ``list-deleted`` reads, ``delete-list`` deletes. Dry runs and help
pass; an object that is a cache (``cache flush``, ``--reset-cache``) is regenerable.

Pure: the words are read, nothing is run or looked up.
"""

from __future__ import annotations

from shellgate.classify.argv import Flag
from shellgate.classify.globs import fnmatchcase
from shellgate.classify.match import has_flag
from shellgate.rules.ruleset import Match, ToolSpec
from shellgate.values import Word

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

PATH_DEPTH = 3
"""How many sub-command words are read (``tool group resource verb``)."""

_SEPARATORS = "-_:"
_NEGATORS = frozenset({"no", "skip", "keep", "without", "ignore", "dry", "prevent", "protect",
                       "disable", "disallow", "deny", "exclude", "allow"})
"""An option that starts with these words turns the action off (``--no-delete``) or only
permits it (``--allow-delete``) rather than doing it."""
_REGENERABLE = ("cache", "caches", "tmp", "temp")
"""Objects whose loss costs only time to rebuild."""
_EXACT = ToolSpec("generic", abbreviations=False)


def action_words(name: str, words: Sequence[Word]) -> tuple[list[str], list[str]]:
    """The tool's own name parts and sub-command words, and its long option words.

    A word right after an option may be that option's value (unknown tools' options are
    not known): it is read, but does not count towards the path depth.
    """
    path: list[str] = []
    options: list[str] = []
    counted = 0
    after_option = False
    for word in words:
        value = word.value
        if value is None:
            after_option = False
            continue
        if value == "--":
            break
        if value.startswith("-") and len(value) > 1:
            name_part, eq, attached = value.lstrip("-").partition("=")
            if value.startswith("--") or len(name_part) > 2:
                options.append(name_part)
            if eq and attached:
                path.append(attached)
            after_option = not eq
            continue
        if counted < PATH_DEPTH:
            path.append(value)
            if not after_option:
                counted += 1
        after_option = False
    return path, options


def _parts(word: str) -> list[str]:
    """A sub-command word split at ``-``, ``_`` and ``:``; a word with a dot is a file
    name unless its last part is the action (``vm.destroy``, ``ecto.drop``); a word with a
    slash, space or other punctuation is a path or text, never a sub-command."""
    word = word.lower()
    if "." in word:
        word = word.rsplit(".", 1)[1]
    if not word or not all(c.isalnum() or c in _SEPARATORS for c in word):
        return []
    for sep in _SEPARATORS[1:]:
        word = word.replace(sep, "-")
    return [p for p in word.split("-") if p]


def _regenerable(part: str) -> bool:
    return part in _REGENERABLE or part.endswith(("cache", "caches"))


def _is(part: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatchcase(part, g) for g in globs)


def first_action(words: Sequence[str], block: Match) -> tuple[str, str] | None:
    """The first action word among ``words`` as (kind, word): kind ``"verb"`` for a
    destructive verb, ``"read"`` for a reading verb (``list``, ``get``, ``help``…) or a
    destructive verb whose object is regenerable; None when there is none."""
    split = [_parts(word) for word in words]
    for parts in split:
        for part in parts:
            if _is(part, block.safe_verbs):
                return "read", part
            if _is(part, block.verbs):
                if any(_regenerable(p) for ps in split for p in ps):
                    return "read", part  # ``cache flush``, ``flush-caches``: regenerable
                return "verb", part
    return None


def _option_action(option: str, block: Match) -> str | None:
    parts = _parts(option)
    if not parts or parts[0] in _NEGATORS or parts[0] in block.safe_verbs:
        return None
    if any(_regenerable(p) for p in parts):
        return None
    return next((p for p in parts if _is(p, block.verbs)), None)


def unruled_action(name: str, words: Sequence[Word], block: Match) -> str | None:
    """The destructive action this command of a rule-less tool names, or None."""
    flags = tuple(Flag(w.value.partition("=")[0]) for w in words
                  if w.value is not None and w.value.startswith("-"))
    if block.no_flags and any(has_flag(flags, f, _EXACT) for f in block.no_flags):
        return None
    path, options = action_words(name, words)
    stem = name.rsplit("/", 1)[-1]
    for suffix in (".sh", ".py", ".pl", ".rb", ".js"):
        stem = stem.removesuffix(suffix)
    found = first_action([stem.replace(".", "-"), *path], block)
    if found is not None:
        # the first action word decides: ``tool list --include-deleted`` reads
        return found[1] if found[0] == "verb" else None
    for option in options:
        action = _option_action(option, block)
        if action is not None:
            return action
    return None


def wrapper_names() -> frozenset[str]:
    """Commands the parser unwraps whatever their first word (``sudo``, ``bash -c``,
    ``ssh``, ``npx``, ``xargs``…): the command they run is classified on its own, so their
    words are not actions. Runners that wrap only under a sub-command (``doppler run``)
    are tools like any other for their other sub-commands."""
    global _WRAPPERS
    if _WRAPPERS is None:
        from shellgate.parse.wrappers.options import PREFIX, RUNNERS
        from shellgate.parse.wrappers.unwrap import INTERPRETERS, PARTIAL, SHELLS, special_names

        anything = {name for name, paths in RUNNERS.items() if any(not p for p, _ in paths)}
        special = special_names() - PARTIAL
        _WRAPPERS = special | SHELLS | INTERPRETERS | set(PREFIX) | anything
    return _WRAPPERS


_WRAPPERS: frozenset[str] | None = None

__all__ = ["PATH_DEPTH", "action_words", "first_action", "unruled_action", "wrapper_names"]
