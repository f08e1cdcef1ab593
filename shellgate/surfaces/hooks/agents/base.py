"""The :class:`Agent` protocol every agent module implements, and the input-field policy
they share.

**Input fields.** Agents add fields to their hook input between releases; refusing every
unknown field turned each release into "every command denied" (Copilot CLI 1.0.x sends
``sessionId``). The policy instead:

- *requires and type-checks what decides*: the tool name, the command, the working
  directory (a working-directory override is read and becomes the cwd);
- *refuses fields known to change what runs that shellgate does not read*
  (:data:`CHANGES_WHAT_RUNS`: another shell or interpreter, environment overrides,
  login-profile loading, text fed to the command's stdin), when set to anything but an
  empty/false value;
- *passes the rest*: ids, timestamps, descriptions, timeouts, and flags that do not change
  which command runs or where — running in the background, or outside the agent's own
  sandbox (shellgate decides as if there were no sandbox, so that flag cannot weaken it).
"""

from __future__ import annotations

from shellgate.surfaces.hooks.dialect import BadInput, Payload

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Protocol

    from shellgate.surfaces.hooks.agents.edits import Target
    from shellgate.surfaces.hooks.dialect import Answer, HookRequest, Verdict

    class Agent(Protocol):
        """One agent: hook dialect, install target, detection and failure facts."""

        name: str
        """As in ``shellgate hook NAME``."""
        title: str
        """Human name (``Claude Code``)."""
        package: str
        """The npm package of its CLI ("" when it has none)."""
        binary: str
        """The CLI's program name on PATH ("" when it has none)."""
        tested: str
        """The CLI version the end-to-end tests ran ("" when none could be run)."""
        detect: tuple[str, ...]
        """Path under the home directory whose presence shows the agent is installed."""
        budget: float
        """Seconds shellgate may take when the installed entry names no deadline."""
        timeout_setting: bool
        """Whether the hook entry can carry a timeout (so shellgate can set its own)."""
        facts: tuple[str, ...]
        """What the tested version does with a hook that fails, hangs or goes missing."""
        install_note: str
        """A step the human must still take after install ("" when none)."""

        def parse(self, payload: Payload) -> HookRequest:
            """The request in ``payload``; raises BadInput when it cannot be trusted."""
            ...

        def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
            """Render ``verdict``; ``request`` None means the input was unusable, and the
            answer must then block by exit status alone."""
            ...

        def reads(self, exit_code: int, stdout: str, stderr: str) -> tuple[str, str]:
            """How the tested version reads a hook's answer: (``runs`` | ``blocked`` |
            ``asks``, the text the model or user sees)."""
            ...

        def sample(self, command: str, cwd: str) -> Payload:
            """A synthetic input of this agent's shape running ``command`` in ``cwd``
            (doctor's probe)."""
            ...

        def targets(self, home: Path, command: str, argv: list[str],
                    timeout: int) -> list[Target]:
            """What install writes: ``command`` is the shell line, ``argv`` the bare
            interpreter argv (for plugins that spawn it themselves)."""
            ...

CHANGES_WHAT_RUNS = frozenset({"env", "environment", "shell", "shell_path", "executable",
                               "interpreter", "stdin", "input", "login", "argv", "args",
                               "prefix", "command_prefix"})
"""Shell-tool input fields that would change what runs and that shellgate does not read."""


def _set(value: object) -> bool:
    return value not in (None, False, "", 0) and value != {} and value != []


def check_shell_input(tool_input: Payload, where: str,
                      read: frozenset[str] = frozenset()) -> None:
    """BadInput when ``tool_input`` sets a field that changes what runs and is not in
    ``read`` (the fields this agent's dialect does take into account)."""
    for key, value in tool_input.items():
        if key in CHANGES_WHAT_RUNS and key not in read and _set(value):
            raise BadInput(f"{where}.{key} is set: it changes what runs and shellgate "
                           "does not check it")


def require_str(obj: Payload, key: str, where: str) -> str:
    """A required string field."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise BadInput(f"{where}.{key} is missing or not a string")
    return value


def optional_str(obj: Payload, key: str, where: str) -> str | None:
    """An optional string field (absent or null is None; any other type is BadInput)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(f"{where}.{key} is not a string")
    return value


def require_object(value: object, where: str) -> Payload:
    """``value`` as a JSON object, or BadInput."""
    if not isinstance(value, dict):
        raise BadInput(f"{where} is not a JSON object")
    return value


def command_of(tool_input: Payload, where: str, shell: bool,
               read: frozenset[str] = frozenset()) -> str | None:
    """The command of a tool call: required (and its input checked) for a shell tool;
    for another tool, a ``command`` string it carries anyway is inspected too."""
    if shell:
        check_shell_input(tool_input, where, read)
        return require_str(tool_input, "command", where)
    command = tool_input.get("command")
    if isinstance(command, str):
        check_shell_input(tool_input, where, read)
        return command
    return None


def ids(obj: Payload, *keys: str) -> tuple[str, ...]:
    """The string values of ``keys`` (missing ones as ""), for de-duplication keys."""
    return tuple(str(obj.get(k) or "") for k in keys)


def dumps(value: Payload) -> str:
    """Compact JSON with a newline (json imported only when an answer has a body)."""
    import json  # not at import: the "no opinion" answers need no json (~8 ms)

    return json.dumps(value, ensure_ascii=False) + "\n"


def loads_object(text: str) -> Payload | None:
    """``text`` as one JSON object, None when it is not one (for ``reads``)."""
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
