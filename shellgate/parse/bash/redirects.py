"""Redirections, here-documents and here-strings, for the Walker (a mixin).

Also where tree-sitter-bash's misreadings are put right: it attaches ``> f`` and
``<<EOF`` written after ``a && b`` or ``x | y`` to the whole list or pipeline (bash gives
them to the last command), reads words after ``<<EOF`` as separate statements, drops a
bare ``-`` before ``<<``, takes a here-document line starting with ``\\`` for words, and
splits a word at an escaped tab. Each case is checked against real bash by
``tests/robustness`` (differential tests in a sandbox).
"""

from __future__ import annotations

from shellgate.parse.bash import words as W
from shellgate.parse.context import STDIN_PATHS, norm_path
from shellgate.values import NO_STDIN, Command, Redirect, Stdin, Word, lit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

    from shellgate.parse.bash.expand import Expander
    from shellgate.parse.bash.treesitter import Node
    from shellgate.parse.bash.walker import Walker
    from shellgate.parse.context import ParseContext

OUT_OPS = frozenset({">", ">>", "&>", "&>>", ">|", ">&"})
WORD_NODES = frozenset({"word", "string", "raw_string", "concatenation", "simple_expansion",
                        "expansion", "command_substitution", "process_substitution",
                        "ansi_c_string", "arithmetic_expansion", "translated_string", "number"})


