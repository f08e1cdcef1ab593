"""Agent hooks, black-box: the installed ``shellgate hook AGENT`` and the hook lines that
``hook-install`` writes, as real subprocesses with a software key. In every dialect a
gated command is denied without a key, allowed after a touch, and denied on timeout."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli import tool
from tests.unit.surfaces.hooks import payloads as p

GATED = "git push --force origin main"


def env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            "HOME": str(home)}


def hook(config: Path, agent: str, payload: Any, cwd: Path,
         timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return subprocess.run([tool("shellgate"), "--config", str(config), "hook", agent],
                          input=data, capture_output=True, cwd=cwd, env=env(cwd),
                          timeout=timeout, check=False, start_new_session=True)


def cli(config: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("shellgate"), "--config", str(config), *args], cwd=cwd,
                          env=env(cwd), capture_output=True, text=True, timeout=120,
                          check=False, start_new_session=True)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


@pytest.fixture
def enrolled(tmp_path: Path) -> tuple[Path, Path]:
    config, key = tmp_path / "config", tmp_path / "key.json"
    result = cli(config, "enroll", "--soft", str(key), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return config, key


@pytest.fixture
def untouched(enrolled: tuple[Path, Path]) -> Path:
    config, key = enrolled
    data = json.loads(key.read_text())
    data["touch"] = False
    key.write_text(json.dumps(data))
    (config / "config.toml").write_text("allow_software_keys = true\napproval_timeout = 2\n")
    return config


def decision(agent: str, result: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    """(verdict, text the model reads) from one answer, checking the agent's format."""
    if agent == "windsurf":  # no JSON contract: exit 2 + stderr blocks
        if result.returncode == 2:
            return "deny", result.stderr.decode().splitlines()[-1]
        assert result.returncode == 0
        return "allow", result.stdout.decode()
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout) if result.stdout.strip() else None
    if out is None:  # Codex/Copilot: no output means "no objection"
        assert agent in ("claude-code", "codex", "gemini", "copilot")
        return "allow", ""
    if agent in ("claude-code", "codex"):
        assert set(out) <= {"hookSpecificOutput", "systemMessage"}
        spec = out["hookSpecificOutput"]
        assert spec["hookEventName"] == "PreToolUse"
        return spec["permissionDecision"], spec["permissionDecisionReason"]
    if agent == "cursor":  # {} leaves Cursor's own approval flow alone
        return out.get("permission", "allow"), out.get("agent_message", "")
    if agent in ("gemini", "opencode"):
        return out["decision"], out["reason"]
    if agent == "copilot":
        assert set(out) == {"permissionDecision", "permissionDecisionReason"}
        return out["permissionDecision"], out["permissionDecisionReason"]
    assert agent == "cline"
    return ("deny" if out["cancel"] else "allow"), out.get("errorMessage", "")


@pytest.mark.parametrize("agent", p.AGENTS)
def test_gated_command_is_denied_without_a_key(agent: str, work: Path, tmp_path: Path) -> None:
    result = hook(tmp_path / "config", agent, p.BUILDERS[agent](GATED, str(work)), work)
    verdict, reason = decision(agent, result)
    assert verdict == "deny"
    assert "git.force-push" in reason and "security-key touch" in reason
    assert "shellgate enroll" in reason and "Rewording the command" in reason


APPROVED_ANSWER = {"claude-code": "allow", "codex": "allow", "cursor": "allow",
                   "gemini": "allow", "copilot": "allow", "windsurf": "allow",
                   "cline": "allow", "opencode": "allow"}


