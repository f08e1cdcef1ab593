"""``shellgate run --``: decide, then exec the real program; stdin inspected on the way
reaches the program byte for byte; refusals exit 126 without running anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli import tool


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    """A PATH directory whose psql/git stubs record their stdin and argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("psql", "git"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\ncat > "{tmp_path}/{name}.stdin"\n'
                          f'printf "%s\\n" "$@" > "{tmp_path}/{name}.argv"\nexit 3\n')
        script.chmod(0o755)
    return bin_dir


def run(args: list[str], stdin: bytes, path: Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": f"{path}:{os.environ.get('PATH', '/usr/bin:/bin')}", "LANG": "C.UTF-8"}
    return subprocess.run(args, input=stdin, capture_output=True, env=env, cwd=cwd,
                          timeout=120, check=False)


def test_inspected_stdin_reaches_the_program_byte_for_byte(stubs: Path, tmp_path: Path) -> None:
    payload = b"SELECT 1;\n-- \xc3\xbcml\r\n  SELECT 2"
    result = run([tool("shellgate"), "--config", str(tmp_path), "run", "--", "psql", "-d", "app"],
                 payload, stubs, tmp_path)
    assert result.returncode == 3, result.stderr
    assert (tmp_path / "psql.stdin").read_bytes() == payload
    assert (tmp_path / "psql.argv").read_text() == "-d\napp\n"


def test_destructive_stdin_is_refused_and_nothing_runs(stubs: Path, tmp_path: Path) -> None:
    result = run([tool("shellgate"), "--config", str(tmp_path), "run", "--", "psql"],
                 b"BEGIN; DROP TABLE users; COMMIT;", stubs, tmp_path)
    assert result.returncode == 126
    assert result.stderr.startswith(b"shellgate: needs approval: sql.drop")
    assert not (tmp_path / "psql.stdin").exists()


def test_stdin_over_the_cap_is_refused(stubs: Path, tmp_path: Path) -> None:
    result = run([tool("shellgate"), "--config", str(tmp_path), "run", "--", "psql"],
                 b"SELECT 1;\n" * 900_000, stubs, tmp_path)
    assert result.returncode == 126
    assert b"larger than" in result.stderr
    assert not (tmp_path / "psql.stdin").exists()


def test_gated_argv_is_refused(stubs: Path, tmp_path: Path) -> None:
    result = run([tool("shellgate"), "--config", str(tmp_path), "run", "--", "git", "push",
                  "--force"], b"", stubs, tmp_path)
    assert result.returncode == 126
    assert not (tmp_path / "git.argv").exists()


def test_allowed_argv_runs_with_its_exit_status(stubs: Path, tmp_path: Path) -> None:
    result = run([tool("shellgate"), "--config", str(tmp_path), "run", "--", "git", "status",
                  "-s"], b"", stubs, tmp_path)
    assert result.returncode == 3
    assert (tmp_path / "git.argv").read_text() == "status\n-s\n"
