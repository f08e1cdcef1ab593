"""Words the parser now reads as bash does, where tree-sitter-bash misleads it (found by
the differential harness; not bypasses on their own, but each could shift an argv)."""

from __future__ import annotations

import pytest

from shellgate.parse import parse

pytestmark = pytest.mark.slow  # the edit loop runs -m "not slow"; CI runs all

CASES = {
    "$'…' ends at NUL": ("chmod $'-\\0x'R 777 /", ["chmod", "-R", "777", "/"]),
    '$"…" is a string': ('echo $"x"$"y" a$"b"', ["echo", "xy", "ab"]),
    "newline inside double quotes": ('echo "a\nb"', ["echo", "a\nb"]),
    "line continuation inside double quotes": ('echo "a\\\nb"', ["echo", "ab"]),
    "escaped blank between quotes": ("echo 'a'\\ b", ["echo", "a b"]),
    "escaped tab": ("echo a\\\tb", ["echo", "a\tb"]),
    "escaped tab at a word's start": ("echo \\\tb c", ["echo", "\tb", "c"]),
    "bare - before a here-document": ("cat - <<E\nx\nE", ["cat", "-"]),
    "-<< is - and <<": ("cat -<<E\nx\nE", ["cat", "-"]),
    "comment is not a word": ("echo a # b c", ["echo", "a"]),
    "xargs -d": ("printf 'a b,c' | xargs -d, echo", ["echo", "a b", "c"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_words_as_bash_reads_them(name: str) -> None:
    cmd, argv = CASES[name]
    seen = [[w.value for w in c.argv] for c in parse(cmd).commands]
    assert argv in seen, seen
