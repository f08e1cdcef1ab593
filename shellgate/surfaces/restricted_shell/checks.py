"""What only an interactive session adds to deciding on a line.

A ``shellgate-sh`` session keeps state between lines, and while a command runs the keys
typed go to that command. So, besides the engine's decision on the line itself:

* aliases and functions defined on earlier lines are remembered: the ones defined by
  allowed lines are put in front of each new line when the engine decides on it (so
  ``alias g=git`` then ``g push --force`` is read as ``git push --force``), and a name
  whose definition needed a touch needs a touch again wherever it is used (one touch, one
  command);
* a line that would let later keystrokes or lines escape inspection needs approval:
  ``exec`` replacing the session's shell or moving its standard streams, an interactive
  shell or interpreter reading the terminal (unless a shellgate shim for it is first on
  PATH and inspects what is typed), ``hash -p`` and ``enable -f`` (a name that runs
  another program or loaded code), an alias whose text shellgate cannot read, and a
  function named like a builtin the session's prompt hook uses.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterable

from shellgate.classify.core import core_finding
from shellgate.values import Command, Finding, Script

_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "mksh", "ash", "fish", "tcsh", "csh",
                     "yash", "posh", "oksh", "rbash"})
_SHELL_VALUED = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
# interpreter → (options that give it code to run, options taking a value, forcing options)
_REPLS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "python": (frozenset({"-c", "-m"}), frozenset({"-W", "-X", "--check-hash-based-pycs"}),
               frozenset({"-i"})),
    "node": (frozenset({"-e", "--eval", "-p", "--print"}),
             frozenset({"-r", "--require", "--import", "--loader", "-C", "--conditions"}),
             frozenset({"-i", "--interactive"})),
    "perl": (frozenset({"-e", "-E"}), frozenset({"-I", "-M", "-m"}), frozenset({"-d"})),
    "ruby": (frozenset({"-e"}), frozenset({"-I", "-r"}), frozenset()),
    "lua": (frozenset({"-e"}), frozenset({"-l"}), frozenset({"-i"})),
    "php": (frozenset({"-r"}), frozenset({"-c", "-d"}), frozenset({"-a"})),
    "sqlite3": (frozenset(), frozenset({"-cmd", "-init", "-separator", "-newline",
                                        "-nullvalue"}), frozenset({"-interactive"})),
}
_ALWAYS_INTERACTIVE = frozenset({"irb", "pry", "ipython", "ipython3", "bpython", "ptpython",
                                 "jshell", "ghci", "erl", "iex", "R", "julia", "tclsh", "wish",
                                 "gdb", "lldb", "pdb"})
_DB_CLIENTS = frozenset({"psql", "mysql", "mariadb", "redis-cli", "valkey-cli", "keydb-cli",
                         "usql", "duckdb", "mongo", "mongosh"})
_HOOK_BUILTINS = frozenset({"builtin", "printf", "read", "shopt", "set", "local", "return",
                            "readonly", "exit"})
_STDIN_OPS = frozenset({"<", "<<", "<<<", "<&", "<>", "<<-", "&>", ">&"})


def _name(command: Command) -> str:
    value = command.argv[0].value if command.argv else None
    return (value or "").rsplit("/", 1)[-1]


def _repl_key(name: str) -> str:
    for base in ("python", "pypy", "nodejs", "node", "perl", "ruby", "lua", "php"):
        if name.startswith(base) and all(c.isdigit() or c == "." for c in name[len(base):]):
            return {"pypy": "python", "nodejs": "node"}.get(base, base)
    return "luajit" if name == "luajit" else name


def reads_terminal(command: Command) -> bool:
    """Standard input is the terminal (not a pipe, file, here-document or string)."""
    if command.stdin.text is not None or (command.stdin.opaque and "/dev/tty" not in
                                          command.stdin.files):
        return False
    for redirect in command.redirects:
        target = redirect.target.value if redirect.target else None
        if redirect.op in _STDIN_OPS and redirect.fd in (None, 0) and target != "/dev/tty":
            return False
    return True


def _words(command: Command) -> list[str | None]:
    return [w.value for w in command.argv[1:]]


def interactive_program(command: Command, shimmed: Iterable[str] = ()) -> bool:
    """True for a shell, interpreter or database client left reading the terminal.

    A database client named in ``shimmed`` is not counted: its shim inspects
    every statement typed (:func:`shellgate.surfaces.db_client.session.run_interactive`).
    """
    name = _name(command)
    if not reads_terminal(command) or name in shimmed:
        return False
    if name in _DB_CLIENTS:
        return _db_interactive(name, command)
    if name in _ALWAYS_INTERACTIVE:
        return True
    if name in _SHELLS:
        return _shell_interactive(_words(command))
    key = _repl_key(name)
    spec = _REPLS.get(key)
    return spec is not None and _repl_interactive(key, _words(command), *spec)


def _repl_interactive(key: str, words: list[str | None], code: frozenset[str],
                      valued: frozenset[str], forcing: frozenset[str]) -> bool:
    positionals = 0
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word is None:
            return False  # a word computed at run time: the engine fails closed on it
        if word in forcing or (key == "perl" and word.startswith("-d")):
            return True
        if word == "-":
            return True  # the program is read from standard input: the terminal
        if word.startswith("-"):
            if word in code or (len(word) > 2 and word[:2] in code):
                return False
            skip = word in valued
            continue
        positionals += 1
        if key != "sqlite3":
            break  # a script: the words after it are its own
    return positionals <= 1 if key == "sqlite3" else positionals == 0


def _shell_interactive(words: list[str | None]) -> bool:
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word is None:
            return False
        if word in _SHELL_VALUED:
            skip = True
        elif word.startswith("-") and not word.startswith("--") and len(word) > 1:
            if "c" in word[1:]:
                return False
            if "i" in word[1:] or "s" in word[1:]:
                return True
        elif not word.startswith("-") and not word.startswith("+"):
            return False  # a script file: the engine decides on it
    return True


def _db_interactive(name: str, command: Command) -> bool:
    from shellgate.parse import no_files
    from shellgate.payloads.databases.clients import INTERACTIVE, db_payload

    tool = {"valkey-cli": "redis-cli", "keydb-cli": "redis-cli"}.get(name, name)
    payload = db_payload(tool, [tool, *_words(command)], None, False, no_files)
    return payload is not None and INTERACTIVE in payload.opaque


def session_findings(script: Script, shimmed: frozenset[str] = frozenset()) -> list[Finding]:
    """Findings for what the line would let escape later inspection (see module doc).

    ``shimmed``: the database clients whose first match on the session's PATH is a
    shellgate shim (:func:`shimmed_clients`).
    """
    found: list[Finding] = []
    for command in script.commands:
        name = _name(command)
        words = _words(command)
        shown = command.show()[:200]
        if name == "exec" and command.via == () and (words or _moves_std_streams(command)):
            found.append(core_finding("opaque-shell-input", f"{shown} — replaces the session's "
                                      "shell or its standard streams", command.via))
        elif interactive_program(command, shimmed):
            found.append(core_finding("opaque-shell-input", f"{shown} — reads what is typed "
                                      "at the terminal, which shellgate does not inspect",
                                      command.via))
        elif name in ("hash", "enable") and _has_flag(words, "p" if name == "hash" else "f"):
            found.append(core_finding("dynamic-command", f"{shown} — changes what a command "
                                      "name runs for the rest of the session", command.via))
        elif name == "alias" and None in words:
            found.append(core_finding("dynamic-command", f"{shown} — an alias whose text is "
                                      "only known at run time", command.via))
    return found


def shimmed_clients(path: str, clients: Iterable[str]) -> frozenset[str]:
    """Database clients that ``path`` resolves to a shellgate shim (which inspects what is
    typed at the client's prompt); ``clients`` are the registry's interactive clients."""
    from shellgate.execute import is_shim_dir

    out: set[str] = set()
    for tool in clients:
        for directory in path.split(os.pathsep):
            candidate = os.path.join(directory or ".", tool)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                if directory and is_shim_dir(directory):
                    out.add(tool)
                break
    return frozenset(out)


_PATH_WRITERS = frozenset({"source", ".", "eval", "hash", "enable"})
_DECLARERS = re.compile(r"\b(?:declare|typeset|export|readonly|local|read|readarray|mapfile|"
                        r"printf|unset|let)\b")


def touches_path(text: str, script: Script) -> bool:
    """The line may change which program a name finds (PATH, sourced files, eval…)."""
    if "PATH" in re.sub(r"[\\'\"]", "", text):
        return True
    if _DECLARERS.search(text) and "$" in text:
        return True  # a variable name computed at run time could be PATH
    for command in script.commands:
        words = _words(command)
        if _name(command) in _PATH_WRITERS or any(w is not None and "PATH" in w for w in words):
            return True
    return False


def _has_flag(words: list[str | None], letter: str) -> bool:
    return any(w is None or (w.startswith("-") and letter in w[1:]) for w in words)


def _moves_std_streams(command: Command) -> bool:
    return any(r.fd is None or r.fd in (0, 1, 2) for r in command.redirects)


class SessionMemory:
    """Aliases and functions defined by earlier lines of the session."""

    def __init__(self) -> None:
        """An empty memory: nothing defined yet."""
        self._prelude: dict[str, str] = {}
        self._tainted: dict[str, tuple[Finding, ...]] = {}
        self.path_trusted = True
        """False once a line may have changed PATH: shims are no longer assumed first."""

    def context(self, text: str) -> str:
        """``text`` preceded by the definitions allowed so far (for the engine)."""
        return "\n".join([*self._prelude.values(), text]) if self._prelude else text

    def findings(self, text: str, script: Script) -> list[Finding]:
        """Findings of approved definitions the line uses, and of hook builtins it shadows."""
        found: list[Finding] = []
        for command in script.commands:
            found.extend(self._tainted.get(_name(command), ()))
        for name, snippet in definitions(text, script):
            if name in _HOOK_BUILTINS and not snippet.startswith("alias "):
                found.append(core_finding("opaque-shell-input", f"{name}() — redefines a "
                                          "builtin that shellgate-sh relies on"))
        return list(dict.fromkeys(found))

    def record(self, text: str, script: Script, findings: tuple[Finding, ...] | None,
               judge: Callable[[str], tuple[Finding, ...]]) -> None:
        """Remember a line that ran: allowed (``findings`` None) or approved (its findings).

        ``judge`` gives the engine's findings on a definition on its own: one that needs
        approval out of its line's context (a variable set beside it) is not put in front
        of later lines but makes its name need approval wherever it is used.
        """
        if touches_path(text, script):
            self.path_trusted = False
        for name, snippet in definitions(text, script):
            self._prelude.pop(name, None)
            own = findings if findings is not None else judge(snippet)
            if own:
                self._tainted[name] = own
            else:
                self._tainted.pop(name, None)
                self._prelude[name] = snippet


def definitions(text: str, script: Script) -> list[tuple[str, str]]:
    """(name, definition text) for each alias and function the line defines."""
    out: list[tuple[str, str]] = []
    for command in script.commands:
        if _name(command) == "alias" and not command.via:
            for word in _words(command):
                if word and "=" in word and not word.startswith("-"):
                    name, _, value = word.partition("=")
                    out.append((name, f"alias {shlex.quote(name)}={shlex.quote(value)}"))
    if "(" in text or "function" in text:
        from shellgate.parse.bash.treesitter import parse_bash

        source = text.encode("utf-8", "surrogateescape")
        stack = [parse_bash(source)]
        while stack:
            node = stack.pop()
            if node.type == "function_definition":
                name_node = node.child_by_field_name("name")
                if name_node is not None:
                    name = source[name_node.start_byte:name_node.end_byte].decode(
                        "utf-8", "surrogateescape")
                    out.append((name, source[node.start_byte:node.end_byte].decode(
                        "utf-8", "surrogateescape")))
            stack.extend(node.named_children)
    return out
