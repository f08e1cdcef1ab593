"""The surfaces' side of the vault in hardened mode (``broker.sealed``, ``broker.leases``):
a tool the vault may hold a secret for is run by the broker's runner with the caller's
standard streams; root's ``secrets`` commands get the key's answer through the broker;
leases are opened and ended there. Values never pass through these functions."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

from shellgate.broker.client import (
    DECIDE_SECONDS,
    BrokerError,
    _opened,
    _unavailable,
    _unchanged,
    ask,
    current_state,
    not_obeyed,
    touch_prompt,
)
from shellgate.errors import ShellgateError


def run_sealed(*, argv: list[str], program: str, files: list[str], stdin_data: bytes | None,
               agent: str, timeout: float, tell: Callable[[str], None],
               requested: list[str] | None = None, redeem: bool = True) -> int | None:
    """Hardened mode, a tool the vault may hold a secret for: the broker decides and, when
    the vault gives this command a secret, asks one touch and has its runner start the
    program with the caller's working directory and standard streams — the values never
    enter this process. Returns the exit status; None when the broker gave no secret and
    approved the command as usual (the caller then execs the program it approved).
    ``redeem``: a ticket of an approved script holding this argv may stand in for the
    touch (shims; ``shellgate run`` always asks its own)."""
    from shellgate.broker.runner import PASSED_ENV
    from shellgate.execute import _anonymous_file, hold_approved

    state = current_state()
    import shlex

    command = shlex.join(argv)
    env = {k: v for k, v in os.environ.items() if k in PASSED_ENV or k.startswith("LC_")}
    message = {"op": "approve", "kind": "argv", "argv": argv, "command": command,
               "agent": agent, "surface": "shim", "redeem": redeem, "timeout": timeout,
               "program_path": program, "env": env, "secrets": requested or []}

    waiting = touch_prompt(command, tell)

    streams = [_anonymous_file(stdin_data) if stdin_data is not None else _stream(0),
               _stream(1), _stream(2)]
    try:
        with _opened(os.getcwd(), program, files) as (fds, index, program_fd):
            index["stdio"] = [len(fds), len(fds) + 1, len(fds) + 2]
            try:
                reply = ask(state, {**message, "fds": index}, [*fds, *streams],
                            DECIDE_SECONDS + timeout, waiting)
            except BaseException:
                if program_fd is not None:
                    os.close(program_fd)
                raise
            if reply.get("result") == "exited" and isinstance(reply.get("status"), int):
                if program_fd is not None:
                    os.close(program_fd)
                return int(reply["status"])
            if reply.get("result") in ("allow", "approved") and program_fd is not None:
                try:
                    _unchanged(index, fds, program)
                except BrokerError:
                    os.close(program_fd)
                    raise
                hold_approved(program, program_fd)
                return None
            if program_fd is not None:
                os.close(program_fd)
    finally:
        for fd in streams:
            with contextlib.suppress(OSError):
                os.close(fd)
    raise not_obeyed(reply)


def unlock_approval(command: str, argv: list[str], secrets: tuple[tuple[str, str], ...],
                    salts: dict[str, bytes], timeout: float,
                    tell: Callable[[str], None]) -> Any:
    """Root's vault administration in hardened mode: the broker asks one touch approving
    ``command`` whose assertion answers ``salts``; returns that key's ``KeySecret``. The
    broker answers this to uid 0 only."""
    from shellgate.approve.fido.unlock import KeySecret
    from shellgate.approve.keystore import b64, unb64

    state = current_state()
    message = {"op": "unlock", "kind": "script", "command": command, "argv": argv,
               "timeout": timeout, "salts": {k: b64(v) for k, v in salts.items()},
               "secrets": [list(pair) for pair in secrets]}

    def waiting(reply: dict[str, Any]) -> None:
        tell(f"shellgate: touch your key to approve [{reply.get('short', '')}]: "
             f"{command[:200]}\nshellgate:   {reply.get('rule', '')}: "
             f"{reply.get('summary', '')}")

    with _opened(os.getcwd(), None, []) as (fds, index, _):
        reply = ask(state, {**message, "fds": index}, fds, DECIDE_SECONDS + timeout, waiting)
    credential, output = reply.get("credential_id"), reply.get("output")
    if reply.get("result") == "unlocked" and isinstance(credential, str) \
            and isinstance(output, str):
        return KeySecret(credential, unb64(output))
    raise not_obeyed(reply)


def slot_answer_from_broker(timeout: float, prompt: Callable[[str], None],
                            ) -> Callable[[Any, bytes], bytes | None]:
    """``secrets rotate`` in hardened mode: the broker asks one enrolled key for its
    hmac-secret answer to a new slot's salt (one touch of that key; None if it gave none)."""
    def answer(credential: Any, salt: bytes) -> bytes | None:
        try:
            secret = unlock_approval(
                f"shellgate secrets rotate: a vault slot for key {credential.short_id}",
                ["shellgate", "secrets", "rotate"], (), {credential.credential_id: salt},
                timeout, prompt)
        except ShellgateError:
            return None
        return secret.output if secret.credential_id == credential.credential_id else None

    return answer


def open_lease(prefixes: list[list[str]], hours: float, programs: dict[str, str],
               timeout: float, tell: Callable[[str], None]) -> dict[str, Any]:
    """``secrets unlock`` in hardened mode: the broker asks one touch and keeps the listed
    tools' secrets for allowed commands with those prefixes (``broker.leases``)."""

    state = current_state()
    command = "shellgate secrets unlock"
    message = {"op": "lease", "kind": "script", "command": command, "argv": [],
               "timeout": timeout, "hours": hours, "prefixes": prefixes,
               "programs": programs}

    def waiting(reply: dict[str, Any]) -> None:
        names = ", ".join(reply.get("secrets") or [])
        tell(f"shellgate: touch your key to approve [{reply.get('short', '')}]: a lease of "
             f"{names} for {' | '.join(' '.join(p) for p in prefixes)} ({hours:g} h; "
             f"programs {', '.join(programs.values())})")

    files = list(programs.values())
    with _opened(os.getcwd(), None, files) as (fds, index, _):
        index["files"] = {f"program:{tool}": index["files"][path]
                          for tool, path in programs.items() if path in index["files"]}
        reply = ask(state, {**message, "fds": index}, fds, DECIDE_SECONDS + timeout, waiting)
    if reply.get("result") == "leased":
        return reply
    raise not_obeyed(reply)


def end_lease() -> int:
    """``secrets lock`` in hardened mode: end this user's leases; how many there were."""

    state = current_state()
    with _opened(os.getcwd(), None, []) as (fds, index, _):
        reply = ask(state, {"op": "lease-end", "kind": "script", "command": "shellgate "
                            "secrets lock", "fds": index}, fds, DECIDE_SECONDS)
    count = reply.get("count")
    if reply.get("result") != "ended" or not isinstance(count, int):
        raise _unavailable(f"answered {str(reply.get('result'))[:40]!r}")
    return count


def _stream(fd: int) -> int:
    """A duplicate of standard stream ``fd`` to pass on (/dev/null when it is closed)."""
    try:
        return os.dup(fd)
    except OSError:
        return os.open(os.devnull, os.O_RDWR)
