"""Agent hooks: ``shellgate hook AGENT`` answers each agent's pre-execution hook in that
agent's own format (``run``, with the watchdog in ``watchdog``), one module per agent in
``agents/`` (dialect, install target, detection, failure facts). The installers in
``shellgate.install`` read their targets from that registry.

Supported agents: claude-code, codex, cursor, gemini, copilot (CLI and VS Code),
windsurf, cline, opencode (through the plugin in ``opencode_plugin/``).
"""

from shellgate.surfaces.hooks.agents import NAMES as AGENTS

__all__ = ["AGENTS"]
