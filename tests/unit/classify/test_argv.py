"""Flags in every spelling a tool accepts, and the positionals after a sub-command."""

from __future__ import annotations

import pytest

from tests.conftest import decide_text


@pytest.mark.parametrize("cmd", [
    "git push --force", "git push -f", "git push --forc", "git push --force=yes",
    "git -C repo -c a=b push -f origin main", "git push origin main --force",
    "rm -fr x", "rm -Rf x", "rm -r -f x", "rm --recursive x", "rm --rec --forc x",
    "git clean -xdf", "git clean -dfx", "truncate -s0 db.sqlite",
])
def test_flag_spellings_gate(cmd: str) -> None:
    assert decide_text(cmd).verdict == "gate"


@pytest.mark.parametrize("cmd", [
    "git commit -m -f", "git -c push.default=current push origin main",
    "git log --grep=force", "git push -o ci.skip origin main",
    "redis-cli --scan --pattern flushall", "find . -name '-delete'",
])
def test_option_values_are_not_flags(cmd: str) -> None:
    assert decide_text(cmd).verdict == "allow"


def test_go_style_flags_accept_one_or_two_dashes() -> None:
    from shellgate.classify.argv import canonical_flag

    assert canonical_flag("--auto-approve", "go") == canonical_flag("-auto-approve", "go")
