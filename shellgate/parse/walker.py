"""Walk tree-sitter-bash's syntax tree into simple commands with resolved words.

Every ``command`` node anywhere in the tree (function bodies, conditions, substitutions)
becomes a Command, so nothing that could run is skipped. Each statement also reports
its standard output when it is statically known (``echo``, ``printf``, ``cat <<EOF``,
``base64 -d`` of known text) so pipes into shells and clients can be seen into.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shellgate.model import NO_STDIN, Command, Redirect, Stdin, Word
from shellgate.parse import words as W
from shellgate.parse.context import MAX_PIPELINE, MAX_SYNTAX_DEPTH, ParseContext
from shellgate.parse.outputs import static_output

if TYPE_CHECKING:
    from tree_sitter import Node

    from shellgate.parse.expand import Expander

_DECLARE = {"export", "declare", "typeset", "local", "readonly"}
_OUT_OPS = {">", ">>", "&>", "&>>", ">|", ">&"}


class Walker:
    """Turns one script's syntax tree into Commands recorded in the shared context."""

    def __init__(
        self,
        ctx: ParseContext,
        src: bytes,
        expander: Expander,
        via: tuple[str, ...],
        stdin: Stdin,
        positional: tuple[Word, ...] | None,
        nesting: int,
    ) -> None:
        self.ctx = ctx
        self.src = src
        self.x = expander
        self.via = via
        self.stdin = stdin
        self.positional = positional
        self.nesting = nesting
        self.functions: dict[str, Node] = {}
        self.calling: set[str] = set()

    # --- statements -------------------------------------------------------------------

    def text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")

    def run(self, root: Node) -> str | None:
        self._collect_functions(root, 0)
        return self.stmt(root, self.stdin, 0)

    def _collect_functions(self, node: Node, depth: int) -> None:
        if depth > MAX_SYNTAX_DEPTH:
            return
        for child in node.named_children:
            if child.type == "function_definition":
                name = child.child_by_field_name("name")
                body = child.child_by_field_name("body")
                if name is not None and body is not None:
                    self.functions[self.text(name)] = body
            self._collect_functions(child, depth + 1)

    def stmt(self, node: Node, stdin: Stdin, depth: int) -> str | None:
        """Walk one statement; return its stdout when statically known."""
        if depth > MAX_SYNTAX_DEPTH:
            self.ctx.problem("too-complex", "nesting is too deep to inspect", self.via)
            return None
        kind = node.type
        if node.is_missing or kind == "ERROR":
            self.ctx.problem("parse-error", f"cannot parse near: {self.text(node)[:80]!r}")
        if kind == "command":
            return self.command(node, stdin, (), depth)
        if kind == "pipeline":
            return self.pipeline(list(node.named_children), stdin, depth)
        if kind == "redirected_statement":
            return self.redirected(node, stdin, depth)
        if kind == "variable_assignment":
            self.assign(node, depth)
            return None
        if kind == "variable_assignments":
            for child in node.named_children:
                self.stmt(child, stdin, depth + 1)
            return None
        if kind == "declaration_command":
            self.declaration(node, depth)
            return None
        if kind == "unset_command":
            for child in node.named_children:
                self.ctx.env.pop(self.text(child), None)
            return None
        if kind == "function_definition":
            body = node.child_by_field_name("body")
            if body is not None:
                self.stmt(body, NO_STDIN, depth + 1)
            return None
        if kind in ("word", "string", "raw_string", "concatenation", "simple_expansion",
                    "expansion", "command_substitution", "process_substitution",
                    "ansi_c_string", "arithmetic_expansion", "translated_string"):
            self.x.words(self, node, depth + 1)
            return None
        if kind == "for_statement":
            var = node.child_by_field_name("variable")
            if var is not None:
                self.ctx.env.pop(self.text(var), None)
        outputs: list[str | None] = []
        for child in node.named_children:
            outputs.append(self.stmt(child, stdin, depth + 1))
        if kind in ("program", "subshell", "compound_statement") and len(outputs) == 1:
            return outputs[0]
        return None

    def pipeline(self, stages: list[Node], stdin: Stdin, depth: int) -> str | None:
        output: str | None = None
        current = stdin
        if len(stages) > MAX_PIPELINE:
            self.ctx.problem("too-complex", f"a pipeline of {len(stages)} stages", self.via)
        for index, stage in enumerate(stages):
            output = self.stmt(stage, current, depth + 1)
            if index + 1 < len(stages):
                if output is not None:
                    current = Stdin(text=output)
                else:
                    current = Stdin(opaque=f"the output of `{self.text(stage)[:60]}`")
        return output

    def redirected(self, node: Node, stdin: Stdin, depth: int) -> str | None:
        body = node.child_by_field_name("body")
        redirects: list[Redirect] = []
        extra_args: list[Word] = []
        rest: list[Node] = []
        for child in node.named_children:
            if child is body or child == body:
                continue
            stdin = self.redirect(child, stdin, redirects, extra_args, rest, depth)
        output: str | None = None
        if body is not None:
            if body.type == "command":
                output = self.command(body, stdin, tuple(redirects), depth + 1, extra_args)
            else:
                output = self.stmt(body, stdin, depth + 1)
                self._mark_redirects(redirects)
        output = self._write_targets(redirects, output)
        for tail in rest:
            if tail.type == "pipeline":
                tail_in = Stdin(text=output) if output is not None else Stdin(
                    opaque="the output of a here-document command")
                output = self.pipeline(list(tail.named_children), tail_in, depth + 1)
            else:
                output = self.stmt(tail, NO_STDIN, depth + 1)
        return output

    def _mark_redirects(self, redirects: list[Redirect]) -> None:
        for redirect in redirects:
            if redirect.op in _OUT_OPS and redirect.target is not None:
                self.ctx.add(Command((), (redirect,), NO_STDIN, self.via))

    def _write_targets(self, redirects: list[Redirect], output: str | None) -> str | None:
        for redirect in redirects:
            if redirect.op in (">", ">|", ">>", "&>", "&>>") and redirect.target is not None:
                path = redirect.target.value
                if path is not None and redirect.fd in (None, 1):
                    if output is not None:
                        self.ctx.write(path, output, append=redirect.op.endswith(">>"))
                    else:
                        self.ctx.written.pop(path, None)
                    return None
        return output

    def redirect(
        self,
        node: Node,
        stdin: Stdin,
        redirects: list[Redirect],
        extra_args: list[Word],
        rest: list[Node],
        depth: int,
    ) -> Stdin:
        """Record one redirect; return the stdin the command will see."""
        fd_node = node.child_by_field_name("descriptor")
        fd_text = self.text(fd_node) if fd_node is not None else ""
        fd = int(fd_text) if fd_text.isdigit() else None
        if node.type == "heredoc_redirect":
            body_text = ""
            quoted = False
            for child in node.named_children:
                if child.type == "heredoc_start":
                    quoted = any(q in self.text(child) for q in "'\"\\")
                elif child.type == "heredoc_body":
                    body_text = self.heredoc_body(child, quoted, depth)
                elif child.type not in ("heredoc_end", "heredoc_content"):
                    rest.append(child)
            redirects.append(Redirect("<<", None, fd, body_text))
            return Stdin(text=body_text)
        if node.type == "herestring_redirect":
            value = W.unescape_unquoted("")
            parts = [c for c in node.named_children]
            words = [w for part in parts for w in self.x.words(self, part, depth + 1)]
            value = " ".join(w.show() for w in words)
            dynamic = any(w.dynamic for w in words)
            redirects.append(Redirect("<<<", None, fd, value))
            if dynamic:
                return Stdin(opaque=f"a here-string with run-time parts: {value[:60]}")
            return Stdin(text=value + "\n")
        op = next((self.text(c) for c in node.children if not c.is_named), ">")
        dests = [c for c in node.children_by_field_name("destination")]
        if not dests:
            dests = [c for c in node.named_children if c.type != "file_descriptor"]
        target: Word | None = None
        for index, dest in enumerate(dests):
            resolved = self.x.words(self, dest, depth + 1)
            if index == 0:
                target = resolved[0] if resolved else None
            else:
                extra_args.extend(resolved)
        redirects.append(Redirect(op, target, fd))
        if op == "<" and fd in (None, 0) and target is not None:
            if target.value is None:
                return Stdin(opaque=f"a file named at run time ({target.show()})")
            content = self.ctx.read(target.value)
            if content is None:
                return Stdin(opaque=f"{target.value} is not visible", files=(target.value,))
            return Stdin(text=content, files=(target.value,))
        return stdin

    def heredoc_body(self, node: Node, quoted: bool, depth: int) -> str:
        if quoted:
            return self.text(node)
        pieces: list[str] = []
        pos = node.start_byte
        for child in node.named_children:
            pieces.append(self.src[pos : child.start_byte].decode("utf-8", "surrogateescape"))
            resolved = self.x.words(self, child, depth + 1)
            pieces.append(" ".join(w.show() for w in resolved))
            pos = child.end_byte
        pieces.append(self.src[pos : node.end_byte].decode("utf-8", "surrogateescape"))
        return W.unescape_double("".join(pieces))

    # --- variables ----------------------------------------------------------------------

    def assign(self, node: Node, depth: int) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        if name_node is None:
            return
        name = self.text(name_node)
        if value_node is None:
            self.ctx.env[name] = ""
            return
        if value_node.type == "array":
            self.ctx.arrays[name] = tuple(self.x.words(self, value_node, depth + 1))
            self.ctx.env.pop(name, None)
            return
        self.ctx.arrays.pop(name, None)
        resolved = self.x.words(self, value_node, depth + 1, split=False)
        if len(resolved) == 1 and resolved[0].value is not None and "+=" not in self.text(node):
            self.ctx.env[name] = resolved[0].value
        else:
            self.ctx.env.pop(name, None)

    def declaration(self, node: Node, depth: int) -> None:
        for child in node.named_children:
            if child.type == "variable_assignment":
                self.assign(child, depth + 1)
            elif child.type not in ("variable_name", "word"):
                self.x.words(self, child, depth + 1)

    # --- commands -----------------------------------------------------------------------

    def command(
        self,
        node: Node,
        stdin: Stdin,
        redirects: tuple[Redirect, ...],
        depth: int,
        extra_args: list[Word] | None = None,
    ) -> str | None:
        argv: list[Word] = []
        own_redirects = list(redirects)
        for child in node.named_children:
            kind = child.type
            if kind == "variable_assignment":
                value = child.child_by_field_name("value")
                if value is not None:
                    self.x.words(self, value, depth + 1)
            elif kind in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                more: list[Word] = []
                tails: list[Node] = []
                stdin = self.redirect(child, stdin, own_redirects, more, tails, depth)
                argv.extend(more)
            elif kind == "command_name":
                argv.extend(self.x.words(self, child.named_children[0], depth + 1)
                            if child.named_children else [])
            else:
                argv.extend(self.x.words(self, child, depth + 1))
        if extra_args:
            argv.extend(extra_args)
        if not argv:
            return None
        return self.emit(argv, tuple(own_redirects), stdin, depth)

    def emit(
        self, argv: list[Word], redirects: tuple[Redirect, ...], stdin: Stdin, depth: int
    ) -> str | None:
        """Record a resolved command, expanding aliases and same-script functions."""
        name = argv[0].value
        if name is not None and name in self.ctx.aliases and depth < MAX_SYNTAX_DEPTH:
            alias = self.ctx.aliases.pop(name)
            try:
                rest = " ".join(_requote(w) for w in argv[1:])
                self.x.nested(f"{alias} {rest}", self.via + (f"alias {name}",), stdin, None,
                              self.nesting + 1)
            finally:
                self.ctx.aliases[name] = alias
            return None
        if name is not None and name in self.calling and name in self.functions:
            self.ctx.problem("recursive-function", f"function {name} calls itself", self.via)
        if name is not None and name in self.functions and name not in self.calling:
            self.calling.add(name)
            saved = self.positional
            try:
                self.positional = tuple(argv[1:])
                self.stmt(self.functions[name], stdin, depth + 1)
            finally:
                self.positional = saved
                self.calling.discard(name)
            return None
        if name == "alias":
            for word in argv[1:]:
                if word.value and "=" in word.value and not word.value.startswith("-"):
                    alias_name, _, value = word.value.partition("=")
                    self.ctx.aliases[alias_name] = value
                    self.x.nested(value, self.via + (f"alias {alias_name}",), NO_STDIN, None,
                                  self.nesting + 1)
        command = Command(tuple(argv), redirects, stdin, self.via)
        if not self.ctx.add(command):
            return None
        self.x.unwrap(self, command)
        return static_output(self.ctx, command)


def _requote(word: Word) -> str:
    if word.value is None:
        return word.source or '"$_shellgate_dynamic"'
    return "'" + word.value.replace("'", "'\\''") + "'"
