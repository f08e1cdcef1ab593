"""bashlex as a second opinion: every command bashlex finds in a corpus line must also be
found by shellgate's tree-sitter parser (bashlex is test-only: GPL, and slow to import)."""

from __future__ import annotations

import re

import pytest

from shellgate.parse import parse
from tests.conftest import corpus_items

bashlex = pytest.importorskip("bashlex")
def _bashlex_names(cmd: str) -> set[str] | None:
    try:
        trees = bashlex.parse(cmd)
    except Exception:  # bashlex cannot parse much of bash: no opinion then
        return None
    names: set[str] = set()

    class Visitor(bashlex.ast.nodevisitor):  # type: ignore[misc]
        def visitcommand(self, node, parts):  # type: ignore[no-untyped-def]
            words = [p for p in parts if p.kind == "word"]
            if words and "$" not in words[0].word and "`" not in words[0].word:
                names.add(words[0].word.rsplit("/", 1)[-1])

    for tree in trees:
        Visitor().visit(tree)
    return names


# Words bashlex reports as commands that tree-sitter parses as syntax of their own.
_SYNTAX = {"[", "[[", "export", "declare", "local", "readonly", "typeset", "unset"}


def _defined_here(name: str, cmd: str) -> bool:
    """Functions and aliases defined in the line: shellgate records what they expand to."""
    return any(f in cmd.replace(" ", "") for f in (f"{name}()", f"function{name}",
                                                    f"alias{name}="))


def _uncalled_definition(cmd: str) -> bool:
    """A line that only defines a function or alias it never calls: a definition is not an
    execution, so shellgate records nothing from its body (bashlex lists it)."""
    names = re.findall(r"([\w.-]+)\s*\(\s*\)|function\s+([\w.-]+)|alias\s+([\w.-]+)=", cmd)
    tokens = re.split(r"[\s;&|()<>{}'\"`$=\\!]+", cmd)
    return any(tokens.count(a or b or c) == 1 for a, b, c in names)


def _commands() -> list[str]:
    return [str(item["cmd"]) for item in corpus_items()]


def test_tree_sitter_sees_every_command_bashlex_sees() -> None:
    disagreements: list[str] = []
    compared = 0
    for cmd in _commands():
        theirs = _bashlex_names(cmd)
        if theirs is None or _uncalled_definition(cmd):
            continue
        compared += 1
        ours = {c.name.rsplit("/", 1)[-1] for c in parse(cmd).commands if c.name}
        missing = {n for n in theirs - ours - _SYNTAX if not _defined_here(n, cmd)}
        if missing:
            disagreements.append(f"{sorted(missing)} in {cmd!r}")
    assert compared > 500
    assert disagreements == []
