"""The stubs' log records as the differential harness reads them: a record cut short by a
case's timeout is dropped (the complete ones before it still count); damage anywhere else
is garbled, and garbled allowed commands are disagreements."""

from __future__ import annotations

from tests.robustness.sandbox import parse_log


def _record(name: str, *args: str) -> str:
    return "\0".join(["R", "1", "/w", str(len(args)), name, *args, "-", "E"]) + "\0"


def test_complete_records_parse() -> None:
    calls, garbled = parse_log(_record("git", "push") + _record("rm", "-rf", "x"))
    assert not garbled and [(c.name, c.args) for c in calls] == [
        ("git", ("push",)), ("rm", ("-rf", "x"))]


def test_a_record_cut_by_the_timeout_is_dropped_only_for_a_timed_out_case() -> None:
    cut = _record("git", "push") + "R\0001\0/w\0003\0git\0filter-repo"
    calls, garbled = parse_log(cut, truncated_ok=True)
    assert not garbled and [c.name for c in calls] == ["git"]
    assert parse_log(cut)[1] is True  # a case that ended by itself: garbled


def test_damage_before_the_last_record_is_garbled_even_after_a_timeout() -> None:
    damaged = "junk\0" + _record("git", "push")
    assert parse_log(damaged, truncated_ok=True)[1] is True
    middle = _record("git", "push") + "R\0001\0/w\0002\0rm\0-rf\0E\0" + _record("ls")
    assert parse_log(middle, truncated_ok=True)[1] is True
