"""``git``: what it runs besides itself — aliases (``git -c alias.x=…``, ``git config
alias.x …`` in the same line, or from git's config files), settings whose value is a
command, hooks written earlier in the line, and ``submodule foreach``. Registered with
:func:`shellgate.parse.wrappers.unwrap.register` like the other special wrappers."""

from __future__ import annotations

import posixpath

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.unwrap import Inner, register
from shellgate.rules.index import GIT_BUILTINS
from shellgate.values import Command, Word, lit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_GIT_GLOBAL = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                         "--config-env"})


def _git(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """Aliases defined with ``git -c alias.x=…`` or ``git config alias.x …`` in the same
    line, and settings whose value is a command git runs (``launchers.git_setting_commands``)."""
    from shellgate.parse.wrappers.launchers import git_setting_commands

    found: list[Inner] = []
    i = 0
    chdir: str | None = None
    while i < len(args) and (args[i].value or "").startswith("-"):
        value = args[i].value or ""
        if value == "-C" and i + 1 < len(args):
            chdir = args[i + 1].value
        if value == "-c" and i + 1 < len(args):
            _git_alias(args[i + 1].value, ctx)
            setting = args[i + 1].value
            if setting is None:
                ctx.problem("dynamic-code", "a git -c setting is only known at run time")
            else:
                key, _, val = setting.partition("=")
                found += git_setting_commands(key, val, ctx)
        i += 2 if value in _GIT_GLOBAL else 1
    if i >= len(args) or args[i].value is None:
        return found
    sub, rest = args[i].value, tuple(args[i + 1:])
    if ctx.written:  # a hook written earlier in this line runs now
        found += git_hooks(sub or "", ctx, None)
    if sub == "config":
        values = [w.value for w in rest if w.value is None or not w.value.startswith("-")]
        if len(values) >= 2 and values[0] is not None:
            found += git_setting_commands(values[0], values[1], ctx)
        if len(values) >= 2 and values[0] and values[1] and values[0].startswith("alias."):
            _git_alias(f"{values[0]}={values[1]}", ctx)
            if values[1].startswith("!"):
                return [*found, Inner(f"git alias {values[0][6:]}", script=values[1][1:])]
        return found
    if sub == "submodule":
        return found + _git_foreach(rest, ctx)
    alias = ctx.git_aliases.get(sub or "")
    if alias is None and sub not in GIT_BUILTINS:
        from shellgate.parse.wrappers.gitconfig import load_aliases

        load_aliases(ctx, chdir)  # `git sync`: an alias from a config file, or git-sync
        alias = ctx.git_aliases.get(sub or "")
    if alias is None:
        return found
    if alias.startswith("!"):
        tail = " ".join(w.show() for w in rest)
        return [*found, Inner(f"git alias {sub}", script=f"{alias[1:]} {tail}")]
    return [*found, Inner(f"git alias {sub}", argv=(command.argv[0],
                                                     *(lit(p) for p in alias.split()), *rest))]


def _git_foreach(rest: Sequence[Word], ctx: ParseContext) -> list[Inner]:
    """``git submodule [--quiet] foreach [--recursive] CMD…``: git joins the words with
    spaces and runs them with ``sh -c`` in every submodule."""
    words = list(rest)
    while words and (words[0].value or "").startswith("-"):
        words.pop(0)
    if not words or words[0].value != "foreach":
        return []
    words.pop(0)
    while words and words[0].value in ("--recursive", "-q", "--quiet"):
        words.pop(0)
    if any(w.value is None for w in words):
        ctx.problem("dynamic-code", "git submodule foreach runs a command only known at run time")
        return []
    script = " ".join(w.value or "" for w in words)
    return [Inner("git submodule foreach", script=script)] if script.strip() else []


def _git_alias(text: str | None, ctx: ParseContext) -> None:
    if text and text.startswith("alias.") and "=" in text:
        key, _, value = text.partition("=")
        ctx.git_aliases[key[6:]] = value


# --- git hooks written in the same line ---------------------------------------------------

_HOOKS = {
    "commit": ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit"),
    "merge": ("pre-merge-commit", "post-merge"), "pull": ("post-merge", "post-checkout"),
    "checkout": ("post-checkout",), "switch": ("post-checkout",), "clone": ("post-checkout",),
    "push": ("pre-push",), "rebase": ("pre-rebase", "post-rewrite"),
    "am": ("applypatch-msg", "pre-applypatch", "post-applypatch"), "gc": ("pre-auto-gc",),
}


def git_hooks(sub: str, ctx: ParseContext, hooks_dir: str | None) -> list[Inner]:
    """Hooks the git subcommand triggers that were written earlier in the same line (an
    existing hook is the repository's own; writing one is what this catches)."""
    found: list[Inner] = []
    for hook in _HOOKS.get(sub, ()):
        for base in filter(None, (hooks_dir, ".git/hooks")):
            key = posixpath.normpath(posixpath.join(base, hook))
            body = ctx.written.get(key)
            if body is not None:
                found.append(Inner(f"git hook {hook}", script=body))
    return found


register("git", _git)
