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

from shellgate.rules.index import (
    QUICK_NAME,
    SETTINGS_NAME,
    cache_key,
    config_dir,
    git_builtin,
    layer_files,
    state_files,
)

__all__ = ["config_dir", "plain_commands", "quick_allow", "quick_allow_script"]

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


Index = tuple[frozenset[str], str, tuple[frozenset[str], tuple[str, ...], frozenset[str]]]


def _load_index(config_dir: str) -> Index | None:
    """The quick index as (tools that always need the engine, the text of the tool lines,
    the generic verbs: exact words, word prefixes, tools they do not apply to), or None
    when it is missing, damaged, or was compiled from other pattern files (the shipped,
    the user's, the project's above the working directory), another settings file, other
    acceptances or other keys than the current ones."""
    paths = [p for p, _ in layer_files(config_dir, os.getcwd())]
    with open(os.path.join(config_dir, "cache", QUICK_NAME), encoding="utf-8") as handle:
        text = handle.read()
    head, _, body = text.partition("\n\n")
    settings = os.path.join(config_dir, SETTINGS_NAME)
    key = cache_key(paths, settings, state_files(config_dir))
    if head != key.replace("\0", "\t") or not body.endswith("\n"):
        return None
    first, _, rest = body.partition("\n")
    verbs, _, rest = rest.partition("\n")
    excepted, _, tools = rest.partition("\n")
    if not (first.startswith("special ") and verbs.startswith("generic ")
            and excepted.startswith("generic-except ")):
        return None
    words = verbs.split(" ")[1:]
    generic = (frozenset(w for w in words if not w.endswith("*")),
               tuple(w[:-1] for w in words if w.endswith("*")),
               frozenset(excepted.split(" ")[1:]))
    return frozenset(first.split(" ")[1:]), "\n" + tools, generic


def _argv_clear(argv: list[str], index: Index) -> bool:
    """No rule can start in ``argv``. A tool's line is found with ``str.find`` rather than
    by reading every line, so unrelated pattern files cost only the bytes they add."""
    special, lines, generic = index
    tool = argv[0].rsplit("/", 1)[-1]
    if tool in special or (tool == "git" and not git_builtin(argv[1:])):
        return False  # `git sync` may be an alias from a config file: the engine reads it
    if not tool or any(c.isspace() for c in tool):
        return False  # not a name a tool line can hold
    at = lines.find("\ntool " + tool + " ")
    if at < 0:  # no rules of its own: the generic verbs apply
        return tool in generic[2] or not _generic_hit(argv, generic[0], generic[1])
    fields = lines[at + 1:lines.index("\n", at + 1)].split(" ")[2:]
    if len(fields) < 2:
        return False
    dash, full, triggers = fields[0] == "1", fields[1] == "1", fields[2:]
    words = argv[1:]
    if full or (dash and any(w.startswith("-") for w in words)):
        return False
    if any(w in triggers for w in words):
        return False
    # "g": only the user's or a project's rules, which leave the generic verbs in force
    return fields[1] != "g" or tool in generic[2] or not _generic_hit(argv, generic[0],
                                                                       generic[1])


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


def _generic_hit(argv: list[str], exact: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    """Could a generic verb be in ``argv``? Every word (the tool's name too) split at every
    character that is not a letter or digit: a superset of the parts the engine reads
    (``shellgate/classify/generic.py``), so the answer errs towards the engine."""
    for word in argv:
        part: list[str] = []
        for char in word.lower() + " ":
            if char.isalnum():
                part.append(char)
                continue
            if part:
                text = "".join(part)
                if text in exact or any(text.startswith(p) for p in prefixes):
                    return True
                part = []
    return False


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
