"""Checks the engine path reads without ``re`` answer what the regular expressions they
replaced answered (generated strings, against ``re`` itself)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.parse.bash.words import echo_flags, echo_output
from shellgate.parse.wrappers.options import is_assignment
from shellgate.parse.wrappers.projects import _cron_assignment

_TEXT = st.text(st.sampled_from(list("aZ_9+= -\tneEé٣x\u00a0\n")), max_size=8)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_is_assignment(value: str) -> None:
    assert is_assignment(value) == (re.match(r"[A-Za-z_][A-Za-z0-9_]*\+?=", value) is not None)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_cron_assignment(line: str) -> None:
    assert _cron_assignment(line) == (re.match(r"^[A-Za-z_]\w*\s*=", line) is not None)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_echo_flags(word: str) -> None:
    assert echo_flags(word) == (re.fullmatch(r"-[neE]+", word) is not None)


def test_echo_reads_its_flags() -> None:
    assert echo_output(["-n", "-e", "a\\tb"]) == "a\tb"
    assert echo_output(["-nE", "a\\tb"]) == "a\\tb"
    assert echo_output(["-x", "a"]) == "-x a\n"
    assert echo_output(["-", "a"]) == "- a\n"
