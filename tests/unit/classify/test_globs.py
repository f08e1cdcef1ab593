"""``shellgate.classify.globs.fnmatchcase`` answers what ``fnmatch.fnmatchcase`` answers."""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.classify import globs
from shellgate.rules.loader import load_rules, pattern_files

# a small alphabet, so that generated names and patterns meet often; wildcards, the
# characters regular expressions treat specially, a newline and a non-ASCII letter
_CHARS = st.sampled_from(list("ab/.-*?\\\n é$^()+{}|"))
_CLASSY = st.sampled_from(list("abAZ-*?[]!^\\&\n"))
_NAMES = st.text(_CHARS.filter(lambda c: c not in "*?"), max_size=12)
_PATTERNS = st.text(_CHARS, max_size=10)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=1500, deadline=None)
@given(_NAMES, _PATTERNS)
def test_generated_names_and_patterns(name: str, pattern: str) -> None:
    assert globs.fnmatchcase(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=3000, deadline=None)
@given(st.text(_CLASSY.filter(lambda c: c not in "*?"), max_size=8),
       st.text(_CLASSY, max_size=10))
def test_generated_classes_and_ranges(name: str, pattern: str) -> None:
    assert globs.fnmatchcase(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@settings(max_examples=1000, deadline=None)
@given(_PATTERNS)
def test_a_pattern_matches_its_own_spellings(pattern: str) -> None:
    # names built from the pattern itself: every wildcard filled in some way
    for fill_star, fill_q in (("", "a"), ("ab/", "/"), ("*", "?"), ("\n", "é")):
        name = pattern.replace("*", fill_star).replace("?", fill_q)
        assert globs.fnmatchcase(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@pytest.mark.parametrize(("name", "pattern"), [
    ("abc", "a[bc]c"), ("a]c", "a[]]c"), ("abc", "a[!b]c"), ("a[c", "a[c"),  # classes
    ("aXbXc", "a*b*c"), ("abbbc", "a*bc"), ("ab", "a*b*"), ("a", "a*a"),  # overlap
    ("aaa", "a?a*a"), ("xyz", "*"), ("", "*"), ("", "?"), ("", ""),
    ("--force-with-lease", "--force*"), ("a\nb", "a?b"), ("a\nb", "a*"),
    ("deleteAll", "delete[A-Z]*"), ("deleteall", "delete[A-Z]*"), ("x*y", "*[*?]*"),
    ("delete-tags", "delete-tag[!s]*"), ("delete-tagx", "delete-tag[!s]*"), ("a[b", "*[[]*"),
    ("FlushAll", "[fF][lL][uU][sS][hH][aA][lL][lL]"), ("a-", "a[a-]"), ("b", "[z-a]"),
    ("]", "[]]"), ("a", "[!]a]"), ("\n", "[!a]"), ("^", "[^]"), ("x", "[a-cx-z]"),
])
def test_known_shapes(name: str, pattern: str) -> None:
    assert globs.fnmatchcase(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
def test_every_rule_glob_against_the_corpus_words() -> None:
    """The globs the shipped rules hold, against every word of the corpus (and each word
    lower-cased): the pairs the engine actually meets."""
    rules = load_rules(pattern_files(None))
    patterns: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, str):
            patterns.add(value)
        elif isinstance(value, tuple):
            for item in value:
                collect(item)

    for rule in rules.rules:
        collect(rule.command)
        for block in rule.matches:
            for value in vars(block).values():
                collect(value)
    root = Path(__file__).resolve().parents[2] / "corpus"
    words = {w for path in root.glob("*.jsonl") for w in path.read_text().split()}
    words |= {w.lower() for w in words}
    assert len(patterns) > 50 and len(words) > 1000
    by_first: dict[str, list[str]] = {}
    for word in words:
        by_first.setdefault(word[:1], []).append(word)
    for pattern in sorted(patterns):
        # a pattern starting with a literal character can only match words starting so
        # (checked for the other words by the generated cases above)
        met = words if pattern[:1] in ("*", "?", "[", "") else by_first.get(pattern[0], [])
        for word in met:
            assert globs.fnmatchcase(word, pattern) == fnmatch.fnmatchcase(word, pattern), \
                (word, pattern)


def test_no_regular_expressions_for_the_rules_globs() -> None:
    assert "re" in sys.modules  # (pytest imports it: the check is that no compile happens)
    before = fnmatch._compile_pattern.cache_info().misses  # type: ignore[attr-defined]
    assert globs.fnmatchcase("rm-rf", "rm-*") and not globs.fnmatchcase("ls", "rm?")
    assert globs.fnmatchcase("purgeAll", "purge[A-Z]*")
    assert globs.fnmatchcase("FLUSHdb", "[fF][lL][uU][sS][hH][dD][bB]")
    assert fnmatch._compile_pattern.cache_info().misses == before  # type: ignore[attr-defined]
    assert globs.fnmatchcase("a", "[\\a]") and globs.fnmatchcase("\\", "[\\a]")
    assert fnmatch._compile_pattern.cache_info().misses > before  # (that one went to fnmatch)
