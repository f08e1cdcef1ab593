"""Agent hooks: ``shellgate hook AGENT`` answers each agent's pre-execution hook in that
agent's own format (``run``, with one dialect per agent in ``claude`` and ``others``), and
``agent_install`` writes and removes shellgate's entry in each agent's hook config.

Supported agents: claude-code, codex, cursor, gemini, copilot (CLI and VS Code),
windsurf, cline, opencode (through the plugin in ``opencode_plugin/``).
"""

AGENTS = ("claude-code", "codex", "cursor", "gemini", "copilot", "windsurf", "cline",
          "opencode")
"""Agent names accepted by ``shellgate hook`` and ``shellgate install --agent``."""
