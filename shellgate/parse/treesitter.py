"""The only module that imports tree-sitter: one bash parser per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

_parser: Parser | None = None
_ASCII = bytes(range(128)) + bytes(ord("a") + byte % 26 for byte in range(128, 256))
"""Every byte above 127 as an ASCII letter: bash reads such bytes as word characters,
while tree-sitter-bash's scanner can misread some (or crash: ``{`` followed by U+DEC4F)."""


def parse_bash(source: bytes) -> Node:
    """Parse bash source and return the root node of the concrete syntax tree.

    tree-sitter sees the source with non-ASCII bytes turned into ASCII letters, byte for
    byte, so every node's offsets index ``source`` itself: take text from ``source``.
    """
    global _parser
    if _parser is None:
        import tree_sitter
        import tree_sitter_bash

        _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _parser.parse(source.translate(_ASCII)).root_node
