"""Hardened mode: the program the broker approved runs through the descriptor it was read
through — a file renamed over the path after the approval is not what runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(tmp_path, hold: bool) -> str:
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\necho approved-program\n")
    tool.chmod(0o755)
    code = textwrap.dedent(f"""
        import os
        from shellgate.execute import exec_real, hold_approved
        tool = {str(tool)!r}
        fd = os.open(tool, os.O_RDONLY)
        if {hold!r}:
            hold_approved(tool, fd)
        evil = tool + ".evil"
        with open(evil, "w") as handle:
            handle.write("#!/bin/sh\\necho swapped-in\\n")
        os.chmod(evil, 0o755)
        os.replace(evil, tool)
        exec_real(tool, [tool], None)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_approved_file_runs_not_what_is_at_the_path_now(tmp_path):
    assert _run(tmp_path, hold=True) == "approved-program"


def test_without_a_held_descriptor_the_path_is_run(tmp_path):
    assert _run(tmp_path, hold=False) == "swapped-in"
