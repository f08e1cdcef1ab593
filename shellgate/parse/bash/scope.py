"""The walker's bookkeeping that is not walking: the variables a subshell must not leak
(:class:`Scope`), ``hash -p`` entries, and words quoted back into shell text for aliases."""

from __future__ import annotations

from shellgate.parse.context import ParseContext
from shellgate.values import Word


def hash_entries(args: list[Word]) -> list[tuple[Word, Word]] | None:
    """``hash -p PATH NAME…``: (path, name) pairs; None when ``-p`` is absent."""
    values = [w.value for w in args]
    if "-p" not in values:
        return None
    at = values.index("-p")
    if at + 1 >= len(args):
        return []
    path = args[at + 1]
    return [(path, name) for name in args[at + 2:] if name.value != "--"]


def requote(word: Word) -> str:
    """A word as single-quoted shell text (its source when only known at run time)."""
    if word.value is None:
        return word.source or '"$_shellgate_dynamic"'
    return "'" + word.value.replace("'", "'\\''") + "'"


class Scope:
    """``Walker.scope``'s block (a class rather than ``contextlib.contextmanager``, whose
    import costs every engine call ``functools`` and ``collections``)."""

    __slots__ = ("_arrays", "_ctx", "_env", "_subshell")

    def __init__(self, ctx: ParseContext, subshell: bool) -> None:
        self._ctx, self._subshell = ctx, subshell
        self._env, self._arrays = dict(ctx.env), dict(ctx.arrays)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        if self._subshell:
            self._ctx.env, self._ctx.arrays = self._env, self._arrays
