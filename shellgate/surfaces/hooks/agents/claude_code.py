"""Claude Code: ``PreToolUse`` for the ``Bash`` tool (notes/agent-integrations.md §1, §9).

The Claude-format parser and answer here are shared: Cursor and VS Code also run the
entries in ``~/.claude/settings.json``, and VS Code's own hooks use the same format.
"""

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
from shellgate.surfaces.hooks.dialect import (
    DEFAULT_BUDGET,
    SHORT_BUDGET,
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

SHELL_TOOLS = frozenset({"Bash", "PowerShell", "Shell", "bash", "shell", "run_in_terminal",
                         "runInTerminal", "runTerminalCommand"})
"""Tool names that run a shell command (Claude, Cursor, VS Code and Copilot spellings)."""
WORKDIR = frozenset({"working_directory", "cwd"})
"""Working-directory overrides in a Claude-format tool input (read as the cwd)."""


def shape_of(payload: Payload) -> str:
    """Which agent produced a Claude-format payload: ``cursor``, ``vscode`` or ``claude``."""
    if "cursor_version" in payload or "conversation_id" in payload:
        return "cursor"
    if "hookEventName" in payload or "sessionId" in payload or "timestamp" in payload:
        return "vscode"
    return "claude"


def parse_claude_format(payload: Payload, origin: str) -> HookRequest:
    """A Claude-format PreToolUse payload (from Claude Code, Cursor or VS Code)."""
    shape = shape_of(payload)
    event = payload.get("hook_event_name", payload.get("hookEventName"))
    if not isinstance(event, str) or event.lower() != "pretooluse":
        raise BadInput(f"hook_event_name is {event!r}, expected PreToolUse")
    tool = require_str(payload, "tool_name", "input")
    tool_input = require_object(payload.get("tool_input"), "input.tool_input")
    command = command_of(tool_input, "input.tool_input", tool in SHELL_TOOLS, WORKDIR)
    cwd = optional_str(payload, "cwd", "input")
    if command is not None:
        for field in sorted(WORKDIR):
            cwd = optional_str(tool_input, field, "input.tool_input") or cwd
    if shape == "cursor":
        key = ("cursor", *ids(payload, "conversation_id", "generation_id"))
        budget = DEFAULT_BUDGET
    elif shape == "vscode":
        session = payload.get("sessionId", payload.get("session_id"))
        key = ("vscode", str(session or ""), *ids(payload, "tool_use_id"))
        budget = SHORT_BUDGET
    else:
        key = ("claude", *ids(payload, "session_id", "tool_use_id"))
        budget = DEFAULT_BUDGET
    return HookRequest(command, cwd, origin, shape, key, budget)


def pre_tool_use_json(decision: str, reason: str, notice: str = "") -> str:
    """Claude-format ``hookSpecificOutput`` (documented fields only: Claude Code ignores an
    answer that fails its schema, which would let the command run)."""
    out: Payload = {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                           "permissionDecision": decision,
                                           "permissionDecisionReason": reason}}
    if notice:
        out["systemMessage"] = notice
    return dumps(out)


def blocked(stdout: str, reason: str) -> Answer:
    """Unusable input or a failure: the blocking exit code 2 with the reason on stderr,
    which blocks whatever the agent makes of stdout."""
    return Answer(stdout, reason + "\n", 2)


def answer_claude_format(request: HookRequest | None, verdict: Verdict) -> Answer:
    """Exit 0 with no output (no opinion), ``allow`` after a touch, JSON ``deny``."""
    if request is None:
        return blocked(pre_tool_use_json("deny", verdict.reason), verdict.reason)
    if verdict.kind == "allow":
        return Answer("", "", 0)
    if verdict.kind == "approved":
        return Answer(pre_tool_use_json("allow", verdict.reason), "", 0)
    return Answer(pre_tool_use_json("deny", verdict.reason, verdict.notice), "", 0)


def reads_claude_format(exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
    """Claude Code's reading: exit 2 blocks with stderr; exit 0 reads JSON; any other
    status is a non-blocking error (the command runs)."""
    if exit_code == 2:
        return "blocked", stderr.strip()
    if exit_code != 0:
        return "runs", f"non-blocking hook error (exit {exit_code})"
    out = loads_object(stdout) if stdout.lstrip().startswith("{") else None
    spec = out.get("hookSpecificOutput") if out else None
    decision = spec.get("permissionDecision") if isinstance(spec, dict) else None
    reason = str(spec.get("permissionDecisionReason", "")) if isinstance(spec, dict) else ""
    if decision == "deny":
        return "blocked", reason
    if decision == "ask":
        return "asks", reason
    return "runs", reason


def claude_like_handler(command: str, timeout: int) -> dict[str, object]:
    """A ``{"type": "command", …}`` handler with timeout and status message."""
    from shellgate.surfaces.hooks.agents.edits import STATUS

    return {"type": "command", "command": command, "timeout": timeout,
            "statusMessage": STATUS}


class ClaudeCode:
    """``shellgate hook claude-code``."""

    name = "claude-code"
    title = "Claude Code"
    package = "@anthropic-ai/claude-code"
    binary = "claude"
    tested = "2.1.197"
    detect = (".claude",)
    budget = DEFAULT_BUDGET
    timeout_setting = True
    facts = ("exit 2 blocks and its stderr reaches the model",
             "any other non-zero exit (missing interpreter, crash) lets the command run",
             "a hook still running at its `timeout` lets the command run",
             "the hook settings have no fail-closed option (`onFailure` is unknown)")
    install_note = ""

    def parse(self, payload: Payload) -> HookRequest:
        """See :func:`parse_claude_format`."""
        return parse_claude_format(payload, self.name)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """See :func:`answer_claude_format`."""
        return answer_claude_format(request, verdict)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """See :func:`reads_claude_format`."""
        return reads_claude_format(exit_code, stdout, stderr)

    def sample(self, command: str, cwd: str) -> Payload:
        """An input in the shape Claude Code 2.1.197 sends (tests/agents/fixtures)."""
        return {"session_id": "doctor", "transcript_path": "", "cwd": cwd,
                "prompt_id": "doctor", "permission_mode": "default",
                "effort": {"level": "high"}, "hook_event_name": "PreToolUse",
                "tool_name": "Bash", "tool_input": {"command": command,
                                                    "description": "doctor probe"},
                "tool_use_id": "doctor"}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """A ``PreToolUse``/``Bash`` group in ``~/.claude/settings.json``."""
        from shellgate.surfaces.hooks.agents.edits import JsonEdit, grouped

        return [JsonEdit(home / ".claude" / "settings.json", "grouped",
                         (grouped("PreToolUse", "Bash", claude_like_handler(command, timeout)),))]


AGENT = ClaudeCode()
