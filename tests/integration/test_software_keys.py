"""Software keys approve only where ``config.toml`` says so, never in hardened mode, and
every approval they give is recorded and shown as SOFTWARE. The installed CLI, a real
git repository and a local bare remote; nothing the agent can pass turns them on."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_approval import remote_head, repo, shellgate  # noqa: F401
from tests.integration.test_cli import tool

PUSH = ("run", "--", "git", "push", "-q", "--force", "origin", "main")


@pytest.fixture
def enrolled(tmp_path: Path) -> tuple[Path, Path]:
    config, key = tmp_path / "config", tmp_path / "key.json"
    config.mkdir()
    result = shellgate(config, "enroll", "--soft", str(key), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return config, key


def test_enroll_soft_writes_the_setting_and_the_approval_is_marked_software(
        enrolled: tuple[Path, Path], repo: Path) -> None:  # noqa: F811
    config, _ = enrolled
    assert "allow_software_keys = true" in (config / "config.toml").read_text("utf-8")
    result = shellgate(config, *PUSH, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert remote_head(repo) == "rewritten"
    records = [json.loads(line) for line in (config / "audit.jsonl").read_text().splitlines()]
    approved = [r for r in records if r["event"] == "approved"]
    assert [r["approval"]["key"] for r in approved] == ["software"]
    shown = shellgate(config, "audit", "show", cwd=repo).stdout.splitlines()
    assert next(line for line in shown if "  approved  " in line).endswith("SOFTWARE")
    assert shellgate(config, "audit", "verify", cwd=repo).returncode == 0


@pytest.mark.parametrize("settings", [
    "approval_timeout = 5\n",  # the setting removed
    "allow_software_keys = false\n",
    "hardened = true\nallow_software_keys = true\n",  # hardened ignores it
])
def test_a_software_key_is_refused_unless_the_config_allows_it(
        enrolled: tuple[Path, Path], repo: Path, settings: str) -> None:  # noqa: F811
    config, _ = enrolled
    (config / "config.toml").write_text(settings, encoding="utf-8")
    result = shellgate(config, *PUSH, cwd=repo)
    assert result.returncode == 126
    assert "does not accept software keys" in result.stderr
    assert remote_head(repo) == "two"  # nothing ran


def test_nothing_the_agent_passes_turns_software_keys_on(enrolled: tuple[Path, Path],
                                                         repo: Path) -> None:  # noqa: F811
    config, _ = enrolled
    (config / "config.toml").write_text("approval_timeout = 5\n", encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "HOME": str(repo), "SHELLGATE_ALLOW_SOFTWARE_KEYS": "1", "SHELLGATE_SOFT": "1",
           "SHELLGATE_HARDENED": "0"}
    result = subprocess.run([tool("shellgate"), "--config", str(config), *PUSH], cwd=repo,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 126, result.stderr
    assert "approved" not in result.stderr
    assert remote_head(repo) == "two"


def test_a_project_file_cannot_turn_software_keys_on(enrolled: tuple[Path, Path],
                                                     repo: Path) -> None:  # noqa: F811
    config, _ = enrolled
    (config / "config.toml").write_text("approval_timeout = 5\n", encoding="utf-8")
    (repo / ".shellgate.toml").write_text("allow_software_keys = true\n", encoding="utf-8")
    result = shellgate(config, *PUSH, cwd=repo)
    assert result.returncode != 0  # refused as a project file that says too much
    assert "allow_software_keys" in result.stderr
    assert remote_head(repo) == "two"
