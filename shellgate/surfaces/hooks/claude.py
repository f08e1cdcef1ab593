"""The Claude Code family of hook dialects: Claude Code itself, the Claude-format entries
that Cursor and VS Code also run, OpenAI Codex, and GitHub Copilot (CLI and VS Code).

All of them send ``tool_name`` + ``tool_input`` (Copilot CLI: ``toolName`` + a JSON string
``toolArgs``) and read a ``permissionDecision``. See notes/agent-integrations.md §1, §3, §5.
"""

from __future__ import annotations

from shellgate.surfaces.hooks import jsonin
from shellgate.surfaces.hooks.dialect import (
    DEFAULT_BUDGET,
    SHORT_BUDGET,
    Answer,
    BadInput,
    HookRequest,
    Payload,
    Verdict,
    ids,
    only_known,
    optional_str,
    require_object,
    require_str,
)

SHELL_TOOLS = frozenset({"Bash", "PowerShell", "Shell", "bash", "shell", "run_in_terminal",
                         "runInTerminal", "runTerminalCommand"})
"""Tool names that run a shell command (Claude, Cursor, VS Code and Copilot spellings)."""

_CLAUDE = frozenset({"session_id", "prompt_id", "transcript_path", "cwd", "permission_mode",
                     "effort", "hook_event_name", "tool_name", "tool_input", "tool_use_id",
                     "agent_id", "agent_type"})
_CURSOR = frozenset({"conversation_id", "generation_id", "model", "model_id", "model_params",
                     "hook_event_name", "cursor_version", "workspace_roots", "user_email",
                     "transcript_path", "session_id", "tool_name", "tool_input", "tool_use_id",
                     "cwd", "agent_message", "command", "sandbox"})
_VSCODE = frozenset({"timestamp", "hookEventName", "hook_event_name", "sessionId", "session_id",
                     "transcript_path", "cwd", "tool_name", "tool_input", "tool_use_id"})
_SHELL_INPUT = frozenset({"command", "description", "timeout", "run_in_background",
                          "dangerouslyDisableSandbox", "working_directory", "explanation",
                          "mode", "isBackground", "goal"})
_CODEX = frozenset({"session_id", "turn_id", "agent_id", "agent_type", "transcript_path", "cwd",
                    "hook_event_name", "model", "permission_mode", "tool_name", "tool_input",
                    "tool_use_id"})
_CODEX_INPUT = frozenset({"command", "workdir"})
_COPILOT_CLI = frozenset({"timestamp", "cwd", "toolName", "toolArgs"})
_COPILOT_ARGS = frozenset({"command", "description", "mode", "initial_wait", "sessionId",
                           "async", "detach", "timeout"})


def shape_of(payload: Payload) -> str:
    """Which agent produced a Claude-format payload: ``cursor``, ``vscode`` or ``claude``."""
    if "cursor_version" in payload or "conversation_id" in payload:
        return "cursor"
    if "hookEventName" in payload or "sessionId" in payload or "timestamp" in payload:
        return "vscode"
    return "claude"


def _event(payload: Payload) -> None:
    event = payload.get("hook_event_name", payload.get("hookEventName"))
    if not isinstance(event, str) or event.lower() != "pretooluse":
        raise BadInput(f"hook_event_name is {event!r}, expected PreToolUse")


def shell_command(tool: str, tool_input: Payload, known: frozenset[str] | None,
                  where: str) -> str | None:
    """The command of a shell tool (None for other tools).

    Known shell tools must carry only fields shellgate understands; a tool of another
    name that still carries a ``command`` string is inspected too, without that check.
    """
    if tool in SHELL_TOOLS:
        if known is not None:
            only_known(tool_input, known, where)
        return require_str(tool_input, "command", where)
    command = tool_input.get("command")
    return command if isinstance(command, str) else None


def parse_claude_format(payload: Payload, origin: str) -> HookRequest:
    """A Claude-format PreToolUse payload (from Claude Code, Cursor or VS Code)."""
    shape = shape_of(payload)
    known = {"claude": _CLAUDE, "cursor": _CURSOR | _CLAUDE, "vscode": _VSCODE | _CLAUDE}[shape]
    only_known(payload, known, "input")
    _event(payload)
    tool = require_str(payload, "tool_name", "input")
    tool_input = require_object(payload.get("tool_input"), "input.tool_input")
    command = shell_command(tool, tool_input, _SHELL_INPUT, "input.tool_input")
    cwd = optional_str(payload, "cwd", "input")
    if command is not None:
        cwd = optional_str(tool_input, "working_directory", "input.tool_input") or cwd
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
    import json  # answers other than "no opinion" only: importing json costs ~8 ms

    return json.dumps(out, ensure_ascii=False)


