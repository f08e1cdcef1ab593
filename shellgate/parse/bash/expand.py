"""Word resolution and nested scripts: what bash would pass as argv, as far as is static."""

from __future__ import annotations

from shellgate.parse.bash import words as W
from shellgate.parse.bash.treesitter import parse_bash
from shellgate.parse.context import MAX_NESTING, MAX_SYNTAX_DEPTH, ParseContext
from shellgate.parse.wrappers.unwrap import Inner, unwrap
from shellgate.values import Command, Stdin, Word, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from shellgate.parse.bash.treesitter import Node
    from shellgate.parse.bash.walker import Walker


@record
class _Seg:
    value: str | None
    quoted: bool = False
    expanded: bool = False
    source: str = ""


_STATEMENTS = {"command", "pipeline", "list", "redirected_statement", "subshell",
               "compound_statement", "if_statement", "while_statement", "for_statement",
               "case_statement", "function_definition", "variable_assignment",
               "declaration_command", "negated_command", "test_command", "c_style_for_statement"}


class Expander:
    """Resolves words against the script's static variables; runs nested scripts."""

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx

    # --- nested scripts -----------------------------------------------------------------

    def nested(
        self,
        text: str,
        via: tuple[str, ...],
        stdin: Stdin,
        positional: tuple[Word, ...] | None,
        nesting: int,
    ) -> None:
        """Parse and walk a script found inside another (``bash -c``, ``eval``, …)."""
        from shellgate.parse.bash.walker import Walker

        if nesting > MAX_NESTING:
            self.ctx.problem("too-complex", "scripts nested too deeply to inspect", via)
            return
        src = text.encode("utf-8", "surrogateescape")
        root = parse_bash(src)
        if root.has_error:
            self.ctx.problem("parse-error", f"cannot parse nested script: {text[:80]!r}", via)
        Walker(self.ctx, src, self, via, stdin, positional, nesting).run(root)

    def unwrap(self, walker: Walker, command: Command) -> None:
        """Record the commands a wrapper (``sudo``, ``bash -c``, ``xargs``…) would run."""
        for inner in unwrap(command, self.ctx):
            self._dispatch(walker, command, inner)

    def _dispatch(self, walker: Walker, outer: Command, inner: Inner) -> None:
        via = outer.via + (inner.label,)
        stdin = inner.stdin if inner.stdin is not None else outer.stdin
        if walker.nesting + 1 > MAX_NESTING:
            self.ctx.problem("too-complex", "wrappers nested too deeply to inspect", via)
            return
        if inner.script is not None:
            self.nested(inner.script, via, stdin, inner.positional, walker.nesting + 1)
            return
        argv, _ = W.strip_reserved(inner.argv)  # `time { x; }`: `{` is syntax, not a name
        if argv:
            command = Command(tuple(argv), outer.redirects, stdin, via)
            if self.ctx.add(command):
                saved, walker.nesting = walker.nesting, walker.nesting + 1
                try:
                    self.unwrap(walker, command)
                finally:
                    walker.nesting = saved

    # --- words --------------------------------------------------------------------------

    def words(self, w: Walker, node: Node, depth: int, split: bool = True) -> list[Word]:
        """Resolve one word node to the argv words bash would produce."""
        source = w.text(node)
        if depth > MAX_SYNTAX_DEPTH:
            self.ctx.problem("too-complex", "nesting is too deep to inspect", w.via)
            return [Word(None, source)]
        if node.type in _STATEMENTS:
            w.stmt(node, Stdin(), depth + 1)
            return []
        if node.type == "array":
            return self.word_list(w, node.named_children, depth + 1)
        spread = self._spread(w, node)
        if spread is not None:
            return list(spread)
        segs = self._segs(w, node, False, depth + 1)
        if any(s.value is None for s in segs):
            prefix = ""
            for seg in segs:
                if seg.value is None:
                    break
                prefix += seg.value
            return [Word(None, source, prefix)]
        value = "".join(s.value or "" for s in segs)
        ifs = self.ctx.env.get("IFS", " \t\n")
        unquoted = [s.value or "" for s in segs if s.expanded and not s.quoted]
        if split and ifs.strip() and any(set(ifs) & set(v) for v in unquoted):
            return [Word(None, source)]  # split on a custom IFS: too clever to follow
        if split and any(_has_space(v) for v in unquoted):
            return [Word(part, source) for part in value.split()]
        if all(not s.quoted for s in segs) and "{" in value and ("," in value or ".." in value):
            return [Word(part, source) for part in W.expand_braces(value)]
        return [Word(value, source)]

    def word_list(self, w: Walker, nodes: list[Node], depth: int) -> list[Word]:
        """Words of consecutive word nodes, glued where bash sees one word (tree-sitter-bash
        splits ``'cl'\\i`` in two)."""
        found: list[Word] = []
        end: int | None = None
        for node in nodes:
            resolved = self.words(w, node, depth)
            boundary = True
            if end is not None:
                gap = w.src[end:node.start_byte].decode("utf-8", "surrogateescape")
                boundary = W.add_gap_words(found, gap, False)
            if resolved and found and not boundary:
                found[-1:] = [W.glue(found[-1], "", resolved)]
            else:
                found.extend(resolved)
            end = node.end_byte
        return found

    def _spread(self, w: Walker, node: Node) -> tuple[Word, ...] | None:
        """``"$@"`` and ``$@``: one word per positional parameter, when they are known."""
        target = node
        if node.type == "string" and len(node.named_children) == 1:
            target = node.named_children[0]
        if target.type not in ("simple_expansion", "expansion") or len(target.named_children) != 1:
            return None
        inner = target.named_children[0]
        if inner.type == "subscript":
            name_node = inner.child_by_field_name("name")
            index_node = inner.child_by_field_name("index")
            name = w.text(name_node) if name_node is not None else ""
            index = w.text(index_node) if index_node is not None else ""
            if name not in self.ctx.arrays:
                return (Word(None, w.text(node)),)
            items = self.ctx.arrays[name]
            if index in ("@", "*"):
                return items
            if index.isdigit():
                return items[int(index):int(index) + 1] or (Word("", w.text(node)),)
            return (Word(None, w.text(node)),)
        if w.text(inner) not in ("@", "*"):
            return None
        if w.positional is None:
            return (Word(None, w.text(node)),)
        return w.positional

    def _segs(self, w: Walker, node: Node, quoted: bool, depth: int) -> list[_Seg]:
        kind = node.type
        text = w.text(node)
        if depth > MAX_SYNTAX_DEPTH:
            return [_Seg(None, quoted, source=text)]
        if kind == "word":
            return [_Seg(text if quoted else W.unescape_unquoted(text), quoted)]
        if kind in ("number", "special_variable_name", "variable_name", "test_operator",
                    "regex", "extglob_pattern", "brace_expression"):
            return [_Seg(text, quoted)]
        if kind == "raw_string":
            return [_Seg(text[1:-1], True)]
        if kind == "ansi_c_string":
            if W.ansi_c_end(text) != len(text) - 1:  # tree-sitter-bash reads $'\\' on
                self.ctx.problem("parse-error", f"cannot read the string {text[:60]!r}", w.via)
            return [_Seg(W.decode_escapes(text[2:-1]).split("\0", 1)[0], True)]
        if kind == "string_content":
            return [_Seg(W.unescape_double(text), True)]
        if kind in ("string", "translated_string"):
            return self._string(w, node, depth) or [_Seg("", True)]
        if kind == "concatenation":
            segs = []
            for child in node.children:
                nxt = child.next_sibling
                if child.type == "$" and nxt is not None and nxt.type == "string":
                    continue  # `a$"x"` is `ax`: the `$` marks a translated string
                segs.extend(self._segs(w, child, quoted, depth + 1))
            return segs
        if kind in ("simple_expansion", "expansion"):
            return [self._expansion(w, node, quoted, depth)]
        if kind == "command_substitution":
            return [self._substitution(w, node, quoted, depth)]
        if kind in ("process_substitution", "arithmetic_expansion"):
            with w.scope(kind == "process_substitution"):
                for child in node.named_children:
                    w.stmt(child, Stdin(), depth + 1)
            return [_Seg(None, quoted, source=text)]
        if not node.is_named:
            return [_Seg(text if quoted else W.unescape_unquoted(text), quoted)]
        for child in node.named_children:
            w.stmt(child, Stdin(), depth + 1)
        return [_Seg(None, quoted, source=text)]

    def _string(self, w: Walker, node: Node, depth: int) -> list[_Seg]:
        """A double-quoted string: literal runs are taken from the source, because
        tree-sitter-bash leaves newlines between its ``string_content`` nodes, and blanks
        before the closing quote, out of them."""
        segs: list[_Seg] = []
        if len(node.children) < 2:
            return segs
        # the closing quote's token can start early: in `" "` it is ` "`
        pos, end = node.children[0].end_byte, node.end_byte - 1
        raw = ""
        for child in node.named_children:
            if child.type == "string_content":
                continue
            raw += w.src[pos:child.start_byte].decode("utf-8", "surrogateescape")
            if raw:
                segs.append(_Seg(W.unescape_double(raw), True))
            raw = ""
            segs.extend(self._segs(w, child, True, depth + 1))
            pos = child.end_byte
        raw += w.src[pos:end].decode("utf-8", "surrogateescape")
        if raw:
            segs.append(_Seg(W.unescape_double(raw), True))
        return segs

    def _expansion(self, w: Walker, node: Node, quoted: bool, depth: int) -> _Seg:
        text = w.text(node)
        children = node.named_children
        for child in children[1:]:
            self._segs(w, child, True, depth + 1)
            operand = w.text(child)
            if child.type == "word" and "`" in operand:  # tree-sitter-bash leaves `…` unparsed
                self.nested(f": {operand}", w.via, Stdin(), w.positional, w.nesting + 1)
        if not children or children[0].type not in ("variable_name", "special_variable_name"):
            return _Seg(None, quoted, source=text)
        name = w.text(children[0])
        # `${c}` and `$c` only: any operator (`${#c}`, `${!c}`, case changes `${c,,}`
        # `${c^^}`, transformations `${c@U}`) makes the value a run-time one
        plain = len(children) == 1 and all(
            w.text(c) in ("${", "}", "$") for c in node.children if not c.is_named)
        value: str | None = None
        if name.isdigit() and name != "0":
            index = int(name) - 1
            if w.positional is not None:
                value = w.positional[index].value if index < len(w.positional) else ""
        elif name in ("@", "*") and w.positional is not None:
            parts = [p.value for p in w.positional]
            value = None if any(p is None for p in parts) else " ".join(p or "" for p in parts)
        elif name == "#" and w.positional is not None:
            value = str(len(w.positional))
        elif name in self.ctx.env:
            value = self.ctx.env[name]
        elif self.ctx.arrays.get(name):
            value = self.ctx.arrays[name][0].value
        elif name in _WELL_KNOWN:
            value = _WELL_KNOWN[name]
        if not plain:
            return _Seg(_with_default(w, node, name, value, self.ctx.env), quoted,
                        expanded=True, source=text)
        return _Seg(value, quoted, expanded=True, source=text)

    def _substitution(self, w: Walker, node: Node, quoted: bool, depth: int) -> _Seg:
        statements = node.named_children
        output: str | None = None
        with w.scope():
            for child in statements:
                output = w.stmt(child, Stdin(), depth + 1)
        if len(statements) != 1 or output is None:
            return _Seg(None, quoted, source=w.text(node))
        return _Seg(output.rstrip("\n"), quoted, expanded=True)


_WELL_KNOWN = {"HOME": "~", "PWD": ".", "TMPDIR": "/tmp"}  # noqa: S108 - a meaning, not a path used
"""Variables whose meaning, not value, decides a path rule: ``rm -rf $HOME`` is ``~``."""


def _with_default(w: Walker, node: Node, name: str, value: str | None,
                  env: dict[str, str]) -> str | None:
    """``${NAME:-word}`` (``-``, ``:=``, ``=``) when both branches are known: a variable set
    earlier in the line picks its own value (or the default when empty, for ``:``); a
    well-known variable (``TMPDIR``) only when the default means the same (``/tmp``).
    Anything else is only known at run time (None)."""
    children = node.named_children
    ops = [w.text(c) for c in node.children if not c.is_named and w.text(c) not in ("${", "}")]
    if value is None or len(children) != 2 or children[1].type != "word" or \
            ops not in (["-"], [":-"], ["="], [":="]):
        return None
    default = w.text(children[1])
    if any(c in default for c in "$`'\"\\*?[{~"):
        return None
    if name in env:
        return default if value == "" and ops[0].startswith(":") else value
    return value if default == value else None


def _has_space(value: str | None) -> bool:
    return value is not None and any(c in value for c in " \t\n")
