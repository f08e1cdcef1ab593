"""Scoped exceptions (``[[exception]]`` in a user's pattern file): which findings they waive.

Pure: the facts about the file system — the working directory's real path, what a path
resolves to, what a glob expands to — come in as a ``shellgate.rules.scope.Where`` built
at the edge (``shellgate.rules.where``), so this module is tested with tables.

An exception is narrow by construction. It waives a finding only when every one of these
holds, and anything shellgate cannot establish counts as "does not hold":

- the exception names the finding's rule, has not expired, and its ``args`` globs (when
  given) cover every argument of the command;
- every *subject* of the command — its working directory, each operand, each value given
  to an option (``-C dir``, ``--target=x``, ``of=/dev/sda``), each redirect target — has a
  real path (symlinks resolved, globs expanded as they are now) inside one of the
  exception's ``paths`` globs;
- no word is only known at run time, and no word's meaning depends on a variable
  (``$HOME``, ``$TMPDIR``: the parser reads them by meaning, not by value);
- the command runs here, directly or through wrappers that change neither the directory
  nor the host (``sudo``, ``env``, ``timeout``, ``bash -c``…, never ``ssh``, ``docker
  exec``, ``xargs``, ``find -exec``);
- everything else on the command line is itself waived or cannot move, link or create what
  the paths resolve to (``echo``, ``ls``, ``mkdir``… — not ``cd``, ``ln``, ``mv``, an
  interpreter), so the facts checked now are the facts when it runs.
"""

from __future__ import annotations

from shellgate.rules.scope import RuleException, Where, path_matches, path_words
from shellgate.values import Command, Finding, Script, Word

SAFE_VIA = frozenset({"sudo", "doas", "env", "nohup", "nice", "ionice", "time", "timeout",
                      "stdbuf", "command", "bash -c", "sh -c", "dash -c", "zsh -c",
                      "ksh -c"})
"""Wrappers that run the inner command here, in the same directory."""
_WRAPPER_NAMES = frozenset(v.split(" ")[0] for v in SAFE_VIA)
_CHDIR_WRAPPERS = frozenset({"sudo", "doas", "env"})
"""Wrappers that can change the directory or root with an option (-C, -D, -R, --chdir)."""
COMPANIONS = frozenset({"echo", "true", "false", ":", "pwd", "test", "[", "ls", "cat",
                        "head", "tail", "wc", "grep", "sort", "uniq", "date", "sleep",
                        "mkdir", "touch", "rmdir"})
"""Commands that may share a command line with a waived one: none moves, links or
creates anything a path could resolve through."""
_GLOB = frozenset("*?[")


def waive(script: Script, found: list[tuple[Command, list[Finding]]],
          exceptions: tuple[RuleException, ...], where: Where | None,
          ) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (still in force, waived): all or nothing for the command line.
    Waived findings come back with action ``allow`` and the exception's source as
    evidence."""
    kept = [f for _, fs in found for f in fs]
    if where is None or not exceptions or not kept or script.problems:
        return kept, []
    waived: list[Finding] = []
    for command, findings in found:
        if not findings:
            continue
        subjects = _subjects(command, where)
        for finding in findings:
            match = None
            if not finding.rule_id.startswith("core."):
                match = _applies(finding, command, subjects, exceptions, where)
            if match is None:
                return kept, []
            waived.append(Finding(finding.rule_id, finding.summary, finding.why,
                                  finding.severity, "allow", finding.command, finding.via,
                                  f"exception {match.source}"))
    acting = {id(c) for c, fs in found if fs}
    wrappers_seen_into = _unwrapped(script)
    if not all(id(c) in acting or _companion(c, wrappers_seen_into) for c in script.commands):
        return kept, []
    return [], waived


def _unwrapped(script: Script) -> bool:
    """Every wrapper on the line was seen into: for each ``nice …`` (``sudo …``, ``bash -c
    …``) there is a command the parser found inside it. A wrapper the parser could not
    unwrap runs a command nobody checked."""
    from collections import Counter

    inner = Counter((c.via[:-1], c.via[-1].split(" ")[0]) for c in script.commands if c.via)
    wrappers = Counter((c.via, c.name) for c in script.commands if c.name in _WRAPPER_NAMES)
    return all(inner[key] >= count for key, count in wrappers.items())


def _applies(finding: Finding, command: Command, subjects: tuple[str, ...] | None,
             exceptions: tuple[RuleException, ...], where: Where) -> RuleException | None:
    if subjects is None or any(v not in SAFE_VIA for v in command.via):
        return None
    for exc in exceptions:
        if exc.rule != finding.rule_id or (exc.expires and exc.expires < where.today):
            continue
        if exc.args and not _args_covered(command.argv[1:], exc.args):
            continue
        if all(any(path_matches(s, g) for g in exc.paths) for s in subjects):
            return exc
    return None


def _args_covered(words: tuple[Word, ...], globs: tuple[str, ...]) -> bool:
    from shellgate.classify.globs import fnmatchcase

    return all(w.value is not None and any(fnmatchcase(w.value, g) for g in globs)
               for w in words)


def _companion(command: Command, wrappers_seen_into: bool) -> bool:
    """A wrapper the parser saw into, with no directory option; or a command from
    :data:`COMPANIONS`."""
    name = command.name
    if name is None or (command.via and any(v not in SAFE_VIA for v in command.via)):
        return False
    if name in _WRAPPER_NAMES:
        if not wrappers_seen_into or any(w.value is None for w in command.argv):
            return False
        return name not in _CHDIR_WRAPPERS or not any(_chdir_option(str(w.value))
                                                      for w in command.argv[1:])
    return name in COMPANIONS


def _chdir_option(word: str) -> bool:
    if word.startswith("--"):
        return word.startswith(("--c", "--r", "--d", "--w"))  # --chdir, --chroot, --dir…
    return word.startswith("-") and any(c in word for c in "CDRW")


def _subjects(command: Command, where: Where) -> tuple[str, ...] | None:
    """Real paths of the working directory and of everything the command could act on;
    None when any of them cannot be established."""
    subjects = [where.cwd]
    words = list(command.argv[1:])
    words += [r.target for r in command.redirects if r.target is not None]
    options_done = False
    for word in words:
        if word.value is None or any(c in word.source for c in "$`"):
            return None
        for candidate in path_words(word.value, options_done):
            paths = _real(candidate, where)
            if paths is None:
                return None
            subjects.extend(paths)
        options_done = options_done or word.value == "--"
    return tuple(subjects)


def _real(value: str, where: Where) -> list[str] | None:
    """Real paths ``value`` can name. ``~`` is read both ways (home, and a literal directory
    named ``~`` when it was quoted); globs expand to what they match now, and to
    themselves."""
    if not value:
        return [where.realpath(where.cwd)]
    bases: list[str] = []
    if value.startswith("~"):
        if value != "~" and not value.startswith("~/"):
            return None  # ~user: another account's home
        if where.home is None:
            return None
        bases.append(where.home + value[1:])
    bases.append(value if value.startswith("/") else where.cwd.rstrip("/") + "/" + value)
    out: list[str] = []
    for base in bases:
        if _GLOB & set(base):
            matches = where.expand(base)
            if matches is None:
                return None
            out.extend(where.realpath(m) for m in matches)
        out.append(where.realpath(base))
    return out
