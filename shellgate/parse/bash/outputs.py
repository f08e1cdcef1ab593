"""What a command prints, when that is knowable without running it.

Only for the commands agents use to build text they pipe elsewhere: ``echo``,
``printf``, ``cat``, ``tee``, and decoders (``base64 -d``, ``xxd -r -p``) — enough to
see through ``echo … | base64 -d | sh``.
"""

from __future__ import annotations

import binascii

from shellgate.parse.bash import words as W
from shellgate.parse.context import ParseContext
from shellgate.values import Command


def static_output(ctx: ParseContext, command: Command) -> str | None:
    """The command's stdout if it is statically known, else None."""
    values = [w.value for w in command.argv]
    if not values or any(v is None for v in values):
        return None
    args = [v for v in values if v is not None]
    name = args[0].rsplit("/", 1)[-1]
    rest = args[1:]
    stdin = command.stdin.text
    if name == "echo":
        return W.echo_output(rest)
    if name == "printf":
        return W.printf_output(rest)
    if name == "cat":
        return _cat(ctx, rest, stdin)
    if name == "tee":
        if stdin is not None:
            for path in (a for a in rest if not a.startswith("-")):
                ctx.write(path, stdin, append="-a" in rest or "--append" in rest)
        return stdin
    if name in ("base64", "basenc") and stdin is not None and _decoding(rest):
        return _b64(stdin)
    if name == "xxd" and stdin is not None and "-r" in rest and "-p" in rest:
        try:
            return binascii.unhexlify("".join(stdin.split())).decode("utf-8", "surrogateescape")
        except (binascii.Error, ValueError):
            return None
    if name == "rev" and stdin is not None and not rest:
        return "\n".join(line[::-1] for line in stdin.split("\n"))
    return None


def _decoding(args: list[str]) -> bool:
    return any(a in ("-d", "--decode", "-D") or (a.startswith("-") and not a.startswith("--")
                                                  and "d" in a) for a in args)


def _b64(text: str) -> str | None:
    import base64  # only for `base64 -d` pipes (it imports struct)

    data = "".join(text.split())
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return None


def _cat(ctx: ParseContext, args: list[str], stdin: str | None) -> str | None:
    files = [a for a in args if not a.startswith("-") or a == "-"]
    if not files:
        return stdin
    parts: list[str] = []
    for path in files:
        content = stdin if path == "-" else ctx.read(path)
        if content is None:
            return None
        parts.append(content)
    return "".join(parts)
