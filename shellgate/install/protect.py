"""Self-protection for the hook entries: removing shellgate's hook from an agent, or
replacing an installed entry (say, with one that points at another config directory and
its keys), needs a touch from a key enrolled in the config directory that the installed
entry uses. Adding an entry where there is none tightens, and needs nothing.

As with enrolling the first key, a config directory without any enrolled key approves
nothing and guards nothing: the human has not set approval up yet.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterator
from pathlib import Path

from shellgate.config import Config
from shellgate.install.agent_entries import (
    HOOK_TIMEOUT,
    MARKER,
    FileDrop,
    hook_argv,
    hook_command,
    targets,
)
from shellgate.install.agents import agent_names, read_bytes
from shellgate.surfaces.hooks.agents import NAMES as AGENTS
from shellgate.values import Decision, Finding

RULE = Finding("core.hook-config", "changes or removes shellgate's hook in an agent's config",
               "The hook is what gates the agent's commands; changing it needs a human "
               "with an enrolled key.", "critical", "gate", "")


def _names(agent: str, home: Path) -> list[str]:
    return list(AGENTS) if agent in ("auto", "", "all") else agent_names(agent, home)


def _hook_lines(data: bytes) -> list[str]:
    """Every shellgate hook command line in a config file's text."""
    text = data.decode("utf-8", "replace")
    try:
        found = list(_walk(json.loads(text)))
    except ValueError:
        found = []
        for line in text.splitlines():
            if line.startswith("const ARGV = "):  # the OpenCode plugin
                with contextlib.suppress(ValueError, TypeError):
                    line = shlex.join(json.loads(line.split("=", 1)[1].strip().rstrip(";")))
            found.append(line.removeprefix("exec "))  # the Cline script
    return [line for line in found if MARKER in line]


def _walk(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def installed_config_dirs(agent: str, home: Path) -> list[Path]:
    """The ``--config`` directories named by shellgate's entries now in ``agent``'s files."""
    found: list[Path] = []
    for name in _names(agent, home):
        for target in targets(name, home, hook_command("python", Path("/"), name)):
            for line in _hook_lines(read_bytes(target.path) or b""):
                directory = _config_of(line)
                if directory is not None and directory not in found:
                    found.append(directory)
    return found


def _config_of(line: str) -> Path | None:
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    for index, word in enumerate(words[:-1]):
        if word == "--config":
            return Path(words[index + 1])
    return None


def replaces_entries(config: Config, agent: str, home: Path, python: str,
                     timeout: int = HOOK_TIMEOUT) -> bool:
    """Whether installing would change a shellgate entry that is already there."""
    for name in _names(agent, home):
        command = hook_command(python, config.directory, name, timeout)
        argv = hook_argv(python, config.directory, name, timeout)
        for target in targets(name, home, command, timeout, argv):
            current = read_bytes(target.path)
            if current is None:
                continue
            if isinstance(target, FileDrop):
                if target.ours(current) and current != target.content.encode():
                    return True
            elif any(line != command for line in _hook_lines(current)):
                return True
    return False


def approve_hook_change(config: Config, agent: str, home: Path, action: str,
                        argv: list[str]) -> None:
    """Return once every config directory guarding ``agent``'s installed entries approved
    the change (raises ``Refused`` otherwise)."""
    from shellgate.approve.keystore import KeyStore
    from shellgate.guard import Ask, guard
    from shellgate.surfaces.procs import detect_agent

    command = f"shellgate {action} {agent}"
    finding = Finding(RULE.rule_id, RULE.summary, RULE.why, RULE.severity, RULE.action,
                      command)
    decision = Decision("gate", (finding,))
    for directory in installed_config_dirs(agent, home):  # none installed: nothing to guard
        config_for = config if directory == config.directory else Config.at(directory)
        if not KeyStore(config_for.keys_path).load():
            continue
        guard(config_for, Ask(command, tuple(argv), lambda: decision, asker=detect_agent))
