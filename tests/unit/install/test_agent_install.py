"""Writing shellgate's entry into each agent's config: structure, idempotence, exact undo."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

from shellgate.config import Config
from shellgate.install.agent_entries import FALLBACK, STATUS, hook_command
from shellgate.install.agents import InstallError, detect, install_agent, uninstall_agent
from shellgate.install.shims import isolation
from shellgate.surfaces.hooks import AGENTS

PY = "/opt/sg/bin/python"
FILES = {"claude-code": ".claude/settings.json", "codex": ".codex/hooks.json",
         "cursor": ".cursor/hooks.json", "gemini": ".gemini/settings.json",
         "copilot": ".copilot/hooks/shellgate.json",
         "windsurf": ".codeium/windsurf/hooks.json", "cline": "Documents/Cline/Hooks/PreToolUse",
         "opencode": ".config/opencode/plugins/shellgate.js"}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Config, Path]:
    home = tmp_path / "home"
    home.mkdir()
    return Config(str(tmp_path / "cfg")), home


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    out: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        out[str(path.relative_to(root))] = (mode, path.read_bytes() if path.is_file() else None)
    return out


def load(home: Path, agent: str) -> Any:
    return json.loads((home / FILES[agent]).read_text())


def command_for(agent: str, config: Config) -> str:
    return hook_command(PY, config.directory, agent)


def hook_argv(agent: str, config: Config, deadline: str = "102") -> list[str]:
    flags, paths = isolation()
    code = "import sys; " + (f"sys.path[:0] = {paths!r}; " if paths else "") + \
        "from shellgate.hooks.__main__ import main; main(sys.argv[1:])"
    return [PY, flags, "-c", code, "--config", str(config.directory), "--deadline", deadline,
            agent]


@pytest.mark.parametrize("agent", ["claude-code", "codex", "gemini", "cursor", "copilot"])
def test_hook_command_answers_inside_the_agent_timeout_and_blocks_on_failure(
        agent: str, setup: tuple[Config, Path]) -> None:
    config, _ = setup
    line = hook_command(PY, config.directory, agent, 120)
    assert line.endswith(" || " + FALLBACK) and "exit 2;" in FALLBACK and ">&2" in FALLBACK
    words = shlex.split(line.removesuffix(" || " + FALLBACK))
    assert words[words.index(PY):] == hook_argv(agent, config)  # deadline 102 s < 120 s
    timeout = shutil.which("timeout")
    if timeout:  # killed between shellgate's deadline and the agent's
        assert words[:4] == [timeout, "-k", "1", "111"]
    short = shlex.split(hook_command(PY, config.directory, agent, 10).split(" || ")[0])
    assert short[short.index("--deadline") + 1] == "8"


def test_claude_code_entry(setup: tuple[Config, Path]) -> None:
    config, home = setup
    install_agent(config, "claude-code", home, python=PY)
    assert load(home, "claude-code") == {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": command_for("claude-code", config), "timeout": 120,
         "statusMessage": STATUS}]}]}}


def test_cursor_registers_both_events_fail_closed(setup: tuple[Config, Path]) -> None:
    config, home = setup
    install_agent(config, "cursor", home, python=PY)
    handler = {"command": command_for("cursor", config), "timeout": 120, "failClosed": True}
    assert load(home, "cursor") == {"version": 1, "hooks": {
        "beforeShellExecution": [handler], "preToolUse": [dict(handler, matcher="Shell")]}}


def test_gemini_timeout_is_in_milliseconds(setup: tuple[Config, Path]) -> None:
    config, home = setup
    install_agent(config, "gemini", home, python=PY)
    group = load(home, "gemini")["hooks"]["BeforeTool"][0]
    assert group["matcher"] == "run_shell_command"
    assert group["hooks"][0]["timeout"] == 120000 and group["hooks"][0]["name"] == "shellgate"


def test_codex_copilot_windsurf_entries(setup: tuple[Config, Path]) -> None:
    config, home = setup
    for agent in ("codex", "copilot", "windsurf"):
        install_agent(config, agent, home, python=PY)
    codex = load(home, "codex")
    assert set(codex) == {"hooks"}  # Codex's hooks.json root holds only description/hooks
    assert codex["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"] == 120
    copilot = load(home, "copilot")["hooks"]["preToolUse"][0]
    assert copilot["bash"] == command_for("copilot", config) and copilot["timeoutSec"] == 120
    windsurf = load(home, "windsurf")["hooks"]["pre_run_command"][0]
    assert windsurf == {"command": command_for("windsurf", config), "show_output": True}


def test_cline_hook_is_an_executable_script(setup: tuple[Config, Path]) -> None:
    config, home = setup
    install_agent(config, "cline", home, python=PY)
    script = home / FILES["cline"]
    assert os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/bin/sh\n")
    assert f"\n{command_for('cline', config)}\n" in script.read_text()


def test_opencode_plugin_carries_the_hook_argv(setup: tuple[Config, Path]) -> None:
    config, home = setup
    install_agent(config, "opencode", home, python=PY)
    text = (home / FILES["opencode"]).read_text()
    argv = hook_argv("opencode", config)
    assert f"const ARGV = {json.dumps(argv)};" in text
    assert "const TIMEOUT_MS = 120000;" in text
    assert "__SHELLGATE_ARGV__" not in text and "__TIMEOUT_MS__" not in text


@pytest.mark.parametrize("agent", AGENTS)
def test_install_twice_then_uninstall_restores_every_byte(setup: tuple[Config, Path],
                                                          agent: str) -> None:
    config, home = setup
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text('{"model": "opus",\n "hooks": {}}')
    os.chmod(home / ".claude" / "settings.json", 0o640)
    before = snapshot(home)
    assert any("created" in line or "updated" in line
               for line in install_agent(config, agent, home, python=PY))
    once = snapshot(home)
    assert once != before
    assert all("already has" in line for line in install_agent(config, agent, home, python=PY)
               if line.startswith(agent + ":"))
    assert snapshot(home) == once
    uninstall_agent(config, agent, home)
    assert snapshot(home) == before
    assert not (config.directory / "hooks" / "installed.json").exists()


def test_existing_user_entries_are_kept(setup: tuple[Config, Path]) -> None:
    config, home = setup
    mine = {"matcher": "Bash", "hooks": [{"type": "command", "command": "dcg"}]}
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"hooks": {"PreToolUse": [mine]}, "env": {"A": "1"}}))
    install_agent(config, "claude-code", home, python=PY)
    data = json.loads(settings.read_text())
    assert data["env"] == {"A": "1"} and data["hooks"]["PreToolUse"][0] == mine
    assert len(data["hooks"]["PreToolUse"]) == 2


def test_file_edited_after_install_loses_only_shellgates_entry(
        setup: tuple[Config, Path]) -> None:
    config, home = setup
    install_agent(config, "claude-code", home, python=PY)
    settings = home / ".claude" / "settings.json"
    data = json.loads(settings.read_text())
    data["permissions"] = {"deny": ["Bash(curl:*)"]}
    settings.write_text(json.dumps(data))
    lines = uninstall_agent(config, "claude-code", home)
    assert any("changed since install" in line for line in lines)
    assert json.loads(settings.read_text()) == {"permissions": {"deny": ["Bash(curl:*)"]}}


def test_reinstall_after_an_edit_keeps_the_edit_on_uninstall(
        setup: tuple[Config, Path]) -> None:
    config, home = setup
    install_agent(config, "cursor", home, python=PY)
    hooks = home / FILES["cursor"]
    data = json.loads(hooks.read_text())
    data["hooks"]["stop"] = [{"command": "./audit.sh"}]
    hooks.write_text(json.dumps(data))
    install_agent(config, "cursor", home, python="/other/python")  # entry changes
    uninstall_agent(config, "cursor", home)
    assert json.loads(hooks.read_text()) == {"version": 1,
                                             "hooks": {"stop": [{"command": "./audit.sh"}]}}


def test_unparsable_settings_are_left_untouched(setup: tuple[Config, Path]) -> None:
    config, home = setup
    settings = home / ".gemini" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{\n  // comments\n  "theme": "dark"\n}\n')
    with pytest.raises(InstallError, match="not plain JSON"):
        install_agent(config, "gemini", home, python=PY)
    assert settings.read_text() == '{\n  // comments\n  "theme": "dark"\n}\n'


def test_foreign_hook_file_is_not_replaced(setup: tuple[Config, Path]) -> None:
    config, home = setup
    script = home / FILES["cline"]
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\necho '{\"cancel\": false}'\n")
    with pytest.raises(InstallError, match="not written by shellgate"):
        install_agent(config, "cline", home, python=PY)
    assert "cancel" in script.read_text()


def test_symlinked_settings_are_edited_in_place(setup: tuple[Config, Path],
                                                tmp_path: Path) -> None:
    config, home = setup
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text("{}")
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").symlink_to(real)
    install_agent(config, "claude-code", home, python=PY)
    assert (home / ".claude" / "settings.json").is_symlink()
    assert "shellgate.hooks" in real.read_text()
    uninstall_agent(config, "claude-code", home)
    assert real.read_text() == "{}"


def test_dry_run_changes_nothing(setup: tuple[Config, Path]) -> None:
    config, home = setup
    (home / ".cursor").mkdir()
    before = snapshot(home)
    lines = install_agent(config, "auto", home, dry_run=True, python=PY)
    assert lines == ["cursor: would create ~/.cursor/hooks.json"]
    assert snapshot(home) == before and not config.directory.exists()


def test_auto_detects_agents_by_their_config_dirs(setup: tuple[Config, Path]) -> None:
    config, home = setup
    assert detect(home) == []
    for part in (".claude", ".codeium/windsurf", "Documents/Cline"):
        (home / part).mkdir(parents=True)
    assert detect(home) == ["claude-code", "windsurf", "cline"]
    install_agent(config, "auto", home, python=PY)
    assert (home / FILES["windsurf"]).exists() and not (home / FILES["cursor"]).exists()
    uninstall_agent(config, "auto", home)
    assert not (home / FILES["windsurf"]).exists() and not (home / FILES["cline"]).exists()


def test_unknown_agent_is_a_usage_error(setup: tuple[Config, Path]) -> None:
    config, home = setup
    with pytest.raises(InstallError, match="unknown agent") as info:
        install_agent(config, "aider", home)
    assert info.value.exit_code == 2


def test_installed_entries_name_their_config_dirs(setup: tuple[Config, Path]) -> None:
    from shellgate.install.protect import installed_config_dirs, replaces_entries

    config, home = setup
    assert installed_config_dirs("auto", home) == []
    for agent in AGENTS:
        install_agent(config, agent, home, python=PY)
        assert installed_config_dirs(agent, home) == [config.directory], agent
        assert not replaces_entries(config, agent, home, PY)
        assert replaces_entries(Config(str(config.directory.parent / "evil")), agent, home, PY)
        assert replaces_entries(config, agent, home, "/other/python")
