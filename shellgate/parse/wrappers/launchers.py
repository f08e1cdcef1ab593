"""Programs that start other programs or run shell code from their own arguments: shells
that do not speak bash (PowerShell, csh, nushell…), ``script -c``, ``sg -c``, sandboxes
and namespace tools (``bwrap``, ``machinectl shell``), ``gdb``, and git settings whose
value is a command (``git -c core.pager=…``, ``git config core.sshCommand …``).
"""

from __future__ import annotations

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.options import PREFIX, spec
from shellgate.parse.wrappers.unwrap import Inner, _stdin_script, register
from shellgate.values import Command, Word

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

FOREIGN_SHELLS = frozenset({"pwsh", "pwsh-preview", "powershell", "powershell.exe", "csh",
                            "tcsh", "nu", "nushell", "xonsh", "elvish", "rc", "es", "ion",
                            "murex", "ysh", "oil"})
"""Shells whose language is not bash: their code is read as bash only as far as it goes,
and running any of it needs a human."""
_INFO = frozenset({"--version", "-version", "-v", "-V", "--help", "-help", "-h", "-?", "/?",
                   "-Version", "-Help"})
_PWSH_CODE = ("command", "encodedcommand", "ec", "e", "file", "f", "c")

PREFIX.update({
    "unshare": spec("-R --root -w --wd -S --setuid -G --setgid --map-user --map-group "
                    "--map-users --map-groups --setgroups --propagation"),
    "nsenter": spec("-t --target -S --setuid -G --setgid"),
    "dbus-launch": spec("--config-file --autolaunch"),
    "dbus-run-session": spec("--config-file --dbus-daemon"),
    "ssh-agent": spec("-a -E -O -P -t", no_command="-k"),
    "prlimit": spec("-p --pid -o --output"),
    "cgexec": spec("-g"),
    "numactl": spec("-C -N -m -p -i --physcpubind --cpunodebind --membind --preferred "
                    "--interleave"),
    "sandbox-exec": spec("-f -n -p -D"),
})

_BWRAP_VALUES = {
    **dict.fromkeys(("--bind", "--bind-try", "--dev-bind", "--dev-bind-try", "--ro-bind",
                     "--ro-bind-try", "--symlink", "--setenv", "--bind-data", "--ro-bind-data",
                     "--file", "--chmod"), 2),
    "--overlay": 3,
    **dict.fromkeys(("--args", "--userns", "--userns2", "--pidns", "--uid", "--gid",
                     "--hostname", "--chdir", "--unsetenv", "--lock-file", "--sync-fd",
                     "--remount-ro", "--exec-label", "--file-label", "--proc", "--dev",
                     "--tmpfs", "--mqueue", "--dir", "--seccomp", "--add-seccomp-fd",
                     "--block-fd", "--userns-block-fd", "--info-fd", "--json-status-fd",
                     "--cap-add", "--cap-drop", "--perms", "--size", "--argv0",
                     "--overlay-src", "--tmp-overlay", "--ro-overlay"), 1),
}


def _foreign_shell(name: str, args: Sequence[Word], command: Command,
                   ctx: ParseContext) -> list[Inner]:
    """Any use but ``--version``/``--help`` runs code shellgate cannot fully read."""
    if args and all(a.value in _INFO for a in args):
        return []
    powershell = name.startswith(("pwsh", "powershell"))
    code = _pwsh_code(args, ctx) if powershell else _dash_c(args)
    if not (powershell and code is not None and _pwsh_read_only(code)):
        ctx.problem("opaque-shell-input", f"{name} runs code in a language that is not bash",
                    command.via)
    if code is None:
        return _stdin_script(f"{name} < stdin", command.stdin, ctx) if not args else []
    return [Inner(f"{name} -c", script=code)]


def _dash_c(args: Sequence[Word]) -> str | None:
    for i, word in enumerate(args[:-1]):
        if word.value == "-c":
            return args[i + 1].value
    return None


_PWSH_VALUED = ("executionpolicy", "windowstyle", "configurationname", "workingdirectory",
                "outputformat", "inputformat", "custompipename", "settingsfile", "version")


