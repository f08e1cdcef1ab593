"""Commands that a project file or a scheduler holds: make recipes, npm/yarn/pnpm/bun
scripts from ``package.json`` (or set in the same line with ``npm pkg set``), crontab
and ``at -f`` input, and a guarded program copied or
linked under another name (``cp /usr/bin/git g; ./g push -f``).

Files are read through the parse context (the surface's reader: bounded, hashed into the
approval); a file written earlier in the same line is read as written.
"""

from __future__ import annotations

import posixpath

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.unwrap import Inner, _stdin_script, register
from shellgate.values import Command, Word, lazy_pattern

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    import re
    from collections.abc import Sequence

MAX_MAKE_TARGETS = 64
"""Targets (with their prerequisites) whose recipes are read for one make command."""

# --- make --------------------------------------------------------------------------------

_MAKE_VALUED = frozenset({"-f", "--file", "--makefile", "-C", "--directory", "-I",
                          "--include-dir", "-j", "--jobs", "-l", "--load-average", "-o",
                          "--old-file", "-W", "--what-if", "--assume-new", "--new-file",
                          "-O", "--output-sync", "--eval"})
_MAKE_DRY = frozenset({"-n", "--just-print", "--dry-run", "--recon", "-q", "--question",
                       "-p", "--print-data-base", "--help", "-v", "--version"})
_RULE = lazy_pattern(r"^([^\s:=#][^:=#]*?)\s*::?(?!=)\s*(.*)$")
_ASSIGN = lazy_pattern(r"^(?:export\s+|override\s+)?([A-Za-z_][\w.-]*)\s*(?::{1,3}=|\?=|\+=|=|!=)"
                     r"\s*(.*)$")
_REF = lazy_pattern(r"\$[({]([A-Za-z_][\w.-]*)[)}]|\$([A-Za-z@<^*?])")


