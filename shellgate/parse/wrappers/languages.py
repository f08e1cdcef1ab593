"""Tools with command languages of their own that start programs: awk (``system()``,
``print | "cmd"``, ``"cmd" | getline``), sed (the ``e`` command, ``s///e``, ``w FILE``) and
make (the recipes of the targets it will build, from ``-f FILE``, ``-f -`` or the
Makefile in the directory). What they run is read as bash; what they build at run time
from their input is reported as unseen code.
"""

from __future__ import annotations

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.options import unescape_backslashes
from shellgate.parse.wrappers.unwrap import Inner, register
from shellgate.values import Command, Word, lazy_pattern, lit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_AWK_VALUED = frozenset({"-F", "-v", "--assign", "--field-separator", "-i", "--include",
                         "-l", "--load"})
_AWK_SYSTEM = lazy_pattern(r"\bsystem\s*\(\s*(?:S(\d+)\s*\))?")
_AWK_PIPE = lazy_pattern(r"(?<![|])\|&?(?![|])\s*(getline\b)?(?:S(\d+))?")
_REGEX_AFTER = frozenset("(,~!&|{};:?=\n")


def _awk_tokens(program: str) -> tuple[str, list[str]]:
    """The program with each string literal replaced by ``S<n>`` and each regex literal by
    ``R`` (a ``|`` inside ``/a|b/`` is not a pipe), and the strings' values."""
    out: list[str] = []
    strings: list[str] = []
    i, n = 0, len(program)
    last = "\n"
    while i < n:
        c = program[i]
        if c == '"':
            j, value = i + 1, []
            while j < n and program[j] != '"':
                if program[j] == "\\" and j + 1 < n:
                    j += 1
                    value.append({"n": "\n", "t": "\t"}.get(program[j], program[j]))
                else:
                    value.append(program[j])
                j += 1
            out.append(f" S{len(strings)} ")
            strings.append("".join(value))
            i, last = j + 1, "S"
            continue
        if c == "/" and last in _REGEX_AFTER:
            j = i + 1
            while j < n and program[j] not in "/\n":
                j += 2 if program[j] == "\\" else 1
            out.append(" R ")
            i, last = j + 1, "R"
            continue
        if c == "#":
            j = program.find("\n", i)
            i = n if j < 0 else j
            continue
        out.append(c)
        if not c.isspace():
            last = c
        i += 1
    return "".join(out), strings


def awk_commands(program: str, label: str, ctx: ParseContext,
                 via: tuple[str, ...] = ()) -> list[Inner]:
    """The shell commands an awk program starts: constant ones as scripts; one built from
    the input (``system("rm " $1)``, ``print | cmd``, ``cmd | getline``) is a problem."""
    text, strings = _awk_tokens(program)
    found: list[Inner] = []
    for match in _AWK_SYSTEM().finditer(text):
        if match.group(1) is None:
            ctx.problem("dynamic-code", "awk's system() runs a command built at run time", via)
        else:
            found.append(Inner(f"{label} system", script=strings[int(match.group(1))]))
    for match in _AWK_PIPE().finditer(text):
        if match.group(1):  # `"cmd" | getline`: the command is the string before the pipe
            import re  # only awk programs that pipe into getline get here

            before = re.search(r"S(\d+)\s*$", text[:match.start()])
            if before is None:
                ctx.problem("dynamic-code", "awk reads from a command built at run time", via)
            else:
                found.append(Inner(f"{label} getline", script=strings[int(before.group(1))]))
        elif match.group(2) is not None:
            found.append(Inner(f"{label} pipe", script=strings[int(match.group(2))]))
        else:
            ctx.problem("dynamic-code", "awk pipes into a command built at run time", via)
    return found


