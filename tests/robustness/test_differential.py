"""Differential testing against real bash: every corpus command and a stream of generated
ones run under bash in a sealed sandbox (``sandbox.py``) where every program is a stub that
logs its argv. For each command shellgate allows, every guarded-tool call bash made must be
one shellgate's parser saw, with the same words, and must not be gated on its own.

CI runs the whole corpus and a few hundred generated commands per fixed seed;
``--long`` runs thousands more and a fresh seed (``ROBUSTNESS_SEED=N`` replays one).
"""

from __future__ import annotations

import random

import pytest

from shellgate.parse import mapping_reader, parse
from shellgate.parse.wrappers.unwrap import base_name
from shellgate.rules.ruleset import RuleSet
from tests.conftest import corpus_items
from tests.robustness import differential as D
from tests.robustness import gen
from tests.robustness import sandbox as S

GENERATED_PER_SEED = 300
GENERATED_PER_SEED_LONG = 4000

pytestmark = [pytest.mark.slow, pytest.mark.skipif(S.unavailable() is not None,
                                reason=f"no bash sandbox: {S.unavailable()}")]


def corpus_cases() -> list[S.Case]:
    return [S.Case(item["cmd"], item.get("files") or {}) for item in corpus_items()]


def generated_cases(rules: RuleSet, seed: int, count: int) -> list[S.Case]:
    """Half destructive, half ordinary rule examples, respelled and nested at random."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data
    gate, ordinary = gen.samples(rules, "gate"), gen.samples(rules, "pass")
    return [S.Case(gen.command_line(list(rnd.choice(gate if i % 2 else ordinary).argv), rnd))
            for i in range(count)]


def stub_names(rules: RuleSet, cases: list[S.Case]) -> set[str]:
    """Every guarded tool, and every program name shellgate sees in the cases."""
    names = set(D.guarded_tools(rules))
    for case in cases:
        for command in parse(case.cmd, mapping_reader(case.files)).commands:
            name = base_name(command.argv[0]) if command.argv else None
            if name:
                names.add(name)
    return names


def run_and_compare(cases: list[S.Case], rules: RuleSet) -> tuple[list[D.Disagreement], D.Tally]:
    guarded = D.guarded_tools(rules)
    traces = S.run(cases, stub_names(rules, cases), D.stdin_tools())
    tally = D.Tally()
    found = [d for trace in traces for d in D.compare(trace, rules, guarded, tally)]
    return found, tally


def test_corpus_commands_agree_with_bash(rules: RuleSet) -> None:
    found, tally = run_and_compare(corpus_cases(), rules)
    assert found == [], D.summarize(found)
    assert tally.commands > 1500 and tally.allowed > 700
    assert tally.compared_calls > 500, tally  # the stubs really logged what bash ran


def test_generated_commands_agree_with_bash(rules: RuleSet, seeds: list[int],
                                            long_run: bool) -> None:
    count = GENERATED_PER_SEED_LONG if long_run else GENERATED_PER_SEED
    for seed in seeds:
        found, tally = run_and_compare(generated_cases(rules, seed, count), rules)
        assert found == [], f"seed {seed} (replay: ROBUSTNESS_SEED={seed}): " + D.summarize(found)
        assert tally.compared_calls > count // 5, tally
