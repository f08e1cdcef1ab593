"""Hook dialects outside the Claude family: Cursor's own hooks.json events, Gemini CLI,
Windsurf (Cascade), Cline, and the OpenCode plugin shipped with shellgate.

See notes/agent-integrations.md §2 (Cursor), §4 (Gemini), §5.3-5.5 (Windsurf, Cline,
OpenCode).
"""

from __future__ import annotations

import os

from shellgate.surfaces.hooks.claude import blocked, shell_command
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

_CURSOR_COMMON = frozenset({"conversation_id", "generation_id", "model", "model_id",
                            "model_params", "hook_event_name", "cursor_version",
                            "workspace_roots", "user_email", "transcript_path", "session_id"})
_CURSOR_EVENTS = {"beforeShellExecution": frozenset({"command", "cwd", "sandbox"}),
                  "preToolUse": frozenset({"tool_name", "tool_input", "tool_use_id", "cwd",
                                           "agent_message"})}
_CURSOR_SHELL = frozenset({"command", "working_directory", "description", "timeout",
                           "is_background"})
_GEMINI = frozenset({"session_id", "transcript_path", "cwd", "hook_event_name", "timestamp",
                     "tool_name", "tool_input", "mcp_context"})
_GEMINI_SHELL = frozenset({"command", "description", "dir_path", "is_background"})
_WINDSURF = frozenset({"agent_action_name", "trajectory_id", "execution_id", "timestamp",
                       "model_name", "tool_info"})
_WINDSURF_TOOL = frozenset({"command_line", "cwd"})
_CLINE = frozenset({"clineVersion", "hookName", "timestamp", "taskId", "workspaceRoots",
                    "userId", "preToolUse"})
_CLINE_TOOL = frozenset({"toolName", "parameters"})
_CLINE_SHELL = frozenset({"command", "requires_approval", "timeout"})
_OPENCODE = frozenset({"tool", "args", "cwd", "sessionID", "callID"})
_OPENCODE_SHELL = frozenset({"command", "description", "timeout", "workdir"})


def _dumps(value: Payload) -> str:
    import json  # not at import: the "no opinion" answers need no json (~8 ms)

    return json.dumps(value, ensure_ascii=False) + "\n"


class Cursor:
    """``shellgate hook cursor``: ``beforeShellExecution`` (older builds) and
    ``preToolUse`` with tool ``Shell`` (3.11+). shellgate registers both, with
    ``failClosed``; one touch answers both events for the same tool call."""

    name = "cursor"

    def parse(self, payload: Payload) -> HookRequest:
        """Either event's documented input."""
        event = require_str(payload, "hook_event_name", "input")
        extra = _CURSOR_EVENTS.get(event)
        if extra is None:
            raise BadInput(f"hook_event_name is {event!r}, expected beforeShellExecution "
                           "or preToolUse")
        only_known(payload, _CURSOR_COMMON | extra, "input")
        cwd = optional_str(payload, "cwd", "input")
        command: str | None
        if event == "beforeShellExecution":
            command = require_str(payload, "command", "input")
        else:
            tool = require_str(payload, "tool_name", "input")
            tool_input = require_object(payload.get("tool_input"), "input.tool_input")
            command = shell_command(tool, tool_input, _CURSOR_SHELL, "input.tool_input")
            if command is not None:
                cwd = optional_str(tool_input, "working_directory", "input.tool_input") or cwd
        key = ("cursor", *ids(payload, "conversation_id", "generation_id"))
        return HookRequest(command, cwd, f"cursor:{event}", "cursor", key, DEFAULT_BUDGET)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """Always a JSON object (``failClosed`` blocks on anything else): ``{}`` leaves
        Cursor's own approval flow alone, ``allow`` after a touch, ``deny`` with messages."""
        deny = {"permission": "deny", "user_message": verdict.notice or verdict.reason,
                "agent_message": verdict.reason}
        if request is None:
            return blocked(_dumps(deny), verdict.reason)
        if verdict.kind == "allow":
            return Answer("{}\n", "", 0)
        if verdict.kind == "approved":
            return Answer(_dumps({"permission": "allow", "user_message": verdict.notice}), "",
                          0)
        return Answer(_dumps(deny), "", 0)