def _pwsh_code(args: Sequence[Word], ctx: ParseContext) -> str | None:
    """The code of ``-Command``/``-c`` (the rest of the line), ``-EncodedCommand`` (base64
    of UTF-16LE) or ``-File`` (parameter names are case-insensitive prefixes), or of a
    bare argument (the rest of the line)."""
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            return None
        if value[:1] not in "-/" or len(value) < 2:
            return " ".join(w.show() for w in args[i:])
        name = value[1:].lower()
        code = next((p for p in _PWSH_CODE if p == name or p.startswith(name)), None)
        if code is None:
            valued = any(p.startswith(name) for p in _PWSH_VALUED)
            i += 2 if valued else 1
            continue
        rest = args[i + 1:]
        if not rest:
            return None
        if code in ("command", "c"):
            return " ".join(w.show() for w in rest)
        if code in ("encodedcommand", "ec", "e"):
            return _decode_utf16(rest[0].value)
        path = rest[0].value
        return ctx.read(path) if path is not None else None
    return None


_PWSH_READ = frozenset({
    "select-object", "select-string", "where-object", "sort-object", "measure-object",
    "group-object", "format-table", "format-list", "format-wide", "out-string", "out-host",
    "write-output", "write-host", "test-path", "resolve-path", "convertto-json",
    "convertfrom-json", "convertto-csv", "convertfrom-csv", "split-path", "join-path",
    "select", "where", "sort", "measure", "ft", "fl", "gc", "gci", "gi", "gm", "gps", "gsv",
    "dir", "ls", "cat", "echo", "pwd", "type"})
"""PowerShell commands that only read or print (with every ``Get-*`` cmdlet)."""
_PWSH_WEB = frozenset({"invoke-restmethod", "invoke-webrequest", "irm", "iwr"})
_PWSH_WRITES = ("body", "infile", "outfile", "form", "custommethod", "webtoken")


def _pwsh_read_only(code: str) -> bool:
    """Read as bash, ``code`` holds only commands that read or print (``Get-*``, ``Select-
    Object``…, web requests that only GET), and nothing bash could not read: then the
    PowerShell needs no human. Anything else does."""
    from shellgate.parse import parse

    script = parse(code)
    if script.problems or not script.commands:
        return False
    for command in script.commands:
        words = [w.value for w in command.argv]
        if not words or None in words or command.redirects:
            return False
        name = (words[0] or "").lower()
        if name in _PWSH_WEB:
            if not _pwsh_get_only([w or "" for w in words[1:]]):
                return False
        elif not (name.startswith("get-") or name in _PWSH_READ):
            return False
    return True


def _pwsh_get_only(words: list[str]) -> bool:
    for i, word in enumerate(words):
        if not word.startswith("-") or len(word) < 2:
            continue
        name = word[1:].split(":", 1)[0].lower()
        if any(p.startswith(name) for p in _PWSH_WRITES):
            return False
        if "method".startswith(name):
            value = word.split(":", 1)[1] if ":" in word else (
                words[i + 1] if i + 1 < len(words) else "")
            if value.lower() not in ("get", "head"):
                return False
    return True


