"""Read a tool's argv the way the tool would: flags in any spelling, option values,
the sub-command path, and the positional arguments after it."""

from __future__ import annotations

from shellgate.rules.ruleset import Rule, ToolSpec
from shellgate.values import Word, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence


@record
class Flag:
    """One option occurrence: its canonical name (``-f``, ``--force``) and value if any."""

    name: str
    value: str | None = None
    has_value: bool = False


@record
class ArgvView:
    """A command's options and positionals after the rule's sub-command path."""

    flags: tuple[Flag, ...]
    positionals: tuple[Word, ...]
    help: bool


def canonical_flag(spec: str, style: str) -> str:
    """How a flag in a rule is compared: Go-style tools accept ``-x`` and ``--x`` alike."""
    if style == "go":
        return "-" + spec.lstrip("-")
    return spec


def match_path(words: Sequence[Word], tool: ToolSpec, rule: Rule) -> ArgvView | None:
    """Match the rule's sub-command path; return the view of what follows, or None."""
    from shellgate.classify.globs import fnmatchcase

    takes = tool.options_with_value | rule.options_with_value | _value_options(rule)
    path = rule.command
    flags: list[Flag] = []
    positionals: list[Word] = []
    depth = 0
    i = 0
    options_done = False
    help_seen = False
    while i < len(words):
        word = words[i]
        value = word.value
        if value is None:
            if not options_done and word.prefix.startswith("-"):
                i += 1
                continue
            if depth < len(path):
                depth += 1  # could be any sub-command: fail closed, take it as the one we want
            else:
                positionals.append(word)
            i += 1
            continue
        if not options_done and value == "--":
            options_done = True
            flags.append(Flag("--"))
            i += 1
            continue
        if not options_done and _is_option(value, tool.style):
            parsed, consumed = _parse_option(value, words, i, tool, takes)
            flags.extend(parsed)
            help_seen = help_seen or value in tool.help_flags
            i += consumed
            continue
        if depth < len(path):
            if not any(fnmatchcase(value, pattern) for pattern in path[depth]):
                return None
            depth += 1
        else:
            positionals.append(word)
        i += 1
    if depth < len(path):
        return None
    return ArgvView(tuple(flags), tuple(positionals), help_seen)


def _value_options(rule: Rule) -> frozenset[str]:
    names: set[str] = set()
    for match in rule.matches:
        names.update(opt for opt, _ in match.option_values)
        names.update(opt for opt, _ in match.unless_option_values)
    return frozenset(names)


def _is_option(value: str, style: str) -> bool:
    if len(value) < 2 or not value.startswith("-"):
        return False
    return not (style != "plain" and value[1:].replace(".", "").isdigit() and len(value) > 2)


def _parse_option(value: str, words: Sequence[Word], i: int, tool: ToolSpec,
                  takes: frozenset[str]) -> tuple[list[Flag], int]:
    """Parse the option at ``words[i]``; return its flags and how many words it used."""
    nxt = words[i + 1].value if i + 1 < len(words) else None
    if tool.style == "go" or value.startswith("--") or tool.style == "plain":
        name, eq, attached = value.partition("=")
        canon = canonical_flag(name, tool.style)
        wants = name in takes or canonical_flag(name, tool.style) in {
            canonical_flag(t, tool.style) for t in takes}
        if eq:
            return [Flag(canon, attached, True)], 1
        if wants:
            return [Flag(canon, nxt, True)], 2
        return [Flag(canon)], 1
    flags: list[Flag] = []
    letters = value[1:]
    for index, letter in enumerate(letters):
        name = "-" + letter
        if name in takes:
            rest = letters[index + 1:]
            if rest:
                return [*flags, Flag(name, rest.removeprefix("="), True)], 1
            return [*flags, Flag(name, nxt, True)], 2
        flags.append(Flag(name))
    if value in takes:
        return [Flag(value, nxt, True)], 2
    return flags + [Flag(value)] if len(letters) > 1 else flags, 1
