"""How each real agent CLI is run against the fake model server.

Each driver writes the agent's own settings into a temporary home (its base URL pointing
at 127.0.0.1, a dummy API key, telemetry, update checks and plugin syncs off) and returns
the argv and environment of one non-interactive run. shellgate's hook is installed
afterwards by ``shellgate hook-install AGENT --home HOME``, exactly as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PREFIX = Path(os.environ.get("SHELLGATE_AGENTS_PREFIX")
              or Path(__file__).resolve().parents[2] / "build" / "agents")
BIN = PREFIX / "node_modules" / ".bin"
PROMPT = "Run the command."

VERSIONS = {"claude-code": "2.1.197", "codex": "0.171.0", "gemini": "0.61.0",
            "copilot": "1.0.102", "opencode": "1.18.33"}
"""The pinned versions (tests/agents/install_agents.sh installs the same)."""
PACKAGES = {"claude-code": "@anthropic-ai/claude-code", "codex": "@openai/codex",
            "gemini": "@google/gemini-cli", "copilot": "@github/copilot",
            "opencode": "opencode-ai"}


@dataclass
class Run:
    """One agent invocation."""

    argv: list[str]
    env: dict[str, str]


def base_env(home: Path) -> dict[str, str]:
    """A minimal environment: the agents' bin dir first, no proxies, no real keys."""
    return {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
            "LANG": "C.UTF-8", "TERM": "dumb", "NO_COLOR": "1", "CI": "1",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def prepare(agent: str, home: Path, url: str) -> Run:
    """Write ``agent``'s settings under ``home`` for the server at ``url``."""
    env = base_env(home)
    if agent == "claude-code":
        env.update(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY="sk-ant-test-not-a-key",
                   DISABLE_TELEMETRY="1", DISABLE_AUTOUPDATER="1",
                   DISABLE_ERROR_REPORTING="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
        return Run([str(BIN / "claude"), "-p", PROMPT, "--output-format", "stream-json",
                    "--verbose", "--allowedTools", "Bash"], env)
    if agent == "codex":
        (home / ".codex").mkdir(parents=True, exist_ok=True)
        (home / ".codex" / "config.toml").write_text(
            'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
            'sandbox_mode = "danger-full-access"\ncheck_for_update_on_startup = false\n'
            "[model_providers.fake]\nname = \"fake\"\n"
            f'base_url = "{url}/v1"\nenv_key = "FAKE_API_KEY"\nwire_api = "responses"\n'
            "[analytics]\nenabled = false\n"
            "[features]\nplugins = false\nremote_plugin = false\napps = false\n"
            "plugin_sharing = false\nin_app_updates = false\nbrowser_use = false\n"
            "computer_use = false\n")
        env.update(FAKE_API_KEY="sk-test-not-a-key")
        return Run([str(BIN / "codex"), "exec", "--skip-git-repo-check", PROMPT], env)
    if agent == "gemini":
        (home / ".gemini").mkdir(parents=True, exist_ok=True)
        settings = {"security": {"auth": {"selectedType": "gemini-api-key"},
                                 "folderTrust": {"enabled": False}},
                    "telemetry": {"enabled": False},
                    "privacy": {"usageStatisticsEnabled": False},
                    "general": {"disableAutoUpdate": True, "disableUpdateNag": True}}
        (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
        env.update(GOOGLE_GEMINI_BASE_URL=url, GEMINI_API_KEY="test-not-a-key")
        return Run([str(BIN / "gemini"), "-p", PROMPT, "--yolo"], env)
    if agent == "copilot":
        env.update(COPILOT_OFFLINE="true", COPILOT_PROVIDER_BASE_URL=url + "/v1",
                   COPILOT_PROVIDER_API_KEY="sk-test-not-a-key", COPILOT_MODEL="fake-model",
                   COPILOT_AUTO_UPDATE="false")
        return Run([str(BIN / "copilot"), "-p", PROMPT, "--allow-all-tools"], env)
    if agent == "opencode":
        config = home / ".config" / "opencode"
        config.mkdir(parents=True, exist_ok=True)
        provider = {"npm": "@ai-sdk/openai-compatible", "name": "fake",
                    "options": {"baseURL": url + "/v1", "apiKey": "sk-test-not-a-key"},
                    "models": {"fake-model": {"name": "fake", "tool_call": True}}}
        (config / "opencode.json").write_text(json.dumps(
            {"provider": {"fake": provider}, "model": "fake/fake-model",
             "small_model": "fake/fake-model", "permission": {"bash": "allow"},
             "autoupdate": False, "share": "disabled"}))
        # OpenCode installs its plugin SDK into the config dir when a plugin is present;
        # install_agents.sh prepared one copy, so no run waits for npm.
        template = PREFIX / "opencode-config"
        for name in ("node_modules", "package.json", "package-lock.json"):
            source = template / name
            if source.is_dir():
                shutil.copytree(source, config / name, symlinks=True)
            elif source.exists():
                shutil.copy2(source, config / name)
        env.update(OPENCODE_DISABLE_MODELS_FETCH="true", OPENCODE_DISABLE_AUTOUPDATE="true",
                   OPENCODE_DISABLE_LSP_DOWNLOAD="true", OPENCODE_DISABLE_DEFAULT_PLUGINS="true",
                   OPENCODE_DISABLE_SHARE="true", XDG_CACHE_HOME=str(PREFIX / "cache"))
        return Run([str(BIN / "opencode"), "run", PROMPT], env)
    raise ValueError(agent)
