"""The agents' machine-wide settings, where they have them, and whether the user-level
file can still switch shellgate's hook off.

- Claude Code: ``/etc/claude-code/managed-settings.json`` — managed hooks run even with
  ``disableAllHooks`` in user or project settings.
- Gemini CLI: ``/etc/gemini-cli/settings.json`` — system settings override user and
  project settings; hook lists merge. shellgate pins ``hooksConfig.enabled = true`` there.
- OpenAI Codex: ``/etc/codex/requirements.toml`` — managed hooks need no ``/hooks`` trust;
  ``[features] hooks = true`` pins hooks on.
- Cursor: ``/etc/cursor/hooks.json`` (enterprise, highest priority).
- Windsurf: ``/etc/windsurf/hooks.json`` (system level, merged with user hooks).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from shellgate.errors import ShellgateError
from shellgate.hardened.layout import Layout

ALL = ("claude-code", "gemini", "codex", "cursor", "windsurf")
_CODEX_BEGIN = "# >>> shellgate hardened mode (managed hook) >>>"
_CODEX_END = "# <<< shellgate hardened mode <<<"


def managed_path(layout: Layout, agent: str) -> Path:
    return {"claude-code": layout.claude_managed, "gemini": layout.gemini_system,
            "codex": layout.codex_managed, "cursor": layout.cursor_enterprise,
            "windsurf": layout.windsurf_system}[agent]


def _json_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    value = json.loads(text) if text.strip() else {}
    if not isinstance(value, dict):
        raise ShellgateError(f"{path} does not hold a JSON object; not changed", 2)
    return value


def managed_entry(layout: Layout, agent: str, command: str) -> tuple[Path, str]:
    """The managed file for ``agent`` and its new text with shellgate's hook in it."""
    from shellgate.install.agent_entries import JsonEdit, targets

    path = managed_path(layout, agent)
    if agent == "codex":
        return path, _codex_text(path, command)
    (target,) = targets(agent, Path("/nonexistent"), command)
    if not isinstance(target, JsonEdit):
        raise ShellgateError(f"{agent} has no JSON settings file", 2)
    data = replace(target, path=path).add(_json_object(path))
    if agent == "gemini":
        hooks_config = data.setdefault("hooksConfig", {})
        if isinstance(hooks_config, dict):
            hooks_config["enabled"] = True
    return path, json.dumps(data, indent=2) + "\n"


def _codex_text(path: Path, command: str) -> str:
    try:
        current = path.read_text("utf-8")
    except FileNotFoundError:
        current = ""
    if "[hooks" in current or "[features" in current:
        raise ShellgateError(f"{path} already configures hooks or features; add shellgate's "
                             "PreToolUse hook there by hand", 2)
    from shellgate.surfaces.hooks.dialect import HOOK_TIMEOUT

    block = (f"{_CODEX_BEGIN}\n[features]\nhooks = true\n\n[[hooks.PreToolUse]]\n"
             'matcher = "Bash"\n\n[[hooks.PreToolUse.hooks]]\ntype = "command"\n'
             f"command = {json.dumps(command)}\ntimeout = {HOOK_TIMEOUT}\n{_CODEX_END}\n")
    return (current.rstrip("\n") + "\n\n" if current.strip() else "") + block


def _has_hook(path: Path) -> bool:
    try:
        return "shellgate.hooks" in path.read_text("utf-8")
    except OSError:
        return False


def user_can_remove(agent: str, home: Path) -> str | None:
    """Why the user-level settings could still switch the managed hook off, or None."""
    if agent == "gemini":
        try:
            settings = _json_object(home / ".gemini" / "settings.json")
        except (ValueError, ShellgateError):
            return None
        hooks_config = settings.get("hooksConfig")
        if isinstance(hooks_config, dict):
            disabled = hooks_config.get("disabled")
            if isinstance(disabled, list) and "shellgate" in disabled:
                return ("~/.gemini/settings.json lists shellgate in hooksConfig.disabled "
                        "(lists merge across levels)")
    return None


def doctor_lines(layout: Layout, home: Path) -> list[str]:
    """One line per agent: managed hook present, and whether the user can remove it."""
    lines = []
    for agent in ALL:
        path = managed_path(layout, agent)
        if not _has_hook(path):
            lines.append(f"WARNING {agent}: no managed hook in {path}; a user-level hook can "
                         "be removed by the user (and so by the agent)")
            continue
        why = user_can_remove(agent, home)
        if why:
            lines.append(f"PROBLEM {agent}: managed hook in {path}, but {why}")
        else:
            lines.append(f"{agent}: managed hook in {path}; the user-level file cannot "
                         "remove it")
    return lines
