"""Cline: an executable named ``PreToolUse`` in its hooks directory, for
``execute_command`` (notes/agent-integrations.md §5.4). Cline fails closed: a non-zero
exit, bad JSON or a timeout cancels the tool."""

from __future__ import annotations

from shellgate.surfaces.hooks.agents.base import (
    command_of,
    dumps,
    ids,
    loads_object,
    require_object,
    require_str,
)
from shellgate.surfaces.hooks.agents.claude_code import blocked
from shellgate.surfaces.hooks.dialect import (
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


class Cline:
    """``shellgate hook cline``."""

    name = "cline"
    title = "Cline"
    package = ""
    binary = ""
    tested = ""
    detect = ("Documents", "Cline")
    budget = SHORT_BUDGET
    timeout_setting = False
    facts = ("documented: a non-zero exit, invalid JSON or a timeout cancels the tool "
             "(fails closed)",
             "not run here: no hook runner of Cline's was installed")
    install_note = ""

    def parse(self, payload: Payload) -> HookRequest:
        """``preToolUse.parameters.command``; the working directory is the first root."""
        if payload.get("hookName") != "PreToolUse":
            raise BadInput(f"hookName is {payload.get('hookName')!r}, expected PreToolUse")
        tool = require_object(payload.get("preToolUse"), "input.preToolUse")
        name = require_str(tool, "toolName", "input.preToolUse")
        params = require_object(tool.get("parameters"), "input.preToolUse.parameters")
        command = command_of(params, "input.preToolUse.parameters", name == "execute_command")
        roots = payload.get("workspaceRoots")
        cwd = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) \
            else None
        key = ("cline", *ids(payload, "taskId", "timestamp"))
        return HookRequest(command, cwd, "cline", "cline", key, self.budget)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """The last JSON object on stdout: ``{"cancel": …, "errorMessage": …}``."""
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer(dumps({"cancel": False}), "", 0)
        out = dumps({"cancel": True, "errorMessage": verdict.reason})
        return blocked(out, verdict.reason) if request is None else Answer(out, "", 0)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """As documented: non-zero or bad JSON cancels; no output proceeds."""
        if exit_code != 0:
            return "blocked", stderr.strip() or f"hook failed (exit {exit_code})"
        lines = [line for line in stdout.splitlines() if line.strip()]
        if not lines:
            return "runs", ""
        out = loads_object(lines[-1])
        if out is None:
            return "blocked", "invalid JSON"
        return ("blocked" if out.get("cancel") else "runs"), str(out.get("errorMessage", ""))

    def sample(self, command: str, cwd: str) -> Payload:
        """A documented ``PreToolUse`` input (Cline could not be run here)."""
        return {"clineVersion": "doctor", "hookName": "PreToolUse", "timestamp": "1",
                "taskId": "doctor", "workspaceRoots": [cwd], "userId": "doctor",
                "preToolUse": {"toolName": "execute_command",
                               "parameters": {"command": command}}}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """The ``PreToolUse`` executable in Cline's user hooks directory."""
        from shellgate.surfaces.hooks.agents.edits import FileDrop

        script = ("#!/bin/sh\n# shellgate hook for Cline (written by `shellgate install "
                  "--agent cline`;\n# `shellgate uninstall --agent cline` removes it).\n"
                  f"{command}\n")
        return [FileDrop(home / "Documents" / "Cline" / "Hooks" / "PreToolUse", script, 0o700)]


AGENT = Cline()
