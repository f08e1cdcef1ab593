"""The house rules hold: ruff clean, mypy --strict clean, modules under ~400 lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def test_ruff_clean() -> None:
    result = _run("ruff", "check", "shellgate", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_clean() -> None:
    result = _run("mypy", "shellgate")
    assert result.returncode == 0, result.stdout + result.stderr


def test_modules_stay_small() -> None:
    big = [str(p.relative_to(ROOT)) for p in (ROOT / "shellgate").rglob("*.py")
           if len(p.read_text().splitlines()) > 420]
    assert big == []
