"""Secrets in curl headers without putting them on a command line.

A command line is readable by every user (``/proc/PID/cmdline``), so a value never goes into
argv. The agent writes the header with a quoted placeholder, as the human approves it:

    shellgate run -- curl -H 'Authorization: Bearer ${RAILWAY_TOKEN}' https://backboard.railway.app/…

and curl is started with ``-H @/dev/fd/N`` instead, N an unnamed in-memory file holding the
header with the value (curl reads headers from a file given as ``@file``). The secret also
stays in curl's environment, as for every tool.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _fill(text: str, values: Mapping[str, str]) -> str | None:
    """``text`` with its placeholders of known secrets filled (None: it names none)."""
    named = False

    def swap(match: re.Match[str]) -> str:
        nonlocal named
        name = match.group(1) or match.group(2)
        if name in values:
            named = True
            return values[name]
        return match.group(0)

    filled = _PLACEHOLDER.sub(swap, text)
    return filled if named else None


def _header_file(header: str) -> str:
    """An inheritable in-memory file holding ``header``: its ``/dev/fd`` path."""
    fd = os.memfd_create("shellgate-header", 0)
    os.write(fd, header.encode("utf-8") + b"\n")
    os.lseek(fd, 0, os.SEEK_SET)
    os.set_inheritable(fd, True)
    return f"/dev/fd/{fd}"


def curl_argv(argv: list[str], values: Mapping[str, str]) -> list[str]:
    """curl's argv with each header that names a secret moved into a header file."""
    if not values or not argv or argv[0].rsplit("/", 1)[-1] != "curl":
        return argv
    out: list[str] = []
    take_next = False
    for word in argv:
        if take_next:
            take_next = False
            filled = _fill(word, values)
            out.append(word if filled is None else "@" + _header_file(filled))
            continue
        if word in ("-H", "--header"):
            take_next = True
            out.append(word)
            continue
        for prefix in ("--header=", "-H"):
            if word.startswith(prefix) and len(word) > len(prefix):
                filled = _fill(word[len(prefix):], values)
                if filled is not None:
                    word = prefix + "@" + _header_file(filled)
                break
        out.append(word)
    return out
