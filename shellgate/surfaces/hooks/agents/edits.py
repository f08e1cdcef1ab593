"""What an agent module asks the installer to write: a structural edit of the agent's
JSON settings (:class:`JsonEdit`) or a whole file that belongs to shellgate
(:class:`FileDrop`). shellgate's entries are found again by the hook command, which runs
``shellgate.hooks`` (agents that validate their settings get no custom marker keys)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATUS = "shellgate: checking the command; touch your security key if it asks"
"""Shown by the agent while the hook runs (the hook itself has no terminal)."""
MARKER = "shellgate.hooks"
"""Every hook command shellgate writes runs ``shellgate.hooks.__main__``."""


def is_ours(handler: Any) -> bool:
    """A hook handler object that runs shellgate's hook."""
    if not isinstance(handler, dict):
        return False
    return any(isinstance(handler.get(k), str) and MARKER in handler[k]
               for k in ("command", "bash"))


@dataclass(frozen=True)
class JsonEdit:
    """A structural edit of one agent's JSON settings file."""

    path: Path
    style: str
    events: tuple[tuple[str, dict[str, Any]], ...]
    root: tuple[tuple[str, Any], ...] = ()

    def add(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with shellgate's entries present exactly once (replaced in place)."""
        for key, value in self.root:
            data.setdefault(key, value)
        hooks = data.setdefault("hooks", {})
        if not isinstance(hooks, dict):
            raise ValueError(f"{self.path}: \"hooks\" is not an object")
        for event, entry in self.events:
            items = hooks.setdefault(event, [])
            if not isinstance(items, list):
                raise ValueError(f"{self.path}: \"hooks.{event}\" is not a list")
            mine = [i for i, item in enumerate(items) if self.ours(item)]
            if mine:
                items[mine[0]] = entry
                for index in reversed(mine[1:]):
                    del items[index]
            else:
                items.append(entry)
        return data

    def remove(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` without shellgate's entries; emptied lists and objects go too."""
        hooks = data.get("hooks")
        if not isinstance(hooks, dict):
            return data
        for event, _ in self.events:
            items = hooks.get(event)
            if isinstance(items, list):
                items[:] = [item for item in items if not self.ours(item)]
                if not items:
                    del hooks[event]
        if not hooks:
            del data["hooks"]
            for key, value in self.root:
                if data.get(key) == value and len(data) == 1:
                    del data[key]
        return data

    def present(self, data: dict[str, Any]) -> list[str]:
        """The events of this edit that have a shellgate entry in ``data``."""
        hooks = data.get("hooks")
        if not isinstance(hooks, dict):
            return []
        return [event for event, _ in self.events
                if isinstance(hooks.get(event), list)
                and any(self.ours(item) for item in hooks[event])]

    def ours(self, item: Any) -> bool:
        """Whether one item of an event list is shellgate's entry."""
        if self.style == "grouped":  # {"matcher": …, "hooks": [handler]}
            inner = item.get("hooks") if isinstance(item, dict) else None
            return isinstance(inner, list) and any(is_ours(h) for h in inner)
        return is_ours(item)


@dataclass(frozen=True)
class FileDrop:
    """A whole file that belongs to shellgate (Copilot hooks file, Cline hook, plugin)."""

    path: Path
    content: str
    mode: int

    def ours(self, current: bytes) -> bool:
        """Whether an existing file at ``path`` was written by shellgate."""
        return MARKER.encode() in current or b"shellgate hook" in current


Target = JsonEdit | FileDrop
"""One thing an agent's install writes."""


def grouped(event: str, matcher: str, handler: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A Claude-style ``{"matcher": …, "hooks": [handler]}`` group for ``event``."""
    return event, {"matcher": matcher, "hooks": [handler]}
