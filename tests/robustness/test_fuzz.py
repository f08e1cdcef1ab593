"""Property-based fuzzing of parse → classify → decide (hypothesis), static: no command runs.

- A destructive rule example, respelled (quoting, escapes, whitespace, comments), wrapped
  (sudo, env, nice, timeout, xargs, ssh, docker exec…), nested (bash -c, eval, here-docs,
  pipes into a shell, functions, substitutions…) and chained with ordinary statements, is
  never allowed.
- Arbitrary text and bytes are decided — never an exception, never an internal error — in
  bounded time (each example has a deadline), and a destructive statement standing on its
  own line among arbitrary other statements is never allowed.

``--long`` multiplies the number of examples.
"""

from __future__ import annotations

import random
import shlex
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shellgate.engine import evaluate
from shellgate.rules.ruleset import RuleSet
from shellgate.values import Decision
from tests.conftest import shipped_rules
from tests.robustness import gen

pytestmark = pytest.mark.slow  # the edit loop runs -m "not slow"; CI runs all

ROOT = Path(__file__).resolve().parents[2]
RULES = shipped_rules()
DESTRUCTIVE = gen.samples(RULES, "gate")
DEADLINE = timedelta(seconds=5)
"""Generous: a decision normally takes well under 10 ms; a blow-up shows as seconds."""


LONG = False


def _settings(examples: int) -> settings:
    """Reproducible in CI; ``--long`` explores ten times as many, freshly random examples."""
    return settings(max_examples=examples * (10 if LONG else 1), deadline=DEADLINE,
                    derandomize=not LONG, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def scale(long_run: bool) -> int:
    global LONG
    LONG = long_run
    return 10 if long_run else 1


def _explain(cmd: str, decision: Decision) -> str:
    return f"allowed: {cmd!r} ({decision.rule_ids})"


def test_there_are_destructive_examples_to_fuzz() -> None:
    assert len(DESTRUCTIVE) > 300


def test_destructive_commands_in_any_spelling_never_pass() -> None:
    @_settings(400)
    @given(st.randoms(use_true_random=False), st.sampled_from(DESTRUCTIVE))
    def check(rnd: random.Random, sample: gen.Sample) -> None:
        cmd = gen.command_line(list(sample.argv), rnd, real_only=False)
        decision = evaluate(cmd, RULES)
        assert decision.verdict != "allow", _explain(cmd, decision)

    check()


def test_wrapper_chains_keep_the_rule() -> None:
    """Prefix wrappers alone (no nesting) must not even change which rule fires."""

    @_settings(300)
    @given(st.lists(st.sampled_from(gen.STATIC_PREFIXES), max_size=4),
           st.sampled_from(DESTRUCTIVE))
    def check(wrappers: list[tuple[str, ...]], sample: gen.Sample) -> None:
        argv = [w for wrapper in wrappers for w in wrapper] + list(sample.argv)
        cmd = shlex.join(argv)
        decision = evaluate(cmd, RULES)
        assert decision.verdict != "allow", _explain(cmd, decision)
        assert sample.rule_id in decision.rule_ids, (cmd, decision.rule_ids)

    check()


def test_arbitrary_text_is_decided() -> None:
    @_settings(300)
    @given(st.text(max_size=400))
    def check(text: str) -> None:
        decision = evaluate(text, RULES)
        assert decision.verdict in ("allow", "gate", "deny")
        assert "core.internal-error" not in decision.rule_ids, decision.findings

    check()


def test_shell_like_text_is_decided() -> None:
    """Text made of shell syntax, so the parser's deep paths are reached."""
    pieces = st.sampled_from(["$(", ")", "`", "'", '"', "\\", "{", "}", "(", ")", "<<E\n",
                              "\nE\n", "<<<", "|", "&&", ";", "\n", " ", "$'", "${", "#",
                              "bash -c ", "eval ", "sudo ", "xargs ", "git push -f", "rm -rf /",
                              "=", "a", "*", "[[", "]]", "((", "))", "<(", ">", "2>&1", "!"])

    @_settings(400)
    @given(st.lists(pieces, max_size=60).map("".join))
    def check(text: str) -> None:
        decision = evaluate(text, RULES)
        assert "core.internal-error" not in decision.rule_ids, (text, decision.findings)

    check()


def test_arbitrary_bytes_are_decided() -> None:
    @_settings(300)
    @given(st.binary(max_size=400))
    def check(data: bytes) -> None:
        decision = evaluate(data, RULES)
        assert decision.verdict in ("allow", "gate", "deny")
        assert "core.internal-error" not in decision.rule_ids, decision.findings

    check()


# Junk that cannot turn the next line into data: no quotes, escapes, comments, here-docs,
# brackets, substitutions or dangling redirections (bash refuses such a script outright).
_JUNK = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 \t;&|=-_./~,:+%@!*?", max_size=40)


def test_destructive_statement_among_junk_never_passes() -> None:
    @_settings(400)
    @given(_JUNK, _JUNK, st.sampled_from(DESTRUCTIVE), st.binary(max_size=8))
    def check(before: str, after: str, sample: gen.Sample, noise: bytes) -> None:
        text = f"{before}\n{shlex.join(sample.argv)}\n{after}"
        for cmd in (text, text.encode() + b"\n" + noise):
            decision = evaluate(cmd, RULES)
            assert decision.verdict != "allow", _explain(str(cmd), decision)

    check()


def test_input_that_crashed_tree_sitter_is_decided() -> None:
    """``{`` and U+DEC4F made tree-sitter-bash segfault (found by ``--long`` fuzzing); a
    subprocess, so that a crash fails this test instead of killing the run."""
    code = ("from shellgate.engine import evaluate\nfrom tests.conftest import shipped_rules\n"
            "rules = shipped_rules()\n"
            "for _ in range(1000):\n"
            "    assert evaluate('{\\U000dec4f', rules).verdict == 'gate'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def test_fixture_rules_are_the_shipped_ones(rules: RuleSet) -> None:
    assert rules is RULES
