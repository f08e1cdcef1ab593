"""Does a rule's ``[[rule.match]]`` block hold for a command's argv view?"""

from __future__ import annotations

import posixpath

from shellgate.classify.argv import ArgvView, Flag, canonical_flag
from shellgate.classify.globs import fnmatchcase
from shellgate.rules.ruleset import Match, Rule, ToolSpec

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable

if TYPE_CHECKING:
    Resolve = Callable[[str], "str | None"]
    """Where a path leads when a symlink is on the way (None: no symlink, or not visible)."""


def rule_holds(rule: Rule, view: ArgvView, tool: ToolSpec, resolve: Resolve | None = None) -> bool:
    """True when any match block of the rule holds."""
    return any(block_holds(block, view, tool, resolve) for block in rule.matches)


def block_holds(block: Match, view: ArgvView, tool: ToolSpec,
                resolve: Resolve | None = None) -> bool:
    """True when every key given in the block holds. ``resolve`` (from the surface) lets
    ``safe_args`` judge a path by where its symlinks lead."""
    if block.flags and not any(has_flag(view.flags, f, tool) for f in block.flags):
        return False
    if block.all_flags and not all(has_flag(view.flags, f, tool) for f in block.all_flags):
        return False
    if block.no_flags and any(has_flag(view.flags, f, tool) for f in block.no_flags):
        return False
    values = [w.value for w in view.positionals]
    if block.args and not any(
        v is not None and _glob_any(v, block.args, block.ignore_case) for v in values
    ):
        return False
    if block.no_args and any(
        v is not None and _glob_any(v, block.no_args, block.ignore_case) for v in values
    ):
        return False
    if block.safe_args and values and all(is_safe_path(v, block.safe_args, resolve)
                                          for v in values):
        return False
    if block.min_args is not None and len(values) < block.min_args:
        return False
    if block.max_args is not None and len(values) > block.max_args:
        return False
    for option, globs in block.option_values:
        if not any(_value_matches(f, option, globs, tool) for f in view.flags):
            return False
    for option, globs in block.unless_option_values:
        given = [f for f in view.flags if has_flag((f,), option, tool)]
        if given and all(_value_matches(f, option, globs, tool) for f in given):
            return False
    return True


def has_flag(flags: tuple[Flag, ...], spec: str, tool: ToolSpec) -> bool:
    """Is ``spec`` among the flags, in any spelling the tool accepts?"""
    want = canonical_flag(spec, tool.style)
    for flag in flags:
        if flag.name == want:
            return True
        if (tool.abbreviations and want.startswith("--") and flag.name.startswith("--")
                and len(flag.name) >= 4 and want.startswith(flag.name)):
            return True
    return False


def _value_matches(flag: Flag, option: str, globs: tuple[str, ...], tool: ToolSpec) -> bool:
    if not has_flag((flag,), option, tool) or flag.value is None:
        return False
    return _glob_any(flag.value, globs, True)


def _glob_any(value: str, globs: tuple[str, ...], ignore_case: bool) -> bool:
    if ignore_case:
        value = value.lower()
        return any(fnmatchcase(value, g.lower()) for g in globs)
    return any(fnmatchcase(value, g) for g in globs)


def is_safe_path(value: str | None, globs: tuple[str, ...], resolve: Resolve | None = None) -> bool:
    """A path argument that only names regenerable output (``node_modules``, ``dist``…),
    written so and, where the filesystem is visible, leading there: a ``build`` that is a
    symlink to real data is judged by where it leads."""
    if not _written_safe(value, globs):
        return False
    real = resolve(value) if resolve is not None and value is not None else None
    return real is None or _written_safe(real, globs)


def _written_safe(value: str | None, globs: tuple[str, ...]) -> bool:
    if value is None or not value.strip():
        return False
    path = value
    while path.startswith("./"):
        path = path[2:]
    path = path.rstrip("/")
    if not path or path in (".", "..", "~", "/", "*") or "\n" in path:
        return False
    parts = path.split("/")
    if ".." in parts or any(p in ("", ".") for p in parts[1:]):
        return False
    normal = posixpath.normpath(path)
    return any(fnmatchcase(normal, g) for g in globs)