def _make(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    files: list[str] = []
    directory = ""
    targets: list[str] = []
    i = 0
    while i < len(args):
        value = args[i].value
        nxt = args[i + 1].value if i + 1 < len(args) else None
        if value is None:
            i += 1
            continue
        if value in _MAKE_DRY:
            return []
        if value in _MAKE_VALUED:
            if value in ("-f", "--file", "--makefile") and nxt is not None:
                files.append(nxt)
            elif value in ("-C", "--directory") and nxt is not None:
                directory = posixpath.join(directory, nxt)
            elif value == "--eval" and nxt is not None:
                pass
            i += 2
            continue
        if value.startswith(("--file=", "--makefile=")):
            files.append(value.partition("=")[2])
        elif value.startswith("-f") and len(value) > 2:
            files.append(value[2:])
        elif value.startswith("-") and not value.startswith("--") and "n" in value[1:] \
                and not value.startswith(("-j", "-l")):
            return []  # `-sn`: a dry run
        elif not value.startswith("-") and "=" not in value:
            targets.append(value)
        i += 1
    texts: list[str] = []
    for path in files or ["GNUmakefile", "makefile", "Makefile"]:
        full = path if path == "-" or posixpath.isabs(path) or not directory \
            else posixpath.join(directory, path)
        text = ctx.script("/dev/stdin" if full == "-" else full, command.stdin, command.via)
        if text is not None:
            texts.append(text)
            if not files:
                break  # make reads the first of its default names that exists
        elif files:
            ctx.problem("unread-script", f"make reads {full}, which shellgate cannot read",
                        command.via)
    if not texts:
        if not files:
            ctx.problem("unread-script", "make runs a Makefile shellgate cannot read",
                        command.via)
        return []
    return make_recipes("\n".join(texts), targets, ctx, command.via)


def make_recipes(text: str, targets: list[str], ctx: ParseContext,
                 via: tuple[str, ...] = ()) -> list[Inner]:
    """The recipes make would run for ``targets`` (none: the first target), prerequisites
    first, as shell scripts. Variables defined in the file are substituted; others stay as
    shell variables (values only known at run time)."""
    rules, variables, first = _read_makefile(text)
    wanted = list(targets) or ([first] if first else [])
    found: list[Inner] = []
    seen: set[str] = set()
    while wanted and len(seen) < MAX_MAKE_TARGETS:
        target = wanted.pop(0)
        if target in seen:
            continue
        seen.add(target)
        prereqs, recipe = rules.get(target, ([], []))
        wanted.extend(p for p in prereqs if p not in seen)
        for line in recipe:
            script = _expand(line.lstrip("@-+ \t"), variables, target, prereqs)
            if script.strip():
                found.append(Inner(f"make {target}", script=script))
    if not rules and targets:
        ctx.problem("unread-script", "make builds targets from rules shellgate did not find",
                    via)
    return found


def _read_makefile(text: str) -> tuple[dict[str, tuple[list[str], list[str]]],
                                        dict[str, str], str | None]:
    rules: dict[str, tuple[list[str], list[str]]] = {}
    variables: dict[str, str] = {}
    first: str | None = None
    current: list[list[str]] = []
    lines = text.replace("\\\n", " ").splitlines()
    for line in lines:
        if line.startswith("\t"):
            for recipe in current:
                recipe.append(line[1:])
            continue
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        assign = _ASSIGN().match(stripped)
        if assign and not _RULE().match(stripped.split("=", 1)[0] + ":x"):
            variables[assign.group(1)] = assign.group(2)
            current = []
            continue
        rule = _RULE().match(stripped)
        if rule is None:
            current = []
            continue
        names = rule.group(1).split()
        body, _, inline = rule.group(2).partition(";")
        prereqs = [p for p in body.split() if "=" not in p and not p.startswith("|")]
        current = []
        for target in names:
            if "%" in target:
                continue
            entry = rules.setdefault(target, ([], []))
            entry[0].extend(prereqs)
            current.append(entry[1])
            if inline.strip():
                entry[1].append(inline.strip())
            if first is None and not target.startswith("."):
                first = target
    return rules, variables, first


def _expand(line: str, variables: dict[str, str], target: str, prereqs: list[str],
            depth: int = 0) -> str:
    import re  # only Makefile lines with a $ reference get here

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "@":
            return target
        if name in ("<", "^", "?"):
            return prereqs[0] if name == "<" and prereqs else " ".join(prereqs)
        if name in variables and depth < 8:
            return _expand(variables[name], variables, target, prereqs, depth + 1)
        return "${MAKE_" + re.sub(r"\W", "_", name) + "}"

    line = line.replace("$$", "\0")
    return _REF().sub(value, line).replace("\0", "$")


# --- npm, yarn, pnpm, bun ----------------------------------------------------------------

_NPM_RUN = frozenset({"run", "run-script", "rum", "urn"})
_NPM_LIFECYCLE = {"test": "test", "t": "test", "tst": "test", "start": "start",
                  "stop": "stop", "restart": "restart"}
_INSTALL = frozenset({"install", "i", "ci", "add", "isntall", "in", "ins", "inst", "insta",
                      "instal", "clean-install", "install-clean", "rebuild"})
_YARN_OWN = frozenset({
    "add", "audit", "autoclean", "bin", "cache", "check", "config", "constraints", "create",
    "dedupe", "dlx", "doctor", "env", "exec", "explain", "fetch", "generate-lock-entry",
    "global", "help", "import", "info", "init", "install", "licenses", "link", "list", "login",
    "logout", "ls", "node", "npm", "outdated", "owner", "pack", "patch", "plugin", "policies",
    "prune", "publish", "rebuild", "remove", "root", "search", "set", "setup", "stage", "store",
    "tag", "team", "unlink", "unplug", "up", "update", "upgrade", "upgrade-interactive",
    "version", "versions", "why", "workspace", "workspaces", "x"})
_DIR_FLAGS = frozenset({"--prefix", "-C", "--dir", "--cwd"})


def _package_manager(name: str, args: Sequence[Word], command: Command,
                     ctx: ParseContext) -> list[Inner]:
    words: list[str] = []
    directory = ""
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            words.append("\0")
        elif value in _DIR_FLAGS and i + 1 < len(args):
            directory = args[i + 1].value or ""
            i += 2
            continue
        elif value.startswith(tuple(f + "=" for f in _DIR_FLAGS)):
            directory = value.partition("=")[2]
        elif not value.startswith("-"):
            words.append(value)
        elif value == "--":
            break
        i += 1
    if not words:
        words = ["install"] if name in ("yarn",) and not args else []
    if not words:
        return []
    sub = words[0]
    if sub == "pkg" and len(words) > 2 and words[1] == "set":
        for setting in words[2:]:
            key, eq, script = setting.partition("=")
            if eq and key.startswith("scripts."):
                ctx.npm_scripts[key[8:]] = script
        return []
    if sub == "set-script" and len(words) > 2:
        ctx.npm_scripts[words[1]] = words[2]
        return []
    if sub in _NPM_RUN:
        scripts = [words[1]] if len(words) > 1 else []
    elif sub in _NPM_LIFECYCLE:
        scripts = [_NPM_LIFECYCLE[sub]]
    elif sub in _INSTALL and (len(words) == 1 or sub in ("ci", "rebuild")):
        scripts = ["preinstall", "install", "postinstall", "prepare"]
    elif name in ("yarn", "pnpm", "bun") and sub not in _YARN_OWN and sub != "\0":
        scripts = [sub]  # `yarn build`: a script name where no command of its own
    else:
        return []
    if "\0" in scripts:
        ctx.problem("dynamic-code", f"{name} runs a script named at run time", command.via)
        return []
    return _scripts(name, scripts, directory, command, ctx)


def _scripts(name: str, scripts: list[str], directory: str, command: Command,
             ctx: ParseContext) -> list[Inner]:
    path = posixpath.join(directory, "package.json") if directory else "package.json"
    text = ctx.read(path)
    table: dict[str, object] = {}
    if text is not None:
        try:
            import json  # only when a package.json is read

            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("scripts"), dict):
            table = dict(data["scripts"])
        elif data is None:
            ctx.problem("unread-script", f"{path} could not be read as JSON", command.via)
    elif not ctx.npm_scripts:
        ctx.problem("unread-script", f"{name} runs scripts from {path}, which shellgate "
                    "cannot read", command.via)
    table.update(ctx.npm_scripts)
    found: list[Inner] = []
    for script in scripts:
        for key in (f"pre{script}", script, f"post{script}"):
            body = table.get(key)
            if isinstance(body, str) and body.strip():
                found.append(Inner(f"{name} script {key}", script=body))
    return found


