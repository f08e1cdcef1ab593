"""Facts about processes, read through psutil (the only module that imports it): which
agent asked (the nearest ancestor process that is a known coding agent), a process's
working directory, and when it started."""

from __future__ import annotations

import os

_AGENTS = (("claude", "claude-code"), ("cursor", "cursor"), ("codex", "codex"),
           ("gemini", "gemini"), ("copilot", "copilot"), ("windsurf", "windsurf"),
           ("cline", "cline"), ("opencode", "opencode"), ("aider", "aider"),
           ("continue", "continue"), ("code", "vscode"), ("goose", "goose"),
           ("amp", "amp"), ("kiro", "kiro"))


def detect_agent(max_depth: int = 16) -> str:
    """The agent's name from the process ancestry, or "" when none is recognised."""
    try:
        ancestry = _proc_ancestry(max_depth)
        if ancestry is None:
            ancestry = _psutil_ancestry(max_depth)
        for name, line in ancestry:
            for needle, agent in _AGENTS:
                if needle == name or name.startswith(needle + "-") or (
                        needle in line and needle not in ("code", "amp")):
                    return agent
    except Exception:  # ancestry is a label for humans; never a reason to fail
        return ""
    return ""


def _proc_ancestry(max_depth: int) -> list[tuple[str, str]] | None:
    """(name, first three words of the command line), lowercased, of each ancestor, read
    from Linux's /proc as psutil reads it (importing psutil costs the gated path ~18 ms);
    None without /proc."""
    try:
        pid = _parent_pid(os.getpid())
    except OSError:
        return None
    found: list[tuple[str, str]] = []
    while pid > 0 and len(found) < max_depth:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
            with open(f"/proc/{pid}/comm", "rb") as handle:
                name = handle.read().rstrip(b"\n")
            parent = _parent_pid(pid)
        except OSError:
            break
        if len(name) >= 15 and argv and argv[0]:  # comm is cut at 15 bytes: psutil's rule
            full = os.path.basename(argv[0])
            name = full if full.startswith(name) else name
        words = b" ".join(argv[:3]).rstrip(b" ")
        found.append((name.decode("utf-8", "replace").lower(),
                      words.decode("utf-8", "replace").lower()))
        pid = parent
    return found


def _parent_pid(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        stat = handle.read()
    return int(stat[stat.rindex(b")") + 2:].split()[1])  # after "(comm) state"


def _psutil_ancestry(max_depth: int) -> list[tuple[str, str]]:
    import psutil

    found: list[tuple[str, str]] = []
    process = psutil.Process().parent()
    while process is not None and len(found) < max_depth:
        try:
            line = " ".join(process.cmdline()[:3]).lower()
        except (psutil.Error, OSError):
            line = ""
        found.append((process.name().lower(), line))
        process = process.parent()
    return found


def process_cwd(pid: int) -> str | None:
    """``pid``'s current directory, or None when it cannot be read."""
    try:
        import psutil

        return str(psutil.Process(pid).cwd())
    except Exception:  # gone or unreadable: the caller treats the directory as unknown
        return None


def started_by(pid: int, deadline: float) -> bool:
    """True when ``pid`` started no later than ``deadline`` (epoch seconds), or psutil is
    missing; False when the process is gone or unreadable."""
    try:
        import psutil
    except ImportError:
        return True
    try:
        return bool(psutil.Process(pid).create_time() <= deadline)
    except Exception:  # gone between two checks, or unreadable
        return False
