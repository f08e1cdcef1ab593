"""The walker finds function definitions with a tree cursor exactly where the recursion
over ``named_children`` it replaced found them (same names, same bodies, same depth cap)."""

from __future__ import annotations

import json
from pathlib import Path

from shellgate.parse.bash.expand import Expander
from shellgate.parse.bash.treesitter import parse_bash
from shellgate.parse.bash.walker import Walker
from shellgate.parse.context import MAX_SYNTAX_DEPTH, ParseContext, no_files
from shellgate.values import Stdin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from shellgate.parse.bash.treesitter import Node


def _recursive(walker: Walker, node: Node, depth: int,
               found: dict[str, tuple[int, int]]) -> None:
    if depth > MAX_SYNTAX_DEPTH:
        return
    for child in node.named_children:
        if child.type == "function_definition":
            name = child.child_by_field_name("name")
            body = child.child_by_field_name("body")
            if name is not None and body is not None:
                found[walker.text(name)] = (body.start_byte, body.end_byte)
        _recursive(walker, child, depth + 1, found)


def _both(script: str) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    src = script.encode("utf-8", "surrogateescape")
    root = parse_bash(src)
    ctx = ParseContext(read_file=no_files, reads_like={}, environ={})
    walker = Walker(ctx, src, Expander(ctx), (), Stdin(), None, 0)
    walker._collect_functions(root)
    cursor = {name: (body.start_byte, body.end_byte) for name, body in walker.functions.items()}
    expected: dict[str, tuple[int, int]] = {}
    _recursive(walker, root, 0, expected)
    return cursor, expected


def test_shapes() -> None:
    for script in ["f() { rm -rf /; }; f", "function g { ls; }\nfunction g() { rm x; }; g",
                   'echo "$(h() { rm -rf ~; }; h)"', "a=$(b() { :; }); x() (y() { z; })",
                   "if true; then k() { rm -rf /; }; fi; k", "f(){ :;}; " * 50,
                   "echo $(" * 450 + "q() { rm -rf /; }; q" + ")" * 450]:
        cursor, expected = _both(script)
        assert cursor == expected, script
    assert _both("echo $(" * 450 + "q() { :; }" + ")" * 450)[0] == {}  # past the depth cap


def test_every_corpus_line() -> None:
    root = Path(__file__).resolve().parents[2] / "corpus"
    lines = [json.loads(line)["cmd"] for path in sorted(root.glob("*.jsonl"))
             for line in path.read_text().splitlines() if line.strip()]
    assert len(lines) > 1000
    with_functions = 0
    for line in lines:
        cursor, expected = _both(line)
        assert cursor == expected, line
        with_functions += bool(cursor)
    assert with_functions > 5
