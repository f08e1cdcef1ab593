"""Each agent's dialect: parse the documented input, render the documented answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shellgate.surfaces.hooks.dialect import Answer, BadInput, HookRequest, Verdict
from shellgate.surfaces.hooks.run import dialects
from tests.unit.surfaces.hooks import payloads as p

DENY = Verdict("deny", "shellgate: not approved: rule r.x (why)", "shellgate: not approved")
APPROVED = Verdict("approved", "shellgate: approved [abcd1234]", "shellgate: approved note")
ALLOW = Verdict("allow")


def parse(agent: str, payload: dict[str, Any]) -> HookRequest:
    return dialects()[agent].parse(payload)


def answer(agent: str, request: HookRequest | None, verdict: Verdict) -> Answer:
    return dialects()[agent].answer(request, verdict)


@pytest.mark.parametrize("agent", p.AGENTS)
def test_documented_payload_yields_the_command_and_cwd(agent: str) -> None:
    request = parse(agent, p.BUILDERS[agent]("git push --force origin main", "/srv/app"))
    assert request.command == "git push --force origin main"
    assert request.cwd == "/srv/app"
    assert request.budget <= 100


@pytest.mark.parametrize("agent", [a for a in p.AGENTS if a != "windsurf"])
def test_other_tools_have_no_command(agent: str) -> None:
    assert parse(agent, p.other_tool(agent)).command is None


@pytest.mark.parametrize("agent", p.AGENTS)
def test_unknown_top_level_field_passes(agent: str) -> None:
    """Agents add fields between releases; one shellgate does not know changes nothing."""
    payload = p.BUILDERS[agent]("git push --force", "/srv/app")
    payload["surprise"] = {"nested": [1, 2]}
    payload["sessionIdV2"] = "s-2"
    request = parse(agent, payload)
    assert (request.command, request.cwd) == ("git push --force", "/srv/app")


SHELL_INPUT = [("claude-code", ("tool_input",)), ("codex", ("tool_input",)),
               ("cursor", ("tool_input",)), ("gemini", ("tool_input",)),
               ("windsurf", ("tool_info",)), ("cline", ("preToolUse", "parameters")),
               ("opencode", ("args",))]


def _shell_input(agent: str, payload: dict[str, Any],
                 container: tuple[str, ...]) -> dict[str, Any]:
    target = payload
    for key in container:
        target = target[key]
    return target


@pytest.mark.parametrize(("agent", "container"), SHELL_INPUT)
def test_unknown_neutral_field_in_the_shell_input_passes(agent: str,
                                                         container: tuple[str, ...]) -> None:
    payload = p.BUILDERS[agent]("ls")
    _shell_input(agent, payload, container)["progress_marker"] = 7
    _shell_input(agent, payload, container)["run_in_background"] = True
    assert parse(agent, payload).command == "ls"


@pytest.mark.parametrize("field", ["stdin", "env", "shell", "login", "interpreter"])
@pytest.mark.parametrize(("agent", "container"), SHELL_INPUT)
def test_field_that_changes_what_runs_is_refused(agent: str, container: tuple[str, ...],
                                                 field: str) -> None:
    payload = p.BUILDERS[agent]("ls")
    _shell_input(agent, payload, container)[field] = {"stdin": "rm -rf ~", "env": {"X": "1"},
                                                      "shell": "/bin/zsh", "login": True,
                                                      "interpreter": "python3"}[field]
    with pytest.raises(BadInput, match=f"{field} is set: it changes what runs"):
        parse(agent, payload)
    _shell_input(agent, payload, container)[field] = None  # unset: passes
    assert parse(agent, payload).command == "ls"


def test_copilot_tool_args_as_a_string_or_an_object() -> None:
    payload = p.copilot("ls")
    payload["toolArgs"] = json.dumps({"command": "ls", "env": {"X": "1"}})
    with pytest.raises(BadInput, match="env is set"):
        parse("copilot", payload)
    payload["toolArgs"] = "{not json"
    with pytest.raises(BadInput, match="toolArgs is not valid JSON"):
        parse("copilot", payload)
    payload["toolArgs"] = {"command": "git push --force", "description": "d"}
    assert parse("copilot", payload).command == "git push --force"
    payload["toolArgs"] = ["git push --force"]
    with pytest.raises(BadInput, match="toolArgs is not a JSON object"):
        parse("copilot", payload)


def test_copilot_text_typed_into_a_running_shell_is_a_command() -> None:
    payload = p.copilot("ls")
    payload["toolName"] = "write_bash"
    payload["toolArgs"] = {"sessionId": "1", "input": "rm -rf ~/work\n", "delay": 5}
    assert parse("copilot", payload).command == "rm -rf ~/work\n"
    payload["toolArgs"] = {"sessionId": "1"}
    with pytest.raises(BadInput, match="input is missing"):
        parse("copilot", payload)


@pytest.mark.parametrize("agent", p.AGENTS)
def test_missing_or_mistyped_command_is_refused(agent: str) -> None:
    payload = json.loads(json.dumps(p.BUILDERS[agent]("ls")).replace('"ls"', "42"))
    if agent == "copilot":
        payload["toolArgs"] = {"command": 42}
    with pytest.raises(BadInput):
        parse(agent, payload)


@pytest.mark.parametrize(("agent", "field", "value"), [
    ("claude-code", "hook_event_name", "PostToolUse"), ("codex", "hook_event_name", "Stop"),
    ("cursor", "hook_event_name", "afterShellExecution"),
    ("gemini", "hook_event_name", "AfterTool"), ("windsurf", "agent_action_name",
                                                 "post_run_command"),
    ("cline", "hookName", "PostToolUse")])
def test_wrong_event_is_refused(agent: str, field: str, value: str) -> None:
    payload = p.BUILDERS[agent]("ls")
    payload[field] = value
    with pytest.raises(BadInput):
        parse(agent, payload)


def test_cursor_both_events_parse_to_the_same_call() -> None:
    shell = parse("cursor", p.cursor_shell("rm -rf build"))
    tool = parse("cursor", p.cursor_tool("rm -rf build"))
    assert (shell.command, shell.cwd, shell.dedup) == (tool.command, tool.cwd, tool.dedup)
    assert shell.origin == "cursor:beforeShellExecution" and tool.origin == "cursor:preToolUse"


def test_claude_entry_run_by_cursor_pairs_with_cursors_own_entries() -> None:
    payload = p.cursor_tool("git push --force")
    payload["tool_name"] = "Bash"
    payload["hook_event_name"] = "preToolUse"
    request = parse("claude-code", payload)
    assert request.shape == "cursor"
    assert request.dedup == parse("cursor", p.cursor_tool("git push --force")).dedup


def test_vscode_payload_through_claude_and_copilot_entries() -> None:
    via_claude = parse("claude-code", p.vscode("git push --force", "/w"))
    via_copilot = parse("copilot", p.vscode("git push --force", "/w"))
    assert via_claude.command == via_copilot.command == "git push --force"
    assert via_claude.shape == via_copilot.shape == "vscode"
    assert via_claude.dedup == via_copilot.dedup
    assert via_claude.origin != via_copilot.origin
    assert via_claude.budget < 30  # VS Code's default hook timeout is 30 s


def test_working_directory_fields_win_over_the_session_cwd() -> None:
    gemini = p.gemini("make clean", "/srv/app")
    gemini["tool_input"]["dir_path"] = "sub"
    assert parse("gemini", gemini).cwd == "/srv/app/sub"
    codex = p.codex("make clean", "/srv/app")
    codex["tool_input"]["workdir"] = "/srv/other"
    assert parse("codex", codex).cwd == "/srv/other"
    opencode = p.opencode("make clean", "/srv/app")
    opencode["args"]["workdir"] = "/srv/x"
    assert parse("opencode", opencode).cwd == "/srv/x"


def test_unknown_tool_carrying_a_command_is_still_inspected() -> None:
    payload = p.claude("x", tool="mcp__docker__exec")
    payload["tool_input"] = {"command": "rm -rf /", "container": "db"}
    assert parse("claude-code", payload).command == "rm -rf /"


def _out(result: Answer) -> Any:
    return json.loads(result.stdout) if result.stdout.strip() else None


CLAUDE_DENY = {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                      "permissionDecision": "deny",
                                      "permissionDecisionReason": DENY.reason},
               "systemMessage": DENY.notice}

GOLDEN_DENY: dict[str, tuple[Any, str, int]] = {
    "claude-code": (CLAUDE_DENY, "", 0),
    "codex": (CLAUDE_DENY, "", 0),
    "cursor": ({"permission": "deny", "user_message": DENY.notice,
                "agent_message": DENY.reason}, "", 0),
    "gemini": ({"decision": "deny", "reason": DENY.reason, "systemMessage": DENY.notice},
               "", 0),
    "copilot": ({"permissionDecision": "deny", "permissionDecisionReason": DENY.reason},
                "", 0),
    "windsurf": (None, DENY.reason + "\n", 2),
    "cline": ({"cancel": True, "errorMessage": DENY.reason}, "", 0),
    "opencode": ({"decision": "deny", "reason": DENY.reason}, "", 0),
}


@pytest.mark.parametrize("agent", p.AGENTS)
def test_deny_answer_is_the_documented_shape(agent: str) -> None:
    result = answer(agent, parse(agent, p.BUILDERS[agent]("x")), DENY)
    stdout, stderr, code = GOLDEN_DENY[agent]
    assert (_out(result), result.stderr, result.exit_code) == (stdout, stderr, code)


GOLDEN_ALLOW: dict[str, Any] = {
    "claude-code": None, "codex": None, "cursor": {}, "gemini": None, "copilot": None,
    "windsurf": None, "cline": {"cancel": False}, "opencode": {"decision": "allow",
                                                               "reason": ""}}


@pytest.mark.parametrize("agent", p.AGENTS)
def test_no_opinion_answer_leaves_the_agent_flow_alone(agent: str) -> None:
    result = answer(agent, parse(agent, p.BUILDERS[agent]("ls")), ALLOW)
    assert (_out(result), result.exit_code) == (GOLDEN_ALLOW[agent], 0)


GOLDEN_APPROVED: dict[str, Any] = {
    "claude-code": {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                           "permissionDecision": "allow",
                                           "permissionDecisionReason": APPROVED.reason}},
    "codex": None,  # Codex ignores a bare allow: no output lets its own policy apply
    "cursor": {"permission": "allow", "user_message": APPROVED.notice},
    "gemini": {"decision": "allow", "reason": APPROVED.reason},
    "copilot": None,  # the Copilot CLI processes only deny
    "cline": {"cancel": False},
    "opencode": {"decision": "allow", "reason": APPROVED.reason},
}


@pytest.mark.parametrize("agent", [a for a in p.AGENTS if a != "windsurf"])
def test_approved_answer(agent: str) -> None:
    result = answer(agent, parse(agent, p.BUILDERS[agent]("x")), APPROVED)
    assert (_out(result), result.exit_code) == (GOLDEN_APPROVED[agent], 0)


def test_windsurf_approved_proceeds_and_shows_the_notice() -> None:
    result = answer("windsurf", parse("windsurf", p.windsurf("x")), APPROVED)
    assert (result.stdout, result.exit_code) == (APPROVED.notice + "\n", 0)


def test_vscode_through_copilot_answers_in_claude_format() -> None:
    result = answer("copilot", parse("copilot", p.vscode("x")), DENY)
    assert _out(result) == CLAUDE_DENY and result.exit_code == 0


@pytest.mark.parametrize("agent", p.AGENTS)
def test_unparsable_input_blocks_by_exit_code_or_answer(agent: str) -> None:
    result = answer(agent, None, DENY)
    if agent == "copilot":  # the sender may be the CLI or VS Code: the deny both read
        out = _out(result)
        assert out["permissionDecision"] == "deny"
        assert out["hookSpecificOutput"]["permissionDecision"] == "deny"
    # exit 2 blocks in every agent (Copilot CLI 1.0.102 blocks on any non-zero exit)
    assert result.exit_code == 2
    assert DENY.reason in result.stderr
    if agent != "windsurf":
        assert "deny" in result.stdout or '"cancel": true' in result.stdout
