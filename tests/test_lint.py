"""The house rules hold: ruff clean, mypy --strict clean, the import contracts kept, at most
ten modules directly in shellgate/, modules under ~400 lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # mypy over the package takes a while; CI runs it

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


def test_import_contracts_kept() -> None:
    """pyproject.toml's [tool.importlinter] contracts: no cycles between packages, stages
    never import surfaces, each third-party library owned by one module."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_modules_stay_small() -> None:
    big = [str(p.relative_to(ROOT)) for p in (ROOT / "shellgate").rglob("*.py")
           if len(p.read_text().splitlines()) > 400]
    assert big == []


def test_the_top_level_stays_small() -> None:
    """The folder tree tells the pipeline: stages and surfaces live in packages."""
    top = sorted(p.name for p in (ROOT / "shellgate").glob("*.py"))
    assert len(top) <= 10, top