class Gemini:
    """``shellgate hook gemini``: Gemini CLI's ``BeforeTool`` for ``run_shell_command``."""

    name = "gemini"

    def parse(self, payload: Payload) -> HookRequest:
        """The documented input; ``tool_input.dir_path`` is relative to ``cwd``."""
        only_known(payload, _GEMINI, "input")
        event = require_str(payload, "hook_event_name", "input")
        if event != "BeforeTool":
            raise BadInput(f"hook_event_name is {event!r}, expected BeforeTool")
        tool = require_str(payload, "tool_name", "input")
        tool_input = require_object(payload.get("tool_input"), "input.tool_input")
        command = (shell_command("Bash", tool_input, _GEMINI_SHELL, "input.tool_input")
                   if tool == "run_shell_command" else
                   shell_command(tool, tool_input, None, "input.tool_input"))
        cwd = optional_str(payload, "cwd", "input")
        sub = optional_str(tool_input, "dir_path", "input.tool_input")
        if command is not None and sub:
            cwd = os.path.join(cwd or ".", sub)
        key = ("gemini", *ids(payload, "session_id", "timestamp"))
        return HookRequest(command, cwd, "gemini", "gemini", key, DEFAULT_BUDGET)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """``decision`` JSON on exit 0 (no output when nothing matched)."""
        if request is None:
            return blocked(_dumps({"decision": "deny", "reason": verdict.reason}),
                           verdict.reason)
        if verdict.kind == "allow":
            return Answer("", "", 0)
        if verdict.kind == "approved":
            return Answer(_dumps({"decision": "allow", "reason": verdict.reason}), "", 0)
        out = {"decision": "deny", "reason": verdict.reason}
        if verdict.notice:
            out["systemMessage"] = verdict.notice
        return Answer(_dumps(out), "", 0)


class Windsurf:
    """``shellgate hook windsurf``: Cascade's ``pre_run_command``; exit 2 blocks and
    stderr is shown, there is no JSON contract."""

    name = "windsurf"

    def parse(self, payload: Payload) -> HookRequest:
        """``tool_info.command_line`` and ``tool_info.cwd``."""
        only_known(payload, _WINDSURF, "input")
        action = require_str(payload, "agent_action_name", "input")
        if action != "pre_run_command":
            raise BadInput(f"agent_action_name is {action!r}, expected pre_run_command")
        info = require_object(payload.get("tool_info"), "input.tool_info")
        only_known(info, _WINDSURF_TOOL, "input.tool_info")
        command = require_str(info, "command_line", "input.tool_info")
        cwd = optional_str(info, "cwd", "input.tool_info")
        key = ("windsurf", *ids(payload, "trajectory_id", "execution_id"))
        return HookRequest(command, cwd, "windsurf", "windsurf", key, SHORT_BUDGET)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """Exit 0 to proceed (``show_output`` displays stdout), exit 2 + stderr to block."""
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer(verdict.notice + "\n" if verdict.notice else "", "", 0)
        return Answer("", verdict.reason + "\n", 2)


class Cline:
    """``shellgate hook cline``: the ``PreToolUse`` hook executable for ``execute_command``.
    Cline fails closed: a non-zero exit, bad JSON or a timeout cancels the tool."""

    name = "cline"

    def parse(self, payload: Payload) -> HookRequest:
        """``preToolUse.parameters.command``; the working directory is the first root."""
        only_known(payload, _CLINE, "input")
        if payload.get("hookName") != "PreToolUse":
            raise BadInput(f"hookName is {payload.get('hookName')!r}, expected PreToolUse")
        tool = require_object(payload.get("preToolUse"), "input.preToolUse")
        only_known(tool, _CLINE_TOOL, "input.preToolUse")
        name = require_str(tool, "toolName", "input.preToolUse")
        params = require_object(tool.get("parameters"), "input.preToolUse.parameters")
        command = (shell_command("Bash", params, _CLINE_SHELL, "input.preToolUse.parameters")
                   if name == "execute_command" else
                   shell_command(name, params, None, "input.preToolUse.parameters"))
        roots = payload.get("workspaceRoots")
        cwd = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) \
            else None
        key = ("cline", *ids(payload, "taskId", "timestamp"))
        return HookRequest(command, cwd, "cline", "cline", key, SHORT_BUDGET)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """The last JSON object on stdout: ``{"cancel": …, "errorMessage": …}``."""
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer(_dumps({"cancel": False}), "", 0)
        out = _dumps({"cancel": True, "errorMessage": verdict.reason})
        return blocked(out, verdict.reason) if request is None else Answer(out, "", 0)


class OpenCode:
    """``shellgate hook opencode``: the protocol of shellgate's own OpenCode plugin
    (``tool.execute.before`` sends the tool, its args and the directory; the plugin
    throws unless the answer is ``allow``)."""

    name = "opencode"

    def parse(self, payload: Payload) -> HookRequest:
        """``{"tool", "args", "cwd", "sessionID", "callID"}`` from the plugin."""
        only_known(payload, _OPENCODE, "input")
        tool = require_str(payload, "tool", "input")
        args = require_object(payload.get("args"), "input.args")
        command = (shell_command("Bash", args, _OPENCODE_SHELL, "input.args")
                   if tool == "bash" else shell_command(tool, args, None, "input.args"))
        cwd = optional_str(payload, "cwd", "input")
        if command is not None:
            cwd = optional_str(args, "workdir", "input.args") or cwd
        key = ("opencode", *ids(payload, "sessionID", "callID"))
        return HookRequest(command, cwd, "opencode", "opencode", key, DEFAULT_BUDGET)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """``{"decision": "allow"|"deny", "reason": …}``; exit 2 when the input was bad."""
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer(_dumps({"decision": "allow", "reason": verdict.reason}), "", 0)
        out = _dumps({"decision": "deny", "reason": verdict.reason})
        return blocked(out, verdict.reason) if request is None else Answer(out, "", 0)
