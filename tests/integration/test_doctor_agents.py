"""``shellgate doctor``'s agent section, black-box: it runs the installed hook command with a
synthetic allowed and a synthetic gated input and says what each agent would see, reports
an entry the agent dropped, and an entry whose deadline is not inside the agent's
timeout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli import tool

AGENTS = ["claude-code", "gemini", "copilot", "cursor", "windsurf", "cline", "opencode"]


def run(config: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run([tool("shellgate"), "--config", str(config), *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def install(root: Path, agents: list[str]) -> tuple[Path, Path]:
    config, home = root / "config", root / "home"
    home.mkdir()
    for agent in agents:
        done = run(config, home, "hook-install", agent, "--home", str(home))
        assert done.returncode == 0, done.stderr
    return config, home


@pytest.fixture(scope="module")
def doctor_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One doctor run over every agent installed at once."""
    config, home = install(tmp_path_factory.mktemp("doctor"), AGENTS)
    return run(config, home, "doctor", "--home", str(home)).stdout


def section(text: str, agent: str) -> str:
    """The doctor lines of one agent."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"agent {agent} ("))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("agent ")),
               len(lines))
    return "\n".join(lines[start:end])


@pytest.mark.parametrize("agent", AGENTS)
def test_doctor_probes_each_installed_hook(agent: str, doctor_text: str) -> None:
    text = section(doctor_text, agent)
    assert "allowed `ls`:" in text and ": runs" in text.split("allowed `ls`:")[1]
    gated = text.split("gated `git push --force origin main`:")[1].splitlines()[0]
    assert ": blocked — shellgate: not approved: rule git.force-push" in gated
    assert "doctor's probe: no touch was asked for" in gated or "not approved" in gated
    assert f"PROBLEM {agent}" not in text
    assert "fail-closed in " in text


def test_doctor_reports_a_dropped_entry(tmp_path: Path) -> None:
    config, home = install(tmp_path, ["claude-code"])
    settings = home / ".claude" / "settings.json"
    settings.write_text(json.dumps({"theme": "dark"}))  # the agent rewrote its settings
    result = run(config, home, "doctor", "--home", str(home))
    assert result.returncode == 1
    text = section(result.stdout, "claude-code")
    assert f"PROBLEM claude-code: shellgate's hook entry is gone from {settings}" in text


def test_doctor_reports_a_deadline_outside_the_agent_timeout(tmp_path: Path) -> None:
    config, home = install(tmp_path, ["gemini"])
    settings = home / ".gemini" / "settings.json"
    data = json.loads(settings.read_text())
    data["hooks"]["BeforeTool"][0]["hooks"][0]["timeout"] = 30_000  # 30 s < 102 s
    settings.write_text(json.dumps(data))
    text = section(run(config, home, "doctor", "--home", str(home)).stdout, "gemini")
    assert "PROBLEM gemini: shellgate's deadline 102 s is not inside the agent's hook " \
           "timeout 30 s" in text


def test_doctor_reports_a_hook_that_does_not_block(tmp_path: Path) -> None:
    config, home = install(tmp_path, ["copilot"])
    hooks = home / ".copilot" / "hooks" / "shellgate.json"
    data = json.loads(hooks.read_text())
    data["hooks"]["preToolUse"][0]["bash"] = "true # shellgate.hooks (broken by hand)"
    hooks.write_text(json.dumps(data))
    text = section(run(config, home, "doctor", "--home", str(home)).stdout, "copilot")
    assert "PROBLEM copilot: gated `git push --force origin main`: GitHub Copilot CLI " \
           "would see exit 0: runs" in text
