"""``install --agent NAME`` / ``uninstall --agent NAME``: shellgate's hook entry in each
agent's own config file, written atomically (temp file + ``os.replace``), idempotently
(a second install changes no byte), and reversibly: a manifest in the config directory
keeps every file's bytes from before the first install, and uninstall puts them back
byte for byte (or, when the file changed since, removes only shellgate's entries).

Each agent gets only its own file: Cursor and VS Code also read Claude Code's settings,
and the hook de-duplicates the touch (``dedup``) rather than this module writing a
second entry into another agent's file.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.install.agent_entries import (
    DETECT,
    HOOK_TIMEOUT,
    FileDrop,
    JsonEdit,
    hook_argv,
    hook_command,
    targets,
)
from shellgate.surfaces.hooks.agents import NAMES as AGENTS
from shellgate.surfaces.hooks.agents import get

MANIFEST = "installed.json"
class InstallError(ShellgateError):
    """An agent's config cannot be changed safely (unreadable, foreign file, bad JSON)."""

    exit_code = 1


def detect(home: Path) -> list[str]:
    """Agents whose configuration directory exists under ``home``."""
    return [agent for agent in AGENTS if home.joinpath(*DETECT[agent]).is_dir()]


def agent_names(agent: str, home: Path) -> list[str]:
    """The agents ``agent`` names: itself, or every detected one for ``auto``."""
    if agent in ("auto", "", "all"):
        return detect(home)
    if agent not in AGENTS:
        raise InstallError(f"unknown agent {agent!r} (known: {', '.join(AGENTS)}, auto)", 2)
    return [agent]


def install_agent(config: Config, agent: str, home: Path, dry_run: bool = False,
                  python: str | None = None, timeout: int = HOOK_TIMEOUT) -> list[str]:
    """Write shellgate's hook entry for ``agent`` (or every detected agent for ``auto``);
    return one line per change. ``python`` is the interpreter the hook runs with,
    ``timeout`` the hook timeout written where the agent has one (shellgate's deadline
    sits well inside it)."""
    if not 5 <= timeout <= 3600:
        raise InstallError(f"hook timeout {timeout} s is out of range (5 to 3600)", 2)
    names = agent_names(agent, home)
    if not names:
        return [f"no supported agent found under {home} (looked for: "
                f"{', '.join('~/' + '/'.join(DETECT[a]) for a in AGENTS)})"]
    lines: list[str] = []
    for name in names:
        interpreter = python or sys.executable
        command = hook_command(interpreter, config.directory, name, timeout)
        argv = hook_argv(interpreter, config.directory, name, timeout)
        done = [_install_one(config, name, target, home, dry_run)
                for target in targets(name, home, command, timeout, argv)]
        lines.extend(done)
        found = get(name)
        if name == "codex" and not dry_run:
            lines.extend(_trust_codex(home))
        elif found is not None and found.install_note and not dry_run and \
                any(" already has " not in d for d in done):
            lines.append(found.install_note)
    return lines


def _trust_codex(home: Path) -> list[str]:
    """Codex skips an untrusted hook silently: record the trust through Codex itself."""
    import shutil

    from shellgate.surfaces.hooks.agents.codex import AppServerError, trust_installed

    codex = shutil.which("codex")
    if codex is None:
        return ["PROBLEM codex: the `codex` program is not on PATH, so shellgate could not "
                "record its trust in the hook; Codex skips an untrusted hook without a word: "
                "open /hooks in Codex and trust it, then run `shellgate doctor`"]
    try:
        done = trust_installed(home, codex)
    except AppServerError as exc:
        return [f"PROBLEM codex: could not record trust in shellgate's hook ({exc}); Codex "
                "skips an untrusted hook without a word: open /hooks in Codex and trust it"]
    return done or ["codex: shellgate's hook is trusted"]


def uninstall_agent(config: Config, agent: str, home: Path) -> list[str]:
    """Undo ``install_agent`` for ``agent`` (``auto``: every agent in the manifest)."""
    manifest = _load(config)
    entries: dict[str, Any] = manifest["agents"]
    names = sorted(entries) if agent in ("auto", "", "all") else agent_names(agent, home)
    lines: list[str] = []
    for name in names:
        recorded = entries.get(name, {})
        command = hook_command(sys.executable, config.directory, name)
        for target in targets(name, home, command):
            record = recorded.get("files", {}).get(str(target.path))
            lines.append(_uninstall_one(target, record, home))
        for directory in sorted(recorded.get("dirs", []), key=len, reverse=True):
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        if entries.pop(name, None) is not None:
            _save(config, manifest)
    return lines or ["nothing to uninstall"]


