"""The hook runner: strict input reading, and every failure path ends in a deny."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.errors import ConfigError
from shellgate.surfaces.hooks.dialect import BadInput, HookRequest, Payload
from shellgate.surfaces.hooks.run import MAX_INPUT_BYTES, dialects, load_payload, run_hook
from shellgate.values import replace
from tests.unit.surfaces.hooks import payloads as p


@pytest.mark.parametrize(("data", "message"), [
    (b"", "not valid JSON"), (b"[1, 2]", "not a JSON object"), (b"\xff\xfe{}", "not valid"),
    (b'{"a": 1, "a": 2}', "duplicate key"), (b'{"a": NaN}', "NaN is not JSON"),
    (b'{"a": ' * 100000, "not valid JSON"), (b"{} {}", "not valid JSON"),
    (b" " * (MAX_INPUT_BYTES + 1), "larger than")])
def test_untrustworthy_input_is_bad(data: bytes, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        load_payload(data)


def _never() -> Config:
    raise AssertionError("a tool that runs no command must not even load the config")


def _raw(payload: object) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.parametrize("agent", [a for a in p.AGENTS if a != "windsurf"])
def test_other_tools_get_no_opinion_without_deciding(agent: str) -> None:
    result = run_hook(dialects()[agent], _raw(p.other_tool(agent)), _never)
    assert result.exit_code == 0
    assert "deny" not in result.stdout and '"cancel": true' not in result.stdout


@pytest.mark.parametrize("agent", p.AGENTS)
def test_malformed_input_is_denied(agent: str) -> None:
    result = run_hook(dialects()[agent], b"{not json", _never)
    assert "could not be checked" in result.stdout + result.stderr
    assert result.exit_code == 2


@pytest.mark.parametrize("agent", p.AGENTS)
def test_broken_config_is_a_deny(agent: str) -> None:
    def broken() -> Config:
        raise ConfigError("config.toml: invalid TOML")

    raw = _raw(p.BUILDERS[agent]("ls", "/"))
    result = run_hook(dialects()[agent], raw, broken)
    assert "invalid TOML" in result.stdout + result.stderr
    assert "refused" in result.stdout + result.stderr


def test_internal_error_is_a_deny(tmp_path: Path) -> None:
    def exploding() -> Config:
        raise RuntimeError("boom")

    result = run_hook(dialects()["claude-code"], _raw(p.claude("ls", str(tmp_path))),
                      exploding)
    decision = json.loads(result.stdout)["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny"
    assert "internal error: RuntimeError: boom" in decision["permissionDecisionReason"]


def test_allowed_command_gets_no_opinion(tmp_path: Path) -> None:
    config = Config(str(tmp_path / "cfg"))
    result = run_hook(dialects()["claude-code"], _raw(p.claude("ls -la", str(tmp_path))),
                      lambda: config)
    assert (result.stdout, result.exit_code) == ("", 0)


def test_gated_command_without_a_key_is_denied_with_the_rule(tmp_path: Path) -> None:
    config = Config(str(tmp_path / "cfg"))
    raw = _raw(p.claude("git push --force origin main", str(tmp_path)))
    result = run_hook(dialects()["claude-code"], raw, lambda: config)
    reason = json.loads(result.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "git.force-push" in reason and "hardware security-key touch" in reason
    assert "shellgate enroll" in reason
    assert "Rewording the command" in reason and "cannot be reused" in reason
    assert "git push" not in reason  # Codex appends the command itself


def test_missing_working_directory_is_a_deny(tmp_path: Path) -> None:
    config = Config(str(tmp_path / "cfg"))
    raw = _raw(p.claude("ls", str(tmp_path / "gone")))
    result = run_hook(dialects()["claude-code"], raw, lambda: config)
    assert "cannot enter the working directory" in result.stdout


def test_payload_files_are_read_relative_to_the_payload_cwd(tmp_path: Path) -> None:
    (tmp_path / "q.sql").write_text("DROP TABLE users;")
    config = Config(str(tmp_path / "cfg"))
    raw = _raw(p.claude("psql -f q.sql", str(tmp_path)))
    result = run_hook(dialects()["claude-code"], raw, lambda: config)
    assert "deny" in result.stdout and "sql" in result.stdout.lower()


def test_running_out_of_the_agents_time_is_a_deny(tmp_path: Path) -> None:
    import threading

    from shellgate.surfaces.hooks.agents.claude_code import ClaudeCode

    class Hurried(ClaudeCode):
        def parse(self, payload: Payload) -> HookRequest:
            return replace(super().parse(payload), budget=1.0)

    def stuck() -> Config:
        threading.Event().wait(30)  # a config load that hangs (a stuck file system)
        raise AssertionError("the watchdog should have answered by now")

    result = run_hook(Hurried(), _raw(p.claude("ls", str(tmp_path))), stuck)
    reason = json.loads(result.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "within the agent's hook time" in reason
