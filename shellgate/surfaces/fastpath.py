"""The fast path: prove that no rule can match without importing the engine.

For a shim's argv (:func:`quick_allow`) and for a plain script in ``shellgate-sh`` and the
hooks (:func:`quick_allow_script`: words, bare or in quotes that expand nothing, joined
by ``&&``, ``||``, ``|``, ``;``, ``&`` and newlines, split by :func:`plain_commands`
exactly as bash splits them).

Imports only ``os``. It reads the quick index written next to the compiled rules
(``shellgate/rules/cache.py``), a plain text file searched with ``str`` methods (no parser
to import, nothing a crafted file can make it run), and answers True only when no tool is
a wrapper or payload carrier and none of the words that could start a matching rule
appear in any argv. Anything else — a stale or missing cache, a changed settings file, an
unknown shape, any error — answers False, and the full engine decides. It can never turn
a gate into an allow: it only skips work for commands the engine would allow anyway.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

    from shellgate.rules.ruleset import RuleSet

CACHE_NAME = "rules.cache"
QUICK_NAME = "quick.index"
SETTINGS_NAME = "config.toml"
FORMAT = 7
_GLOB = frozenset("*?[")
# Wrappers whose handler only unwraps when one of these words appears.
_SPECIAL_TRIGGERS: dict[str, tuple[str, ...]] = {
    "git": ("-c", "config"),
    "docker": ("exec", "run", "create", "container", "compose"),
    "podman": ("exec", "run", "create", "container", "compose"),
    "nerdctl": ("exec", "run", "create", "container", "compose"),
    "kubectl": ("exec", "debug", "run", "attach"),
    "oc": ("exec", "debug", "run", "attach"),
}


_INDEX_CODE = ("surfaces/fastpath.py", "parse/wrappers/unwrap.py", "parse/wrappers/options.py",
               "parse/wrappers/launchers.py", "parse/wrappers/remote.py", "classify/payload.py")
"""Modules whose tables make the quick index: a changed one (an upgrade that keeps the
version number, a development checkout) recompiles it, so a newly special tool is never
fast-pathed by an index built before it was special."""


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The ``shellgate`` package directory (this module sits in ``shellgate/surfaces``)."""


def shipped_patterns_dir() -> str:
    """Installed: ``shellgate/patterns``; a source checkout: the top-level ``patterns``."""
    here = _PACKAGE
    installed = os.path.join(here, "patterns")
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(here), "patterns")


def config_dir(explicit: str | None) -> str:
    """``--config DIR`` made absolute with symlinks resolved, else ``~/.config/shellgate``
    of the real user, ~ from the password database (never from the environment, which the
    agent can set). Raises KeyError when the user has no password-database entry."""
    if explicit:
        return os.path.realpath(explicit)
    import pwd

    return os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".config", "shellgate")


def pattern_paths(shipped: str, user: str | None) -> list[str]:
    """Shipped files, with a user file of the same name replacing the shipped one."""
    files: dict[str, str] = {}
    for directory in (shipped, user):
        if directory and os.path.isdir(directory):
            for name in os.listdir(directory):
                if name.endswith(".toml"):
                    files[name] = os.path.join(directory, name)
    return [files[name] for name in sorted(files)]


