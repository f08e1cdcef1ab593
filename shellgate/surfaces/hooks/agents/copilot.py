"""GitHub Copilot: the Copilot CLI's ``preToolUse`` and VS Code's Claude-compatible
agent hooks (notes/agent-integrations.md §5.1, §5.2, §9).

The CLI (1.0.x) sends camelCase fields — ``sessionId``, ``timestamp`` (ms), ``cwd``,
``toolName``, ``toolArgs`` — with ``toolArgs`` a JSON *object* (older builds and the docs:
a JSON-encoded string; both are read). ``write_bash`` types ``input`` into a running
shell session, so that text is checked as a command too.
"""

from __future__ import annotations

from shellgate.surfaces.hooks import jsonin
from shellgate.surfaces.hooks.agents.base import (
    command_of,
    dumps,
    loads_object,
    optional_str,
    require_object,
    require_str,
)
from shellgate.surfaces.hooks.agents.claude_code import (
    answer_claude_format,
    parse_claude_format,
)
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

SHELL_TOOLS = frozenset({"bash", "shell", "powershell"})
TYPED_INPUT = frozenset({"write_bash", "write_powershell"})
"""Tools whose ``input`` is typed into a running shell session."""
WORKDIR = frozenset({"cwd"})


def _args(payload: Payload) -> Payload:
    raw = payload.get("toolArgs")
    if isinstance(raw, str):
        try:
            raw = jsonin.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise BadInput(f"input.toolArgs is not valid JSON: {exc}") from exc
    return require_object(raw, "input.toolArgs")


class Copilot:
    """``shellgate hook copilot``."""

    name = "copilot"
    title = "GitHub Copilot CLI"
    package = "@github/copilot"
    binary = "copilot"
    tested = "1.0.102"
    detect = (".copilot",)
    budget = DEFAULT_BUDGET
    timeout_setting = True
    facts = ("a JSON `permissionDecision: deny` blocks; its reason reaches the model",
             "any non-zero exit blocks (the model reads only the exit code)",
             "a hook past its `timeoutSec`, or output that is not JSON, lets the command run")
    install_note = ("copilot: VS Code reads ~/.copilot/hooks and ~/.claude/settings.json "
                    "too; shellgate asks for one touch per command")

    def parse(self, payload: Payload) -> HookRequest:
        """Copilot CLI input when ``toolName``/``toolArgs`` are present, else VS Code's."""
        if "toolName" not in payload and "toolArgs" not in payload:
            return parse_claude_format(payload, "copilot")
        tool = require_str(payload, "toolName", "input")
        args = _args(payload)
        command: str | None
        if tool in TYPED_INPUT:
            command = require_str(args, "input", "input.toolArgs")
        else:
            command = command_of(args, "input.toolArgs", tool in SHELL_TOOLS, WORKDIR)
        cwd = optional_str(payload, "cwd", "input")
        if command is not None:
            cwd = optional_str(args, "cwd", "input.toolArgs") or cwd
        session = payload.get("sessionId")
        key = ("copilot", str(session or ""), str(payload.get("timestamp", "")), tool)
        return HookRequest(command, cwd, "copilot", "copilot-cli", key, self.budget)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """CLI: flat ``permissionDecision: deny`` or no output; VS Code: as Claude.
        Unusable input: the deny both read, and exit 2 (the CLI blocks on any non-zero
        exit)."""
        if request is not None and request.shape != "copilot-cli":
            return answer_claude_format(request, verdict)
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer("", "", 0)
        out: Payload = {"permissionDecision": "deny", "permissionDecisionReason": verdict.reason}
        if request is None:  # unknown sender: the deny both the CLI and VS Code read
            out["hookSpecificOutput"] = {"hookEventName": "PreToolUse",
                                         "permissionDecision": "deny",
                                         "permissionDecisionReason": verdict.reason}
            return Answer(dumps(out), verdict.reason + "\n", 2)
        return Answer(dumps(out), "", 0)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """Copilot CLI 1.0.102 as measured."""
        if exit_code != 0:
            return "blocked", f"hook exited with code {exit_code}"
        out = loads_object(stdout) if stdout.strip() else None
        decision = out.get("permissionDecision") if out else None
        reason = str(out.get("permissionDecisionReason", "")) if out else ""
        if decision == "deny":
            return "blocked", reason
        if decision == "ask":
            return "asks", reason
        return "runs", reason

    def sample(self, command: str, cwd: str) -> Payload:
        """An input in the shape Copilot CLI 1.0.102 sends (tests/agents/fixtures)."""
        return {"sessionId": "doctor", "timestamp": 1, "cwd": cwd, "toolName": "bash",
                "toolArgs": {"command": command, "description": "doctor probe"}}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """``~/.copilot/hooks/shellgate.json``, a file of shellgate's own."""
        import json

        from shellgate.surfaces.hooks.agents.edits import FileDrop

        body = {"version": 1, "hooks": {"preToolUse": [
            {"type": "command", "bash": command, "timeoutSec": timeout,
             "comment": "shellgate hook: gates shell commands behind a security-key touch"}]}}
        return [FileDrop(home / ".copilot" / "hooks" / "shellgate.json",
                         json.dumps(body, indent=2) + "\n", 0o600)]


AGENT = Copilot()