@pytest.mark.parametrize("agent", p.AGENTS)
def test_gated_command_is_allowed_after_a_touch(agent: str, work: Path,
                                                enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled
    result = hook(config, agent, p.BUILDERS[agent](GATED, str(work)), work)
    verdict, reason = decision(agent, result)
    assert verdict == APPROVED_ANSWER[agent]
    assert "touch your key to approve" in result.stderr.decode()
    if agent in ("claude-code", "gemini", "opencode"):
        assert "approved with a security-key touch" in reason
    audit = cli(config, "audit", "show", cwd=work).stdout
    assert "approved" in audit and GATED in audit
    assert len(list((config / "tickets").glob("*.json"))) == 1


@pytest.mark.parametrize("agent", p.AGENTS)
def test_untouched_key_times_out_into_a_deny(agent: str, work: Path, untouched: Path) -> None:
    result = hook(untouched, agent, p.BUILDERS[agent](GATED, str(work)), work)
    verdict, reason = decision(agent, result)
    assert verdict == "deny"
    assert "timed out" in reason and "git.force-push" in reason
    assert not list((untouched / "pending").glob("*.json"))


@pytest.mark.parametrize("agent", p.AGENTS)
def test_allowed_command_passes_without_asking(agent: str, work: Path,
                                               untouched: Path) -> None:
    result = hook(untouched, agent, p.BUILDERS[agent]("ls -la", str(work)), work)
    assert decision(agent, result)[0] == "allow"
    assert "touch your key" not in result.stderr.decode()


@pytest.mark.parametrize("agent", p.AGENTS)
def test_policy_deny_never_asks_the_key(agent: str, work: Path,
                                        enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled  # the key would sign at once: a deny must not even ask it
    result = hook(config, agent, p.BUILDERS[agent]("git status\0; " + GATED, str(work)), work)
    verdict, reason = decision(agent, result)
    assert verdict == "deny" and "refused by policy" in reason
    assert "touch your key" not in result.stderr.decode()


@pytest.mark.parametrize("agent", p.AGENTS)
@pytest.mark.parametrize("case", ["garbage", "oversized", "changes-what-runs", "not-object",
                                  "duplicate-key", "ten-megabytes"])
def test_untrustworthy_input_is_denied(agent: str, case: str, work: Path,
                                       enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled
    payload: Any = p.BUILDERS[agent]("ls", str(work))
    if case == "garbage":
        payload = b"\x00not json"
    elif case == "oversized":
        payload = json.dumps(payload).encode()[:-1] + b',"pad":"' + b"x" * 3_000_000 + b'"}'
    elif case == "changes-what-runs":
        payload = json.dumps(payload).replace('"ls"', '"ls", "stdin": "rm -rf ~"').encode()
    elif case == "duplicate-key":
        first = next(iter(payload))  # the same key twice: which one would count?
        payload = json.dumps(payload).replace("{", f'{{"{first}": null, ', 1).encode()
    elif case == "ten-megabytes":
        payload = b'{"pad": "' + b"x" * 10_000_000 + b'"}'
    else:
        payload = b"[]"
    result = hook(config, agent, payload, work)
    text = (result.stdout + result.stderr).decode()
    assert "could not be checked" in text and "Traceback" not in text
    if agent == "copilot":
        assert json.loads(result.stdout)["permissionDecision"] == "deny"
    assert result.returncode == 2  # blocks in every agent, whatever it makes of stdout


@pytest.mark.parametrize("agent", p.AGENTS)
def test_unknown_fields_pass(agent: str, work: Path, untouched: Path) -> None:
    payload = p.BUILDERS[agent]("ls", str(work))
    payload["surpriseFieldFromANewerRelease"] = {"any": ["shape"]}
    assert decision(agent, hook(untouched, agent, payload, work))[0] == "allow"


@pytest.mark.parametrize("agent", [a for a in p.AGENTS if a != "windsurf"])
def test_other_tools_get_the_no_opinion_answer(agent: str, work: Path, untouched: Path) -> None:
    result = hook(untouched, agent, p.other_tool(agent), work)
    assert decision(agent, result)[0] == "allow"


def test_the_ticket_covers_exactly_the_approved_command_once(
        work: Path, enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled
    assert decision("claude-code", hook(config, "claude-code", p.claude(GATED, str(work)),
                                        work))[0] == "allow"
    probe = ("import sys; from shellgate.config import Config; "
             "from shellgate.approve import tickets;"
             "c = Config.at(sys.argv[1]);"
             "print(tickets.redeem(c, ['git', 'push', '--force', 'origin', 'dev']),"
             " tickets.redeem(c, ['git', 'push', '--force', 'origin', 'main']),"
             " tickets.redeem(c, ['git', 'push', '--force', 'origin', 'main']))")
    result = subprocess.run([sys.executable, "-c", probe, str(config)], capture_output=True,
                            text=True, check=True)
    assert result.stdout.split() == ["False", "True", "False"]


def test_cursor_asks_once_for_both_of_its_events(work: Path,
                                                 enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled
    first = hook(config, "cursor", p.cursor_tool(GATED, str(work)), work)
    second = hook(config, "cursor", p.cursor_shell(GATED, str(work)), work)
    claude_entry = p.cursor_tool(GATED, str(work))
    claude_entry["tool_name"] = "Bash"
    third = hook(config, "claude-code", claude_entry, work)
    assert decision("cursor", first)[0] == decision("cursor", second)[0] == "allow"
    assert decision("claude-code", third)[0] == "allow"
    assert "touch your key" not in (second.stderr + third.stderr).decode()
    audit = cli(config, "audit", "show", cwd=work).stdout
    assert audit.count("  approved  ") == 1
    again = hook(config, "cursor", p.cursor_tool(GATED, str(work)), work)
    assert "touch your key" in again.stderr.decode()  # a new call asks again


def test_killed_hook_still_answers_deny(work: Path, enrolled: tuple[Path, Path]) -> None:
    config, key = enrolled
    data = json.loads(key.read_text())
    data["touch"] = False
    key.write_text(json.dumps(data))
    child = subprocess.Popen([tool("shellgate"), "--config", str(config), "hook",
                              "claude-code"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=work, env=env(work),
                             start_new_session=True)
    assert child.stdin and child.stdout and child.stderr
    child.stdin.write(json.dumps(p.claude(GATED, str(work))).encode())
    child.stdin.close()
    line = b"?"
    while line and b"touch your key" not in line:  # waits for the prompt, no sleeping
        line = child.stderr.readline()
    assert line, "the hook ended before asking for a touch"
    child.send_signal(signal.SIGTERM)
    stdout = child.stdout.read()
    assert child.wait(timeout=60) == 0
    spec = json.loads(stdout)["hookSpecificOutput"]
    assert spec["permissionDecision"] == "deny"
    assert "hook time" in spec["permissionDecisionReason"]


def _home_with_agents(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for part in (".claude", ".codex", ".cursor", ".gemini", ".copilot", ".codeium/windsurf",
                 "Documents/Cline", ".config/opencode"):
        (home / part).mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text('{"model": "opus"}\n')
    (home / ".gemini" / "settings.json").write_text('{"theme": "Dracula"}')
    (home / ".cursor" / "hooks.json").write_text(
        '{"version": 1, "hooks": {"stop": [{"command": "./audit.sh"}]}}')
    return home


def _tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    return {str(path.relative_to(root)): (path.lstat().st_mode,
                                          path.read_bytes() if path.is_file() else None)
            for path in sorted(root.rglob("*"))}


def test_install_twice_then_uninstall_leaves_home_byte_identical(tmp_path: Path) -> None:
    home, config = _home_with_agents(tmp_path), tmp_path / "config"
    before = _tree(home)
    first = cli(config, "hook-install", "--home", str(home), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created") + first.stdout.count("updated") == 8
    installed = _tree(home)
    second = cli(config, "hook-install", "auto", "--home", str(home), cwd=tmp_path)
    assert second.stdout.count("already has the shellgate hook") == 8
    assert _tree(home) == installed
    removed = cli(config, "hook-uninstall", "--home", str(home), cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert _tree(home) == before


def _installed_command(home: Path, agent: str) -> str:
    if agent == "claude-code":
        settings = json.loads((home / ".claude" / "settings.json").read_text())
        return str(settings["hooks"]["PreToolUse"][-1]["hooks"][0]["command"])
    hooks = json.loads((home / ".cursor" / "hooks.json").read_text())
    return str(hooks["hooks"]["preToolUse"][0]["command"])


@pytest.mark.parametrize("agent", ["claude-code", "cursor"])
def test_the_installed_hook_line_gates(agent: str, tmp_path: Path, work: Path,
                                       enrolled: tuple[Path, Path]) -> None:
    config, key = enrolled
    home = _home_with_agents(tmp_path)
    assert cli(config, "hook-install", agent, "--home", str(home), cwd=tmp_path).returncode == 0
    command = _installed_command(home, agent)

    def run(payload: dict[str, Any], line: str = command) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["/bin/sh", "-c", line], input=json.dumps(payload).encode(),
                              capture_output=True, cwd=home, env=env(home), timeout=120,
                              check=False, start_new_session=True)

    assert decision(agent, run(p.BUILDERS[agent](GATED, str(work))))[0] == "allow"
    data = json.loads(key.read_text())
    data["touch"] = False
    key.write_text(json.dumps(data))
    (config / "config.toml").write_text("allow_software_keys = true\napproval_timeout = 2\n")
    assert decision(agent, run(p.BUILDERS[agent](GATED, str(work))))[0] == "deny"
    broken = run(p.BUILDERS[agent]("ls", str(work)), command.replace(sys.executable,
                                                                     "/nonexistent/python"))
    assert broken.returncode == 2  # no interpreter: the agents' blocking exit code


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to load the plugin")
def test_opencode_plugin_blocks_unless_allowed(tmp_path: Path, work: Path,
                                               untouched: Path) -> None:
    home = _home_with_agents(tmp_path)
    assert cli(untouched, "hook-install", "opencode", "--home", str(home),
               cwd=tmp_path).returncode == 0
    plugin = tmp_path / "plugin.mjs"
    shutil.copy(home / ".config" / "opencode" / "plugins" / "shellgate.js", plugin)
    driver = tmp_path / "driver.mjs"
    driver.write_text(
        f"import {{ ShellgatePlugin }} from {json.dumps(str(plugin))};\n"
        f"const hooks = await ShellgatePlugin({{ directory: {json.dumps(str(work))} }});\n"
        "const before = hooks['tool.execute.before'];\n"
        "for (const command of process.argv.slice(2)) {\n"
        "  try {\n"
        "    await before({ tool: 'bash', sessionID: 's', callID: command },\n"
        "                 { args: { command } });\n"
        "    console.log('ALLOWED');\n"
        "  } catch (e) { console.log('BLOCKED ' + e.message.split('\\n')[0]); }\n"
        "}\n")
    result = subprocess.run(["node", str(driver), "ls -la", GATED], capture_output=True,
                            text=True, cwd=work, env=env(home), timeout=120, check=False)
    lines = result.stdout.splitlines()
    assert lines[0] == "ALLOWED", result.stderr
    assert lines[1].startswith("BLOCKED shellgate: not approved: rule git.force-push")


def test_removing_or_redirecting_the_hook_needs_the_enrolled_key(
        tmp_path: Path, enrolled: tuple[Path, Path]) -> None:
    config, key = enrolled
    home = _home_with_agents(tmp_path)
    assert cli(config, "hook-install", "claude-code", "--home", str(home),
               cwd=tmp_path).returncode == 0
    installed = _tree(home)
    data = json.loads(key.read_text())
    data["touch"] = False
    key.write_text(json.dumps(data))
    (config / "config.toml").write_text("allow_software_keys = true\napproval_timeout = 2\n")
    refused = cli(config, "hook-uninstall", "claude-code", "--home", str(home), cwd=tmp_path)
    assert refused.returncode == 126 and "core.hook-config" in refused.stderr
    evil = tmp_path / "evil"  # a config dir whose (first) key needs no approval to enrol
    assert cli(evil, "enroll", "--soft", str(tmp_path / "evil.json"),
               cwd=tmp_path).returncode == 0
    redirect = cli(evil, "hook-install", "claude-code", "--home", str(home), cwd=tmp_path)
    assert redirect.returncode == 126 and "timed out" in redirect.stderr
    assert _tree(home) == installed
    data["touch"] = True
    key.write_text(json.dumps(data))
    removed = cli(config, "hook-uninstall", "claude-code", "--home", str(home), cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert json.loads((home / ".claude" / "settings.json").read_text()) == {"model": "opus"}


@pytest.mark.parametrize("argv", [["hook", "aider"], ["hook", "claude"]])
def test_unknown_agent_refuses_with_the_blocking_exit_code(argv: list[str],
                                                           tmp_path: Path) -> None:
    result = subprocess.run([tool("shellgate"), "--config", str(tmp_path), *argv],
                            input=b"{}", capture_output=True, env=env(tmp_path), timeout=60,
                            check=False)
    assert result.returncode == 2 and b"unknown agent" in result.stderr
    assert result.stdout == b""


CAPTURED = Path(__file__).resolve().parents[1] / "agents" / "fixtures"


def captured(agent: str, command: str, cwd: Path) -> dict[str, Any]:
    """The hook input the pinned agent CLI really sent (tests/agents captures it), with
    the command and working directory replaced."""
    payload: dict[str, Any] = json.loads((CAPTURED / f"{agent}.json").read_text())
    payload["cwd"] = str(cwd)
    inner = payload.get("tool_input") or payload.get("toolArgs") or payload.get("args")
    assert isinstance(inner, dict) and isinstance(inner.get("command"), str)
    inner["command"] = command
    return payload


@pytest.mark.parametrize("agent", sorted(f.stem for f in CAPTURED.glob("*.json")))
def test_captured_real_input_allows_harmless_and_denies_destructive(agent: str, work: Path,
                                                                     tmp_path: Path) -> None:
    config = tmp_path / "config"  # no key enrolled: a gated command cannot be approved
    verdict, _ = decision(agent, hook(config, agent, captured(agent, "ls -la", work), work))
    assert verdict == "allow"
    verdict, reason = decision(agent, hook(config, agent, captured(agent, GATED, work), work))
    assert verdict == "deny" and "git.force-push" in reason


def test_watchdog_answers_deny_when_the_hook_is_stuck(work: Path,
                                                      enrolled: tuple[Path, Path]) -> None:
    """A twin holds the per-call lock and the hook cannot be interrupted by its alarm
    (SIGALRM blocked): the watchdog thread still answers deny, in the blocking form."""
    import fcntl

    from shellgate.surfaces.hooks.agents import get
    from shellgate.surfaces.hooks.dedup import key_of

    config, _ = enrolled
    payload = p.claude(GATED, str(work))
    agent = get("claude-code")
    assert agent is not None
    key = key_of(agent.parse(payload))
    assert key is not None
    seen = config / "hooks" / "seen"
    seen.mkdir(parents=True, exist_ok=True)
    with open(seen / f"{key}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = subprocess.run(
            [sys.executable, "-I", "-m", "shellgate.hooks", "--config", str(config),
             "--deadline", "3", "claude-code"], input=json.dumps(payload).encode(),
            capture_output=True, cwd=work, env=env(work), timeout=60, check=False,
            preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM}))
    assert result.returncode == 2
    assert "no decision was reached within 3 s" in result.stderr.decode()
    assert json.loads(result.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
