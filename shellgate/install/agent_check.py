"""``doctor``'s agent section: for each agent shellgate installed into (or found), whether
its entry is still there (agents rewrite their settings), whether the agent will run it
(Codex skips an untrusted hook), which version of the agent is installed and what that
version does with a failing hook, and — proved by running the installed hook command once
with a synthetic allowed and a synthetic gated input — what the agent would see.

The gated probe runs with ``SHELLGATE_HOOK_PROBE=1``, which makes the hook deny at once
instead of asking for a touch (it can only turn an approval wait into a denial).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from shellgate.config import Config
from shellgate.install.agents import InstallError, detect, read_bytes
from shellgate.install.agents import _load as load_manifest
from shellgate.surfaces.hooks.agents import NAMES, get
from shellgate.surfaces.hooks.agents.edits import MARKER, FileDrop, JsonEdit, is_ours
from shellgate.surfaces.hooks.run import PROBE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from shellgate.surfaces.hooks.agents.base import Agent

ALLOWED = "ls"
GATED = "git push --force origin main"


def report(config: Config, home: Path) -> list[str]:
    """One block of lines per installed or detected agent."""
    try:
        installed = set(load_manifest(config)["agents"])
    except InstallError as exc:
        return [f"PROBLEM agent hooks: {exc.message}"]
    found = set(detect(home))
    lines: list[str] = []
    for name in NAMES:
        agent = get(name)
        if agent is None or (name not in installed and name not in found):
            continue
        lines.extend(_agent(config, agent, home, name in installed))
    return lines or ["agent hooks: none installed, no supported agent found"]


def version_of(agent: Agent) -> str | None:
    """The installed CLI's version, from its npm package (None when not found)."""
    program = shutil.which(agent.binary) if agent.binary else None
    if program is None or not agent.package:
        return None
    for parent in Path(os.path.realpath(program)).parents:
        try:
            meta = json.loads((parent / "package.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("name") == agent.package:
            version = meta.get("version")
            return version if isinstance(version, str) else None
    return None


def _agent(config: Config, agent: Agent, home: Path, installed: bool) -> list[str]:
    version = version_of(agent)
    shown = version or ("not found on PATH" if agent.binary else "no CLI to ask")
    lines = [f"agent {agent.name} ({agent.title}: {shown}; end-to-end tested: "
             f"{agent.tested or 'not run here'})"]
    if not installed:
        return [*lines, f"  shellgate's hook is not installed: `shellgate install --agent "
                        f"{agent.name}`"]
    entries = list(_entries(agent, home))
    for gone in [str(path) for path, command, _ in entries if command is None]:
        lines.append(f"PROBLEM {agent.name}: shellgate's hook entry is gone from {gone} "
                     f"(the agent or someone rewrote it): run `shellgate install --agent "
                     f"{agent.name}`")
    present = [(path, command, timeout) for path, command, timeout in entries
               if command is not None]
    if agent.name == "codex" and present:
        lines.extend(_codex_trust(home))
    for where, command, timeout in present[:1]:
        lines.extend(_timing(agent, command or "", timeout))
        lines.extend(_probe(agent, where, command or ""))
    lines.append(f"  fail-closed in {agent.title} {agent.tested or '(documented)'}: "
                 + "; ".join(agent.facts))
    if version and agent.tested and version != agent.tested:
        lines.append(f"WARNING {agent.name}: version {version} was not tested with "
                     f"shellgate (tested: {agent.tested}); the facts above may have changed")
    return lines


def _entries(agent: Agent, home: Path) -> list[tuple[Path, str | None, float | None]]:
    """(file, installed hook command or None when gone, its timeout in seconds)."""
    out: list[tuple[Path, str | None, float | None]] = []
    for target in agent.targets(home, "x", [], 0):
        data = read_bytes(target.path)
        command: str | None = None
        timeout: float | None = None
        text = data.decode("utf-8", "replace") if data is not None else ""
        if isinstance(target, JsonEdit) or target.path.suffix == ".json":
            try:
                value = json.loads(text) if text.strip() else {}
            except ValueError:
                value = {}
            handler = _first_handler(value)
            if handler is not None:
                command = str(handler.get("command") or handler.get("bash"))
                raw = handler.get("timeout", handler.get("timeoutSec"))
                if isinstance(raw, int | float):
                    timeout = raw / 1000 if agent.name == "gemini" else float(raw)
        elif isinstance(target, FileDrop) and target.ours(data or b""):
            command = text
            limit = re.search(r"^const TIMEOUT_MS = ([0-9]+);$", text, re.MULTILINE)
            timeout = int(limit.group(1)) / 1000 if limit else None
        out.append((target.path, command, timeout))
    return out


def _first_handler(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        if is_ours(value):
            return value
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _first_handler(item)
            if found is not None:
                return found
    return None


def _deadline(command: str) -> float | None:
    match = re.search(r"--deadline['\"]?,? ['\"]?([0-9.]+)", command)
    return float(match.group(1)) if match else None


def _timing(agent: Agent, command: str, timeout: float | None) -> list[str]:
    deadline = _deadline(command)
    if deadline is None:
        return [f"WARNING {agent.name}: the installed entry predates shellgate's own "
                "deadline: reinstall it (`shellgate install --agent …`)"]
    outer = re.search(r"timeout -k 1 ([0-9]+) ", command)
    killer = f", the interpreter killed at {outer.group(1)} s" if outer else \
        " (no `timeout` program: a hang before shellgate starts is not covered)"
    if agent.name == "opencode":
        killer = ", the plugin blocks the call at its own timeout"
    if timeout is None:
        return [f"  shellgate answers within {deadline:g} s{killer}; the agent's own hook "
                "timeout is not in its settings"]
    if deadline >= timeout:
        return [f"PROBLEM {agent.name}: shellgate's deadline {deadline:g} s is not inside the "
                f"agent's hook timeout {timeout:g} s"]
    return [f"  shellgate answers within {deadline:g} s{killer}, inside the agent's "
            f"{timeout:g} s hook timeout; any failure exits 2 with a reason"]


def _codex_trust(home: Path) -> list[str]:
    from shellgate.surfaces.hooks.agents.codex import AppServerError, trust_report

    codex = shutil.which("codex")
    if codex is None:
        return ["WARNING codex: `codex` is not on PATH, so its trust in shellgate's hook "
                "cannot be checked (Codex skips an untrusted hook without a word)"]
    try:
        hooks = trust_report(home, codex)
    except AppServerError as exc:
        return [f"WARNING codex: cannot ask Codex whether it trusts the hook ({exc})"]
    if not hooks:
        return ["PROBLEM codex: Codex does not list shellgate's hook: it will not run it"]
    bad = [str(h.get("trustStatus")) for h in hooks if h.get("trustStatus") != "trusted"]
    if bad:
        return [f"PROBLEM codex: Codex holds shellgate's hook as {', '.join(bad)} and skips "
                "it without a word: run `shellgate install --agent codex` (or trust it in "
                "/hooks)"]
    return ["  codex trusts shellgate's hook (hooks/list: trusted)"]


def _argv(agent: Agent, path: Path, command: str) -> list[str]:
    if agent.name == "opencode":
        match = re.search(r"^const ARGV = (.*);$", command, re.MULTILINE)
        argv = json.loads(match.group(1)) if match else []
        return [str(a) for a in argv] if isinstance(argv, list) else []
    if agent.name == "cline":
        return ["/bin/sh", str(path)]
    shell = "bash" if agent.name == "copilot" else "/bin/sh"
    return [shutil.which(shell) or shell, "-c", command]


def _probe(agent: Agent, path: Path, command: str) -> list[str]:
    argv = _argv(agent, path, command)
    if not argv or MARKER not in " ".join(argv) + command:
        return [f"PROBLEM {agent.name}: cannot find the hook command in {path}"]
    deadline = _deadline(command) or 120.0
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="shellgate-doctor-") as cwd:
        for label, text, wanted in (("allowed", ALLOWED, "runs"), ("gated", GATED, "blocked")):
            payload = json.dumps(agent.sample(text, cwd)).encode()
            env = dict(os.environ, **{PROBE: "1"})
            try:
                done = subprocess.run(argv, input=payload, capture_output=True, cwd=cwd,
                                      env=env, timeout=deadline + 10, check=False)
                outcome, said = agent.reads(done.returncode,
                                            done.stdout.decode("utf-8", "replace"),
                                            done.stderr.decode("utf-8", "replace"))
                status = f"exit {done.returncode}"
            except subprocess.TimeoutExpired:
                outcome, said, status = "runs", "no answer", "timed out"
            except OSError as exc:
                outcome, said, status = "runs", exc.strerror or str(exc), "did not start"
            said = " ".join(said.split())
            shown = f"{label} `{text}`: {agent.title} would see {status}: {outcome}" + \
                (f" — {said[:160]}" if said else "")
            if outcome == wanted or (label == "allowed" and outcome == "asks"):
                lines.append("  " + shown)
            else:
                lines.append(f"PROBLEM {agent.name}: {shown} (expected: {wanted})")
    return lines