class Redirections:
    """The Walker's handling of redirections (see the module docstring)."""

    if TYPE_CHECKING:
        ctx: ParseContext
        src: bytes
        x: Expander
        via: tuple[str, ...]

        def text(self, node: Node) -> str: ...

        def stmt(self, node: Node, stdin: Stdin, depth: int) -> str | None: ...

        def pipeline(self, stages: list[Node], stdin: Stdin, depth: int,
                     last: tuple[Stdin | None, list[Redirect], list[Word]] | None = None,
                     ) -> str | None: ...

        def command(self, node: Node, stdin: Stdin, redirects: tuple[Redirect, ...],
                    depth: int, extra_args: list[Word] | None = None) -> str | None: ...

    @property
    def _walker(self) -> Walker:
        return self  # type: ignore[return-value]

    def redirected(self, node: Node, stdin: Stdin, depth: int) -> str | None:
        body = node.child_by_field_name("body")
        redirects: list[Redirect] = []
        extra_args: list[Word] = []
        rest: list[Node] = []
        if body is not None and body.type == "command":
            # tree-sitter-bash drops a bare `-` between a command and its here-document
            end = body.end_byte
            for child in node.named_children:
                if child.start_byte > end:
                    gap = self.src[end:child.start_byte].decode("utf-8", "surrogateescape")
                    W.add_gap_words(extra_args, gap, True)
                end = max(end, child.end_byte)
        original = stdin
        for child in node.named_children:
            if child is body or child == body:
                continue
            stdin = self.redirect(child, stdin, redirects, extra_args, rest, depth)
        output: str | None = None
        if body is not None:
            output = self._to_last(body, original, stdin, redirects, extra_args, depth + 1)
        elif redirects:  # a redirection alone (`> file`) runs like `: > file`: it truncates
            self.ctx.add(Command((lit(":"),), tuple(redirects), NO_STDIN, self.via))
        output = self._write_targets(redirects, output)
        for tail in rest:
            if tail.type == "pipeline":
                tail_in = Stdin(text=output) if output is not None else Stdin(
                    opaque="the output of a here-document command")
                output = self.pipeline(list(tail.named_children), tail_in, depth + 1)
            else:
                output = self.stmt(tail, NO_STDIN, depth + 1)
        return output

    def _to_last(self, body: Node, original: Stdin, stdin: Stdin, redirects: list[Redirect],
                 extra_args: list[Word], depth: int) -> str | None:
        """Walk ``body`` with the redirections bash gives its last command: tree-sitter-bash
        attaches them to the whole of ``a && b > f`` and ``echo | bash <<EOF``."""
        if body.type == "command":
            return self.command(body, stdin, tuple(redirects), depth, extra_args)
        if body.type == "pipeline":
            own_in = stdin if stdin is not original else None
            return self.pipeline(list(body.named_children), original, depth,
                                 (own_in, redirects, extra_args))
        if body.type in ("list", "negated_command") and body.named_children:
            *head, last = body.named_children
            for child in head:
                self.stmt(child, original, depth + 1)
            return self._to_last(last, original, stdin, redirects, extra_args, depth + 1)
        output = self.stmt(body, stdin, depth)
        self._mark_redirects(redirects)
        return output

    def _mark_redirects(self, redirects: list[Redirect]) -> None:
        for redirect in redirects:
            if redirect.op in OUT_OPS and redirect.target is not None:
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
        glued: Sequence[Node] = (),
    ) -> Stdin:
        """Record one redirect; return the stdin the command will see. ``glued``: word
        nodes tree-sitter split off a here-string (``<<< rm\\<TAB>-rf``)."""
        fd_node = node.child_by_field_name("descriptor")
        fd_text = self.text(fd_node) if fd_node is not None else ""
        fd = int(fd_text) if fd_text.isdigit() else None
        if node.type == "heredoc_redirect":
            body_text = ""
            quoted = False
            override: Stdin | None = None
            if node.children and self.text(node.children[0]).startswith("-"):
                extra_args.append(Word("-", "-"))  # `cmd -<<EOF`: tree-sitter takes `-<<`
            line_end = self.src.find(b"\n", node.start_byte)
            misread = False
            for child in node.named_children:
                if child.type not in ("heredoc_start", "heredoc_body", "heredoc_end") \
                        and 0 <= line_end <= child.start_byte:
                    misread = True  # a body line taken for words (its first starts with `\`)
                elif child.type == "heredoc_start":
                    quoted = any(q in self.text(child) for q in "'\"\\")
                elif child.type == "heredoc_body":
                    body_text = self.heredoc_body(child, quoted, depth)
                elif child.type == "file_redirect":  # `cat <<EOF >out <in`: the command's
                    after = self.redirect(child, stdin, redirects, extra_args, rest, depth)
                    override = after if after is not stdin else override
                elif child.type in WORD_NODES:  # `git <<EOF push --force`: its arguments
                    extra_args.extend(self.x.words(self._walker, child, depth + 1))
                elif child.type not in ("heredoc_end", "heredoc_content"):
                    rest.append(child)
            if misread:
                ends = [c.start_byte for c in node.named_children if c.type == "heredoc_end"]
                raw = self.src[line_end + 1:ends[0] if ends else node.end_byte]
                body_text = raw.decode("utf-8", "surrogateescape")
                if not quoted and any(c in body_text for c in "$`\\"):
                    redirects.append(Redirect("<<", None, fd, body_text))
                    return Stdin(opaque="a here-document shellgate could not read")
            redirects.append(Redirect("<<", None, fd, body_text))
            return override if override is not None else Stdin(text=body_text)
        if node.type == "herestring_redirect":
            value = W.unescape_unquoted("")
            parts = [c for c in node.named_children]
            words = [w for part in parts for w in self.x.words(self._walker, part, depth + 1)]
            words = self._glue_tails(words, node.end_byte, glued, depth)
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
            resolved = self.x.words(self._walker, dest, depth + 1)
            if index == 0:
                target = resolved[0] if resolved else None
            else:
                extra_args.extend(resolved)
        redirects.append(Redirect(op, target, fd))
        if op == "<" and fd in (None, 0) and target is not None:
            if target.value is None:
                return Stdin(opaque=f"a file named at run time ({target.show()})")
            if norm_path(target.value) in STDIN_PATHS:
                return stdin  # `< /dev/stdin`: what the command reads stays what it was
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
            resolved = self.x.words(self._walker, child, depth + 1)
            pieces.append(" ".join(w.show() for w in resolved))
            pos = child.end_byte
        pieces.append(self.src[pos : node.end_byte].decode("utf-8", "surrogateescape"))
        return W.unescape_double("".join(pieces))

    def _touching_tails(self, node: Node) -> dict[int, list[Node]]:
        """Word nodes that touch a here-string or an assignment with nothing but escapes
        between: bash reads them as part of its word, tree-sitter-bash splits them off
        (``<<< rm\\<TAB>-rf``, ``A=''\\x git …``)."""
        found: dict[int, list[Node]] = {}
        children = node.named_children
        for index, child in enumerate(children):
            if child.type not in ("herestring_redirect", "variable_assignment"):
                continue
            end = child.end_byte
            for nxt in children[index + 1:]:
                gap = self.src[end:nxt.start_byte].decode("utf-8", "surrogateescape")
                starts_blank = self.src[nxt.start_byte:nxt.start_byte + 1].isspace()
                if nxt.type not in WORD_NODES | {"command_name"} or starts_blank \
                        or None in W.gap_pieces(gap):
                    break
                found.setdefault(child.start_byte, []).append(nxt)
                end = nxt.end_byte
        return found

    def _glue_tails(self, words: list[Word], end: int, tails: Sequence[Node],
                    depth: int) -> list[Word]:
        for piece in tails:
            gap = self.src[end:piece.start_byte].decode("utf-8", "surrogateescape")
            W.add_gap_words(words, gap, False)
            if piece.type == "command_name" and piece.named_children:
                piece = piece.named_children[0]
            more = self.x.words(self._walker, piece, depth + 1)
            words[-1:] = [W.glue(words[-1], "", more)] if words and more else more
            end = piece.end_byte
        return words
