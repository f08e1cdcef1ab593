"""The labelled corpus, scored: recall on destructive commands and the false-positive
rate on ordinary ones must stay within the project's targets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import CORPUS, score  # noqa: E402


@pytest.fixture(scope="module")
def argv_score():  # type: ignore[no-untyped-def]
    return score([CORPUS / "destructive.jsonl", CORPUS / "benign.jsonl"])


def test_corpus_is_large_enough(argv_score) -> None:  # type: ignore[no-untyped-def]
    kinds = argv_score.by_kind
    assert kinds["destructive/evasion"] >= 100
    assert argv_score.destructive >= 300
    assert argv_score.benign >= 400
    assert kinds["benign/near-miss"] >= 60


def test_argv_recall(argv_score) -> None:  # type: ignore[no-untyped-def]
    assert argv_score.recall >= 0.95, [m["cmd"] for m in argv_score.misses]


def test_argv_false_positives(argv_score) -> None:  # type: ignore[no-untyped-def]
    assert argv_score.fp_rate <= 0.03, [m["cmd"] for m in argv_score.wrongly_gated]


@pytest.fixture(scope="module")
def full_score():  # type: ignore[no-untyped-def]
    return score(sorted(CORPUS.glob("*.jsonl")))


def test_payload_corpus_is_large_enough() -> None:
    payload = score([CORPUS / "payload_destructive.jsonl", CORPUS / "payload_benign.jsonl"])
    assert payload.destructive >= 150 and payload.benign >= 150


def test_full_recall(full_score) -> None:  # type: ignore[no-untyped-def]
    assert full_score.recall >= 0.98, [m["cmd"] for m in full_score.misses]


def test_full_false_positives(full_score) -> None:  # type: ignore[no-untyped-def]
    assert full_score.fp_rate <= 0.02, [m["cmd"] for m in full_score.wrongly_gated]


def test_every_railway_case_is_caught(full_score) -> None:  # type: ignore[no-untyped-def]
    missed = [m["cmd"] for m in full_score.misses if "railway" in str(m["cmd"]).lower()]
    assert missed == []


def test_corpus_lines_are_well_formed() -> None:
    from corpus import load

    items = load(sorted(CORPUS.glob("*.jsonl")))
    assert items
    for item in items:
        assert isinstance(item["cmd"], str) and item["cmd"]
        assert item["label"] in ("destructive", "benign")
    commands = [i["cmd"] for i in items]
    assert len(commands) == len(set(commands))
