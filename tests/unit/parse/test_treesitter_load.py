"""tree-sitter's extensions load without ``re``, ``enum`` and ``collections`` (stand-ins
for the one name each the core extension takes from them), parse as before, and leave
the real modules importable; a release that wants more is loaded with the real ones."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
{patch}
from shellgate.parse.bash import treesitter
root = treesitter.parse_bash(b"echo hi | grep x > out")
print(root.type, root.child_count, root.end_byte, tuple(root.end_point))
print(sorted(m for m in ("re", "enum", "collections", "wasmtime") if m in sys.modules))
import collections, enum, re
print(re.compile("a+").fullmatch("aa") is not None, enum.IntEnum.__name__,
      collections.namedtuple("P", "a").__name__)
"""


def _run(patch: str = "") -> list[str]:
    result = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE.format(patch=patch)],
                            capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": ""}, cwd="/")
    return result.stdout.splitlines()


def _paths() -> str:
    return f"sys.path[:0] = {sys.path!r}"


def test_loads_without_the_standard_modules_it_names() -> None:
    lines = _run(_paths())
    assert lines[0] == "program 1 22 (0, 22)"
    assert lines[1] == "[]"  # nothing left behind: neither stand-ins nor the real modules
    assert lines[2] == "True IntEnum P"  # the real modules, imported afterwards


def test_a_release_wanting_more_is_loaded_with_the_real_modules() -> None:
    patch = (_paths() + "\nfrom shellgate.parse.bash import treesitter as t\n"
             "def refuse(*a, **k):\n    raise ImportError('wants more')\n"
             "t._int_enum = refuse\n")
    lines = _run(patch)
    assert lines[0] == "program 1 22 (0, 22)"
    assert "enum" in lines[1] and "re" in lines[1]  # the second load used the real ones
