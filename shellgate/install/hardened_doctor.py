"""``shellgate doctor`` in hardened mode: the marker and policy checks, whether the broker
answers, and per agent whether the user-level settings could still remove the hook."""

from __future__ import annotations

import os
from pathlib import Path

from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.hardened.state import HardenedState


def hardened_report(config: Config, home: Path | None = None) -> list[str]:
    """Lines for doctor; PROBLEM/WARNING lines count as problems."""
    from shellgate.hardened.state import detect
    from shellgate.install.managed_agents import doctor_lines

    try:
        state = detect()
    except ShellgateError as exc:
        return [f"PROBLEM hardened mode: {exc.message}"]
    if state is None:
        return ["PROBLEM hardened mode: the configuration says hardened but no root-owned "
                "marker was found"]
    lines = [f"hardened mode: guards {state.user}; policy {state.layout.etc} (root's); "
             f"broker {state.layout.broker_user}, state {state.layout.state}"]
    if os.getuid() not in (state.uid, 0):
        lines.append(f"WARNING this user (uid {os.getuid()}) may not ask the broker: its "
                     "gated commands are refused")
    lines.extend(_broker(state))
    if home is None:
        import pwd

        home = Path(pwd.getpwnam(state.user).pw_dir)
    lines.extend(doctor_lines(state.layout, home))
    return lines


def _broker(state: HardenedState) -> list[str]:
    from shellgate.broker.client import BrokerError, ask

    try:
        reply = ask(state, {"op": "ping"}, [], 5)
    except BrokerError as exc:
        return [f"PROBLEM broker: {exc.message}"]
    if reply.get("result") != "pong":
        return [f"PROBLEM broker: answered {str(reply.get('result'))[:40]!r} to a ping"]
    lines = [f"broker: answers on {state.layout.socket}"]
    if reply.get("runner") is True:
        lines.append(f"runner: up as {state.layout.runner_user} (starts commands that "
                     "receive vault secrets)")
    elif (state.layout.etc / "vault.json").exists():
        lines.append(f"PROBLEM runner: not running (is the user {state.layout.runner_user} "
                     "there?), so no command can receive a vault secret")
    else:
        lines.append("runner: not running (needed only once the vault holds secrets)")
    return lines
