"""Values shared by the hook dialects and the hook runner.

A dialect turns an agent's stdin JSON into a :class:`HookRequest` and renders shellgate's
verdict as that agent's :class:`Answer` (stdout text, stderr text, exit status). Dialects
do no I/O; the runner does the reading, deciding, approving and writing.
"""

from __future__ import annotations

from shellgate.values import record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any, Protocol

    Payload = dict[str, Any]
else:
    Payload = dict


class BadInput(Exception):
    """The hook input cannot be trusted: malformed, incomplete, unknown fields, too big."""


@record
class HookRequest:
    """What one hook call asks about.

    ``command`` is None when the tool is not a shell tool (the dialect's "no opinion").
    ``origin`` names the hook entry that fired (agent and event), ``shape`` the payload
    family when one entry serves several agents (a Claude-format entry run by Cursor or
    VS Code), ``dedup`` the ids that identify this one tool call across entries, and
    ``budget`` the seconds shellgate may spend before the agent's own hook timeout.
    """

    command: str | None
    cwd: str | None
    origin: str
    shape: str
    dedup: tuple[str, ...]
    budget: float


@record
class Answer:
    """What the hook process prints and how it exits."""

    stdout: str
    stderr: str
    exit_code: int


@record
class Verdict:
    """The outcome the dialect renders: ``allow`` (no objection), ``approved`` (a key
    touch approved exactly this command) or ``deny``. ``reason`` is for the model,
    ``notice`` a short line for the human."""

    kind: str
    reason: str = ""
    notice: str = ""


if TYPE_CHECKING:
    class Dialect(Protocol):
        """One agent's hook protocol."""

        name: str

        def parse(self, payload: Payload) -> HookRequest:
            """The request in ``payload``; raises BadInput when it cannot be trusted."""
            ...

        def answer(self, request: HookRequest | None, verdict: Verdict) -> Answer:
            """Render ``verdict``; ``request`` is None when the input could not be parsed."""
            ...


DEFAULT_BUDGET = 100.0
"""Seconds of approval time inside the 120-second hook timeout shellgate installs."""
SHORT_BUDGET = 25.0
"""For agents whose hook timeout is unknown or short (30 s defaults)."""
HOOK_TIMEOUT = 120
"""The hook timeout (seconds) written into every agent config that has one."""


def require_object(value: Any, where: str) -> Payload:
    """``value`` as a JSON object, or BadInput."""
    if not isinstance(value, dict):
        raise BadInput(f"{where} is not a JSON object")
    return value


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


def only_known(obj: Payload, known: frozenset[str], where: str) -> None:
    """BadInput naming the first field shellgate does not know in ``obj``."""
    for key in obj:
        if key not in known:
            raise BadInput(f"unknown field {where}.{key!r}: this shellgate does not "
                           "understand it; update shellgate")


def ids(obj: Payload, *keys: str) -> tuple[str, ...]:
    """The string values of ``keys`` (missing ones as ""), for de-duplication keys."""
    return tuple(str(obj.get(k) or "") for k in keys)
