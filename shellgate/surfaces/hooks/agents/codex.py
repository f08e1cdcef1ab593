"""OpenAI Codex CLI: ``PreToolUse`` for its shell tool, presented to hooks as ``Bash``
(notes/agent-integrations.md §3, §9).

Codex runs a user hook only once it is *trusted*: a ``trusted_hash`` of the hook's exact
definition under ``[hooks.state."<key>"]`` in ``~/.codex/config.toml``; an untrusted or
changed hook is skipped without a word. ``trust_installed`` records that trust the way
Codex's own ``/hooks`` screen does — through ``codex app-server`` (``hooks/list`` gives
each hook's key and current hash, ``config/batchWrite`` stores it), so shellgate never
computes Codex's hash itself — and ``trust_report`` lets ``doctor`` say when it is gone.
"""

from __future__ import annotations

from shellgate.surfaces.hooks.agents.base import (
    command_of,
    ids,
    optional_str,
    require_object,
    require_str,
)
from shellgate.surfaces.hooks.agents.claude_code import (
    blocked,
    claude_like_handler,
    pre_tool_use_json,
    reads_claude_format,
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
    from typing import Any

    from shellgate.surfaces.hooks.agents.edits import Target

WORKDIR = frozenset({"workdir"})
APP_SERVER_SECONDS = 30.0


class Codex:
    """``shellgate hook codex``. Codex ignores ``allow`` (and fails open on ``ask``), so
    an approved command gets no output, exactly like an allowed one."""

    name = "codex"
    title = "Codex CLI"
    package = "@openai/codex"
    binary = "codex"
    tested = "0.171.0"
    detect = (".codex",)
    budget = DEFAULT_BUDGET
    timeout_setting = True
    facts = ("an untrusted or changed hook is skipped silently (install trusts shellgate's "
             "entry through `codex app-server`; doctor checks it)",
             "exit 2 or a JSON deny blocks; the reason reaches the model",
             "any other exit status, or a hook past its `timeout`, lets the command run",
             "refuses `rm -f`-style commands by itself before any hook runs")
    install_note = ""

    def parse(self, payload: Payload) -> HookRequest:
        """Codex's input (``turn_id``; ``tool_input`` is ``{command}``)."""
        event = require_str(payload, "hook_event_name", "input")
        if event != "PreToolUse":
            raise BadInput(f"hook_event_name is {event!r}, expected PreToolUse")
        tool = require_str(payload, "tool_name", "input")
        tool_input = require_object(payload.get("tool_input"), "input.tool_input")
        command = None if tool == "apply_patch" else \
            command_of(tool_input, "input.tool_input", tool == "Bash", WORKDIR)
        cwd = optional_str(payload, "cwd", "input")
        if command is not None:
            cwd = optional_str(tool_input, "workdir", "input.tool_input") or cwd
        key = ("codex", *ids(payload, "session_id", "turn_id", "tool_use_id"))
        return HookRequest(command, cwd, "codex", "codex", key, self.budget)

    def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
        """JSON deny (exit 0); nothing otherwise. The reason never repeats the command:
        Codex appends it itself."""
        if request is None:
            return blocked(pre_tool_use_json("deny", verdict.reason), verdict.reason)
        if verdict.kind in ("allow", "approved"):
            return Answer("", "", 0)
        return Answer(pre_tool_use_json("deny", verdict.reason, verdict.notice), "", 0)

    def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
        """As Claude Code (exit 2 or JSON deny blocks), except that ``ask`` runs."""
        outcome, text = reads_claude_format(exit_code, stdout, stderr)
        return ("runs", text) if outcome == "asks" else (outcome, text)

    def sample(self, command: str, cwd: str) -> Payload:
        """An input in the shape Codex 0.171.0 sends (tests/agents/fixtures)."""
        return {"session_id": "doctor", "turn_id": "doctor", "transcript_path": None,
                "cwd": cwd, "hook_event_name": "PreToolUse", "model": "doctor",
                "permission_mode": "default", "tool_name": "Bash",
                "tool_input": {"command": command}, "tool_use_id": "doctor"}

    def targets(self, home: Path, command: str, argv: list[str],
                timeout: int) -> list[Target]:
        """A ``PreToolUse``/``Bash`` group in ``~/.codex/hooks.json``."""
        from shellgate.surfaces.hooks.agents.edits import JsonEdit, grouped

        return [JsonEdit(home / ".codex" / "hooks.json", "grouped",
                         (grouped("PreToolUse", "Bash", claude_like_handler(command, timeout)),))]


AGENT = Codex()


class AppServerError(Exception):
    """``codex app-server`` could not be asked (missing, crashed, slow, refused)."""


def _hooks_file(home: Path) -> str:
    import os

    return os.path.realpath(home / ".codex" / "hooks.json")


def _call(codex: str, home: Path, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Run ``codex app-server`` with ``home``'s Codex config, make ``calls`` in order and
    return their results (AppServerError on any failure or after 30 seconds)."""
    import json
    import os
    import selectors
    import subprocess
    import time

    env = dict(os.environ, HOME=str(home), CODEX_HOME=str(home / ".codex"))
    try:
        proc = subprocess.Popen([codex, "app-server"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                cwd=str(home), start_new_session=True)
    except OSError as exc:
        raise AppServerError(f"cannot start `{codex} app-server`: {exc.strerror}") from exc
    assert proc.stdin is not None and proc.stdout is not None  # noqa: S101 - PIPEs above
    deadline = time.monotonic() + APP_SERVER_SECONDS
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    buffered = b""

    def send(message: dict[str, Any]) -> None:
        assert proc.stdin is not None  # noqa: S101
        proc.stdin.write(json.dumps(message).encode() + b"\n")
        proc.stdin.flush()

    def reply(number: int) -> Any:
        nonlocal buffered
        while True:
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict) and message.get("id") == number:
                    if "error" in message:
                        raise AppServerError(f"codex app-server: {message['error']}")
                    return message.get("result")
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise AppServerError("codex app-server did not answer in time")
            chunk = os.read(proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                raise AppServerError("codex app-server exited")
            buffered += chunk

    try:
        send({"id": 0, "method": "initialize",
              "params": {"clientInfo": {"name": "shellgate", "version": "1"}}})
        reply(0)
        send({"method": "initialized"})
        results = []
        for number, (method, params) in enumerate(calls, start=1):
            send({"id": number, "method": method, "params": params})
            results.append(reply(number))
        return results
    except OSError as exc:
        raise AppServerError(f"codex app-server: {exc}") from exc
    finally:
        selector.close()
        proc.kill()
        proc.wait()


def _ours(home: Path, listing: Any) -> list[dict[str, Any]]:
    from shellgate.surfaces.hooks.agents.edits import MARKER

    mine = _hooks_file(home)
    found: list[dict[str, Any]] = []
    for group in (listing or {}).get("data", []):
        for hook in group.get("hooks", []) if isinstance(group, dict) else []:
            if isinstance(hook, dict) and MARKER in str(hook.get("command", "")) and \
                    str(hook.get("sourcePath", "")) == mine:
                found.append(hook)
    return found


def trust_report(home: Path, codex: str) -> list[dict[str, Any]]:
    """shellgate's hooks as Codex lists them (``key``, ``trustStatus``, ``currentHash``)."""
    listing = _call(codex, home, [("hooks/list", {"cwds": [str(home)]})])[0]
    return _ours(home, listing)


def trust_installed(home: Path, codex: str) -> list[str]:
    """Trust every shellgate hook Codex holds as untrusted or changed; return one line per
    hook trusted. AppServerError when Codex cannot be asked or does not confirm."""
    hooks = trust_report(home, codex)
    if not hooks:
        raise AppServerError("Codex lists no shellgate hook in ~/.codex/hooks.json")
    pending = [h for h in hooks if h.get("trustStatus") != "trusted"]
    if not pending:
        return []
    state = {str(h["key"]): {"trusted_hash": str(h["currentHash"])} for h in pending}
    edit = {"keyPath": "hooks.state", "value": state, "mergeStrategy": "upsert"}
    _call(codex, home, [("config/batchWrite", {"edits": [edit]})])
    after = trust_report(home, codex)
    if not after or any(h.get("trustStatus") != "trusted" for h in after):
        raise AppServerError("Codex still does not trust shellgate's hook after writing "
                             "its trust record")
    return [f"codex: trusted shellgate's hook ({h['key']})" for h in pending]
