"""Wrappers that run another command: what runs inside ``sudo``, ``bash -c``, ``xargs``….

``unwrap(command)`` returns the inner commands (as argv) or inner scripts (as text to
parse) a command would run. Tables for option parsing live in ``wrappers.py``.
"""

from __future__ import annotations

from shellgate.parse.context import ParseContext, has_glob
from shellgate.parse.wrappers.options import PREFIX, RUNNERS, WrapSpec, after_options
from shellgate.parse.wrappers.shell_init import init_idiom
from shellgate.values import Command, Stdin, Word, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "posh", "fish",
                    "rbash", "busybox-sh", "ksh93", "oksh", "loksh", "lksh", "pdksh", "osh",
                    "bosh", "jsh", "hush"})
INTERPRETERS = frozenset({"python", "python2", "python3", "pypy", "pypy3", "node", "nodejs",
                          "perl", "ruby", "php", "deno", "bun", "lua", "luajit", "Rscript", "R",
                          "julia", "osascript", "tclsh", "wish", "expect"})


@record
class Inner:
    """One thing a wrapper runs: an argv, or a script to parse."""

    label: str
    argv: tuple[Word, ...] = ()
    script: str | None = None
    positional: tuple[Word, ...] | None = None
    stdin: Stdin | None = None


def base_name(word: Word) -> str | None:
    """The tool name bash would look up: ``/usr/bin/git`` → ``git``."""
    if word.value is None or has_glob(word.source or word.value):
        return None  # `/bin/[r]m`, `/usr/bin/g?t`: the name is whatever the glob matches
    return word.value.rsplit("/", 1)[-1] if "/" in word.value else word.value


def unwrap(command: Command, ctx: ParseContext) -> list[Inner]:
    """The commands and scripts ``command`` would run inside itself."""
    if not command.argv:
        return []
    name = base_name(command.argv[0])
    if name is None:
        return []
    name = ctx.reads_like.get(name, name)
    args = command.argv[1:]
    handler = special_handler(name)
    if handler is not None:
        found = handler(name, args, command, ctx)
        if found or (name not in PREFIX and name not in RUNNERS):
            return found
    if name in PREFIX:
        return _prefix(name, PREFIX[name], args)
    if name in RUNNERS:
        found = _runner(name, args)
        if found or name not in INTERPRETERS:  # bun: `bun x …` runs a package, `bun -e` code
            return found
    if name in SHELLS:
        return _shell(name, args, command, ctx)
    if name in INTERPRETERS or _versioned_python(name):
        from shellgate.parse.wrappers.interpreters import interpreter

        return interpreter(name, args, command, ctx)
    path = command.argv[0].value or ""
    if "/" in path:
        from shellgate.parse.wrappers.programs import program_file

        return program_file(path, command, ctx)
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
        index = after_options(rest, spec)
        options = rest[: index if index is not None else len(rest)]
        for flag in spec.script_flags:  # only the runner's own options: not `ionice -c 3`
            for i, word in enumerate(options):
                if word.value == flag and i + 1 < len(rest):
                    return [Inner(f"{name} {' '.join(path)}".strip(), script=rest[i + 1].show())]
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
        content = ctx.script(path, command.stdin, command.via)
        if content is None:
            ctx.problem("unread-script", f"{name} runs {path}, which shellgate cannot read",
                        command.via)
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
    content = ctx.script(path, command.stdin, command.via)
    if content is None:
        ctx.problem("unread-script", f"{name} {path}: shellgate cannot read it", command.via)
    return [Inner(f"{name} {path}", script=content, positional=tuple(args[1:]))] if content else []


