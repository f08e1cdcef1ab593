"""Windsurf (Cascade): ``pre_run_command``; exit 2 blocks and stderr is shown, there is
no JSON contract (notes/agent-integrations.md §5.3)."""

from __future__ import annotations

from shellgate.surfaces.hooks.agents.base import (
    check_shell_input,
    ids,
    optional_str,
    require_object,
    require_str,
)
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


class Windsurf:
    """``shellgate hook windsurf``."""

    name = "windsurf"
    title = "Windsurf"
    package = ""
    binary = ""
    tested = ""
    detect = (".codeium", "windsurf")
    budget = SHORT_BUDGET
    timeout_setting = False
    facts = ("documented: exit 2 blocks and stderr is shown; no JSON answer, no ask",
             "documented: no hook timeout setting; shellgate answers within "
             f"{int(SHORT_BUDGET)} s",
             "not run here: Windsurf has no CLI on a package registry")
    install_note = ""

    def parse(self, payload: Payload) -> HookRequest:
        """``tool_info.command_line`` and ``tool_info.cwd``."""
        action = require_str(payload, "agent_action_name", "input")
        if action != "pre_run_command":
            raise BadInput(f"agent_action_name is {action!r}, expected pre_run_command")
        info = require_object(payload.get("tool_info"), "input.tool_info")
        check_shell_input(info, "input.tool_info")
        command = require_str(info, "command_line", "input.tool_info")
        cwd = optional_str(info, "cwd", "input.tool_info")
        key = ("windsurf", *ids(payload, "trajectory_id", "execution_id"))
        return HookRequest(command, cwd, "windsurf", "windsurf", key, self.budget)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """Exit 0 to proceed (``show_output`` displays stdout), exit 2 + stderr to block."""
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer(verdict.notice + "\n" if verdict.notice else "", "", 0)
        return Answer("", verdict.reason + "\n", 2)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """As documented: exit 2 blocks."""
        if exit_code == 2:
            return "blocked", stderr.strip()
        return "runs", stdout.strip()

    def sample(self, command: str, cwd: str) -> Payload:
        """A documented ``pre_run_command`` input (Windsurf could not be run here)."""
        return {"agent_action_name": "pre_run_command", "trajectory_id": "doctor",
                "execution_id": "doctor", "timestamp": "2026-01-01T00:00:00Z",
                "model_name": "doctor", "tool_info": {"command_line": command, "cwd": cwd}}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """``pre_run_command`` in ``~/.codeium/windsurf/hooks.json``."""
        from shellgate.surfaces.hooks.agents.edits import JsonEdit

        return [JsonEdit(home / ".codeium" / "windsurf" / "hooks.json", "flat",
                         (("pre_run_command", {"command": command, "show_output": True}),))]


AGENT = Windsurf()
