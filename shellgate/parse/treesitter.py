"""The only module that imports tree-sitter: one bash parser per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

_parser: Parser | None = None


def parse_bash(source: bytes) -> Node:
    """Parse bash source and return the root node of the concrete syntax tree."""
    global _parser
    if _parser is None:
        import tree_sitter
        import tree_sitter_bash

        _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _parser.parse(source).root_node