def _eval(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    if len(args) == 1 and args[0].dynamic and init_idiom(args[0]):
        return []
    if any(a.dynamic for a in args):
        dynamic = next(a for a in args if a.dynamic)
        return [Inner("eval", argv=(dynamic,))]
    return [Inner("eval", script=" ".join(a.value or "" for a in args))] if args else []


_CODE_VARIABLES = frozenset({"PROMPT_COMMAND", "PS0", "PS1", "PS2", "PS4", "BASH_ENV", "ENV"})


def is_code_variable(name: str) -> bool:
    """Variables whose value a later bash runs or expands (``PS4='$(…)' bash -x``)."""
    return name in _CODE_VARIABLES or name.startswith("BASH_FUNC_")


def code_in_variable(name: str, value: str) -> str | None:
    """The shell code that setting ``name=value`` hands to a later bash; None when
    shellgate cannot tell (a prompt with backslash escapes, decoded before expansion)."""
    if name == "PROMPT_COMMAND":
        return value
    if name in ("BASH_ENV", "ENV"):
        return ". '" + value.replace("'", "'\\''") + "'"
    if name.startswith("BASH_FUNC_"):  # an exported function: `BASH_FUNC_ls%%=() { …; }`
        return "f" + value
    if "\\" in value:
        return None
    return 'echo "' + value + '"'  # prompts: expansions and substitutions run


def _env(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    code: list[Inner] = []
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            break
        if value in ("-S", "--split-string") and i + 1 < len(args):
            tail = " ".join(w.show() for w in args[i + 1:])
            return [Inner("env -S", script=tail)]
        if value.startswith("--split-string="):
            tail = " ".join(w.show() for w in args[i + 1:])
            return [Inner("env -S", script=f"{value.partition('=')[2]} {tail}")]
        if value.startswith("-S") and len(value) > 2:
            tail = " ".join(w.show() for w in args[i + 1:])
            return [Inner("env -S", script=f"{value[2:]} {tail}")]
        if value in ("-u", "--unset", "-C", "--chdir"):
            i += 2
            continue
        if value == "--":
            i += 1
            break
        if "=" in value and not value.startswith(("-", "=")):  # env takes any NAME=VALUE
            key, _, setting = value.partition("=")
            if is_code_variable(key):
                script = code_in_variable(key, setting)
                if script is None:
                    ctx.problem("dynamic-code", f"{key} is set to code shellgate cannot read")
                else:
                    code.append(Inner(f"env {key}", script=script))
            i += 1
            continue
        if value.startswith("-"):
            i += 1
            continue
        break
    inner = tuple(args[i:])
    return code + ([Inner("env", argv=inner)] if inner else [])


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


def _trap(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """``trap 'SCRIPT' SIGNAL…`` runs SCRIPT later (not ``trap -p``, ``-l``, ``- SIG``)."""
    rest = list(args)
    if rest and rest[0].value == "--":
        rest = rest[1:]
    if len(rest) < 2 or rest[0].value in ("-", "-p", "-l", ""):
        return []
    if rest[0].value is None:
        return [Inner("trap", argv=(rest[0],))]
    return [Inner("trap", script=rest[0].value)]


_SPECIAL: dict[str, Callable[[str, Sequence[Word], Command, ParseContext], list[Inner]]] = {
    "source": _source,
    ".": _source,
    "eval": _eval,
    "env": _env,
    "find": _find,
    "trap": _trap,
}


REGISTERED_IN: dict[str, tuple[str, ...]] = {
    "git": ("git",),
    "languages": ("awk", "gawk", "mawk", "nawk", "busybox-awk", "sed", "gsed", "vim", "nvim",
                  "vi", "ex", "view", "gvim", "vimdiff", "emacs"),
    "platforms": ("railway", "heroku", "fly", "flyctl", "gcloud", "aws", "az", "doctl",
                  "vagrant", "multipass", "lxc", "incus", "limactl", "eb"),
    "projects": ("make", "gmake", "npm", "yarn", "pnpm", "bun", "crontab", "at", "batch", "cp",
                 "ln", "install"),
    "remote": ("docker", "podman", "nerdctl", "kubectl", "oc", "docker-compose",
               "podman-compose", "ssh", "watch", "parallel", "su", "runuser", "flock",
               "nix-shell", "nix", "tmux", "screen", "ansible", "shellgate", "shellgate-sh"),
    "xargs": ("xargs",),
}
"""The module of ``shellgate.parse.wrappers`` that registers each special wrapper: it is
imported the first time a command it reads is met, so a line without ``awk``, ``make`` or
``ssh`` never loads those readers (each costs a hook call its import).
``tests/unit/parse/test_wrapper_modules.py`` holds this table to what the modules register."""
_LAZY = {name: module for module, names in REGISTERED_IN.items() for name in names}

PARTIAL: set[str] = {"awk", "gawk", "mawk", "nawk", "busybox-awk", "sed", "gsed", "vim", "nvim",
                     "vi", "ex", "view", "gvim", "vimdiff", "emacs", "crontab", "cp", "ln",
                     "install", "railway", "heroku", "fly", "flyctl", "gcloud", "aws", "az",
                     "doctl", "vagrant", "multipass", "lxc", "incus", "limactl", "eb"}
"""Tools whose handler finds a command only in some uses (``make``, ``awk``, ``gcloud …
ssh --command``): their other uses are tools like any other (the generic verb rule).
Listed here, not only by ``register``, since their modules load when first needed."""


def special_handler(name: str) -> Callable[[str, Sequence[Word], Command, ParseContext],
                                           list[Inner]] | None:
    """The registered handler for ``name``, importing the module that registers it."""
    handler = _SPECIAL.get(name)
    module = _LAZY.get(name) if handler is None else None
    if module is not None:
        __import__("shellgate.parse.wrappers." + module)
        handler = _SPECIAL.get(name)
        if handler is None:  # the table is wrong: refuse (the engine's internal error)
            raise LookupError(f"parse.wrappers.{module} registers no handler for {name!r}")
    return handler


def special_names() -> frozenset[str]:
    """Every command with a special handler, loaded or not."""
    return frozenset(_SPECIAL) | frozenset(_LAZY)


def register(name: str, handler: Callable[[str, Sequence[Word], Command, ParseContext],
                                            list[Inner]], partial: bool = False) -> None:
    """Add a special-case wrapper handler (used by ``remote.py`` for ssh/docker/kubectl);
    ``partial``: the tool runs another command only in some of its uses."""
    _SPECIAL[name] = handler
    if partial:
        PARTIAL.add(name)
