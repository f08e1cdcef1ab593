"""``shellgate install`` / ``uninstall``: write the shims and put them first on PATH, and
take all of it back, byte for byte.

Every change is planned first (a :class:`Plan`), so ``--dry-run`` prints the plan and
writes nothing. Applying it writes the manifest (``install.json`` in the config dir)
before touching anything else, then each file atomically (temp file + ``os.replace``;
a symlinked startup file is written through to its target). The manifest keeps each
foreign file's original bytes, mode and times, and a hash of what was written:
``uninstall`` puts back the original when the file is as shellgate left it, and
otherwise removes only the marked block, keeping later edits. Installing again gives
the same bytes (unchanged files are not rewritten) and keeps the first originals.

Agent configuration: the integration notes show no PATH setting an agent honours that
the startup files do not already cover — Claude Code's settings ``env.PATH`` is
overwritten by its shell snapshot and ``CLAUDE_CODE_SHELL`` must be a real bash or zsh;
Codex runs the passwd login shell with ``-lc`` (the login files carry the block) and a
``shell_environment_policy.set.PATH`` would freeze the rest of PATH at install time;
Gemini runs ``bash -c`` with its own PATH. So install edits no agent file; the
``agent_config`` flag is recorded for the hook installer (``shellgate hook``), whose
SessionStart hook can put :func:`shellgate.install.startup_files.path_snippet` into
``$CLAUDE_ENV_FILE``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.execute import SHIM_MARKER, is_shim_file
from shellgate.install.startup_files import (
    block,
    check_shims_dir,
    rc_targets,
    with_block,
    without_block,
)
from shellgate.rules.ruleset import RuleSet

MANIFEST = "install.json"
SHELL_SHIM = "shellgate-sh"
FORMAT = 1
_TOOL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_NOT_SHIMMED = frozenset({
    # Shells and interpreters run everything else; a shim in their place would put the
    # agent's own shell (and every #!/usr/bin/env python script) behind the gate. The
    # engine sees into `bash -c`, `python -c` through the commands' own shims instead.
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "posh", "fish", "rbash",
    "busybox-sh", "python", "python2", "python3", "node", "nodejs", "perl", "ruby",
    "shellgate", SHELL_SHIM})
_PATH_RESETTING = frozenset({"sudo", "doas", "run0", "pkexec", "ssh"})
"""Wrappers that do not look their command up on the caller's PATH (sudo's secure_path,
a remote host), so the inner tool's shim never sees it: shimmed themselves."""


@dataclass(frozen=True)
class Change:
    """One file to write (``after``) or delete (``after`` is None)."""

    path: str
    target: str
    after: bytes | None
    mode: int
    kind: str
    what: str
    times: tuple[int, int] | None = None


@dataclass
class Plan:
    """Everything an install or uninstall would do, computed before anything is done."""

    manifest_path: Path
    manifest: dict[str, Any] | None
    changes: list[Change] = field(default_factory=list)
    mkdirs: list[str] = field(default_factory=list)
    rmdirs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    weakens: bool = False
    """Removes shims or PATH blocks an earlier install put in place (needs approval)."""


def default_tools(rules: RuleSet) -> list[str]:
    """Every tool an enabled rule names (and its aliases), payload tools, PATH-resetting
    wrappers; never shells or general interpreters (see ``_NOT_SHIMMED``)."""
    from shellgate.rules.registry import payload_tools

    names = set(rules.tool_names) | set(rules.aliases) | payload_tools(rules, "sql", "mongo",
                                                                      "redis", "http")
    names |= {"gh", "heroku"} | _PATH_RESETTING
    return sorted(n for n in names - _NOT_SHIMMED if _TOOL_NAME.fullmatch(n))


def parse_tools(text: str) -> list[str]:
    """``--tools`` value: names separated by commas or spaces."""
    names = [n for n in re.split(r"[,\s]+", text.strip()) if n]
    bad = [n for n in names if not _TOOL_NAME.fullmatch(n) or n in ("shellgate", SHELL_SHIM)]
    if bad or not names:
        raise ShellgateError(f"--tools: not a tool name: {', '.join(bad) or repr(text)}", 2)
    return sorted(set(names))


