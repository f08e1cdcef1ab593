"""The hook's own deadline: a thread that answers *deny* — in the agent's blocking form —
and ends the process when shellgate has not answered by then, whatever the main thread
is stuck in (a slow start, a lock held by a twin, an approval wait, a key that never
answers). Agents that fail open on a hook timeout (Claude Code, Codex, Gemini CLI,
Copilot CLI) never get to their timeout.

Armed first thing by the entry module, before anything heavy is imported. The main
thread :func:`claim` s the output before writing its own answer, so exactly one answer is
written. Uses ``_thread`` (built in) rather than ``threading``, which costs an import.
"""

from __future__ import annotations

import _thread
import os
import time

_LOCK = _thread.allocate_lock()
_ARMED: list[float] = []


def claim() -> bool:
    """Take the right to write the answer; False when the watchdog already took it."""
    return _LOCK.acquire(blocking=False)


def armed() -> bool:
    """Whether a watchdog runs in this process."""
    return bool(_ARMED)


def answer_by() -> float | None:
    """The monotonic time the watchdog answers at (None when not armed)."""
    return _ARMED[0] if _ARMED else None


def start(agent: str, seconds: float) -> None:
    """Answer deny for ``agent`` ``seconds`` from now unless the main thread claimed the
    output first. A second call changes nothing."""
    if _ARMED:
        return
    _ARMED.append(time.monotonic() + seconds)
    _thread.start_new_thread(_watch, (agent, seconds))


def _watch(agent: str, seconds: float) -> None:
    time.sleep(max(0.0, seconds))
    if not claim():  # the main thread is writing its answer: give it a moment
        time.sleep(2.0)
        os._exit(2)
    reason = (f"shellgate: refused: no decision was reached within {seconds:.0f} s, "
              "inside the agent's hook timeout; the command was not allowed. A human can "
              "check the setup with `shellgate doctor`.")
    stdout, stderr, code = "", reason + "\n", 2
    try:
        from shellgate.surfaces.hooks.agents import get
        from shellgate.surfaces.hooks.dialect import Verdict

        found = get(agent)
        if found is not None:
            answer = found.answer(None, Verdict("deny", reason, "shellgate: refused: no "
                                                "decision within the hook time"))
            stdout, stderr, code = answer.stdout, answer.stderr, answer.exit_code or 2
    except Exception:  # noqa: S110 - the plain blocking answer above still goes out
        pass
    try:
        if stdout:
            os.write(1, stdout.encode("utf-8", "replace"))
        os.write(2, stderr.encode("utf-8", "replace"))
    finally:
        os._exit(code)
