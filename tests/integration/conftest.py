"""Every test here runs shellgate end to end as installed (real subprocesses, installs,
keys over HID, throwaway users): all of them are ``slow``, so ``-m "not slow"`` is the
in-process edit loop and ``./test.sh`` (CI) runs these too."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.slow)
