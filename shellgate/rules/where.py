"""The edge's facts for scoped exceptions: the working directory, today's date, the real
user's home, and the file system's answers (real paths, glob expansions).

Everything here reads the system; ``shellgate.classify.exceptions`` only reads a
:class:`~shellgate.rules.scope.Where` built here (or a table in tests).
"""

from __future__ import annotations

import os

from shellgate.rules.scope import Where

MAX_EXPANSION = 2000
"""A glob matching more paths than this is not expanded: no exception applies."""


def real_home() -> str | None:
    """The real user's home from the password database, symlinks resolved."""
    import pwd

    try:
        return os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        return None


def edge_where(trust_tilde: bool = True) -> Where | None:
    """Facts for a command about to run here. ``~`` is trusted only when asked and the
    environment's HOME (what the shell will expand ``~`` to) is the real user's home; None
    when the working directory cannot be found."""
    import time

    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:
        return None
    home = real_home()
    env_home = os.environ.get("HOME")
    if not trust_tilde or (home is not None and env_home is not None
                            and os.path.realpath(env_home) != home):
        home = None
    return Where(cwd, time.strftime("%Y-%m-%d"), home, os.path.realpath, expand)


def expand(pattern: str) -> tuple[str, ...] | None:
    """What a glob matches now, hidden files included (bash matches them too when the
    environment sets ``BASHOPTS=dotglob``); None when it matches too many to check, or
    when this Python cannot include hidden files (3.10)."""
    import glob
    import sys

    if sys.version_info < (3, 11):  # pragma: no cover - no include_hidden: fail closed
        return None
    found: list[str] = []
    for path in glob.iglob(pattern, include_hidden=True):
        found.append(path)
        if len(found) > MAX_EXPANSION:
            return None
    return tuple(found)
