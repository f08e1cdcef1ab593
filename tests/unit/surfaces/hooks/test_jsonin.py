"""The hook's JSON reader accepts exactly what ``json.loads`` (with the same strict hooks)
accepts, and reads it to the same value."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.surfaces.hooks import jsonin


def _reference(text: str) -> tuple[str, object]:
    try:
        return "ok", json.loads(text, object_pairs_hook=jsonin.no_duplicates,
                                parse_constant=jsonin.no_constant)
    except (ValueError, RecursionError):
        return "error", None


def _ours(text: str) -> tuple[str, object]:
    try:
        return "ok", jsonin.loads(text)
    except (ValueError, RecursionError):
        return "error", None


def _same(text: str) -> None:
    expected, got = _reference(text), _ours(text)
    assert got == expected, text
    if expected[0] == "ok":  # also the same types (1 == 1.0 == True in Python)
        assert json.dumps(got[1]) == json.dumps(expected[1]), text


@pytest.mark.parametrize("text", [
    "{}", ' \n\t{"a": 1}\r\n ', '{"a": 1, "a": 2}', '{"a": NaN}', '{"a": Infinity}',
    '{"a": -Infinity}', "\ufeff{}", "{} {}", "{}x", "", "   ", "[1, 2", '{"a": "\x01"}',
    '{"a": "\\u00e9\\ud83d\\ude00"}', '{"a": "\\x"}', "1e400", "-0", "1" * 5000, "[" * 5000,
    '{"a": [1, 2.5, true, false, null, "s", {"b": {}}]}', "\u2028{}", '"\\ud800"', "01",
    '{"a" 1}', "{'a': 1}", "[1,]", "nul", "tru", '{"a": 1,}', "\x00",
])
def test_edge_cases_match_json_loads(text: str) -> None:
    _same(text)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=300, derandomize=True)
@given(_JSON)
def test_generated_documents_read_the_same(value: object) -> None:
    _same(json.dumps(value))
    _same(json.dumps(value, ensure_ascii=False, indent=2))


@settings(max_examples=600, derandomize=True)
@given(st.text(alphabet='{}[]",:0123456789.eE+-tfnrulasN \n\t\\u\ufeff', max_size=30))
def test_generated_fragments_are_refused_alike(text: str) -> None:
    _same(text)


@settings(max_examples=200, derandomize=True)
@given(_JSON, st.integers(min_value=0, max_value=40), st.text(max_size=3))
def test_damaged_documents_are_refused_alike(value: object, cut: int, junk: str) -> None:
    text = json.dumps({"k": value, "z": 1})
    _same(text[:cut] + junk + text[cut:])
