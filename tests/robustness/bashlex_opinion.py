"""bashlex as a second static opinion on argv (test-only: GPL, slow to import).

For each simple command bashlex finds whose name is a static guarded tool, shellgate's
parse must hold a command of that tool with matching words. bashlex neither expands nor
unwraps, so a word with ``$`` or a backquote is "some run-time word" on its side too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from shellgate.parse import mapping_reader, parse
from shellgate.parse.wrappers.unwrap import base_name
from shellgate.rules.ruleset import RuleSet
from shellgate.values import Word

_RUN_TIME = "\0run-time"


def bashlex_commands(cmd: str) -> list[list[str]] | None:
    """argv of each simple command bashlex finds (run-time words marked), or None."""
    import bashlex

    if "$'" in cmd or '$"' in cmd:
        return None  # bashlex decodes neither ANSI-C nor translated strings
    try:
        trees = bashlex.parse(cmd)
    except Exception:
        return None
    found: list[list[str]] = []

    class Visitor(bashlex.ast.nodevisitor):  # type: ignore[misc]
        def visitcommand(self, node: Any, parts: Any) -> None:
            words = [p.word for p in parts if p.kind == "word"]
            if words:
                found.append([_RUN_TIME if ("$" in w or "`" in w) else w for w in words])

    for tree in trees:
        Visitor().visit(tree)
    return found


def disagreements(cmd: str, rules: RuleSet, guarded: frozenset[str],
                  files: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(tool, explanation) for each bashlex command of a guarded tool that shellgate's parse
    does not describe."""
    theirs = bashlex_commands(cmd)
    if theirs is None:
        return []
    ours = parse(cmd, mapping_reader(files or {})).commands
    found: list[tuple[str, str]] = []
    for argv in theirs:
        if argv[0] == _RUN_TIME or ("/" in argv[0] and argv[0].startswith(".")):
            continue
        name = rules.canonical(argv[0].rsplit("/", 1)[-1])
        if name not in guarded:
            continue
        same = [c for c in ours if c.argv and rules.canonical(base_name(c.argv[0]) or "") == name]
        if not any(_matches(c.argv[1:], argv[1:]) for c in same):
            shown = "; ".join(c.show() for c in same) or "(no command of that tool)"
            found.append((name, f"{cmd!r}\n    bashlex: {argv!r}\n    shellgate: {shown}"))
    return found


def _matches(ours: Sequence[Word], theirs: Sequence[str]) -> bool:
    @cache
    def match(i: int, j: int) -> bool:
        if i == len(ours):
            return j == len(theirs)
        word = ours[i]
        if word.value is None:
            return any(match(i + 1, k) for k in range(j, len(theirs) + 1))
        if j < len(theirs) and theirs[j] in (word.value, _RUN_TIME):
            return match(i + 1, j + 1)
        return False

    return match(0, 0)
