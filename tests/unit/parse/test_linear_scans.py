"""Scans that replaced backtracking regexes over agent-controlled text read exactly what the
regexes read (how fast they are is bench/perf.py's job: its "hostile" scaling rows)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.parse.bash.words import _PRINTF_SPEC, _comma_braces, expand_braces, printf_output
from shellgate.parse.wrappers.interpreters import _tokens

_OLD_BRACE = re.compile(r"\{([^{}]*,[^{}]*)\}")
_OLD_PRINTF = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?([sbdiqcxXo]))")
_OLD_QX = re.compile(r"(?:%x|qx)\s*(?:\{[^}]*\}|\([^)]*\)|\[[^\]]*\]|(?P<d>[^\w\s])"
                     r"(?:(?!(?P=d)).)*(?P=d))", re.DOTALL)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=3000, derandomize=True)
@given(st.text(alphabet="{},a1.", max_size=14))
def test_comma_braces_finds_what_the_regex_found(text: str) -> None:
    match = _OLD_BRACE.search(text)
    assert _comma_braces(text) == (match.span() if match else None)


def test_brace_expansion_still_expands() -> None:
    assert expand_braces("x{a,b}y{1..3}") == ["xay1", "xay2", "xay3", "xby1", "xby2", "xby3"]
    assert expand_braces("{" + "," * 1000) == ["{" + "," * 1000]


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=3000, derandomize=True)
@given(st.text(alphabet="%-+ #0129.sdxq", max_size=12))
def test_printf_conversions_are_read_as_before(fmt: str) -> None:
    old = [(m.span(), m.group(1)) for m in _OLD_PRINTF.finditer(fmt)]
    assert [(m.span(), m.group(1)) for m in _PRINTF_SPEC().finditer(fmt)] == old


def test_printf_output_that_would_explode_is_unknown() -> None:
    assert printf_output(["%s-", "a", "b"]) == "a-b-"
    assert printf_output(["x" * 4096 + "%s", *(["a"] * 1000)]) is None


def test_terminated_command_strings_are_the_same_tokens() -> None:
    code = "x = %x{rm -rf /tmp/a}; y = qx(ls); z = qx!date!; w = %x[a b]; v = qx {id}"
    found = [text for kind, text in _tokens(code) if kind == "qx"]
    assert found == [m.group(0) for m in _OLD_QX.finditer(code)]


def test_an_unterminated_command_string_runs_to_the_end() -> None:
    assert _tokens("a; %x{rm -rf / ; b") == [("ident", "a"), ("punct", ";"),
                                             ("qx", "%x{rm -rf / ; b")]
