"""Cursor (IDE and ``cursor-agent``): ``beforeShellExecution`` (older builds) and
``preToolUse`` with tool ``Shell`` (3.11+), both registered with ``failClosed``; one touch
answers both events for the same tool call (notes/agent-integrations.md §2). Cursor also
runs Claude Code's entries; those arrive through ``claude_code``."""

from __future__ import annotations

from shellgate.surfaces.hooks.agents.base import (
    command_of,
    dumps,
    ids,
    loads_object,
    optional_str,
    require_object,
    require_str,
)
from shellgate.surfaces.hooks.agents.claude_code import SHELL_TOOLS, blocked
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

EVENTS = ("beforeShellExecution", "preToolUse")
WORKDIR = frozenset({"working_directory"})


class Cursor:
    """``shellgate hook cursor``."""

    name = "cursor"
    title = "Cursor"
    package = ""
    binary = "cursor-agent"
    tested = ""
    detect = (".cursor",)
    budget = DEFAULT_BUDGET
    timeout_setting = True
    facts = ("documented: exit 2 or `permission: deny` blocks; with `failClosed: true` "
             "(set by install) a crash, timeout or invalid JSON blocks too",
             "documented: `ask` is ignored in some run modes; shellgate never relies on it",
             "not run here: Cursor's CLI is not on a package registry")
    install_note = ("cursor: Cursor also runs the Claude Code entry when it exists; "
                    "shellgate asks for one touch per command")

    def parse(self, payload: Payload) -> HookRequest:
        """Either event's input."""
        event = require_str(payload, "hook_event_name", "input")
        if event not in EVENTS:
            raise BadInput(f"hook_event_name is {event!r}, expected beforeShellExecution "
                           "or preToolUse")
        cwd = optional_str(payload, "cwd", "input")
        command: str | None
        if event == "beforeShellExecution":
            command = require_str(payload, "command", "input")
        else:
            tool = require_str(payload, "tool_name", "input")
            tool_input = require_object(payload.get("tool_input"), "input.tool_input")
            command = command_of(tool_input, "input.tool_input", tool in SHELL_TOOLS, WORKDIR)
            if command is not None:
                cwd = optional_str(tool_input, "working_directory", "input.tool_input") or cwd
        key = ("cursor", *ids(payload, "conversation_id", "generation_id"))
        return HookRequest(command, cwd, f"cursor:{event}", "cursor", key, self.budget)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """Always a JSON object (``failClosed`` blocks on anything else): ``{}`` leaves
        Cursor's own approval flow alone, ``allow`` after a touch, ``deny`` with messages."""
        deny = {"permission": "deny", "user_message": verdict.notice or verdict.reason,
                "agent_message": verdict.reason}
        if request is None:
            return blocked(dumps(deny), verdict.reason)
        if verdict.kind == "allow":
            return Answer("{}\n", "", 0)
        if verdict.kind == "approved":
            return Answer(dumps({"permission": "allow", "user_message": verdict.notice}), "",
                          0)
        return Answer(dumps(deny), "", 0)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """As documented, with ``failClosed``: anything but exit 0 + JSON blocks."""
        out = loads_object(stdout) if exit_code == 0 else None
        if out is None:
            return "blocked", stderr.strip() or f"hook failed (exit {exit_code})"
        permission = out.get("permission")
        text = str(out.get("agent_message", ""))
        if permission == "deny":
            return "blocked", text
        return ("asks", text) if permission == "ask" else ("runs", text)

    def sample(self, command: str, cwd: str) -> Payload:
        """A documented ``preToolUse`` input (Cursor could not be run here)."""
        return {"conversation_id": "doctor", "generation_id": "doctor", "model": "doctor",
                "hook_event_name": "preToolUse", "cursor_version": "doctor",
                "workspace_roots": [cwd], "tool_name": "Shell",
                "tool_input": {"command": command, "working_directory": cwd},
                "tool_use_id": "doctor", "cwd": cwd}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """Both events in ``~/.cursor/hooks.json``, with ``failClosed``."""
        from shellgate.surfaces.hooks.agents.edits import JsonEdit

        base = {"command": command, "timeout": timeout, "failClosed": True}
        return [JsonEdit(home / ".cursor" / "hooks.json", "flat",
                         (("beforeShellExecution", dict(base)),
                          ("preToolUse", dict(base, matcher="Shell"))),
                         root=(("version", 1),))]


AGENT = Cursor()
