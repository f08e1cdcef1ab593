"""Wrappers that run another command: what runs inside ``sudo``, ``bash -c``, ``xargs``….

``unwrap(command)`` returns the inner commands (as argv) or inner scripts (as text to
parse) a command would run. Tables for option parsing live in ``wrappers.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shellgate.model import Command, Stdin, Word, lit
from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers import PREFIX, RUNNERS, WrapSpec, after_options, is_assignment

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "posh", "fish",
                    "rbash", "busybox-sh"})
INTERPRETERS = frozenset({"python", "python2", "python3", "pypy", "pypy3", "node", "nodejs",
                          "perl", "ruby", "php", "deno", "bun", "lua", "Rscript", "osascript"})
_MAX_FANOUT = 16


@dataclass(frozen=True)
class Inner:
    """One thing a wrapper runs: an argv, or a script to parse."""

    label: str
    argv: tuple[Word, ...] = ()
    script: str | None = None
    positional: tuple[Word, ...] | None = None
    stdin: Stdin | None = None


def base_name(word: Word) -> str | None:
    """The tool name bash would look up: ``/usr/bin/git`` → ``git``."""
    if word.value is None:
        return None
    return word.value.rsplit("/", 1)[-1] if "/" in word.value else word.value


def unwrap(command: Command, ctx: ParseContext) -> list[Inner]:
    """The commands and scripts ``command`` would run inside itself."""
    if not command.argv:
        return []
    name = base_name(command.argv[0])
    if name is None:
        return []
    args = command.argv[1:]
    handler = _SPECIAL.get(name)
    if handler is not None:
        found = handler(name, args, command, ctx)
        if found or name not in PREFIX:
            return found
    if name in PREFIX:
        return _prefix(name, PREFIX[name], args)
    if name in RUNNERS:
        return _runner(name, args)
    if name in SHELLS:
        return _shell(name, args, command, ctx)
    if name in INTERPRETERS or _versioned_python(name):
        from shellgate.parse.interp import interpreter

        return interpreter(name, args, command, ctx)
    path = command.argv[0].value or ""
    if "/" in path:
        content = ctx.written.get(path) or ctx.written.get(path.removeprefix("./"))
        if content is not None:
            return [Inner(f"script {path}", script=content, positional=tuple(args))]
    return []


def _versioned_python(name: str) -> bool:
    return name.startswith("python3.") or name.startswith("python2.")


def _prefix(name: str, spec: WrapSpec, args: Sequence[Word]) -> list[Inner]:
    index = after_options(args, spec)
    if index is None:
        return []
    inner = tuple(args[index:])
    if spec.shell_flags and any(a.value in spec.shell_flags for a in args[:index]):
        return [Inner(name, script=" ".join(w.show() for w in inner))]
    return [Inner(name, argv=inner)] if inner else []


def _runner(name: str, args: Sequence[Word]) -> list[Inner]:
    for path, spec in RUNNERS[name]:
        if len(args) < len(path) or any(a.value != p for a, p in zip(args, path, strict=False)):
            continue
        rest = args[len(path):]
        for flag in spec.script_flags:
            for i, word in enumerate(rest[:-1]):
                if word.value == flag:
                    return [Inner(f"{name} {' '.join(path)}".strip(), script=rest[i + 1].show())]
        index = after_options(rest, spec)
        if index is None or index >= len(rest):
            return []
        return [Inner(f"{name} {' '.join(path)}".strip(), argv=tuple(rest[index:]))]
    return []


def _shell(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    label = f"{name} -c"
    i = 0
    command_mode = False
    read_stdin = False
    while i < len(args):
        value = args[i].value
        if value is None:
            return [Inner(label, argv=(args[i],))]
        if value == "--" or value == "-":
            i += 1
            break
        if value in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
            continue
        if value.startswith("--"):
            i += 1
            continue
        if value[:1] in "-+" and len(value) > 1:
            command_mode = command_mode or "c" in value[1:]
            read_stdin = read_stdin or "s" in value[1:]
            i += 1
            continue
        break
    rest = tuple(args[i:])
    if command_mode:
        if not rest:
            return []
        script = rest[0]
        if script.value is None:
            return [Inner(label, argv=(script,))]
        return [Inner(label, script=script.value, positional=rest[2:])]
    if rest and not read_stdin:
        path = rest[0].value
        if path is None:
            return [Inner(f"{name} script", argv=(rest[0],))]
        content = ctx.read(path)
        if content is None:
            return []
        return [Inner(f"{name} {path}", script=content, positional=rest[1:], stdin=command.stdin)]
    return _stdin_script(f"{name} < stdin", command.stdin, ctx, positional=rest)


def _stdin_script(
    label: str, stdin: Stdin, ctx: ParseContext, positional: tuple[Word, ...] | None = None
) -> list[Inner]:
    if stdin.text is not None:
        return [Inner(label, script=stdin.text, positional=positional, stdin=Stdin())]
    if stdin.opaque:
        ctx.problem("opaque-shell-input", f"a shell reads commands from {stdin.opaque}")
    return []


def _source(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    if not args:
        return []
    path = args[0].value
    if path is None:
        return [Inner(name, argv=(args[0],))]
    content = ctx.read(path)
    return [Inner(f"{name} {path}", script=content, positional=tuple(args[1:]))] if content else []


def _eval(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    if any(a.dynamic for a in args):
        dynamic = next(a for a in args if a.dynamic)
        return [Inner("eval", argv=(dynamic,))]
    return [Inner("eval", script=" ".join(a.value or "" for a in args))] if args else []


def _env(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            break
        if value in ("-S", "--split-string") and i + 1 < len(args):
            tail = " ".join(w.show() for w in args[i + 1:])
            return [Inner("env -S", script=tail)]
        if value.startswith("-S") and len(value) > 2:
            tail = " ".join(w.show() for w in args[i + 1:])
            return [Inner("env -S", script=f"{value[2:]} {tail}")]
        if value in ("-u", "--unset", "-C", "--chdir"):
            i += 2
            continue
        if value == "--":
            i += 1
            break
        if value.startswith("-") or is_assignment(value):
            i += 1
            continue
        break
    inner = tuple(args[i:])
    return [Inner("env", argv=inner)] if inner else []


def _xargs(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    from shellgate.parse.wrappers import XARGS

    index = after_options(args, XARGS)
    template = tuple(args[index:]) if index is not None and index < len(args) else (lit("echo"),)
    replace = _xargs_replace(args[: index if index is not None else len(args)])
    stdin = command.stdin.text
    if stdin is None:
        unknown = Word(None, "<xargs input>")
        if replace:
            return [Inner("xargs", argv=tuple(unknown if w.value and replace in w.value else w
                                              for w in template))]
        return [Inner("xargs", argv=template + (unknown,))]
    if replace:
        lines = [ln for ln in stdin.split("\n") if ln.strip()][:_MAX_FANOUT]
        return [Inner("xargs", argv=tuple(lit(w.value.replace(replace, ln)) if w.value else w
                                          for w in template)) for ln in lines]
    return [Inner("xargs", argv=template + tuple(lit(t) for t in stdin.split()))]


def _xargs_replace(options: Sequence[Word]) -> str | None:
    for i, word in enumerate(options):
        value = word.value or ""
        if value in ("-I", "--replace") and i + 1 < len(options):
            return options[i + 1].value or "{}"
        if value.startswith("-I") and len(value) > 2:
            return value[2:]
        if value.startswith("--replace") or value == "-i" or value.startswith("-i"):
            return value.partition("=")[2] or value[2:] or "{}"
    return None


def _find(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    found: list[Inner] = []
    start = next((a.value for a in args if a.value and not a.value.startswith("-")), ".")
    pattern = None
    for i, word in enumerate(args[:-1]):
        if word.value in ("-name", "-iname", "-path", "-wholename"):
            pattern = args[i + 1].value
    target = Word(f"{start.rstrip('/')}/{pattern}", "{}") if pattern else Word(None, "{}")
    i = 0
    while i < len(args):
        if args[i].value in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            inner: list[Word] = []
            while j < len(args) and args[j].value not in (";", "+"):
                word = args[j]
                inner.append(target if word.value and "{}" in word.value else word)
                j += 1
            if inner:
                found.append(Inner(f"find {args[i].value}", argv=tuple(inner)))
            i = j
        i += 1
    return found


_GIT_GLOBAL = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                         "--config-env"})


def _git(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """Aliases defined with ``git -c alias.x=…`` or ``git config alias.x …`` in the same line."""
    i = 0
    while i < len(args) and (args[i].value or "").startswith("-"):
        value = args[i].value or ""
        if value == "-c" and i + 1 < len(args):
            _git_alias(args[i + 1].value, ctx)
        i += 2 if value in _GIT_GLOBAL else 1
    if i >= len(args) or args[i].value is None:
        return []
    sub, rest = args[i].value, tuple(args[i + 1:])
    if sub == "config":
        values = [w.value for w in rest if w.value is not None and not w.value.startswith("-")]
        if len(values) >= 2 and values[0].startswith("alias."):
            _git_alias(f"{values[0]}={values[1]}", ctx)
            if values[1].startswith("!"):
                return [Inner(f"git alias {values[0][6:]}", script=values[1][1:])]
        return []
    alias = ctx.git_aliases.get(sub or "")
    if alias is None:
        return []
    if alias.startswith("!"):
        tail = " ".join(w.show() for w in rest)
        return [Inner(f"git alias {sub}", script=f"{alias[1:]} {tail}")]
    return [Inner(f"git alias {sub}", argv=(command.argv[0], *(lit(p) for p in alias.split()),
                                             *rest))]


def _git_alias(text: str | None, ctx: ParseContext) -> None:
    if text and text.startswith("alias.") and "=" in text:
        key, _, value = text.partition("=")
        ctx.git_aliases[key[6:]] = value


_SPECIAL: dict[str, Callable[[str, Sequence[Word], Command, ParseContext], list[Inner]]] = {
    "source": _source,
    ".": _source,
    "eval": _eval,
    "env": _env,
    "xargs": _xargs,
    "find": _find,
    "git": _git,
}


def register(name: str, handler: Callable[[str, Sequence[Word], Command, ParseContext],
                                            list[Inner]]) -> None:
    """Add a special-case wrapper handler (used by ``remote.py`` for ssh/docker/kubectl)."""
    _SPECIAL[name] = handler
