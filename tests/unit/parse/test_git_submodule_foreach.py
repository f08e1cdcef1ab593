"""``git submodule foreach CMD``: git runs CMD with ``sh -c`` in every submodule."""

from __future__ import annotations

from shellgate.parse import parse
from tests.conftest import decide_text


def test_foreach_command_is_read_as_a_script() -> None:
    shown = [c.show() for c in parse("git submodule foreach --recursive 'git clean -fdx'").commands]
    assert "git clean -fdx" in shown


def test_words_are_joined_like_git_does() -> None:
    shown = [c.show() for c in parse("git submodule --quiet foreach rm -rf build data").commands]
    assert "rm -rf build data" in shown


def test_destructive_foreach_gates_and_plain_one_passes() -> None:
    assert "git.reset-hard" in decide_text("git submodule foreach 'git reset --hard'").rule_ids
    assert decide_text("git submodule foreach git pull").verdict == "allow"


def test_run_time_foreach_command_gates() -> None:
    assert decide_text('git submodule foreach "$CMD"').verdict == "gate"