def _decode_utf16(text: str | None) -> str | None:
    if text is None:
        return None
    import base64
    import binascii

    try:
        return base64.b64decode(text, validate=True).decode("utf-16-le")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _script(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """util-linux ``script [-c CMD] [FILE]``: the command through a shell, else an
    interactive shell reading stdin."""
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            return [Inner("script -c", argv=(args[i],))]
        if value in ("-c", "--command") or (value.startswith("-") and not value.startswith("--")
                                            and value.endswith("c") and len(value) > 2):
            return _shell_string("script -c", args[i + 1:i + 2])
        if value.startswith("--command="):
            return [Inner("script -c", script=value.partition("=")[2])]
        if value in ("-E", "--echo", "-o", "--output-limit", "-O", "--log-out", "-I",
                     "--log-in", "-B", "--log-io", "-T", "--log-timing", "-m",
                     "--logging-format"):
            i += 2
            continue
        i += 1
    return _stdin_script("script < stdin", command.stdin, ctx)


def _shell_string(label: str, words: Sequence[Word]) -> list[Inner]:
    if not words:
        return []
    if words[0].value is None:
        return [Inner(label, argv=(words[0],))]
    return [Inner(label, script=words[0].value)]


def _sg(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """``sg [-] GROUP [-c] COMMAND``: the command through ``/bin/sh -c``."""
    rest = list(args[1:] if args and args[0].value == "-" else args)
    if not rest:
        return []
    rest = rest[1:]
    if rest and rest[0].value == "-c":
        rest = rest[1:]
    if not rest:
        return _stdin_script("sg < stdin", command.stdin, ctx)
    return [Inner("sg -c", script=" ".join(w.show() for w in rest))]


def _bwrap(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None or not value.startswith("--"):
            return [Inner(name, argv=tuple(args[i:]))]
        i += 1 + _BWRAP_VALUES.get(value, 0)
    return []


def _machinectl(name: str, args: Sequence[Word], command: Command,
                ctx: ParseContext) -> list[Inner]:
    """``machinectl shell [OPTIONS] [USER@]NAME [PROGRAM [ARGS]]``."""
    words = [a.value for a in args]
    if "shell" not in words:
        return []
    rest = list(args[words.index("shell") + 1:])
    while rest and (rest[0].value or "").startswith("-"):
        rest = rest[2:] if rest[0].value in ("--uid", "-E", "--setenv") else rest[1:]
    return [Inner("machinectl shell", argv=tuple(rest[1:]))] if len(rest) > 1 else []


_GDB_EVAL = frozenset({"-ex", "--ex", "-eval-command", "--eval-command", "-iex", "--iex",
                       "-init-eval-command", "--init-eval-command"})


def _gdb(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """``gdb --args PROGRAM…`` runs the program; ``-ex 'shell …'``/``-ex '!…'`` a shell."""
    found: list[Inner] = []
    for i, word in enumerate(args):
        if word.value == "--args":
            return [*found, Inner("gdb --args", argv=tuple(args[i + 1:]))]
        if word.value in _GDB_EVAL and i + 1 < len(args):
            text = (args[i + 1].value or "").lstrip()
            if text.startswith(("shell ", "!", "pipe ", "|")):
                found.append(Inner("gdb shell", script=text.lstrip("!|").removeprefix(
                    "shell ").removeprefix("pipe ")))
            elif args[i + 1].value is None:
                ctx.problem("dynamic-code", "a gdb command is only known at run time")
        if word.value in ("-x", "--command", "-ix", "--init-command"):
            ctx.problem("dynamic-code", "gdb runs a command file (it may hold shell commands)")
    return found


_GIT_COMMAND_KEYS = frozenset({
    "core.pager", "core.editor", "core.sshcommand", "core.fsmonitor", "core.askpass",
    "sequence.editor", "diff.external", "gpg.program", "credential.helper",
    "uploadpack.packobjectshook", "sendemail.sendmailcmd", "web.browser", "merge.tool",
    "diff.tool"})
_GIT_COMMAND_SUFFIXES = (".textconv", ".command", ".driver", ".clean", ".smudge", ".process",
                         ".program", ".cmd", ".helper", ".uploadpack", ".receivepack",
                         ".sshcommand", ".proxy")
_GIT_FILE_KEYS = ("include.path", "core.hookspath")


def git_setting_commands(setting: str, value: str | None, ctx: ParseContext,
                         via: tuple[str, ...] = ()) -> list[Inner]:
    """The shell command a git setting makes git run (``core.pager``, ``*.textconv``,
    ``filter.*.smudge``, ``credential.helper=!…``…); settings that load other files
    (``include.path``, ``core.hooksPath``) are reported as unseen code."""
    key = setting.lower()
    if key in _GIT_FILE_KEYS or (key.startswith("includeif.") and key.endswith(".path")):
        ctx.problem("dynamic-code", f"git setting {setting} loads code from another file", via)
        return []
    if not (key in _GIT_COMMAND_KEYS or key.startswith("pager.")
            or key.endswith(_GIT_COMMAND_SUFFIXES)):
        return []
    if value is None:
        ctx.problem("dynamic-code", f"git setting {setting} runs a command only known at run "
                    "time", via)
        return []
    return [Inner(f"git {setting}", script=value.removeprefix("!"))] if value.strip() else []


for _name in FOREIGN_SHELLS:
    register(_name, _foreign_shell)
register("script", _script)
register("sg", _sg)
register("bwrap", _bwrap)
register("machinectl", _machinectl)
register("gdb", _gdb)
