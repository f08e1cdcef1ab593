"""Shared fixtures: the shipped rule set, and a one-call decision helper."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
from shellgate.model import Decision
from shellgate.parse.context import mapping_reader
from shellgate.rules.loader import load_rules, pattern_files
from shellgate.rules.model import RuleSet


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


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return shipped_rules()


def decide_text(cmd: str, files: dict[str, str] | None = None) -> Decision:
    return evaluate(cmd, shipped_rules(), mapping_reader(files or {}))