def _template(name: str) -> str:
    here = Path(__file__).resolve().parent.parent  # the shellgate package
    for directory in (here / "shims", here.parent / "shims"):
        path = directory / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise ShellgateError(f"the shim template {name} is missing from this shellgate", 2)


def shim_text(tool: str | None, python: str, config_dir: Path, shims_dir: Path) -> bytes:
    """The executable for ``tool`` (``None``: the ``shellgate-sh`` wrapper)."""
    text = _template("shim.tmpl" if tool else "shellgate-sh.tmpl")
    flags, paths = isolation()
    for key, value in (("@PYTHON@", python), ("@FLAGS@", flags), ("@PATHS_REPR@", repr(paths)),
                       ("@TOOL_REPR@", repr(tool)),
                       ("@TOOL@", tool or ""), ("@CONFIG_REPR@", repr(str(config_dir))),
                       ("@SHIMS_REPR@", repr(str(shims_dir)))):
        text = text.replace(key, value)
    return text.encode("utf-8")


def isolation() -> tuple[str, list[str]]:
    """Interpreter flags and ``sys.path`` entries for shims and hook commands: ``-IS`` with
    site-packages put on ``sys.path`` by the caller itself (importing ``site`` costs every
    call a few milliseconds) when shellgate is installed there; plain ``-I`` otherwise (an
    editable install needs site's ``.pth`` processing)."""
    import sysconfig

    import shellgate

    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    package = Path(shellgate.__file__).resolve().parent.parent
    if any(Path(p).resolve() == package for p in paths):
        return "-IS", paths
    return "-I", []


def check_python(python: str) -> None:
    """The interpreter goes into a ``#!`` line: absolute, no spaces, short enough."""
    if not os.path.isabs(python) or re.search(r"\s", python) or len(python) > 200:
        raise ShellgateError(f"cannot write shims for the interpreter {python!r}: a #! line "
                             "needs an absolute path without spaces (install shellgate into "
                             "a venv at such a path)", 2)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ShellgateError(f"cannot read {path}: {exc.strerror or exc}", 2) from exc


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def read_manifest(config: Config) -> dict[str, Any] | None:
    """The manifest of the installation made with this config dir (None: none)."""
    data = _read(str(config.directory / MANIFEST))
    if data is None:
        return None
    try:
        manifest = json.loads(data)
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
            raise ValueError("unknown format")
    except (ValueError, AttributeError) as exc:
        raise ShellgateError(f"{config.directory / MANIFEST} is damaged ({exc}); "
                             "nothing was changed", 2) from exc
    return dict(manifest)


def _target(path: Path) -> str:
    """Where a startup file's bytes live (a symlink's target, as dotfile managers use)."""
    if path.is_symlink():
        if not path.exists():
            raise ShellgateError(f"{path} is a symlink to a missing file; fix it first", 2)
        return os.path.realpath(path)
    return str(path)


def _entry(kind: str, target: str, original: bytes | None, written: bytes,
           stat: os.stat_result | None) -> dict[str, Any]:
    return {"kind": kind, "target": target,
            "original": None if original is None else base64.b64encode(original).decode(),
            "mode": None if stat is None else stat.st_mode & 0o7777,
            "times": None if stat is None else [stat.st_atime_ns, stat.st_mtime_ns],
            "written": _sha(written)}


def _check_shims_dir(shims_dir: Path, config_dir: Path) -> None:
    if not shims_dir.exists():
        return
    if not shims_dir.is_dir():
        raise ShellgateError(f"{shims_dir} exists and is not a directory", 2)
    marker = shims_dir / SHIM_MARKER
    if marker.exists():
        owner = marker.read_text(encoding="utf-8", errors="replace")
        if owner.strip() != _marker_text(config_dir).decode().strip():
            raise ShellgateError(f"{shims_dir} holds shims of another shellgate installation "
                                 f"({owner.strip()}); choose another --shims-dir", 2)
        return
    foreign = [p.name for p in shims_dir.iterdir() if not is_shim_file(str(p))]
    if foreign:
        raise ShellgateError(f"{shims_dir} is not empty and is not a shellgate shims directory "
                             f"({', '.join(sorted(foreign)[:3])}…): shims would hide its "
                             "programs; choose an empty or new --shims-dir", 2)


