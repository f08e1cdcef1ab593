"""One module per agent: its hook dialect (``parse``/``answer``), where its hook is
installed (``targets``), how to tell it is there (``detect``), and what its tested
version really does when a hook fails (``facts``) — behind the :class:`Agent` protocol in
``base``, the way pre-commit keeps one module per language.

The registry is a table of module names, so the hook process imports only the one agent
it answers for (``get``); installers and ``doctor`` walk them all (``registry``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from shellgate.surfaces.hooks.agents.base import Agent

MODULES = {"claude-code": "claude_code", "codex": "codex", "cursor": "cursor",
           "gemini": "gemini", "copilot": "copilot", "windsurf": "windsurf",
           "cline": "cline", "opencode": "opencode"}
"""Agent name (as in ``shellgate hook AGENT``) -> module in this package."""
NAMES = tuple(MODULES)
"""Agent names accepted by ``shellgate hook`` and ``shellgate install --agent``."""


def get(name: str) -> Agent | None:
    """The agent called ``name``, importing only its module; None when unknown."""
    module = MODULES.get(name)
    if module is None:
        return None
    loaded = __import__(f"{__name__}.{module}", fromlist=["AGENT"])
    agent: Agent = loaded.AGENT
    return agent


def registry() -> dict[str, Agent]:
    """Every supported agent, by name, in a stable order."""
    found: dict[str, Agent] = {}
    for name in NAMES:
        agent = get(name)
        if agent is not None:
            found[name] = agent
    return found
