"""Fixtures for the end-to-end tests inside the real agent CLIs (marker ``agents``).

The pinned CLIs are installed from the npm registry by ``install_agents.sh`` (which
``.ci/run`` calls first; the session fixture calls it too, a no-op once installed). The
tests skip — saying so — only when that script reports the registry unreachable.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.agents.drivers import PREFIX

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.agents)
            item.add_marker(pytest.mark.slow)  # minutes of real agent runs: not in the fast suite


@pytest.fixture(scope="session")
def agent_clis() -> Path:
    """The prefix holding the pinned agent CLIs (installing them when missing)."""
    result = subprocess.run(["bash", str(HERE / "install_agents.sh")], capture_output=True,
                            text=True, timeout=1200, check=False)
    if result.returncode == 3:
        pytest.skip("npm registry unreachable: the agent CLIs could not be installed "
                    f"({result.stderr.strip()})")
    assert result.returncode == 0, f"install_agents.sh failed:\n{result.stdout}\n{result.stderr}"
    return PREFIX
