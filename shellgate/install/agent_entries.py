"""The hook command shellgate writes into each agent's configuration, and each agent's
install targets (read from the agent modules in ``shellgate.surfaces.hooks.agents``).

Fail-closed by shellgate's own means, whatever the agent makes of a failing hook:

- the entry names the agent timeout it was written with (``timeout``) and passes
  shellgate a deadline well inside it (``--deadline``, :func:`deadline_for`): the hook's
  watchdog answers *deny* by then, whatever it is waiting for;
- the interpreter runs under ``timeout`` (coreutils, when installed) which kills it
  between that deadline and the agent's, should it hang before shellgate even starts;
- ``|| { echo …; exit 2; }`` turns any other failure — missing interpreter, crash,
  killed — into exit 2 with a reason on stderr, the blocking answer of every agent here
  (measured: Claude Code, Codex, Gemini CLI and Copilot CLI let the command run on other
  exit statuses, and Gemini CLI on an exit 2 with an empty stderr).

Agents that validate their settings get no custom keys; shellgate finds its entries again
by the hook command (``MARKER``).
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from shellgate.surfaces.hooks.agents import NAMES, get
from shellgate.surfaces.hooks.agents.edits import (
    MARKER,
    STATUS,
    FileDrop,
    JsonEdit,
    Target,
    is_ours,
)
from shellgate.surfaces.hooks.dialect import HOOK_TIMEOUT, deadline_for, outer_kill_for

__all__ = ["DETECT", "HOOK_TIMEOUT", "MARKER", "STATUS", "FileDrop", "JsonEdit", "Target",
           "hook_argv", "hook_command", "is_ours", "targets"]

FALLBACK = ('{ echo "shellgate: the hook failed (status $?) before it could answer; the '
            'command was not allowed. Run shellgate doctor." >&2; exit 2; }')
"""Run after ``||``: any failure of the hook process blocks, with a reason."""


def hook_argv(python: str, config_dir: Path, agent: str,
              timeout: int = HOOK_TIMEOUT) -> list[str]:
    """``python -I[S] -c 'CODE' --config DIR --deadline SECONDS AGENT``.

    ``-c`` with a one-line import rather than ``-m shellgate.hooks`` (``runpy`` costs every
    hook call ~3.5 ms), and ``-S`` with site-packages put on ``sys.path`` when shellgate is
    installed there (``site`` costs ~2 ms), the same isolation as the shims."""
    from shellgate.install.shims import isolation

    flags, paths = isolation()
    code = "import sys; "
    if paths:
        code += f"sys.path[:0] = {paths!r}; "
    code += f"from {MARKER}.__main__ import main; main(sys.argv[1:])"
    deadline = deadline_for(agent_timeout(agent, timeout))
    return [python, flags, "-c", code, "--config", str(config_dir),
            "--deadline", f"{deadline:g}", agent]


def agent_timeout(agent: str, timeout: int) -> float:
    """The timeout the agent really applies: ``timeout`` where the entry can carry one,
    else shellgate's short budget for agents with an unknown default."""
    found = get(agent)
    if found is None or found.timeout_setting:
        return float(timeout)
    return found.budget + 5.0


def hook_command(python: str, config_dir: Path, agent: str,
                 timeout: int = HOOK_TIMEOUT) -> str:
    """The shell line an agent runs: the interpreter under ``timeout`` (when coreutils
    has it), then :data:`FALLBACK` on any failure."""
    argv = hook_argv(python, config_dir, agent, timeout)
    killer = shutil.which("timeout")
    if killer and Path(killer).is_absolute():
        limit = outer_kill_for(int(agent_timeout(agent, timeout)))
        argv = [killer, "-k", "1", str(limit), *argv]
    return shlex.join(argv) + " || " + FALLBACK


def targets(agent: str, home: Path, command: str, timeout: int = HOOK_TIMEOUT,
            argv: list[str] | None = None) -> list[Target]:
    """What ``install --agent AGENT`` writes, for a user whose home is ``home``."""
    found = get(agent)
    if found is None:
        raise ValueError(f"unknown agent {agent!r}")
    return found.targets(home, command, argv or [], timeout)


DETECT = {name: agent.detect for name in NAMES if (agent := get(name)) is not None}
"""The configuration directory whose presence shows that an agent is installed."""
