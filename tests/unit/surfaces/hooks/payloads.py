"""Hook inputs built from the payloads each agent documents (notes/agent-integrations.md
§1.1 Claude Code, §2.2 Cursor, §3.1 Codex, §4.1 Gemini, §5.1 Copilot CLI, §5.2 VS Code,
§5.3 Windsurf, §5.4 Cline; OpenCode's is shellgate's own plugin protocol)."""

from __future__ import annotations

import json
from typing import Any

AGENTS = ("claude-code", "codex", "cursor", "gemini", "copilot", "windsurf", "cline",
          "opencode")


def claude(command: str, cwd: str = "/work/repo", tool: str = "Bash") -> dict[str, Any]:
    return {"session_id": "abc123", "prompt_id": "p-1", "transcript_path": "/tmp/t.jsonl",
            "cwd": cwd, "permission_mode": "default", "effort": {"level": "high"},
            "hook_event_name": "PreToolUse", "tool_name": tool,
            "tool_input": {"command": command, "description": "run it", "timeout": 120000},
            "tool_use_id": "toolu_01"}


def codex(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"session_id": "019a-thread", "turn_id": "turn-7", "cwd": cwd,
            "hook_event_name": "PreToolUse", "model": "gpt-5-codex",
            "permission_mode": "default", "tool_name": "Bash",
            "tool_input": {"command": command}, "tool_use_id": "call_9",
            "transcript_path": None}


def cursor_shell(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"conversation_id": "conv-1", "generation_id": "gen-1", "model": "claude-opus",
            "hook_event_name": "beforeShellExecution", "cursor_version": "3.21.16",
            "workspace_roots": [cwd], "user_email": None, "transcript_path": None,
            "command": command, "cwd": cwd, "sandbox": False}


def cursor_tool(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"conversation_id": "conv-1", "generation_id": "gen-1", "model": "claude-opus",
            "model_id": "claude-opus-4-7", "model_params": [{"id": "effort", "value": "max"}],
            "hook_event_name": "preToolUse", "cursor_version": "3.21.16",
            "workspace_roots": [cwd], "user_email": "dev@example.com",
            "transcript_path": None, "tool_name": "Shell",
            "tool_input": {"command": command, "working_directory": cwd},
            "tool_use_id": "abc123", "cwd": cwd, "agent_message": "Running it..."}


def gemini(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"session_id": "g-1", "transcript_path": "/tmp/g.json", "cwd": cwd,
            "hook_event_name": "BeforeTool", "timestamp": "2026-10-01T10:00:00.000Z",
            "tool_name": "run_shell_command",
            "tool_input": {"command": command, "description": "run it"}}


def copilot(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    """Copilot CLI 1.0.x as captured (tests/agents/fixtures/copilot.json): camelCase, and
    ``toolArgs`` an object (the docs and older builds: a JSON string)."""
    return {"sessionId": "c-1", "timestamp": 1704614600000, "cwd": cwd, "toolName": "bash",
            "toolArgs": {"command": command, "description": "run it"}}


def vscode(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"timestamp": "2026-02-09T10:30:00.000Z", "cwd": cwd, "sessionId": "vs-1",
            "hookEventName": "PreToolUse", "transcript_path": "/tmp/v.json",
            "tool_name": "run_in_terminal",
            "tool_input": {"command": command, "explanation": "run it", "mode": "sync",
                           "timeout": 60000},
            "tool_use_id": "tool-123"}


def windsurf(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"agent_action_name": "pre_run_command", "trajectory_id": "traj-1",
            "execution_id": "exec-1", "timestamp": "2026-10-01T10:00:00Z",
            "model_name": "swe-1", "tool_info": {"command_line": command, "cwd": cwd}}


def cline(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"clineVersion": "3.40.0", "hookName": "PreToolUse",
            "timestamp": "1704614600000", "taskId": "task-1", "workspaceRoots": [cwd],
            "userId": "u-1", "preToolUse": {"toolName": "execute_command",
                                            "parameters": {"command": command,
                                                           "requires_approval": "false"}}}


def opencode(command: str, cwd: str = "/work/repo") -> dict[str, Any]:
    return {"tool": "bash", "args": {"command": command, "description": "run it"},
            "cwd": cwd, "sessionID": "ses_1", "callID": "call_1"}


BUILDERS = {"claude-code": claude, "codex": codex, "cursor": cursor_tool, "gemini": gemini,
            "copilot": copilot, "windsurf": windsurf, "cline": cline, "opencode": opencode}
"""One documented shell-command payload per agent."""


def other_tool(agent: str) -> dict[str, Any]:
    """A documented payload for a tool that runs no shell command."""
    if agent in ("claude-code", "codex"):
        payload = claude("x") if agent == "claude-code" else codex("x")
        payload["tool_name"] = "Read" if agent == "claude-code" else "apply_patch"
        payload["tool_input"] = {"file_path": "/etc/hosts"} if agent == "claude-code" \
            else {"patch": "*** Begin Patch"}
        return payload
    if agent == "cursor":
        payload = cursor_tool("x")
        payload["tool_name"] = "Read"
        payload["tool_input"] = {"path": "README.md"}
        return payload
    if agent == "gemini":
        payload = gemini("x")
        payload["tool_name"] = "read_file"
        payload["tool_input"] = {"absolute_path": "/etc/hosts"}
        return payload
    if agent == "copilot":
        return {"timestamp": 1, "cwd": "/w", "toolName": "view",
                "toolArgs": json.dumps({"path": "README.md"})}
    if agent == "cline":
        payload = cline("x")
        payload["preToolUse"] = {"toolName": "read_file", "parameters": {"path": "a.txt"}}
        return payload
    if agent == "opencode":
        return {"tool": "read", "args": {"filePath": "a.txt"}, "cwd": "/w", "sessionID": "s",
                "callID": "c"}
    raise ValueError(agent)  # windsurf's pre_run_command only ever carries a command