# --- crontab, at -------------------------------------------------------------------------

_CRON_SPECIAL = ("@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily",
                 "@midnight", "@hourly")


def _cron_assignment(line: str) -> bool:
    """A crontab environment line: ``^[A-Za-z_]\\w*\\s*=`` read without ``re``."""
    head, equals, _ = line.partition("=")
    name = head.rstrip()
    return bool(equals) and bool(name) and (name[0] == "_" or (name[0].isascii() and
                                             name[0].isalpha())) and \
        all(c == "_" or c.isalnum() for c in name)


def cron_commands(text: str) -> list[str]:
    """The command of each crontab entry (after five time fields or an ``@`` word)."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(None, 5 if not line.startswith("@") else 1)
        if line.startswith(_CRON_SPECIAL) and len(fields) == 2:
            found.append(fields[1])
        elif len(fields) == 6:
            found.append(fields[5].split("%", 1)[0])
        elif not _cron_assignment(line):
            found.append(line)  # not a line cron reads as an entry: read it as a command
    return found


def _crontab(name: str, args: Sequence[Word], command: Command,
             ctx: ParseContext) -> list[Inner]:
    values = [a.value for a in args]
    if any(v in ("-l", "-r", "-e", "--help", "-V") for v in values):
        return []  # list, remove (a rule's business) or edit interactively
    operands = [a for a in args if not (a.value or "-x").startswith("-") or a.value == "-"]
    text: str | None
    if operands and operands[-1].value not in ("-", None):
        text = ctx.script(operands[-1].value or "", command.stdin, command.via)
        if text is None:
            ctx.problem("unread-script", f"crontab installs {operands[-1].show()}, which "
                        "shellgate cannot read", command.via)
            return []
    elif operands and operands[-1].value is None:
        ctx.problem("dynamic-code", "crontab installs a file named at run time", command.via)
        return []
    else:
        if command.stdin.text is None:
            return _stdin_script("crontab < stdin", command.stdin, ctx)
        text = command.stdin.text
    return [Inner("crontab entry", script=c) for c in cron_commands(text)]


def _at(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    for i, word in enumerate(args):
        if word.value == "-f" and i + 1 < len(args):
            path = args[i + 1].value
            text = ctx.script(path, command.stdin, command.via) if path else None
            if text is None:
                ctx.problem("unread-script", f"{name} runs {args[i + 1].show()}, which "
                            "shellgate cannot read", command.via)
                return []
            return [Inner(f"{name} -f", script=text)]
        if word.value in ("-l", "-r", "-d", "-c") or name in ("atq", "atrm"):
            return []
    return _stdin_script(name, command.stdin, ctx)


# --- a program copied or linked under another name ----------------------------------------

_COPIERS = {"cp": ("-t", "--target-directory", "-S", "--suffix"),
            "ln": ("-t", "--target-directory", "-S", "--suffix"),
            "install": ("-t", "--target-directory", "-m", "--mode", "-o", "--owner", "-g",
                        "--group", "-S", "--suffix")}


def _copy(name: str, args: Sequence[Word], command: Command, ctx: ParseContext) -> list[Inner]:
    """``cp /usr/bin/git g``, ``ln -s "$(command -v rm)" ~/bin/r``: a later ``g``/``r`` in the
    same line runs that program. The new name becomes an alias for the program's name;
    a source only known at run time makes the new name a run-time name."""
    valued = _COPIERS[name]
    operands: list[Word] = []
    i = 0
    while i < len(args):
        value = args[i].value
        if value is not None and value in valued:
            i += 2
            continue
        if value is None or not value.startswith("-") or value == "-":
            operands.append(args[i])
        i += 1
    if len(operands) != 2:
        return []
    source, dest = operands
    if dest.value is None:
        return []
    program = source.value.rsplit("/", 1)[-1] if source.value else None
    if program is not None and source.value is not None and "/" not in source.value \
            and name != "ln":
        return []  # a file of the working directory, not a program from PATH
    alias = program if program else '"$__shellgate_copied_program"'
    for new in {dest.value, dest.value.rsplit("/", 1)[-1]}:
        if new and new != program:
            ctx.aliases[new] = alias
    return []


for _name in ("make", "gmake"):
    register(_name, _make)  # what make runs is read: a target's name is not its action
for _name in ("npm", "yarn", "pnpm", "bun"):
    register(_name, _package_manager)  # the scripts are read, not their names
register("crontab", _crontab, partial=True)
register("at", _at)
register("batch", _at)
for _name in _COPIERS:
    register(_name, _copy, partial=True)
