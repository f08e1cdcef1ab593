"""``shellgate rules suggest``: scoped exceptions proposed from the audit trail.

Reads the approvals a human made with a key touch, and for each rule groups them by the
directory that holds every path they touched (their working directory and the real paths
of their operands). A directory that holds at least ``minimum`` approvals of the same rule
— the deepest such directory, and never one too broad for an exception — becomes a draft
``[[exception]]``. The draft is text to review: nothing applies until a human saves it in
the config's ``patterns/`` and accepts it with ``shellgate rules accept FILE``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shellgate.rules.scope import path_words
from shellgate.rules.tuning import too_broad
from shellgate.values import record

DEFAULT_MINIMUM = 3
EXPIRY_DAYS = 90
_SHOWN = 5


@record
class Suggestion:
    """A proposed exception: the rule, the directory, and the approvals behind it."""

    rule: str
    directory: str
    commands: tuple[str, ...]
    first: int
    last: int


def approvals(records: Iterable[Mapping[str, Any]], home: str | None,
              ) -> list[tuple[str, str, str]]:
    """(rule, directory holding every path the command touched, command) per rule of each
    approved command. Core checks are left out: no exception can waive them."""
    out: list[tuple[str, str, str]] = []
    for entry in records:
        request = entry.get("request")
        if entry.get("event") != "approved" or not isinstance(request, Mapping):
            continue
        command, cwd = request.get("command"), request.get("cwd")
        rules = request.get("rules")
        if not isinstance(command, str) or not isinstance(cwd, str) or not isinstance(rules, list):
            continue
        directory = _directory(command, cwd, home)
        if directory is None:
            continue
        for rule in rules:
            if isinstance(rule, str) and not rule.startswith("core."):
                out.append((rule, directory, command))
    return out


def suggest(records: Sequence[Mapping[str, Any]], home: str | None,
            minimum: int = DEFAULT_MINIMUM) -> list[Suggestion]:
    """Deepest directories, per rule, holding at least ``minimum`` approvals."""
    times: dict[str, list[int]] = {}
    for entry in records:
        request = entry.get("request")
        if isinstance(request, Mapping) and isinstance(request.get("command"), str):
            times.setdefault(request["command"], []).append(int(request.get("time", 0) or 0))
    by_rule: dict[str, list[tuple[str, str]]] = {}
    for rule, directory, command in approvals(records, home):
        by_rule.setdefault(rule, []).append((directory, command))
    found: list[Suggestion] = []
    for rule in sorted(by_rule):
        left = by_rule[rule]
        candidates = sorted({a for d, _ in left for a in _ancestors(d)},
                            key=lambda d: (-d.count("/"), d))
        for directory in candidates:
            inside = [(d, c) for d, c in left if d == directory or d.startswith(directory + "/")]
            if len(inside) < minimum or too_broad(directory + "/**", home):
                continue
            when = [t for _, c in inside for t in times.get(c, [0])]
            found.append(Suggestion(rule, directory, tuple(dict.fromkeys(c for _, c in inside)),
                                    min(when), max(when)))
            left = [x for x in left if x not in inside]
    return found


def draft(suggestions: list[Suggestion], home: str | None, read: int, today: float) -> str:
    """The draft pattern file: one commented ``[[exception]]`` per suggestion."""
    expires = time.strftime("%Y-%m-%d", time.localtime(today + EXPIRY_DAYS * 86400))
    lines = [f"# Draft from `shellgate rules suggest` ({read} audit records read).",
             "# Nothing here applies until you review it, save it in the config's patterns/",
             "# directory and accept it with a key touch: `shellgate rules accept FILE`.",
             "# Check each scope: the command, its working directory and every path it",
             "# touches must lie inside `paths` for the exception to apply."]
    if not suggestions:
        lines.append("# No rule was approved often enough in one directory to suggest one.")
    for item in suggestions:
        shown = _tilde(item.directory, home)
        lines += ["", f"# approved {len(item.commands)} distinct command(s), "
                  f"{_day(item.first)} to {_day(item.last)}, e.g.:"]
        lines += [f"#   {_comment(c)}" for c in item.commands[:_SHOWN]]
        lines += ["[[exception]]", f"rule = {_toml(item.rule)}",
                  f"paths = [{_toml(shown + '/**')}]",
                  f"why = {_toml(f'approved repeatedly in {shown}: say why it is safe here')}",
                  f"expires = {expires}"]
    return "\n".join(lines) + "\n"


def _directory(command: str, cwd: str, home: str | None) -> str | None:
    """The directory holding the working directory and every path-like word (lexically:
    the paths may be gone since)."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return None
    paths = [os.path.normpath(cwd)]
    for word in words[1:]:
        for candidate in path_words(word, False):
            if candidate.startswith("~"):
                if home is None or not (candidate == "~" or candidate.startswith("~/")):
                    return None
                candidate = home + candidate[1:]
            if any(c in candidate for c in "$`"):
                return None
            paths.append(os.path.normpath(os.path.join(cwd, candidate)))
    try:
        return os.path.commonpath(paths)
    except ValueError:
        return None


def _ancestors(directory: str) -> list[str]:
    out = []
    while directory not in ("/", ""):
        out.append(directory)
        directory = os.path.dirname(directory)
    return out


def _tilde(path: str, home: str | None) -> str:
    if home and path.startswith(home.rstrip("/") + "/"):
        return "~" + path[len(home.rstrip("/")):]
    return path


def _day(when: int) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(when)) if when else "?"


def _toml(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=True)


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)[:200]
