"""Walk tree-sitter-bash's syntax tree into simple commands with resolved words.

Every ``command`` node anywhere in the tree (function bodies, conditions, substitutions)
becomes a Command, so nothing that could run is skipped. Each statement also reports
its standard output when it is statically known (``echo``, ``printf``, ``cat <<EOF``,
``base64 -d`` of known text) so pipes into shells and clients can be seen into.
"""

from __future__ import annotations

from shellgate.parse.bash import words as W
from shellgate.parse.bash.outputs import static_output
from shellgate.parse.bash.redirects import WORD_NODES, Redirections
from shellgate.parse.bash.scope import Scope, hash_entries, requote
from shellgate.parse.context import MAX_PIPELINE, MAX_SYNTAX_DEPTH, ParseContext
from shellgate.parse.wrappers.options import is_assignment
from shellgate.parse.wrappers.unwrap import code_in_variable, is_code_variable
from shellgate.values import NO_STDIN, Command, Redirect, Stdin, Word, lazy_pattern

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:

    from shellgate.parse.bash.expand import Expander
    from shellgate.parse.bash.treesitter import Node

_DECLARE = {"export", "declare", "typeset", "local", "readonly"}


class Walker(Redirections):
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
        self._collect_functions(root)
        return self.stmt(root, self.stdin, 0)

    def _collect_functions(self, root: Node) -> None:
        """Every function definition, in source order, down to ``MAX_SYNTAX_DEPTH`` named
        levels. Walked with a tree cursor: holding each level's list of children (as a
        recursion over ``named_children`` did) cost ~80 bytes per node of a long word,
        21 MiB for 256 KiB of ``%x{``."""
        cursor = root.walk()
        if not cursor.goto_first_child():
            return
        depth = 1  # named levels below the root (anonymous nodes are tokens: leaves)
        while True:
            node = cursor.node
            if node is not None and node.is_named:
                if node.type == "function_definition":
                    name = node.child_by_field_name("name")
                    body = node.child_by_field_name("body")
                    if name is not None and body is not None:
                        self.functions[self.text(name)] = body
                if depth <= MAX_SYNTAX_DEPTH and cursor.goto_first_child():
                    depth += 1
                    continue
            while not cursor.goto_next_sibling():
                if depth == 1 or not cursor.goto_parent():
                    return
                depth -= 1

    def never_called(self, name: str) -> bool:
        """A definition is not an execution: the body of a function or alias need not be
        read when nothing in the command line can call it — the line is the whole script
        (not text nested in ``eval``/``bash -c``), the name appears in it only once (no
        call, no ``eval``/``trap``/``bash -c`` string naming it, no ``export -f``), and it
        sources no file that could call it. A later line of an interactive session reads
        the definition again where the name is used (``SessionMemory``)."""
        if self.nesting != 0 or not name:
            return False
        text = self.src.decode("utf-8", "surrogateescape")
        tokens = _TOKEN_BREAKS().sub(" ", text).split()
        return tokens.count(name) == 1 and "source" not in tokens and "." not in tokens

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
            name = node.child_by_field_name("name")
            if body is not None and not (name is not None and self.never_called(self.text(name))):
                self.stmt(body, NO_STDIN, depth + 1)
            return None
        if kind in WORD_NODES and kind != "number":
            self.x.words(self, node, depth + 1)
            return None
        if kind == "for_statement":
            var = node.child_by_field_name("variable")
            if var is not None:
                self.ctx.env.pop(self.text(var), None)
        outputs: list[str | None] = []
        with self.scope(kind == "subshell"):
            for child in node.named_children:
                outputs.append(self.stmt(child, stdin, depth + 1))
        if kind in ("program", "subshell", "compound_statement", "negated_command") \
                and len(outputs) == 1:
            return outputs[0]
        return None

    def scope(self, subshell: bool = True) -> Scope:
        """Variables set in a subshell, a pipeline stage or a substitution do not outlive it
        (`echo | F=--dry-run; terraform destroy $F` runs without the flag)."""
        return Scope(self.ctx, subshell)

    def pipeline(self, stages: list[Node], stdin: Stdin, depth: int,
                 last: tuple[Stdin | None, list[Redirect], list[Word]] | None = None) -> str | None:
        """Walk the stages; ``last`` holds the redirections written after the pipeline,
        which bash applies to its last command (``echo | bash <<EOF``)."""
        output: str | None = None
        current = stdin
        if len(stages) > MAX_PIPELINE:
            self.ctx.problem("too-complex", f"a pipeline of {len(stages)} stages", self.via)
        for index, stage in enumerate(stages):
            if last is not None and index + 1 == len(stages):
                own_in, redirects, args = last
                own_in = own_in if own_in is not None else current
                if stage.type == "command":
                    output = self.command(stage, own_in, tuple(redirects), depth + 1, args)
                else:
                    output = self.stmt(stage, own_in, depth + 1)
                    self._mark_redirects(redirects)
                break
            with self.scope(len(stages) > 1):
                output = self.stmt(stage, current, depth + 1)
            if index + 1 < len(stages):
                if output is not None:
                    current = Stdin(text=output)
                else:
                    current = Stdin(opaque=f"the output of `{self.text(stage)[:60]}`")
        return output

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
        self._code_variable(node, resolved)
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
        word_end: int | None = None  # end of the previous word node
        boundary = True  # a blank separates the next piece from the last word
        glued = self._touching_tails(node)
        absorbed = {n.start_byte for nodes in glued.values() for n in nodes}
        assigned: list[tuple[Node, list[Word]]] = []
        for child in node.named_children:
            kind = child.type
            if child.start_byte in absorbed:
                continue
            if kind == "variable_assignment":
                value = child.child_by_field_name("value")
                found = [] if value is None else self.x.words(self, value, depth + 1, split=False)
                pieces = glued.get(child.start_byte, ())
                found = self._glue_tails(found, child.end_byte, pieces, depth)
                assigned.append((child, found))
                self._code_variable(child, found)
                word_end, boundary = None, True
            elif kind in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                more: list[Word] = []
                tails: list[Node] = []
                stdin = self.redirect(child, stdin, own_redirects, more, tails, depth,
                                      glued.get(child.start_byte, ()))
                argv.extend(more)
                word_end, boundary = None, True
            elif kind == "comment":
                word_end, boundary = None, True
            else:
                target = child
                if kind == "command_name":
                    if not child.named_children:
                        continue
                    target = child.named_children[0]
                resolved = self.x.words(self, target, depth + 1)
                if self.src[child.start_byte:child.start_byte + 1] == b"\n":
                    # tree-sitter-bash glues a line that starts with `\` onto the command
                    # above (`ls\n\\rm -rf /`): bash runs two commands
                    if argv:
                        self.emit(argv, tuple(own_redirects[len(redirects):]), stdin, depth)
                    argv, own_redirects, stdin = [], list(redirects), NO_STDIN
                    word_end, boundary = None, True
                    resolved[:1] = [W.lstrip_word(w) for w in resolved[:1]]
                if word_end is not None:
                    gap = self.src[word_end:child.start_byte].decode("utf-8", "surrogateescape")
                    first = target.children[0] if target.children else target
                    if "string" in (target.type, first.type) and gap.endswith("$"):
                        gap = gap[:-1]  # the `$` of a $"…" string
                    boundary = W.add_gap_words(argv, gap, boundary)
                if resolved and argv and not boundary:
                    argv[-1:] = [W.glue(argv[-1], "", resolved)]
                else:
                    argv.extend(resolved)
                word_end, boundary = child.end_byte, not resolved
        if extra_args:
            argv.extend(extra_args)
        if not argv:  # only assignments (tree-sitter-bash made `A=''\\x` a command)
            for child, found in assigned:
                name = child.child_by_field_name("name")
                key = self.text(name) if name is not None else ""
                if len(found) == 1 and found[0].value is not None and "+=" not in self.text(child):
                    self.ctx.env[key] = found[0].value
                else:
                    self.ctx.env.pop(key, None)
            return None
        if not assigned:
            return self.emit(argv, tuple(own_redirects), stdin, depth)
        # `HOME=/h git sync`: the command (and what it runs) starts with these variables
        saved = dict(self.ctx.env)
        for child, found in assigned:
            name = child.child_by_field_name("name")
            key = self.text(name) if name is not None else ""
            if len(found) == 1 and found[0].value is not None and "+=" not in self.text(child):
                self.ctx.env[key] = found[0].value
        try:
            return self.emit(argv, tuple(own_redirects), stdin, depth)
        finally:
            self.ctx.env.clear()
            self.ctx.env.update(saved)

    def _code_variable(self, node: Node | str, value: list[Word]) -> None:
        """``PROMPT_COMMAND=…``, ``PS4=…``, ``BASH_ENV=…``: code a later bash runs."""
        if not isinstance(node, str):
            name_node = node.child_by_field_name("name")
            node = self.text(name_node) if name_node is not None else ""
        if not is_code_variable(node) or not value or value == [Word("", value[0].source)]:
            return
        script = code_in_variable(node, value[0].value or "") if len(value) == 1 else None
        if script is not None and value[0].value is not None:
            self.x.nested(script, self.via + (f"${node}",), NO_STDIN, None, self.nesting + 1)
        else:
            self.ctx.problem("dynamic-code", f"{node} is set to code shellgate cannot read",
                             self.via)

    def _builtin_table(self, name: str, args: list[Word]) -> None:
        """``hash -p PATH NAME`` makes NAME run PATH (like an alias); ``enable -f`` loads a
        builtin from a shared object shellgate cannot read."""
        if name == "enable":
            if any((w.value or "").startswith("-") and "f" in (w.value or "") for w in args):
                self.ctx.problem("dynamic-code", "enable -f loads a builtin from a shared object",
                                 self.via)
            return
        entries = hash_entries(args)
        for path, target in entries or []:
            if path.value is None or target.value is None:
                self.ctx.problem("dynamic-command", "hash -p with a run-time path or name",
                                 self.via)
                continue
            self.ctx.aliases[target.value] = requote(path)

    def emit(
        self, argv: list[Word], redirects: tuple[Redirect, ...], stdin: Stdin, depth: int
    ) -> str | None:
        """Record a resolved command, expanding aliases and same-script functions."""
        argv, misplaced = W.strip_reserved(argv)
        if set(misplaced) - {"{", "}", "!", "time", "-p"}:
            self.ctx.problem("parse-error", f"reserved word {misplaced[0]!r} taken for a "
                             "command name", self.via)
        while misplaced and argv and is_assignment(argv[0].source):
            key, _, value = argv.pop(0).show().partition("=")  # `{ A=1 cmd` misread as words
            self._code_variable(key.rstrip("+"), [Word(value, value)])
        if not argv:
            return None
        name = argv[0].value
        if name is not None and name in self.ctx.aliases and depth < MAX_SYNTAX_DEPTH:
            alias = self.ctx.aliases.pop(name)
            try:
                rest = " ".join(requote(w) for w in argv[1:])
                self.x.nested(f"{alias} {rest}", self.via + (f"alias {name}",), stdin, None,
                              self.nesting + 1)
            finally:
                self.ctx.aliases[name] = alias
            # and the command itself: bash -c expands no alias, nor one defined on the
            # same line (`alias rm=echo; rm -rf /` runs rm)
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
                    if not self.never_called(alias_name):
                        self.x.nested(value, self.via + (f"alias {alias_name}",), NO_STDIN,
                                      None, self.nesting + 1)
        if name in ("hash", "enable"):
            self._builtin_table(name, argv[1:])
        command = Command(tuple(argv), redirects, stdin, self.via)
        if not self.ctx.add(command):
            return None
        self.x.unwrap(self, command)
        return static_output(self.ctx, command)


_TOKEN_BREAKS = lazy_pattern(r"[\s;&|()<>{}'\"`$=\\!]+")
"""What separates names in shell text, in any context (words, strings, substitutions)."""
