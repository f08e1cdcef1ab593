"""Compare what bash executed (sandbox traces) with what shellgate's parser saw.

Two checks per guarded-tool call bash performed, for every command shellgate *allows*
(a gated or denied command already fails closed, whatever the parser saw):

- **unseen**: shellgate's parse has no command for that tool whose words match the argv
  bash passed (a word shellgate only knows at run time matches any run of words; ``~``,
  ``$HOME`` and ``$PWD`` are read by meaning; an unquoted glob matches what it expands to);
- **bypass**: that argv, decided on its own (``evaluate_argv``, with the stdin the stub
  read), is gated or denied — so bash ran something shellgate would have stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache

from shellgate.engine import evaluate, evaluate_argv
from shellgate.parse import mapping_reader, parse
from shellgate.parse.wrappers.unwrap import base_name
from shellgate.rules.ruleset import RuleSet
from shellgate.values import NO_STDIN, Command, Decision, Stdin, Word
from tests.robustness.sandbox import HOME, Call, Trace

_GLOB = frozenset("*?[")


def guarded_tools(rules: RuleSet) -> frozenset[str]:
    """Every tool a rule names (and its aliases), plus the payload-carrying clients."""
    from shellgate.rules.registry import payload_tools

    names = {tool for rule in rules.rules if rule.on == "command" for tool in rule.tools}
    names |= set(rules.aliases)
    return frozenset(names | payload_tools(rules))


def stdin_tools() -> frozenset[str]:
    """Tools whose stubs record what they read on stdin (it is part of their payload)."""
    from shellgate.rules.registry import stdin_tools as registered
    from tests.conftest import shipped_rules

    return registered(shipped_rules())


@dataclass(frozen=True)
class Disagreement:
    """bash ran ``bash_argv``; shellgate allowed the command without seeing it."""

    kind: str
    cmd: str
    bash_argv: tuple[str, ...]
    shellgate_argvs: tuple[str, ...]
    detail: str = ""

    def __str__(self) -> str:
        seen = "; ".join(self.shellgate_argvs) or "(no command of that tool)"
        return (f"[{self.kind}] {self.cmd!r}\n    bash ran:       {list(self.bash_argv)!r}\n"
                f"    shellgate saw:  {seen}\n    {self.detail}".rstrip())


@dataclass
class Tally:
    """How much the comparison actually compared (so an empty log cannot pass silently)."""

    commands: int = 0
    allowed: int = 0
    guarded_calls: int = 0
    compared_calls: int = 0


def compare(trace: Trace, rules: RuleSet, guarded: frozenset[str],
            tally: Tally | None = None) -> list[Disagreement]:
    """Disagreements between bash's trace and shellgate for one command line."""
    tally = tally if tally is not None else Tally()
    tally.commands += 1
    cmd = trace.case.cmd
    reader = mapping_reader(trace.case.files)
    decision = evaluate(cmd, rules, reader)
    calls = [c for c in trace.calls if rules.canonical(c.name) in guarded or c.name in guarded]
    tally.guarded_calls += len(calls)
    if decision.verdict != "allow":
        return []
    tally.allowed += 1
    found: list[Disagreement] = []
    if trace.garbled:
        found.append(Disagreement("garbled-log", cmd, (), (), "the stub log did not parse"))
    found.extend(unseen(trace, rules, guarded))
    commands = parse(cmd, reader).commands
    after = mapping_reader({**trace.case.files, **trace.files})
    for call in calls:
        tally.compared_calls += 1
        alone = decide_call(call, rules, after)
        if alone.verdict != "allow":
            seen = _seen(commands, call, rules)
            found.append(Disagreement("bypass", cmd, tuple(call.argv), seen,
                                      f"alone this is {alone.verdict}: {alone.rule_ids}; "
                                      "the command line was allowed"))
    return found


def unseen(trace: Trace, rules: RuleSet, guarded: frozenset[str]) -> list[Disagreement]:
    """Guarded calls bash made that no command in shellgate's parse describes (whatever
    shellgate decided)."""
    commands = parse(trace.case.cmd, mapping_reader(trace.case.files)).commands
    found: list[Disagreement] = []
    for call in trace.calls:
        if rules.canonical(call.name) not in guarded and call.name not in guarded:
            continue
        same_tool = [c for c in commands if _tool(c, rules) == rules.canonical(call.name)]
        if not any(argv_matches(c.argv[1:], call.args, call.pwd) for c in same_tool):
            found.append(Disagreement("unseen", trace.case.cmd, tuple(call.argv),
                                      _seen(commands, call, rules),
                                      "no parsed command has these words"))
    return found


def _seen(commands: Sequence[Command], call: Call, rules: RuleSet) -> tuple[str, ...]:
    return tuple(c.show() for c in commands if _tool(c, rules) == rules.canonical(call.name))


def decide_call(call: Call, rules: RuleSet, read_file: object) -> Decision:
    stdin = Stdin(text=call.stdin) if call.stdin is not None else NO_STDIN
    return evaluate_argv(call.argv, rules, read_file, stdin)  # type: ignore[arg-type]


def _tool(command: Command, rules: RuleSet) -> str | None:
    name = base_name(command.argv[0]) if command.argv else None
    return rules.canonical(name) if name is not None else None


def argv_matches(words: Sequence[Word], args: Sequence[str], pwd: str) -> bool:
    """Do shellgate's words describe the arguments bash passed?"""
    ours = tuple(words)
    theirs = tuple(args)

    @cache
    def match(i: int, j: int) -> bool:
        if i == len(ours):
            return j == len(theirs)
        word = ours[i]
        if word.value is None:  # known only at run time: any run of words
            return any(match(i + 1, k) for k in range(j, len(theirs) + 1))
        if j < len(theirs) and _same(word.value, theirs[j], pwd) and match(i + 1, j + 1):
            return True
        if _GLOB & set(word.value):  # an unquoted glob becomes the names it matches
            k = j
            while k < len(theirs) and fnmatchcase(theirs[k], word.value):
                k += 1
                if match(i + 1, k):
                    return True
        return False

    return match(0, 0)


def _same(ours: str, theirs: str, pwd: str) -> bool:
    """Equal, or equal once bash's ``$HOME``/``$PWD`` values are read back as ``~``/``.``."""
    if ours == theirs:
        return True
    for value, meaning in ((pwd, "."), (HOME, "~")):
        if value in theirs and theirs.replace(value, meaning) == ours:
            return True
    return False


def summarize(found: Iterable[Disagreement], limit: int = 40) -> str:
    items = list(found)
    shown = "\n".join(str(d) for d in items[:limit])
    more = f"\n… and {len(items) - limit} more" if len(items) > limit else ""
    return f"{len(items)} disagreement(s) between bash and shellgate:\n{shown}{more}"