def cache_key(paths: list[str], settings: str) -> str:
    """shellgate's version, each pattern file's path, size and mtime, and the state of the
    settings file (``config.toml``): the cache and the quick index are compiled only after
    the settings were read without error, so a settings file changed since (broken,
    unreadable) sends every command back to the engine, which refuses it."""
    from shellgate import __version__

    parts = [f"shellgate {__version__} format {FORMAT}"]
    here = _PACKAGE
    for module in _INDEX_CODE:  # the code that decides which tools always need the engine
        stat = os.stat(os.path.join(here, module))
        parts.append(f"{module}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for path in paths:
        stat = os.stat(path)
        parts.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    try:
        stat = os.stat(settings)
        parts.append(f"{settings}\0{stat.st_ino}\0{stat.st_size}\0{stat.st_mtime_ns}"
                     f"\0{stat.st_ctime_ns}")
    except FileNotFoundError:
        parts.append(f"{settings}\0absent")
    return "\n".join(parts)


def quick_allow(argv: list[str], config_dir: str) -> bool:
    """True only when no rule can match ``argv`` (per a current quick index)."""
    try:
        index = _load_index(config_dir)
        return index is not None and _argv_clear(argv, index)
    except Exception:  # any doubt: the full engine decides
        return False


def quick_allow_script(text: str, config_dir: str) -> bool:
    """True only when ``text`` is plain simple commands (``plain_commands``) and no rule can
    match any of them (per a current quick index). Used by ``shellgate-sh -c`` and the
    agent hooks; anything else goes to the engine."""
    try:
        argvs = plain_commands(text)
        if argvs is None:
            return False
        index = _load_index(config_dir)
        return index is not None and all(_argv_clear(argv, index) for argv in argvs)
    except Exception:  # any doubt: the full engine decides
        return False


def _load_index(config_dir: str) -> tuple[frozenset[str], str] | None:
    """The quick index as (tools that always need the engine, the text of the tool lines),
    or None when it is missing, damaged, or was compiled from other pattern files (or
    another settings file) than the current ones."""
    paths = pattern_paths(shipped_patterns_dir(), os.path.join(config_dir, "patterns"))
    with open(os.path.join(config_dir, "cache", QUICK_NAME), encoding="utf-8") as handle:
        text = handle.read()
    head, _, body = text.partition("\n\n")
    settings = os.path.join(config_dir, SETTINGS_NAME)
    if head != cache_key(paths, settings).replace("\0", "\t") or not body.endswith("\n"):
        return None
    first, _, tools = body.partition("\n")
    if not first.startswith("special "):
        return None
    return frozenset(first.split(" ")[1:]), "\n" + tools


def _argv_clear(argv: list[str], index: tuple[frozenset[str], str]) -> bool:
    """No rule can start in ``argv``. A tool's line is found with ``str.find`` rather than
    by reading every line, so unrelated pattern files cost only the bytes they add."""
    special, lines = index
    tool = argv[0].rsplit("/", 1)[-1]
    if tool in special:
        return False
    if not tool or any(c.isspace() for c in tool):
        return False  # not a name a tool line can hold
    at = lines.find("\ntool " + tool + " ")
    if at < 0:
        return True
    fields = lines[at + 1:lines.index("\n", at + 1)].split(" ")[2:]
    if len(fields) < 2:
        return False
    dash, full, triggers = fields[0] == "1", fields[1] == "1", fields[2:]
    words = argv[1:]
    if full or (dash and any(w.startswith("-") for w in words)):
        return False
    return not any(w in triggers for w in words)


def quick_text(key: str, rules: RuleSet) -> str:
    """The quick index as text: the cache key, a blank line, then one line per entry."""
    index = quick_index(rules)
    lines = ["special " + " ".join(index["special"])]
    for name, (triggers, dash, full) in sorted(index["tools"].items()):
        if not name or any(c.isspace() for c in name):
            continue  # never looked up (``_argv_clear`` sends such names to the engine)
        if any(not w or any(c.isspace() for c in w) for w in triggers):
            full, triggers = True, ()  # a word the line cannot hold: always the engine
        lines.append(" ".join(["tool", name, "1" if dash else "0", "1" if full else "0",
                               *triggers]))
    return key.replace("\0", "\t") + "\n\n" + "\n".join(lines) + "\n"


def quick_index(rules: RuleSet) -> dict[str, Any]:
    """Per tool: words that could start a matching rule, whether any dash word could,
    whether the tool is too complex to prefilter; plus tools that always need the engine."""
    from shellgate.classify.payload import CODE_TOOLS, DB_TOOLS, HTTP_TOOLS, OTHER_SQL
    from shellgate.parse.wrappers.options import PREFIX, RUNNERS
    from shellgate.parse.wrappers.unwrap import _SPECIAL, INTERPRETERS, SHELLS

    special = set(PREFIX) | set(RUNNERS) | set(SHELLS) | set(INTERPRETERS)
    special |= DB_TOOLS | HTTP_TOOLS | CODE_TOOLS | set(OTHER_SQL) | {"gh", "heroku"}
    special |= {name for name in _SPECIAL if name not in _SPECIAL_TRIGGERS}
    tools: dict[str, tuple[tuple[str, ...], bool, bool]] = {}
    names = set(rules.tool_names) | set(rules.aliases) | set(_SPECIAL_TRIGGERS)
    for name in names:
        if name in special:
            continue
        triggers: set[str] = set(_SPECIAL_TRIGGERS.get(rules.canonical(name), ()))
        dash = full = False
        for rule in rules.for_tool(name):
            if not rule.command:
                if all(m.flags or m.all_flags for m in rule.matches):
                    dash = True
                else:
                    full = True
                continue
            first = rule.command[0]
            if any(_GLOB & set(pattern) for pattern in first):
                full = True
            triggers.update(first)
        tools[name] = (tuple(sorted(triggers)), dash, full)
    return {"special": tuple(sorted(special)), "tools": tools}


# Characters of a plain word: nothing bash expands, quotes, redirects or treats as syntax.
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                  "-_./:,@%+=")
_OPERATOR = frozenset("|&;\n")
_BINARY = ("&&", "||", "|")
_TERMINATORS = (";", "&", "\n")
_BASH_WORDS = frozenset({
    ".", ":", "[", "[[", "]]", "{", "}", "!", "alias", "bg", "bind", "break", "builtin",
    "caller", "case", "cd", "command", "compgen", "complete", "compopt", "continue", "coproc",
    "declare", "dirs", "disown", "do", "done", "echo", "elif", "else", "enable", "esac",
    "eval", "exec", "exit", "export", "false", "fc", "fg", "fi", "for", "function", "getopts",
    "hash", "help", "history", "if", "in", "jobs", "kill", "let", "local", "logout", "mapfile",
    "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "select",
    "set", "shift", "shopt", "source", "suspend", "test", "then", "time", "times", "trap",
    "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "until", "wait", "while",
})
"""Bash's builtins and reserved words: they change the shell itself, or start syntax."""
_HARMLESS = frozenset({"cd", "echo", "pwd", "true", "false", "test"})
"""Builtins that change nothing a later command's decision depends on."""
_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")
"""Characters of a plain command name (tree-sitter-bash misreads names with ``@``, ``%``
or ``+:``, where bash does not; the engine would refuse what it cannot parse)."""
MAX_PLAIN = 4096


