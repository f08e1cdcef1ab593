"""Gemini CLI: ``BeforeTool`` for ``run_shell_command`` (notes/agent-integrations.md §4,
§9). ``tool_input.dir_path`` is a working directory relative to ``cwd``."""

from __future__ import annotations

import os

from shellgate.surfaces.hooks.agents.base import (
    command_of,
    dumps,
    ids,
    loads_object,
    optional_str,
    require_object,
    require_str,
)
from shellgate.surfaces.hooks.agents.claude_code import blocked
from shellgate.surfaces.hooks.dialect import (
    DEFAULT_BUDGET,
    Answer,
    BadInput,
    HookRequest,
    Payload,
    Verdict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from shellgate.surfaces.hooks.agents.edits import Target

WORKDIR = frozenset({"dir_path"})


class Gemini:
    """``shellgate hook gemini``."""

    name = "gemini"
    title = "Gemini CLI"
    package = "@google/gemini-cli"
    binary = "gemini"
    tested = "0.61.0"
    detect = (".gemini",)
    budget = DEFAULT_BUDGET
    timeout_setting = True
    facts = ("a JSON `decision: deny` blocks; its reason reaches the model",
             "exit 2 blocks only with text on stderr; exit 2 with an empty stderr, exit 1, "
             "and a hook past its `timeout` let the command run",
             "hooks in a project's .gemini/ run only in trusted folders")
    install_note = ""

    def parse(self, payload: Payload) -> HookRequest:
        """The ``BeforeTool`` input."""
        event = require_str(payload, "hook_event_name", "input")
        if event != "BeforeTool":
            raise BadInput(f"hook_event_name is {event!r}, expected BeforeTool")
        tool = require_str(payload, "tool_name", "input")
        tool_input = require_object(payload.get("tool_input"), "input.tool_input")
        command = command_of(tool_input, "input.tool_input", tool == "run_shell_command",
                             WORKDIR)
        cwd = optional_str(payload, "cwd", "input")
        sub = optional_str(tool_input, "dir_path", "input.tool_input")
        if command is not None and sub:
            cwd = os.path.join(cwd or ".", sub)
        key = ("gemini", *ids(payload, "session_id", "timestamp"))
        return HookRequest(command, cwd, "gemini", "gemini", key, self.budget)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """``decision`` JSON on exit 0 (no output when nothing matched)."""
        if request is None:
            return blocked(dumps({"decision": "deny", "reason": verdict.reason}),
                           verdict.reason)
        if verdict.kind == "allow":
            return Answer("", "", 0)
        if verdict.kind == "approved":
            return Answer(dumps({"decision": "allow", "reason": verdict.reason}), "", 0)
        out = {"decision": "deny", "reason": verdict.reason}
        if verdict.notice:
            out["systemMessage"] = verdict.notice
        return Answer(dumps(out), "", 0)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """Gemini CLI 0.61.0 as measured: exit >= 2 with stderr blocks, JSON on exit 0."""
        if exit_code >= 2 and stderr.strip():
            return "blocked", stderr.strip()
        if exit_code != 0:
            return "runs", f"hook warning (exit {exit_code})"
        out = loads_object(stdout) if stdout.strip() else None
        decision = out.get("decision") if out else None
        reason = str(out.get("reason", "")) if out else ""
        if decision in ("deny", "block"):
            return "blocked", reason
        if decision == "ask":
            return "asks", reason
        return "runs", reason

    def sample(self, command: str, cwd: str) -> Payload:
        """An input in the shape Gemini CLI 0.61.0 sends (tests/agents/fixtures)."""
        return {"session_id": "doctor", "transcript_path": "", "cwd": cwd,
                "hook_event_name": "BeforeTool", "timestamp": "2026-01-01T00:00:00.000Z",
                "tool_name": "run_shell_command",
                "tool_input": {"command": command, "description": "doctor probe"}}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """A ``BeforeTool``/``run_shell_command`` group in ``~/.gemini/settings.json``
        (timeout in milliseconds)."""
        from shellgate.surfaces.hooks.agents.edits import STATUS, JsonEdit, grouped

        handler = {"type": "command", "name": "shellgate", "command": command,
                   "description": STATUS, "timeout": timeout * 1000}
        return [JsonEdit(home / ".gemini" / "settings.json", "grouped",
                         (grouped("BeforeTool", "run_shell_command", handler),))]


AGENT = Gemini()