def blocked(stdout: str, reason: str) -> Answer:
    """Unreadable input: the documented blocking exit code 2 with the reason on stderr,
    which blocks whatever the agent makes of stdout."""
    return Answer(stdout, reason + "\n", 2)


class ClaudeCode:
    """``shellgate hook claude-code``: Claude Code's PreToolUse (also run by Cursor and VS
    Code, which read ~/.claude/settings.json)."""

    name = "claude-code"

    def parse(self, payload: Payload) -> HookRequest:
        """See :func:`parse_claude_format`."""
        return parse_claude_format(payload, "claude-code")

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """Exit 0 with no output (no opinion), ``allow`` after a touch, JSON ``deny``."""
        if request is None:
            return blocked(pre_tool_use_json("deny", verdict.reason) + "\n", verdict.reason)
        if verdict.kind == "allow":
            return Answer("", "", 0)
        if verdict.kind == "approved":
            return Answer(pre_tool_use_json("allow", verdict.reason) + "\n", "", 0)
        return Answer(pre_tool_use_json("deny", verdict.reason, verdict.notice) + "\n", "", 0)


class Codex:
    """``shellgate hook codex``: Codex's PreToolUse. Codex ignores ``allow`` (and fails
    open on ``ask``), so an approved command gets no output, exactly like an allowed one."""

    name = "codex"

    def parse(self, payload: Payload) -> HookRequest:
        """Codex's documented input (``turn_id``; ``tool_input`` is ``{command}``)."""
        only_known(payload, _CODEX, "input")
        _event(payload)
        tool = require_str(payload, "tool_name", "input")
        tool_input = require_object(payload.get("tool_input"), "input.tool_input")
        if tool == "Bash":
            only_known(tool_input, _CODEX_INPUT, "input.tool_input")
            command: str | None = require_str(tool_input, "command", "input.tool_input")
        elif tool == "apply_patch":
            command = None
        else:
            command = shell_command(tool, tool_input, None, "input.tool_input")
        cwd = optional_str(payload, "cwd", "input")
        if command is not None:
            cwd = optional_str(tool_input, "workdir", "input.tool_input") or cwd
        key = ("codex", *ids(payload, "session_id", "turn_id", "tool_use_id"))
        return HookRequest(command, cwd, "codex", "codex", key, DEFAULT_BUDGET)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """JSON deny (exit 0); nothing otherwise. The reason never repeats the command:
        Codex appends it itself."""
        if request is None:
            return blocked(pre_tool_use_json("deny", verdict.reason) + "\n", verdict.reason)
        if verdict.kind in ("allow", "approved"):
            return Answer("", "", 0)
        return Answer(pre_tool_use_json("deny", verdict.reason, verdict.notice) + "\n", "", 0)


class Copilot:
    """``shellgate hook copilot``: the Copilot CLI's ``preToolUse`` (``toolArgs`` is a JSON
    string; only ``deny`` is processed) and VS Code's Claude-compatible agent hooks."""

    name = "copilot"

    def parse(self, payload: Payload) -> HookRequest:
        """Copilot CLI input when ``toolName``/``toolArgs`` are present, else VS Code's."""
        if "toolName" not in payload and "toolArgs" not in payload:
            return parse_claude_format(payload, "copilot")
        only_known(payload, _COPILOT_CLI, "input")
        tool = require_str(payload, "toolName", "input")
        raw = require_str(payload, "toolArgs", "input")
        try:
            args = jsonin.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise BadInput(f"input.toolArgs is not valid JSON: {exc}") from exc
        args = require_object(args, "input.toolArgs")
        command = shell_command(tool, args, _COPILOT_ARGS, "input.toolArgs")
        cwd = optional_str(payload, "cwd", "input")
        key = ("copilot", str(payload.get("timestamp", "")), tool)
        return HookRequest(command, cwd, "copilot", "copilot-cli", key, DEFAULT_BUDGET)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """Copilot CLI: flat ``permissionDecision: deny`` or no output; VS Code: as Claude."""
        if request is not None and request.shape != "copilot-cli":
            return ClaudeCode().answer(request, verdict)
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer("", "", 0)
        out: Payload = {"permissionDecision": "deny", "permissionDecisionReason": verdict.reason}
        if request is None:  # unknown sender: the deny both the CLI and VS Code read
            both = jsonin.loads(pre_tool_use_json("deny", verdict.reason))
            if isinstance(both, dict):
                out.update(both)
        import json

        return Answer(json.dumps(out, ensure_ascii=False) + "\n", "", 0)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
