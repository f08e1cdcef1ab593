"""Every bypass the differential harness found stays closed: bash really runs the
destructive call (sandbox), and shellgate gates the command line (see ``found.py``)."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
from shellgate.rules.ruleset import RuleSet
from tests.robustness import differential as D
from tests.robustness import sandbox as S
from tests.robustness.found import FOUND, FOUND_BY_FUZZING, Found


def _id(found: Found) -> str:
    return f"{found.family}: {found.cmd[:30]}"


@pytest.mark.parametrize("found", FOUND, ids=_id)
def test_found_bypass_is_gated(found: Found, rules: RuleSet) -> None:
    assert evaluate(found.cmd, rules).verdict in ("gate", "deny")


@pytest.mark.parametrize("cmd", FOUND_BY_FUZZING)
def test_bypass_found_by_fuzzing_is_gated(cmd: str, rules: RuleSet) -> None:
    assert evaluate(cmd, rules).verdict in ("gate", "deny")


@pytest.mark.skipif(S.unavailable() is not None, reason=f"no bash sandbox: {S.unavailable()}")
def test_bash_really_runs_each_found_bypass(rules: RuleSet) -> None:
    names = set(D.guarded_tools(rules)) | {"ls", "printf", "echo"}
    traces = S.run([S.Case(f.cmd) for f in FOUND], names, D.stdin_tools())
    missing = [f"{t.case.cmd!r}: bash ran {[c.argv for c in t.calls]}"
               for f, t in zip(FOUND, traces, strict=True)
               if list(f.ran) not in [c.argv for c in t.calls]]
    assert missing == []
