"""Which files a command may write: redirect targets and the path arguments of the tools
that write, copy, move, link, truncate or delete files — including the ``tee``/``cp``/
``mv``/``rm`` commands the parser derives from interpreter file APIs (Python ``open(p,
"w")``, ``Path.write_text``, Node ``fs.writeFileSync``, Perl/Ruby ``open``…).

Deliberately generous: every non-option argument of such a tool is a candidate (``cp``'s
source too), so that a path shellgate must protect is never missed; a candidate only
matters if it resolves into a protected place (``shellgate.protect.places``)."""

from __future__ import annotations

from shellgate.values import Command, Script

WRITE_REDIRECTS = frozenset({">", ">>", "&>", "&>>", ">|", ">&", "<>", "&>|"})
WRITERS = frozenset({"tee", "cp", "mv", "install", "ln", "link", "rsync", "truncate", "rm",
                     "unlink", "shred", "rmdir", "sed", "perl", "dd", "chmod", "chown",
                     "chgrp", "patch", "touch", "mkdir", "rename", "gsed"})
"""Tools whose path arguments may be written (``touch``/``mkdir`` can create a ``.pth`` or
a pattern file; ``patch`` edits in place)."""


_IN_PLACE = frozenset({"sed", "gsed", "perl"})


def _in_place(word: str) -> bool:
    """``-i``, ``-i.bak``, ``--in-place[=…]``, or a bundle with ``i`` (``-pi``, ``-ni``)."""
    if word.startswith("--in-place"):
        return True
    return word.startswith("-") and not word.startswith("--") and "i" in word[1:].split(
        "e", 1)[0]


def _tool(command: Command) -> str | None:
    if not command.argv or command.argv[0].value is None:
        return None
    return command.argv[0].value.rsplit("/", 1)[-1]


def command_targets(command: Command) -> list[str]:
    """The static paths ``command`` may write."""
    found = [r.target.value for r in command.redirects
             if r.op in WRITE_REDIRECTS and r.target is not None and r.target.value
             and not r.target.value.isdigit() and r.target.value != "-"]
    tool = _tool(command)
    if tool not in WRITERS:
        return found
    if tool in _IN_PLACE and not any(_in_place(w.value or "") for w in command.argv[1:]):
        return found  # sed/perl without -i only read their files
    for word in command.argv[1:]:
        value = word.value
        if not value or value == "--":
            continue
        if tool == "dd":
            if value.startswith("of="):
                found.append(value[3:])
            continue
        if value.startswith("--") and "=" in value:
            found.append(value.split("=", 1)[1])
        elif not value.startswith("-"):
            found.append(value)
    return found


def write_targets(script: Script) -> list[tuple[str, Command]]:
    """Every (path, command) pair in the script."""
    return [(path, command) for command in script.commands
            for path in command_targets(command)]


def directory_changes(script: Script) -> list[str]:
    """Static ``cd``/``pushd`` targets: a relative write may be relative to any of them."""
    return [c.argv[1].value for c in script.commands
            if _tool(c) in ("cd", "pushd") and len(c.argv) > 1 and c.argv[1].value
            and not c.argv[1].value.startswith("-")]
