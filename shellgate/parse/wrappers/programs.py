"""Programs run by path (``./cleanup``, ``bin/deploy``): what their first line says runs them.

bash runs a file named with a ``/`` directly: a ``#!`` line names its interpreter
(``#!/usr/bin/env python3``, ``#!/bin/bash -e``); a text file without one is run by the
shell itself. shellgate reads the file when it is visible (written earlier in the same
line, or through the surface's reader, bounded and hashed into the approval) and hands
it to the reader of that language; a file it cannot read is noted for strict mode.
"""

from __future__ import annotations

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.unwrap import Inner
from shellgate.values import Command, lit

_BINARY_MAGIC = ("\x7fELF", "\xcf\xfa\xed\xfe", "\xce\xfa\xed\xfe", "MZ")


def program_file(path: str, command: Command, ctx: ParseContext) -> list[Inner]:
    """The code a program file runs, as an inner script or an interpreter command."""
    args = tuple(command.argv[1:])
    content = ctx.read(path)
    if content is None:
        if not path.startswith(("/usr/", "/bin/", "/sbin/", "/opt/", "/nix/", "/snap/")):
            ctx.problem("unread-script", f"{path} runs, and shellgate cannot read it",
                        command.via)
        return []
    if content.startswith(_BINARY_MAGIC) or "\x00" in content[:512]:
        return []  # a compiled program: nothing to read
    if not content.startswith("#!"):
        return [Inner(f"script {path}", script=content, positional=args)]
    line = content[2:].split("\n", 1)[0].strip()
    words = line.split()
    if not words:
        return [Inner(f"script {path}", script=content, positional=args)]
    if words[0].rsplit("/", 1)[-1] == "env":
        words = [w for w in words[1:] if not w.startswith("-") and "=" not in w] or words
    # `#!/bin/bash -e` → bash -e PATH ARGS: the shell and interpreter readers take it from
    # there (they read PATH again; the reader's digest stays the same)
    argv = (*(lit(w) for w in words), lit(path), *args)
    return [Inner(f"#! {path}", argv=argv)]
