"""Leases in hardened mode: routine commands with their secrets and without a touch each,
held by the broker.

``shellgate secrets unlock --for "railway status" --hours 8`` asks the broker for a lease:
one touch, whose prompt names the secrets, the programs and the prefixes, approves it and
opens the vault. The broker keeps the values of the listed tools' secrets in its own
memory (never on disk) with the prefixes, the programs' identities and an expiry. Until
then, a command of the same user that the engine *allows*, that starts with a listed
prefix, names no launcher word (``run``, ``exec``, ``shell``… — ``vault.lease``), and runs
the very program pinned at unlock, is run by the runner with those values and no touch. A
gated command never uses a lease. ``secrets lock``, the expiry or a broker restart ends it.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from shellgate.broker import protocol
from shellgate.broker.protocol import ProtocolError
from shellgate.vault.store import VaultError

if TYPE_CHECKING:
    from shellgate.broker.service import Inputs, Say, Service

MAX_HOURS = 24
MAX_PREFIXES = 16


@dataclass
class Lease:
    """One open lease: whose, until when, for which prefixes and programs, with what."""

    user: str
    until: float
    prefixes: tuple[tuple[str, ...], ...]
    programs: dict[str, tuple[int, int]]
    """tool → (device, inode) of the program pinned at unlock."""
    values: dict[str, dict[str, str]] = field(repr=False)
    """tool → the secrets it receives (never logged, never written)."""


@dataclass
class LeaseBook:
    """The broker's open leases (memory only)."""

    leases: list[Lease] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, lease: Lease) -> None:
        with self.lock:
            self.leases = [x for x in self.leases if x.user != lease.user
                           and x.until > time.time()] + [lease]

    def end(self, user: str) -> int:
        with self.lock:
            before = len(self.leases)
            self.leases = [x for x in self.leases if x.user != user]
            return before - len(self.leases)

    def values_for(self, user: str, argv: list[str], program_fd: int) -> dict[str, str] | None:
        """The secrets an allowed ``argv`` gets from a live lease of ``user`` (None: no
        lease covers it)."""
        from shellgate.vault.lease import launches, prefix_matches

        tool = argv[0].rsplit("/", 1)[-1] if argv else ""
        try:
            st = os.fstat(program_fd)
        except OSError:
            return None
        with self.lock:
            for lease in self.leases:
                if lease.user != user or lease.until <= time.time():
                    continue
                if tool not in lease.programs or not prefix_matches(argv, lease.prefixes) \
                        or launches(argv) \
                        or lease.programs[tool] != (st.st_dev, st.st_ino):
                    continue
                return dict(lease.values.get(tool, {}))
        return None


def open_lease(service: Service, message: dict[str, Any], inputs: Inputs,
               say: Say) -> dict[str, Any]:
    """Check the request, ask one touch that opens the vault for the listed tools, keep
    their secrets in memory until the lease ends."""
    from shellgate.broker.sealed import _vault_service, check_program, load_vault
    from shellgate.vault import policy
    from shellgate.vault.leasing import lease_terms
    from shellgate.vault.service import _secrets_decision

    hours = protocol.field(message, "hours", (int, float))
    if not 0 < hours <= MAX_HOURS:
        raise VaultError(f"--hours must be between 0 and {MAX_HOURS}")
    raw = protocol.field(message, "prefixes", list, limit=MAX_PREFIXES)
    if not raw or not all(isinstance(p, list) and p and all(isinstance(w, str) for w in p)
                          for p in raw):
        raise ProtocolError("prefixes must be non-empty lists of words")
    prefixes = tuple(tuple(p) for p in raw)
    for words in prefixes:
        if words[0] in policy.HTTP_CLIENTS:
            raise VaultError(f"{words[0]} is an HTTP client: each request needs its own "
                             "touch (the host is part of what is approved)")
    vault = load_vault(service)
    if vault is None:
        raise VaultError("there is no vault yet (root adds secrets with `sudo shellgate "
                         "secrets add`)")
    paths = protocol.field(message, "programs", dict, limit=MAX_PREFIXES)
    programs: dict[str, tuple[int, int]] = {}
    for tool in sorted({p[0] for p in prefixes}):
        index = paths.get(tool)
        fd = inputs.files.get(f"program:{tool}") if isinstance(index, str) else None
        if fd is None or not isinstance(index, str):
            raise VaultError(f"{tool}: no program was passed for it")
        check_program(index, fd, (tool,))
        st = os.fstat(fd)
        programs[tool] = (st.st_dev, st.st_ino)
    chosen, bound, command = lease_terms(vault.entries, {t: str(paths[t]) for t in programs},
                                         prefixes, hours)
    names = sorted({n for ns in chosen.values() for n in ns})
    inputs = replace(inputs, command=command)  # what the human is shown and H binds
    opened = _vault_service(service, inputs, say, ()).open_approved(
        command, list(inputs.argv), bound, _secrets_decision(command))
    values = {tool: opened.reveal(chosen[tool]) for tool in programs}
    del opened
    until = time.time() + hours * 3600
    service.leases.add(Lease(inputs.user, until, prefixes, programs, values))
    from shellgate.broker.approval import _record

    _record(service, "lease-opened", _secrets_decision(command), command, user=inputs.user,
            secrets=names, until=int(until))
    return {"result": "leased", "until": int(until), "secrets": names}
