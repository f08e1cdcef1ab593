"""bashlex as a second static opinion on argv, over the corpus and generated commands.

Where bashlex parses a command and names a guarded tool, shellgate must have seen that
call with the same words (unless shellgate's parser itself reported it could not read the
command: that fails closed). bashlex has bugs of its own (it drops double quotes inside
single quotes, keeps ``''`` inside words), so a disagreement is settled by bash itself in
the sandbox: the test fails only when bash sides with bashlex.
"""

from __future__ import annotations

import random

import pytest

from shellgate.parse import mapping_reader, parse
from shellgate.rules.ruleset import RuleSet
from tests.robustness import differential as D
from tests.robustness import gen
from tests.robustness import sandbox as S
from tests.robustness.bashlex_opinion import bashlex_commands, disagreements
from tests.robustness.test_differential import corpus_cases, stub_names

pytestmark = pytest.mark.slow  # the edit loop runs -m "not slow"; CI runs all

pytest.importorskip("bashlex")


def _cases(rules: RuleSet, seeds: list[int], count: int) -> list[S.Case]:
    cases = corpus_cases()
    gate, ordinary = gen.samples(rules, "gate"), gen.samples(rules, "pass")
    for seed in seeds:
        rnd = random.Random(seed)  # noqa: S311 - reproducible test data
        cases += [S.Case(gen.command_line(list(rnd.choice(gate + ordinary).argv), rnd))
                  for _ in range(count)]
    return cases


def test_shellgate_sees_every_guarded_call_bashlex_sees(rules: RuleSet, seeds: list[int],
                                                        long_run: bool) -> None:
    guarded = D.guarded_tools(rules)
    cases = _cases(rules, seeds, 3000 if long_run else 600)
    parsed = sum(bashlex_commands(c.cmd) is not None for c in cases)
    assert parsed > len(cases) // 3  # bashlex had an opinion on a good share
    flagged = [set() if parse(c.cmd, mapping_reader(c.files)).problems  # fails closed
               else {tool for tool, _ in disagreements(c.cmd, rules, guarded, c.files)}
               for c in cases]
    suspects = [c for c, tools in zip(cases, flagged, strict=True) if tools]
    suspect_tools = [tools for tools in flagged if tools]
    if not suspects:
        return
    if S.unavailable() is not None:
        pytest.fail("bashlex disagrees and no sandbox can settle it:\n" + "\n".join(
            text for c in suspects for _, text in disagreements(c.cmd, rules, guarded, c.files)))
    traces = S.run(suspects, stub_names(rules, suspects), D.stdin_tools())
    confirmed = [d for t, tools in zip(traces, suspect_tools, strict=True)
                 for d in D.unseen(t, rules, guarded) if rules.canonical(d.bash_argv[0]) in tools]
    assert confirmed == [], D.summarize(confirmed)
