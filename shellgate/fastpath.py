"""The shim's fast path: prove that no rule can match an argv without importing the engine.

Imports only ``os``. It reads the quick index written next to the compiled rules
(``shellgate/rules/cache.py``), a plain text file split with ``str.split`` (no parser to
import, nothing a crafted file can make it run), and answers True only when the tool is not
a wrapper or payload carrier and none of the words that could start a matching rule
appear in the argv. Anything else — a stale or missing cache, an unknown shape, any
error — answers False, and the full engine decides. It can never turn a gate into an
allow: it only skips work for commands the engine would allow anyway.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

    from shellgate.rules.model import RuleSet

CACHE_NAME = "rules.cache"
QUICK_NAME = "quick.index"
FORMAT = 5
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


def shipped_patterns_dir() -> str:
    """Installed: ``shellgate/patterns``; a source checkout: the top-level ``patterns``."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "patterns")
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(here), "patterns")


def pattern_paths(shipped: str, user: str | None) -> list[str]:
    """Shipped files, with a user file of the same name replacing the shipped one."""
    files: dict[str, str] = {}
    for directory in (shipped, user):
        if directory and os.path.isdir(directory):
            for name in os.listdir(directory):
                if name.endswith(".toml"):
                    files[name] = os.path.join(directory, name)
    return [files[name] for name in sorted(files)]


def cache_key(paths: list[str]) -> str:
    """shellgate's version plus each pattern file's path, size and mtime."""
    from shellgate import __version__

    parts = [f"shellgate {__version__} format {FORMAT}"]
    for path in paths:
        stat = os.stat(path)
        parts.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return "\n".join(parts)


def quick_allow(argv: list[str], config_dir: str) -> bool:
    """True only when no rule can match ``argv`` (per a current quick index)."""
    try:
        paths = pattern_paths(shipped_patterns_dir(), os.path.join(config_dir, "patterns"))
        with open(os.path.join(config_dir, "cache", QUICK_NAME), encoding="utf-8") as handle:
            text = handle.read()
        head, _, body = text.partition("\n\n")
        if head != cache_key(paths).replace("\0", "\t"):
            return False
        tool = argv[0].rsplit("/", 1)[-1]
        for line in body.splitlines():
            fields = line.split(" ")
            if fields[0] == "special" and tool in fields[1:]:
                return False
            if fields[0] == "tool" and fields[1] == tool:
                dash, full, triggers = fields[2] == "1", fields[3] == "1", fields[4:]
                words = argv[1:]
                if full or (dash and any(w.startswith("-") for w in words)):
                    return False
                return not any(w in triggers for w in words)
        return True
    except Exception:  # any doubt: the full engine decides
        return False


def quick_text(key: str, rules: RuleSet) -> str:
    """The quick index as text: the cache key, a blank line, then one line per entry."""
    index = quick_index(rules)
    lines = ["special " + " ".join(index["special"])]
    for name, (triggers, dash, full) in sorted(index["tools"].items()):
        unsafe = any(not w or any(c.isspace() for c in w) for w in (name, *triggers))
        lines.append(" ".join(["tool", name, "1" if dash else "0",
                               "1" if full or unsafe else "0", *triggers]))
    return key.replace("\0", "\t") + "\n\n" + "\n".join(lines) + "\n"


def quick_index(rules: RuleSet) -> dict[str, Any]:
    """Per tool: words that could start a matching rule, whether any dash word could,
    whether the tool is too complex to prefilter; plus tools that always need the engine."""
    from shellgate.classify.payload import CODE_TOOLS, DB_TOOLS, HTTP_TOOLS, OTHER_SQL
    from shellgate.parse.unwrap import _SPECIAL, INTERPRETERS, SHELLS
    from shellgate.parse.wrappers import PREFIX, RUNNERS

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
