"""Values shared by the hook dialects and the hook runner.

A dialect turns an agent's stdin JSON into a :class:`HookRequest` and renders shellgate's
verdict as that agent's :class:`Answer` (stdout text, stderr text, exit status). Dialects
do no I/O; the runner does the reading, deciding, approving and writing.
"""

from __future__ import annotations

from shellgate.values import record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

    Payload = dict[str, Any]
else:
    Payload = dict


class BadInput(Exception):
    """The hook input cannot be trusted: malformed, incomplete, mistyped, too big, or setting
    a field that changes what runs which shellgate does not check."""


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


DEFAULT_BUDGET = 100.0
"""Seconds of approval time for an installed entry that names no deadline (entries
written before ``--deadline``: their agents' timeout is 120 seconds)."""
SHORT_BUDGET = 25.0
"""For agents whose hook timeout is unknown or short (30 s defaults)."""
HOOK_TIMEOUT = 120
"""The hook timeout (seconds) written into every agent config that has one."""


def deadline_for(timeout: float) -> float:
    """The seconds after its start by which shellgate answers a hook whose agent kills it
    at ``timeout``: well inside it (15 %, at least 2 s, kept for the answer to travel)."""
    return max(1.0, timeout - max(2.0, timeout * 0.15))


def outer_kill_for(timeout: int) -> int:
    """When the outer ``timeout`` program kills a hook process that did not answer:
    between shellgate's own deadline and the agent's."""
    deadline = deadline_for(timeout)
    return max(1, int(deadline + (timeout - deadline) / 2))