def plain_commands(text: str) -> list[list[str]] | None:
    """The argvs of ``text`` when it is only plain words joined by ``&&``, ``||``, ``|``,
    ``;``, ``&`` and newlines, each command named by a bare program name; else None.

    A plain word is made of word characters (no ``$``, globs, braces, tildes, redirects or
    comments), ``'single-quoted'`` text, and ``"double-quoted"`` text without ``$``, a
    backquote, a backslash or ``!``: bash runs such words exactly as split here. Command
    names that are quoted, builtins, reserved words, assignments or paths are not plain:
    the engine reads those.
    """
    if len(text) > MAX_PLAIN:
        return None
    tokens: list[tuple[bool, str]] = []  # (is a word, text); a word's flag: quoted anywhere
    quoted: list[bool] = []
    word: list[str] | None = None
    operator = ""
    i, end = 0, len(text)
    while i <= end:
        char = text[i] if i < end else " "
        if char in _WORD or char in "'\"":
            if operator:
                tokens.append((False, operator))
                operator = ""
            if word is None:
                word = []
                quoted.append(False)
            if char in _WORD:
                word.append(char)
                i += 1
                continue
            close = text.find(char, i + 1)
            if close < 0:
                return None
            body = text[i + 1:close]
            if not _quotable(body, char):
                return None
            word.append(body)
            quoted[-1] = True
            i = close + 1
            continue
        if word is not None:
            tokens.append((True, "".join(word)))
            word = None
        if char in _OPERATOR:
            if char == "\n":
                if operator:
                    tokens.append((False, operator))
                    operator = ""
                tokens.append((False, char))
            else:
                operator += char
        elif char in " \t":
            if operator:
                tokens.append((False, operator))
                operator = ""
        else:
            return None
        i += 1
    return _commands(tokens, quoted)


def _quotable(body: str, quote: str) -> bool:
    """Quoted text bash passes on unchanged: printable (newlines and tabs too), and in
    double quotes nothing bash expands or escapes."""
    if quote == '"' and any(c in body for c in "$`\\!"):
        return False
    return all(c.isprintable() or c in "\n\t" for c in body)


def _commands(tokens: list[tuple[bool, str]], quoted: list[bool]) -> list[list[str]] | None:
    """Split tokens at operators; None for anything bash would not read as a plain list."""
    argvs: list[list[str]] = []
    current: list[str] = []
    name_quoted = False
    words = iter(quoted)
    pending = False  # after && || |: a command must still follow (newlines may come first)
    for is_word, token in tokens:
        if is_word:
            was_quoted = next(words)
            if not current:
                name_quoted = was_quoted
            current.append(token)
            pending = False
            continue
        if token == "\n" and not current:  # noqa: S105 - a newline token, not a secret
            continue  # a blank line, or a line break after && || |
        if token not in _BINARY and token not in _TERMINATORS:
            return None  # ;; ;& |& &| &&& and other runs of operator characters
        if not current or name_quoted or not _plain(current):
            return None
        argvs.append(current)
        current = []
        pending = token in _BINARY
    if pending:
        return None
    if current:
        if name_quoted or not _plain(current):
            return None
        argvs.append(current)
    return argvs


def _plain(argv: list[str]) -> bool:
    """A bare program name (not a builtin that changes the shell, not an interpreter with
    a version suffix), and no argument tree-sitter-bash misreads (a trailing ``==``)."""
    name = argv[0]
    if name in _BASH_WORDS:
        return name in _HARMLESS and "==" not in argv
    return (name[0].isalnum() and all(c in _NAME for c in name)
            and not name.startswith("python") and "==" not in argv)
