"""The SQL lexer's runs of blanks, word and number characters end where the regular
expressions it used to call end (``run_end`` reads short runs itself, without ``re``)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.payloads.sql import script
from shellgate.payloads.sql.client import Token

_TEXT = st.text(st.sampled_from(list(" \t\n\x0b\x0c\r\u00a0\u2028aZ_$.9٣é€'-;")), max_size=80)
_CASES = ((r"[ \t\r\n\f\v]+", script._blank, script._BLANKS),
          (r"[\w$]+", script._word_char, script._WORD),
          (r"[\w.]+", script._number_char, script._NUMBER))


@settings(max_examples=2000, deadline=None)
@given(_TEXT, st.integers(min_value=0, max_value=79))
def test_run_ends_as_the_regular_expressions_do(text: str, start: int) -> None:
    if start >= len(text):
        return
    for regex, accept, pattern in _CASES:
        match = re.match(regex, text[start:])
        expected = start + match.end() if match else start + 1
        assert script.run_end(text, start, accept, pattern) == expected, (regex, text, start)


def test_long_runs_are_finished_by_the_regular_expression() -> None:
    text = "x" * 500 + " " * 300 + "1.5" * 100 + ";"
    assert script.run_end(text, 0, script._word_char, script._WORD) == 500
    assert script.run_end(text, 10, script._word_char, script._WORD) == 500
    assert script.run_end(text, 500, script._blank, script._BLANKS) == 800
    assert script.run_end(text, 800, script._number_char, script._NUMBER) == 1100


def test_tokens_behave_as_named_tuples() -> None:
    token = Token("word", "select", 0, 6, "SELECT")
    assert token == ("word", "select", 0, 6, "SELECT") and token.value == "SELECT"
    assert (token.kind, token.text, token.start, token.end) == ("word", "select", 0, 6)
    assert Token("op", ";", 1, 2).value == "" and hash(token) == hash(tuple(token))
    assert repr(Token("op", ";", 1, 2)) == "Token(kind='op', text=';', start=1, end=2, value='')"
