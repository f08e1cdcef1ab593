"""Opening a lease (``secrets unlock``) and using one (shims, ``shellgate run``): the parts
of the lease that need the vault, the engine and the approval flow (``lease`` is the
socket protocol)."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Mapping, Sequence

from shellgate.config import Config
from shellgate.vault import lease, policy
from shellgate.vault.service import PROGRAM, VaultService
from shellgate.vault.store import Entry, VaultError

MAX_HOURS = 24


def parse_prefixes(items: Sequence[str]) -> list[tuple[str, ...]]:
    """``"railway status"`` → ("railway", "status"); HTTP clients are never leased."""
    prefixes = []
    for item in items:
        words = tuple(shlex.split(item))
        if not words:
            raise VaultError("an empty --for; give a command prefix such as 'railway status'")
        if words[0] in policy.HTTP_CLIENTS:
            raise VaultError(f"{words[0]} is an HTTP client: each request needs its own touch "
                             "(the host is part of what is approved)")
        prefixes.append(words)
    return prefixes


def lease_terms(entries: Sequence[Entry], programs: Mapping[str, str],
                prefixes: Sequence[tuple[str, ...]], hours: float,
                ) -> tuple[dict[str, list[str]], tuple[tuple[str, str], ...], str]:
    """What a lease gives and binds: each tool's secrets (every tool must have one), the
    (name, digest) pairs, programs and terms bound into H, and the command shown."""
    chosen: dict[str, list[str]] = {}
    for tool in programs:
        chosen[tool] = [e.name for e in policy.for_command(entries, [tool])]
        if not chosen[tool]:
            raise VaultError(f"no secret in the vault may go to {tool}")
    names = sorted({n for ns in chosen.values() for n in ns})
    by_name = {e.name: e for e in entries}
    bound = (*((n, by_name[n].digest()) for n in names),
             *((f"{PROGRAM}:{t}", path) for t, path in programs.items()),
             ("@lease", f"{hours:g}h: " + " | ".join(" ".join(p) for p in prefixes)))
    command = "shellgate secrets unlock " + " ".join(
        f"--for {shlex.quote(' '.join(p))}" for p in prefixes) + f" --hours {hours:g}"
    return chosen, bound, command


def unlock(config: Config, service: VaultService, items: Sequence[str], hours: float,
           argv: list[str]) -> None:
    """One touch, then serve the lease in this process until it expires or Ctrl-C."""
    from shellgate.audit import trail
    from shellgate.decide import decide
    from shellgate.engine import evaluate_argv
    from shellgate.execute import find_real
    from shellgate.fsutil import read_payload_file

    if not 0 < hours <= MAX_HOURS:
        raise VaultError(f"--hours must be between 0 and {MAX_HOURS}")
    prefixes = parse_prefixes(items)
    vault = service.file()
    if vault is None:
        raise VaultError("there is no vault yet; `shellgate secrets add` creates it")
    pinned: dict[str, lease.Pinned] = {}
    for tool in sorted({p[0] for p in prefixes}):
        real = policy.check_program(find_real(tool, os.environ.get("PATH")), [tool])
        pinned[tool] = lease.Pinned(tool, real, lease.identity(real))
    chosen, bound, command = lease_terms(vault.entries, {t: p.path for t, p in pinned.items()},
                                         prefixes, hours)
    opened = service.open_approved(command, argv, bound)
    values = {tool: opened.reveal(chosen[tool]) for tool in pinned}
    del opened
    rules = config.rules()

    def check(request: list[str], cwd: str) -> str | None:
        os.chdir(cwd)
        if evaluate_argv(request, rules, read_payload_file).verdict != "allow":
            return "the command is gated: it needs its own touch"
        return None

    def record(request: list[str], given: list[str]) -> None:
        trail.append(config.audit_path, {
            "time": int(time.time()), "event": "lease-used", "decision": decide([]).verdict,
            "command": shlex.join(request), "rules": [], "secrets": given})

    print(f"shellgate: lease open for {hours:g} h: "
          + "; ".join(f"{' '.join(p)} (program {pinned[p[0]].path})" for p in prefixes)
          + ". Ctrl-C ends it.", flush=True)
    try:
        lease.serve(config.directory, values, pinned, prefixes, check,
                    time.monotonic() + hours * 3600, record)
    except KeyboardInterrupt:
        pass
    finally:
        for secrets in values.values():
            secrets.clear()
    print("shellgate: lease closed", flush=True)


def try_lease(config: Config, argv: list[str], verdict: str, stdin_read: bool) -> int | None:
    """A live lease's exit status for an allowed command, or None (ask for a touch)."""
    if verdict != "allow" or stdin_read or lease.launches(argv):
        return None
    return lease.ask(config.directory, argv)
