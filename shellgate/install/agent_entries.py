"""What shellgate writes into each agent's hook configuration, and how it finds its own
entries again (by the hook command, which runs ``shellgate.hooks`` — a stable entry module; agents
that validate
their settings get no custom marker keys).

Every entry sets an explicit timeout (``HOOK_TIMEOUT``; shellgate answers within
``DEFAULT_BUDGET`` of it) and, where the agent has them, a status message and a
fail-closed flag: Claude Code ``onFailure: "block"`` (2.1.295+; older versions ignore
it), Cursor ``failClosed: true``.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from shellgate.surfaces.hooks.dialect import HOOK_TIMEOUT

STATUS = "shellgate: checking the command; touch your security key if it asks"
"""Shown by the agent while the hook runs (the hook itself has no terminal)."""
MARKER = "shellgate.hooks"
"""Every hook command shellgate writes runs ``shellgate.hooks.__main__``."""


def hook_command(python: str, config_dir: Path, agent: str) -> str:
    """The shell command an agent runs: ``python -I[S] -c 'CODE' --config DIR AGENT``.

    ``-c`` with a one-line import rather than ``-m shellgate.hooks`` (``runpy`` costs every
    hook call ~3.5 ms), and ``-S`` with site-packages put on ``sys.path`` when shellgate is
    installed there (``site`` costs ~2 ms), the same isolation as the shims. ``|| exit 2``
    turns a missing interpreter or a crash before shellgate could answer into the agents'
    blocking exit code."""
    from shellgate.install.shims import isolation

    flags, paths = isolation()
    code = "import sys; "
    if paths:
        code += f"sys.path[:0] = {paths!r}; "
    code += f"from {MARKER}.__main__ import main; main(sys.argv[1:])"
    argv = [python, flags, "-c", code, "--config", str(config_dir), agent]
    return shlex.join(argv) + " || exit 2"


def is_ours(handler: Any) -> bool:
    """A hook handler object that runs shellgate's hook."""
    if not isinstance(handler, dict):
        return False
    return any(isinstance(handler.get(k), str) and MARKER in handler[k]
               for k in ("command", "bash"))


@dataclass(frozen=True)
class JsonEdit:
    """A structural edit of one agent's JSON settings file."""

    path: Path
    style: str
    events: tuple[tuple[str, dict[str, Any]], ...]
    root: tuple[tuple[str, Any], ...] = ()

    def add(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with shellgate's entries present exactly once (replaced in place)."""
        for key, value in self.root:
            data.setdefault(key, value)
        hooks = data.setdefault("hooks", {})
        if not isinstance(hooks, dict):
            raise ValueError(f"{self.path}: \"hooks\" is not an object")
        for event, entry in self.events:
            items = hooks.setdefault(event, [])
            if not isinstance(items, list):
                raise ValueError(f"{self.path}: \"hooks.{event}\" is not a list")
            mine = [i for i, item in enumerate(items) if self._ours(item)]
            if mine:
                items[mine[0]] = entry
                for index in reversed(mine[1:]):
                    del items[index]
            else:
                items.append(entry)
        return data

    def remove(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` without shellgate's entries; emptied lists and objects go too."""
        hooks = data.get("hooks")
        if not isinstance(hooks, dict):
            return data
        for event, _ in self.events:
            items = hooks.get(event)
            if isinstance(items, list):
                items[:] = [item for item in items if not self._ours(item)]
                if not items:
                    del hooks[event]
        if not hooks:
            del data["hooks"]
            for key, value in self.root:
                if data.get(key) == value and len(data) == 1:
                    del data[key]
        return data

    def _ours(self, item: Any) -> bool:
        if self.style == "grouped":  # {"matcher": …, "hooks": [handler]}
            inner = item.get("hooks") if isinstance(item, dict) else None
            return isinstance(inner, list) and any(is_ours(h) for h in inner)
        return is_ours(item)


@dataclass(frozen=True)
class FileDrop:
    """A whole file that belongs to shellgate (Copilot hooks file, Cline hook, plugin)."""

    path: Path
    content: str
    mode: int

    def ours(self, current: bytes) -> bool:
        """Whether an existing file at ``path`` was written by shellgate."""
        return MARKER.encode() in current or b"shellgate hook" in current


def _grouped(event: str, matcher: str, handler: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return event, {"matcher": matcher, "hooks": [handler]}


def targets(agent: str, home: Path, command: str) -> list[JsonEdit | FileDrop]:
    """What ``install --agent AGENT`` writes, for a user whose home is ``home``."""
    claude_like = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT,
                   "statusMessage": STATUS}
    if agent == "claude-code":
        handler = dict(claude_like, onFailure="block")
        return [JsonEdit(home / ".claude" / "settings.json", "grouped",
                         (_grouped("PreToolUse", "Bash", handler),))]
    if agent == "codex":
        return [JsonEdit(home / ".codex" / "hooks.json", "grouped",
                         (_grouped("PreToolUse", "Bash", claude_like),))]
    if agent == "gemini":
        handler = {"type": "command", "name": "shellgate", "command": command,
                   "description": STATUS, "timeout": HOOK_TIMEOUT * 1000}
        return [JsonEdit(home / ".gemini" / "settings.json", "grouped",
                         (_grouped("BeforeTool", "run_shell_command", handler),))]
    if agent == "cursor":
        base = {"command": command, "timeout": HOOK_TIMEOUT, "failClosed": True}
        return [JsonEdit(home / ".cursor" / "hooks.json", "flat",
                         (("beforeShellExecution", dict(base)),
                          ("preToolUse", dict(base, matcher="Shell"))),
                         root=(("version", 1),))]
    if agent == "windsurf":
        return [JsonEdit(home / ".codeium" / "windsurf" / "hooks.json", "flat",
                         (("pre_run_command", {"command": command, "show_output": True}),))]
    if agent == "copilot":
        body = {"version": 1, "hooks": {"preToolUse": [
            {"type": "command", "bash": command, "timeoutSec": HOOK_TIMEOUT,
             "comment": "shellgate hook: gates shell commands behind a security-key touch"}]}}
        return [FileDrop(home / ".copilot" / "hooks" / "shellgate.json",
                         json.dumps(body, indent=2) + "\n", 0o600)]
    if agent == "cline":
        script = ("#!/bin/sh\n# shellgate hook for Cline (written by `shellgate install "
                  "--agent cline`;\n# `shellgate uninstall --agent cline` removes it).\n"
                  f"exec {command.removesuffix(' || exit 2')}\n")
        return [FileDrop(home / "Documents" / "Cline" / "Hooks" / "PreToolUse", script, 0o700)]
    if agent == "opencode":
        return [FileDrop(home / ".config" / "opencode" / "plugins" / "shellgate.js",
                         opencode_plugin(command), 0o600)]
    raise ValueError(f"unknown agent {agent!r}")


def opencode_plugin(command: str) -> str:
    """The shipped OpenCode plugin with this install's hook argv filled in."""
    argv = shlex.split(command.removesuffix(" || exit 2"))
    template = (resources.files("shellgate.surfaces.hooks") / "opencode_plugin" / "shellgate.js"
                ).read_text(encoding="utf-8")
    return template.replace("__SHELLGATE_ARGV__", json.dumps(argv))


DETECT = {"claude-code": (".claude",), "codex": (".codex",), "cursor": (".cursor",),
          "gemini": (".gemini",), "copilot": (".copilot",),
          "windsurf": (".codeium", "windsurf"), "cline": ("Documents", "Cline"),
          "opencode": (".config", "opencode")}
"""The configuration directory whose presence shows that an agent is installed."""