def _marker_text(config_dir: Path) -> bytes:
    return f"shellgate shims for the config directory {config_dir}\n".encode()


def _missing_parents(directory: Path) -> list[str]:
    missing: list[str] = []
    while not directory.exists():
        missing.append(str(directory))
        directory = directory.parent
    return list(reversed(missing))


def plan_install(config: Config, home: Path, shims_dir: Path, tools: list[str], python: str,
                 shell_config: bool = True, agent_config: bool = True,
                 config_dirs: list[str] | None = None) -> Plan:
    """What ``shellgate install`` would change, computed without changing anything.

    ``config_dirs``: the config directory and parents that did not exist before this
    install (taken back by uninstall when nothing but shellgate's derived files is left).
    """
    from shellgate.install.startup_files import zsh_wanted

    check_python(python)
    check_shims_dir(str(shims_dir))
    _check_shims_dir(shims_dir, config.directory)
    old = read_manifest(config)
    old_files: dict[str, Any] = old["files"] if old else {}
    wanted: dict[str, tuple[str, str, bytes, int, str]] = {}
    wanted[str(shims_dir / SHIM_MARKER)] = ("marker", str(shims_dir / SHIM_MARKER),
                                           _marker_text(config.directory), 0o644, "marker")
    for tool in [*tools, None]:
        path = str(shims_dir / (tool or SHELL_SHIM))
        wanted[path] = ("shim", path, shim_text(tool, python, config.directory, shims_dir),
                        0o755, tool or SHELL_SHIM)
    if shell_config:
        the_block = block(str(shims_dir))
        for rc, why in rc_targets(home, zsh_wanted(home)):
            target = _target(rc)
            text = _read(target) or b""
            wanted[str(rc)] = ("rc", target, with_block(text, the_block, str(rc)), 0o644, why)
    plan = Plan(config.directory / MANIFEST, None, mkdirs=_missing_parents(shims_dir))
    files: dict[str, Any] = {}
    for path, (kind, target, after, mode, what) in wanted.items():
        current = _read(target)
        stat = os.stat(target) if current is not None else None
        if path in old_files:
            entry = dict(old_files[path], target=target, written=_sha(after))
        elif kind == "rc":
            original = None if current is None else without_block(current, path)
            entry = _entry(kind, target, original, after, stat)
        else:
            if current is not None and kind == "shim" and not is_shim_file(target):
                raise ShellgateError(f"{target} exists and is not a shellgate shim", 2)
            entry = _entry(kind, target, None, after, None)
        files[path] = entry
        if current != after:
            if stat is not None and kind == "rc":
                mode = stat.st_mode & 0o7777
            plan.changes.append(Change(path, target, after, mode, kind, what))
    for path, entry in old_files.items():
        if path not in files:
            plan.weakens = True
            _revert(plan, path, entry)
    created = [d for d in (old or {}).get("created_dirs", []) if os.path.isdir(d)]
    keep = [d for d in created if shims_dir == Path(d) or Path(d) in shims_dir.parents]
    plan.rmdirs = sorted(set(created) - set(keep), key=len, reverse=True)
    plan.weakens = plan.weakens or bool(old and old.get("shims_dir") != str(shims_dir))
    plan.manifest = {"format": FORMAT, "home": str(home), "shims_dir": str(shims_dir),
                     "python": python, "tools": tools, "shell_config": shell_config,
                     "agent_config": agent_config, "files": files,
                     "created_dirs": sorted(set(keep) | set(plan.mkdirs), key=len),
                     "config_dirs": sorted(set((old or {}).get("config_dirs", []))
                                           | set(config_dirs or []), key=len)}
    return plan