def _short(path: Path, home: Path) -> str:
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def read_bytes(path: Path) -> bytes | None:
    """A file's bytes, None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror}") from exc


def _parse(path: Path, data: bytes | None) -> dict[str, Any]:
    if data is None or not data.strip():
        return {}
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InstallError(f"{path} is not plain JSON ({exc}); not changed — add the "
                           "shellgate entry by hand or fix the file") from exc
    if not isinstance(value, dict):
        raise InstallError(f"{path} does not hold a JSON object; not changed")
    return value


def _render(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _new_bytes(target: JsonEdit | FileDrop, current: bytes | None) -> bytes:
    if isinstance(target, FileDrop):
        wanted = target.content.encode("utf-8")
        if current is not None and current != wanted and not target.ours(current):
            raise InstallError(f"{target.path} exists and was not written by shellgate; "
                               "not replacing it")
        return wanted
    before = _parse(target.path, current)
    try:
        after = target.add(json.loads(json.dumps(before)))
    except ValueError as exc:
        raise InstallError(f"{exc}; not changed") from exc
    if current is not None and after == before:
        return current
    return _render(after)


def _install_one(config: Config, agent: str, target: JsonEdit | FileDrop, home: Path,
                 dry_run: bool) -> str:
    real = Path(os.path.realpath(target.path))
    current = read_bytes(real)
    new = _new_bytes(target, current)
    shown = _short(target.path, home)
    if new == current:
        return f"{agent}: {shown} already has the shellgate hook"
    if dry_run:
        return f"{agent}: would {'update' if current is not None else 'create'} {shown}"
    manifest = _load(config)
    entry = manifest["agents"].setdefault(agent, {"files": {}, "dirs": []})
    files: dict[str, Any] = entry["files"]
    known = files.get(str(target.path))
    if known is not None and current is not None and \
            hashlib.sha256(current).hexdigest() != known["after"]:
        known["exact"] = False  # edited since: uninstall removes our entries, not the edits
    if known is None:  # the first install's "before" is what uninstall restores
        mode = real.stat().st_mode & 0o7777 if current is not None else None
        files[str(target.path)] = {
            "before": None if current is None else base64.b64encode(current).decode(),
            "mode": mode, "after": "", "exact": True}
        entry["dirs"] = sorted(set(entry["dirs"]) | set(_missing_dirs(real.parent)))
        _save(config, manifest)
    mode = files[str(target.path)]["mode"]
    write_bytes(real, new, mode if mode is not None else _mode(target))
    files[str(target.path)]["after"] = hashlib.sha256(new).hexdigest()
    _save(config, manifest)
    return f"{agent}: {'updated' if current is not None else 'created'} {shown}"


def _mode(target: JsonEdit | FileDrop) -> int:
    return target.mode if isinstance(target, FileDrop) else 0o600


def _missing_dirs(directory: Path) -> list[str]:
    missing: list[str] = []
    while not directory.exists():
        missing.append(str(directory))
        directory = directory.parent
    return missing


def _uninstall_one(target: JsonEdit | FileDrop, record: dict[str, Any] | None,
                   home: Path) -> str:
    real = Path(os.path.realpath(target.path))
    shown = _short(target.path, home)
    current = read_bytes(real)
    if current is None:
        return f"{shown}: not present"
    if record is not None and record.get("exact") and \
            hashlib.sha256(current).hexdigest() == record.get("after"):
        before = record.get("before")
        if before is None:
            real.unlink()
            return f"removed {shown}"
        write_bytes(real, base64.b64decode(before), int(record.get("mode") or 0o600))
        return f"restored {shown} to its bytes from before install"
    if isinstance(target, FileDrop):
        if not target.ours(current):
            return f"{shown}: not shellgate's; left alone"
        real.unlink()
        return f"removed {shown}"
    data = _parse(target.path, current)
    cleaned = target.remove(json.loads(json.dumps(data)))
    if cleaned == data:
        return f"{shown}: no shellgate entry"
    if not cleaned and record is not None and record.get("before") is None:
        real.unlink()  # shellgate created it and nothing else is left in it
        return f"removed {shown}"
    write_bytes(real, _render(cleaned), real.stat().st_mode & 0o7777)
    return f"removed shellgate's entries from {shown} (it changed since install)"


def write_bytes(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically (``shellgate.fsutil.write_atomic``)."""
    from shellgate.fsutil import write_atomic

    write_atomic(path, data, mode)


def _manifest_path(config: Config) -> Path:
    return config.directory / "hooks" / MANIFEST


def _load(config: Config) -> dict[str, Any]:
    path = _manifest_path(config)
    data = read_bytes(path)
    if data is None:
        return {"version": 1, "agents": {}}
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InstallError(f"{path} is damaged ({exc}); not changing agent configs") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("agents"), dict):
        raise InstallError(f"{path} is damaged (no agents table); not changing agent configs")
    return manifest


def _save(config: Config, manifest: dict[str, Any]) -> None:
    path = _manifest_path(config)
    if not manifest["agents"]:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()
        return
    write_bytes(path, _render(manifest), 0o600)