def _awk(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    programs: list[str] = []
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            ctx.problem("dynamic-code", f"an {name} argument is only known at run time",
                        command.via)
            return []
        if value == "--":
            i += 1
            break
        if value in ("-f", "--file", "-E", "--exec") and i + 1 < len(args):
            path = args[i + 1].value
            text = ctx.script(path, command.stdin, command.via) if path is not None else None
            if text is None:
                ctx.problem("unread-script", f"{name} runs the program in {args[i + 1].show()},"
                            " which shellgate cannot read", command.via)
            else:
                programs.append(text)
            i += 2
            continue
        if value in _AWK_VALUED:
            i += 2
            continue
        if value.startswith("-") and len(value) > 1:
            if value.startswith("-f") and len(value) > 2:
                text = ctx.script(value[2:], command.stdin, command.via)
                programs.append(text or "")
            i += 1
            continue
        break
    if not programs and i < len(args):
        programs.append(args[i].value or "")
    found: list[Inner] = []
    for program in programs:
        found.extend(awk_commands(program, name, ctx, command.via))
    return found


# --- sed ---------------------------------------------------------------------------------


def sed_commands(script: str, ctx: ParseContext, via: tuple[str, ...] = ()) -> list[Inner]:
    """What a sed script runs (``e COMMAND``; ``e`` alone and ``s///e`` run text built from
    the input: a problem) and the files it writes (``w FILE``, ``s///w FILE`` as ``tee``)."""
    found: list[Inner] = []
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c in " \t\n;{}!":
            i += 1
            continue
        i = _skip_address(script, i)
        while i < n and script[i] in " \t!":
            i += 1
        if i >= n:
            break
        c = script[i]
        i += 1
        if c == "s" or c == "y":
            i, flags, target = _substitution(script, i, c == "s")
            if "e" in flags:
                ctx.problem("dynamic-code", "sed's s///e runs the edited text as a command", via)
            if target:
                found.append(Inner("sed w", argv=(lit("tee"), lit(target))))
        elif c in "aic":
            i = _end_of_text(script, i)
        elif c in "ewWrR:btTqQlL":
            end = script.find("\n", i)
            end = n if end < 0 else end
            rest = script[i:end]
            if c in "btTqQlL:":  # labels and numbers end at `;` (GNU)
                semi = rest.find(";") if c != ":" else -1
                end = i + semi if semi >= 0 else end
                rest = script[i:end]
            i = end
            if c == "e":
                if rest.strip():
                    found.append(Inner("sed e", script=rest.strip()))
                else:
                    ctx.problem("dynamic-code", "sed's e runs the pattern space as a command",
                                via)
            elif c in "wW" and rest.strip():
                found.append(Inner("sed w", argv=(lit("tee"), lit(rest.strip()))))
        elif c == "#":
            end = script.find("\n", i)
            i = n if end < 0 else end
        elif not (c.isalpha() or c == "="):
            if "e" in script[i:] or "w" in script[i:]:
                ctx.problem("dynamic-code", "a sed script shellgate could not read", via)
            break
    return found


def _skip_address(script: str, i: int) -> int:
    n = len(script)
    for _ in range(2):
        if (i < n and script[i] == "/") or script.startswith("\\", i):
            delim = script[i] if script[i] == "/" else (script[i + 1] if i + 1 < n else "/")
            i += 1 if script[i] == "/" else 2
            while i < n and script[i] != delim:
                i += 2 if script[i] == "\\" else 1
            i += 1
            while i < n and script[i] in "IM":
                i += 1
        else:
            while i < n and (script[i].isdigit() or script[i] in "$~+"):
                i += 1
        if i < n and script[i] == ",":
            i += 1
            continue
        break
    return i


def _substitution(script: str, i: int, is_s: bool) -> tuple[int, str, str]:
    """Skip ``s/re/repl/flags``; the flags, and the file of a ``w`` flag."""
    n = len(script)
    if i >= n:
        return i, "", ""
    delim = script[i]
    i += 1
    for _ in range(2):
        while i < n and script[i] != delim:
            i += 2 if script[i] == "\\" else 1
        i += 1
    start = i
    while i < n and script[i] not in ";\n}" and script[i] != "w":
        i += 1
    flags = script[start:i] if is_s else ""
    target = ""
    if is_s and i < n and script[i] == "w":
        end = script.find("\n", i)
        end = n if end < 0 else end
        target = script[i + 1:end].strip()
        i = end
    return i, flags, target


def _end_of_text(script: str, i: int) -> int:
    n = len(script)
    while i < n:
        if script[i] == "\\" and i + 1 < n:
            i += 2
            continue
        if script[i] == "\n":
            return i
        i += 1
    return n


_SED_VALUED = frozenset({"-l", "--line-length", "-s"})


def _sed(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    scripts: list[str] = []
    first: str | None = None
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            if first is None and not scripts:
                ctx.problem("dynamic-code", "a sed script is only known at run time",
                            command.via)
            i += 1
            continue
        if value in ("-e", "--expression") and i + 1 < len(args):
            if args[i + 1].value is None:
                ctx.problem("dynamic-code", "a sed script is only known at run time",
                            command.via)
            scripts.append(args[i + 1].value or "")
            i += 2
            continue
        if value.startswith("--expression="):
            scripts.append(value.partition("=")[2])
        elif value in ("-f", "--file") and i + 1 < len(args):
            path = args[i + 1].value
            text = ctx.script(path, command.stdin, command.via) if path is not None else None
            if text is None:
                ctx.problem("unread-script", f"sed runs the script in {args[i + 1].show()}, "
                            "which shellgate cannot read", command.via)
            scripts.append(text or "")
            i += 2
            continue
        elif value.startswith("-") and len(value) > 1 and not value.startswith("--"):
            taken = _sed_bundle(value[1:], args[i + 1] if i + 1 < len(args) else None,
                                scripts, command, ctx)
            i += 1 + taken
            continue
        elif not value.startswith("-") and first is None:
            first = value
        i += 1
    if not scripts and first is not None:
        scripts.append(first)
    found: list[Inner] = []
    for script in scripts:
        found.extend(sed_commands(script, ctx, command.via))
    return found


def _sed_bundle(bundle: str, nxt: Word | None, scripts: list[str], command: Command,
                ctx: ParseContext) -> int:
    """One bundle of short options (``-ne``, ``-i.bak``, ``-Ee``); how many following
    words it takes. ``-i`` takes the rest as a suffix (``-ie`` is a suffix ``e``)."""
    for j, flag in enumerate(bundle):
        if flag == "i":
            return 0
        if flag in "efl":
            rest = bundle[j + 1:]
            value = rest if rest else (nxt.value if nxt is not None else None)
            if flag == "e":
                scripts.append(value or "")
            elif flag == "f":
                text = ctx.script(value, command.stdin, command.via) if value else None
                if text is None:
                    ctx.problem("unread-script", "sed runs a script file shellgate cannot "
                                "read", command.via)
                scripts.append(text or "")
            return 0 if rest else 1
    return 0


register("awk", _awk, partial=True)
register("gawk", _awk, partial=True)
register("mawk", _awk, partial=True)
register("nawk", _awk, partial=True)
register("busybox-awk", _awk, partial=True)
register("sed", _sed, partial=True)
register("gsed", _sed, partial=True)


# --- editors ------------------------------------------------------------------------------

_VIM_CODE = ("-c", "--cmd")
_VIM_SYSTEM = lazy_pattern(r"""\bsystem\s*\(\s*(["'])(.*?)\1\s*\)""")
_EMACS_SHELL = lazy_pattern(r"""\((?:shell-command|call-process-shell-command|"""
                          r"""shell-command-to-string|async-shell-command)\s+"((?:[^"\\]|\\.)*)\"""")


def _vim(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """Ex commands given on the command line: ``-c '!CMD'``, ``+'!CMD'``, ``call
    system("CMD")``; any other Ex command or script file (``-S``, ``-s``) is code shellgate
    does not read (strict mode gates it)."""
    found: list[Inner] = []
    for i, word in enumerate(args):
        value = word.value
        code: str | None = None
        if value in _VIM_CODE and i + 1 < len(args):
            code = args[i + 1].value
        elif value is not None and value.startswith("+") and len(value) > 1:
            code = value[1:]
        elif value in ("-S", "-s", "-u") and i + 1 < len(args) and args[i + 1].value not in (
                "NONE", "NORC"):
            ctx.problem("unnamed-call", f"{name} runs Ex commands from a file", command.via)
            continue
        else:
            continue
        if code is None:
            ctx.problem("dynamic-code", f"{name} runs an Ex command only known at run time",
                        command.via)
            continue
        text = code.lstrip(": ")
        if text.isdigit() or text.startswith("/") or not text:
            continue  # `+10`, `+/pattern`: where the cursor starts
        if text.startswith("!") or text.startswith(("r !", "r!", "w !", "w!")):
            found.append(Inner(f"{name} !", script=text.split("!", 1)[1]))
        found.extend(Inner(f"{name} system()", script=m.group(2))
                     for m in _VIM_SYSTEM().finditer(text))
        if not text.startswith("!") and not _VIM_SYSTEM().search(text) and \
                text.split(" ", 1)[0] not in ("q", "q!", "qa", "qa!", "wq", "x", "set", "e", "w"):
            ctx.problem("unnamed-call", f"{name} runs the Ex command {text[:40]!r}",
                        command.via)
    return found


def _emacs(name: str, args: Sequence[Word], command: Command,
           ctx: ParseContext) -> list[Inner]:
    """``--eval '(shell-command "CMD")'`` runs CMD; other Lisp (``--eval``, ``-l FILE``,
    ``-f FUNC``) is code shellgate does not read (strict mode gates it)."""
    found: list[Inner] = []
    for i, word in enumerate(args):
        value = word.value or ""
        code = None
        if value in ("--eval", "-eval") and i + 1 < len(args):
            code = args[i + 1].value
        elif value.startswith("--eval="):
            code = value.partition("=")[2]
        elif value in ("-l", "--load", "-f", "--funcall", "--script", "-x"):
            ctx.problem("unnamed-call", f"{name} runs Lisp shellgate does not read",
                        command.via)
            continue
        else:
            continue
        if code is None:
            ctx.problem("dynamic-code", f"{name} evaluates Lisp only known at run time",
                        command.via)
            continue
        shells = [unescape_backslashes(m.group(1)) for m in _EMACS_SHELL().finditer(code)]
        found.extend(Inner(f"{name} shell-command", script=s) for s in shells)
        if not shells:
            ctx.problem("unnamed-call", f"{name} evaluates {code[:40]!r}", command.via)
    return found


for _name in ("vim", "nvim", "vi", "ex", "view", "gvim", "vimdiff"):
    register(_name, _vim, partial=True)
register("emacs", _emacs, partial=True)
