"""Facts about processes, read through psutil (the only module that imports it): which
agent asked (the nearest ancestor process that is a known coding agent), a process's
working directory, and when it started."""

from __future__ import annotations

_AGENTS = (("claude", "claude-code"), ("cursor", "cursor"), ("codex", "codex"),
           ("gemini", "gemini"), ("copilot", "copilot"), ("windsurf", "windsurf"),
           ("cline", "cline"), ("opencode", "opencode"), ("aider", "aider"),
           ("continue", "continue"), ("code", "vscode"), ("goose", "goose"),
           ("amp", "amp"), ("kiro", "kiro"))


def detect_agent(max_depth: int = 16) -> str:
    """The agent's name from the process ancestry, or "" when none is recognised."""
    try:
        import psutil

        process = psutil.Process().parent()
        for _ in range(max_depth):
            if process is None:
                return ""
            name = process.name().lower()
            try:
                line = " ".join(process.cmdline()[:3]).lower()
            except (psutil.Error, OSError):
                line = ""
            for needle, agent in _AGENTS:
                if needle == name or name.startswith(needle + "-") or (
                        needle in line and needle not in ("code", "amp")):
                    return agent
            process = process.parent()
    except Exception:  # ancestry is a label for humans; never a reason to fail
        return ""
    return ""


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