def _revert(plan: Plan, path: str, entry: dict[str, Any]) -> None:
    """Plan putting one file back: the original when untouched since, else unmarked."""
    target = str(entry.get("target") or path)
    current = _read(target)
    kind = str(entry.get("kind"))
    if current is None:
        return
    original = entry.get("original")
    before = None if original is None else base64.b64decode(original)
    if _sha(current) == entry.get("written"):
        times = entry.get("times")
        mode = entry.get("mode") or 0o644
        plan.changes.append(Change(path, target, before, int(mode), kind, "restore",
                                   tuple(times) if before is not None and times else None))
    elif kind == "rc":
        after = without_block(current, path)
        if before is None and not after.strip():
            plan.changes.append(Change(path, target, None, 0o644, kind, "remove"))
        elif after != current:
            plan.changes.append(Change(path, target, after, os.stat(target).st_mode & 0o7777,
                                       kind, "unmark"))
        plan.notes.append(f"{path} changed after install: only the shellgate block is removed")
    elif kind == "marker" or is_shim_file(target):
        plan.changes.append(Change(path, target, None, 0o644, kind, "remove"))
    else:
        plan.notes.append(f"{path} is no longer a shellgate shim: left in place")


def plan_uninstall(config: Config) -> Plan:
    """What ``shellgate uninstall`` would change (an empty plan when nothing is installed)."""
    plan = Plan(config.directory / MANIFEST, None)
    old = read_manifest(config)
    if old is None:
        plan.notes.append(f"nothing to uninstall: no {MANIFEST} in {config.directory}")
        return plan
    for path, entry in old["files"].items():
        _revert(plan, path, entry)
    rmdirs = list(old.get("created_dirs", []))
    if str(config.directory) in old.get("config_dirs", []):
        # The install made the config dir: take back what only shellgate derived there
        # (the compiled rule cache, empty working dirs); keys and audit keep it in place.
        from shellgate.rules.index import CACHE_NAME, QUICK_NAME

        cache = config.directory / "cache"
        for name in (CACHE_NAME, QUICK_NAME):
            if (cache / name).exists():
                plan.changes.append(Change(str(cache / name), str(cache / name), None,
                                           0o600, "derived", "remove"))
        rmdirs += [str(config.directory / d) for d in ("cache", "pending", "tickets")]
        rmdirs += old["config_dirs"]
    plan.rmdirs = [d for d in sorted(set(rmdirs), key=len, reverse=True) if os.path.isdir(d)]
    plan.weakens = True
    return plan


def write_bytes_atomic(target: str, data: bytes, mode: int) -> None:
    """Replace ``target`` with ``data`` atomically (``shellgate.fsutil.write_atomic``)."""
    from shellgate.fsutil import write_atomic

    write_atomic(target, data, mode)


def apply(plan: Plan) -> None:
    """Carry out a plan: directories, the manifest first, each file atomically, cleanup."""
    try:
        for directory in plan.mkdirs:
            os.makedirs(directory, mode=0o755, exist_ok=True)
        if plan.manifest is not None:
            text = (json.dumps(plan.manifest, indent=1, sort_keys=True) + "\n").encode()
            if _read(str(plan.manifest_path)) != text:
                plan.manifest_path.parent.mkdir(parents=True, exist_ok=True)
                write_bytes_atomic(str(plan.manifest_path), text, 0o600)
        for change in plan.changes:
            if change.after is None:
                Path(change.target).unlink(missing_ok=True)
                continue
            write_bytes_atomic(change.target, change.after, change.mode)
            if change.times is not None:
                os.utime(change.target, ns=change.times)
        if plan.manifest is None:
            plan.manifest_path.unlink(missing_ok=True)
        for directory in plan.rmdirs:
            try:
                os.rmdir(directory)
            except OSError:
                plan.notes.append(f"{directory} is not empty: left in place")
    except OSError as exc:
        raise ShellgateError(f"cannot write {exc.filename}: {exc.strerror or exc}; "
                             "run the same command again to finish", 1) from exc
