"""One touch per tool call across shellgate's entries, never reused by the same entry."""

from __future__ import annotations

import json
import time
from pathlib import Path

from shellgate.surfaces.hooks import dedup
from shellgate.surfaces.hooks.dialect import HookRequest, Verdict

APPROVED = Verdict("approved", "approved [1234abcd]", "note")


def request(origin: str, command: str = "git push --force", cwd: str = "/w",
            ids: tuple[str, ...] = ("cursor", "conv", "gen")) -> HookRequest:
    return HookRequest(command, cwd, origin, "cursor", ids, 100.0)


def _first_then(tmp_path: Path, second: HookRequest) -> Verdict | None:
    with dedup.twin(tmp_path, request("cursor:preToolUse")) as slot:
        assert slot is not None and slot.previous() is None
        slot.record(APPROVED)
    with dedup.twin(tmp_path, second) as slot:
        assert slot is not None
        return slot.previous()


def test_the_other_event_reuses_the_decision_once(tmp_path: Path) -> None:
    twin = request("cursor:beforeShellExecution")
    assert _first_then(tmp_path, twin) == APPROVED
    with dedup.twin(tmp_path, twin) as slot:
        assert slot is not None and slot.previous() is None


def test_the_same_entry_never_reuses_its_own_decision(tmp_path: Path) -> None:
    assert _first_then(tmp_path, request("cursor:preToolUse")) is None


def test_each_other_entry_reuses_it_once(tmp_path: Path) -> None:
    assert _first_then(tmp_path, request("claude-code")) == APPROVED
    with dedup.twin(tmp_path, request("cursor:beforeShellExecution")) as slot:
        assert slot is not None and slot.previous() == APPROVED


def test_another_command_cwd_or_call_is_not_covered(tmp_path: Path) -> None:
    assert _first_then(tmp_path, request("claude-code", command="git push -f")) is None
    assert _first_then(tmp_path, request("claude-code", cwd="/other")) is None
    assert _first_then(tmp_path, request("claude-code", ids=("cursor", "conv", "gen2"))) is None


def test_expired_records_are_ignored(tmp_path: Path) -> None:
    with dedup.twin(tmp_path, request("cursor:preToolUse")) as slot:
        assert slot is not None
        slot.record(APPROVED)
        record = json.loads(slot.path.read_text())
        record["expires"] = time.time() - 1
        slot.path.write_text(json.dumps(record))
    with dedup.twin(tmp_path, request("claude-code")) as slot:
        assert slot is not None and slot.previous() is None


def test_calls_without_ids_are_not_deduplicated(tmp_path: Path) -> None:
    with dedup.twin(tmp_path, request("claude-code", ids=("claude", "", "t1"))) as slot:
        assert slot is None
    assert list(tmp_path.iterdir()) == []
