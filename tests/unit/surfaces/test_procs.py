"""``procs.detect_agent`` reads the ancestry from /proc exactly as psutil reads it."""

from __future__ import annotations

import subprocess
import sys

from shellgate.surfaces import procs

CHILD = ("from shellgate.surfaces import procs; "
         "print(procs._proc_ancestry(16) == procs._psutil_ancestry(16), procs.detect_agent())")


def test_proc_reader_matches_psutil_here() -> None:
    assert procs._proc_ancestry(16) == procs._psutil_ancestry(16)
    assert procs._proc_ancestry(2) == procs._psutil_ancestry(2)


def test_agent_found_in_an_ancestors_command_line() -> None:
    """A parent whose argv[0] names an agent (as `claude` runs its shell tools) is found."""
    inner = f"import subprocess; subprocess.run([{sys.executable!r}, '-c', {CHILD!r}])"
    result = subprocess.run(["bash", "-c", 'exec -a claude "$0" -c "$1"', sys.executable,
                             inner], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "claude-code"]


def test_no_agent_among_plain_ancestors() -> None:
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                            check=True)
    same, *agent = result.stdout.split()
    assert same == "True"
    assert agent == [] or agent[0] in {a for _, a in procs._AGENTS}
