"""Robustness suite options: ``--long`` runs many more generated cases.

The default run fits CI (about a minute and a half on two cores). ``pytest
tests/robustness --long`` (the option belongs to this directory, so name it on the
command line) runs thousands more generated commands against bash and in bashlex, ten
times the fuzz examples, and adds a fresh random seed; ``ROBUSTNESS_SEED=N`` replays one.
"""

from __future__ import annotations

import os
import random

import pytest

from shellgate.rules.ruleset import RuleSet
from tests.conftest import shipped_rules


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true",
                     help="robustness: many more generated commands and fuzz examples")


@pytest.fixture(scope="session")
def long_run(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--long"))


@pytest.fixture(scope="session")
def seeds(long_run: bool) -> list[int]:
    """Fixed seeds (reproducible CI); ``--long`` adds a fresh one, printed on failure.
    ``ROBUSTNESS_SEED`` replays one."""
    if os.environ.get("ROBUSTNESS_SEED"):
        return [int(os.environ["ROBUSTNESS_SEED"])]
    fixed = [7, 12, 21]
    return fixed + [random.SystemRandom().randrange(1 << 30)] if long_run else fixed


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return shipped_rules()
