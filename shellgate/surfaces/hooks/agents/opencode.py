"""OpenCode: shellgate's own plugin (``opencode_plugin/shellgate.js``) asks
``shellgate hook opencode`` before every ``bash`` tool call and throws — blocking the
call — unless the answer is an explicit allow (notes/agent-integrations.md §5.5, §9)."""

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
from shellgate.surfaces.hooks.agents.claude_code import blocked
from shellgate.surfaces.hooks.dialect import (
    DEFAULT_BUDGET,
    Answer,
    HookRequest,
    Payload,
    Verdict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from shellgate.surfaces.hooks.agents.edits import Target

WORKDIR = frozenset({"workdir"})


class OpenCode:
    """``shellgate hook opencode``."""

    name = "opencode"
    title = "OpenCode"
    package = "opencode-ai"
    binary = "opencode"
    tested = "1.18.33"
    detect = (".config", "opencode")
    budget = DEFAULT_BUDGET
    timeout_setting = True
    facts = ("a plugin that throws blocks the call; shellgate's plugin throws unless the "
             "hook answers an explicit allow (missing interpreter, crash, no answer within "
             "its timeout all block)",
             "plugins load at start: restart OpenCode after install")
    install_note = "opencode: restart OpenCode to load the plugin"

    def parse(self, payload: Payload) -> HookRequest:
        """``{"tool", "args", "cwd", "sessionID", "callID"}`` from the plugin."""
        tool = require_str(payload, "tool", "input")
        args = require_object(payload.get("args"), "input.args")
        command = command_of(args, "input.args", tool == "bash", WORKDIR)
        cwd = optional_str(payload, "cwd", "input")
        if command is not None:
            cwd = optional_str(args, "workdir", "input.args") or cwd
        key = ("opencode", *ids(payload, "sessionID", "callID"))
        return HookRequest(command, cwd, "opencode", "opencode", key, self.budget)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """``{"decision": "allow"|"deny", "reason": …}``; exit 2 when the input was bad."""
        if verdict.kind in ("allow", "approved") and request is not None:
            return Answer(dumps({"decision": "allow", "reason": verdict.reason}), "", 0)
        out = dumps({"decision": "deny", "reason": verdict.reason})
        return blocked(out, verdict.reason) if request is None else Answer(out, "", 0)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """The plugin: only exit 0 with ``decision: allow`` lets the call run."""
        out = loads_object(stdout) if exit_code == 0 else None
        if out is not None and out.get("decision") == "allow":
            return "runs", str(out.get("reason", ""))
        reason = str(out.get("reason", "")) if out else ""
        return "blocked", reason or stderr.strip() or f"shellgate exited {exit_code}"

    def sample(self, command: str, cwd: str) -> Payload:
        """What shellgate's plugin sends (tests/agents/fixtures)."""
        return {"tool": "bash", "args": {"command": command}, "cwd": cwd,
                "sessionID": "doctor", "callID": "doctor"}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """The plugin file in ``~/.config/opencode/plugins/``."""
        from shellgate.surfaces.hooks.agents.edits import FileDrop

        return [FileDrop(home / ".config" / "opencode" / "plugins" / "shellgate.js",
                         plugin(argv, timeout), 0o600)]


def plugin(argv: list[str], timeout: int) -> str:
    """The shipped OpenCode plugin with this install's hook argv and timeout filled in."""
    import json
    from importlib import resources

    template = (resources.files("shellgate.surfaces.hooks") / "opencode_plugin" /
                "shellgate.js").read_text(encoding="utf-8")
    return template.replace("__SHELLGATE_ARGV__", json.dumps(argv)) \
        .replace("__TIMEOUT_MS__", str(timeout * 1000))


AGENT = OpenCode()
