"""Shared fixtures: the shipped rule set, and a one-call decision helper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shellgate.engine import evaluate
from shellgate.parse.context import mapping_reader
from shellgate.rules.loader import load_rules, pattern_files
from shellgate.rules.ruleset import RuleSet
from shellgate.values import Decision


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--device", action="store_true", help="run tests that need a real FIDO2 key")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--device"):
        return
    skip = pytest.mark.skip(reason="needs a real FIDO2 key: run with --device")
    for item in items:
        if "device" in item.keywords:
            item.add_marker(skip)


_RULES: RuleSet | None = None


def shipped_rules() -> RuleSet:
    global _RULES
    if _RULES is None:
        _RULES = load_rules(pattern_files(None))
    return _RULES


def corpus_items() -> list[dict[str, Any]]:
    """Every entry of the labelled corpus (``tests/corpus/*.jsonl``), in file order."""
    corpus = Path(__file__).resolve().parent / "corpus"
    return [json.loads(line) for path in sorted(corpus.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_and_examples() -> list[str]:
    """Every labelled corpus command and every rule's examples and known gaps."""
    texts = [str(item["cmd"]) for item in corpus_items()]
    for rule in shipped_rules().rules:
        texts.extend(rule.examples_gate + rule.examples_pass + rule.known_gaps)
    return texts


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return shipped_rules()


def decide_text(cmd: str, files: dict[str, str] | None = None,
                links: dict[str, str] | None = None) -> Decision:
    return evaluate(cmd, shipped_rules(), mapping_reader(files or {}, links))


@pytest.fixture(autouse=True)
def _protected_places_per_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Config.at`` registers protected places (``shellgate.protect.places``) for the whole
    process; each test starts with none, so one test's configuration never changes what
    another decides."""
    from shellgate.protect import places

    monkeypatch.setattr(places, "_ROOTS", {})
