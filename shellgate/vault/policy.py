"""Which sealed secrets a command may receive. Pure: the argv and the entries decide.

A secret goes to a command only when the program it runs is one of the secret's tools;
for an HTTP client (curl, wget, HTTPie, xh) also only when every request the command sends
goes to one of the secret's hosts, as shellgate's own HTTP parser reads the argv. An HTTP
client in a policy therefore needs hosts. A request shellgate cannot read (a computed URL,
a config file it cannot see) gets nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from shellgate.payloads.http.request import host_matches, http_requests
from shellgate.vault.store import Entry, VaultError

HTTP_CLIENTS = frozenset({"curl", "wget", "http", "https", "xh", "xhs"})
"""Tools whose secrets are limited to hosts (the argv models of ``inspect.http``)."""


def tool_of(argv: Sequence[str]) -> str:
    """The program's name as policies spell it (the basename of argv[0])."""
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def _no_files(path: str) -> bytes | None:
    return None  # payload files are not read to decide on hosts: a URL must be in argv


def refusal(entry: Entry, argv: Sequence[str]) -> str | None:
    """Why ``entry`` may not go to ``argv`` (None: it may)."""
    tool = tool_of(argv)
    if tool not in entry.tools:
        return (f"{entry.name} may only go to {', '.join(entry.tools)}, not {tool or 'this'}"
                " (change it with `shellgate secrets add` if that is wrong)")
    if tool not in HTTP_CLIENTS:
        return None
    if not entry.hosts:
        return (f"{entry.name} names the HTTP client {tool} but no --host: an HTTP client "
                "could send it anywhere")
    requests = http_requests(tool, [tool, *argv[1:]], None, False, _no_files)
    if not requests:
        return f"{tool} here sends no request shellgate can read, so {entry.name} is not given"
    for request in requests:
        if request.url is None or request.opaque or not request.host:
            return (f"{tool} sends a request whose host shellgate cannot read; "
                    f"{entry.name} only goes to {', '.join(entry.hosts)}")
        if not any(host_matches(request.host, host) for host in entry.hosts):
            return (f"{entry.name} only goes to {', '.join(entry.hosts)}, not to "
                    f"{request.host}")
    return None


def check_program(program: str, argv: Sequence[str]) -> str:
    """The resolved path of the program that will receive secrets, or VaultError: it must
    be the tool the policy names (its file name) and neither it nor its directory may be
    writable by every user (a file in /tmp, say)."""
    import os

    if tool_of([program]) != tool_of(argv):
        raise VaultError(f"{program} is not the program {tool_of(argv)}; secrets not given; "
                         "not run")
    real = os.path.realpath(program)
    for path in (real, os.path.dirname(real), program, os.path.dirname(program) or "."):
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise VaultError(f"cannot check {path} ({exc.strerror}); secrets not given; "
                             "not run") from None
        if mode & 0o002:  # others (not the group: user-private groups are common)
            raise VaultError(f"{path} is writable by any user, so whoever replaces "
                             f"{tool_of(argv)} there would receive its secrets; not run")
    return real


def for_command(entries: Iterable[Entry], argv: Sequence[str],
                requested: Sequence[str] = ()) -> list[Entry]:
    """The entries ``argv`` receives.

    With ``requested`` names, exactly those, each of which must be allowed (otherwise
    VaultError: a command never runs with a requested secret silently dropped). Without,
    every entry whose policy allows this command.
    """
    by_name = {e.name: e for e in entries}
    if requested:
        chosen = []
        for name in dict.fromkeys(requested):
            entry = by_name.get(name)
            if entry is None:
                raise VaultError(f"no secret called {name} in the vault (see `shellgate "
                                 "secrets list`); not run")
            why = refusal(entry, argv)
            if why is not None:
                raise VaultError(f"{why}; not run")
            chosen.append(entry)
        return chosen
    return [e for e in by_name.values() if refusal(e, argv) is None]


def broad(entry: Entry) -> list[str]:
    """Why a policy is wider than one tool (for ``doctor``)."""
    notes = []
    if len(entry.tools) > 1:
        notes.append(f"goes to {len(entry.tools)} tools ({', '.join(entry.tools)})")
    if any(h == "*" or h.startswith("*.") for h in entry.hosts):
        notes.append(f"goes to wildcard hosts ({', '.join(entry.hosts)})")
    return notes
