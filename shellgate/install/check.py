"""``shellgate doctor``'s view of the installation: shims intact, real programs found,
startup-file blocks in place, the shims really first on PATH in the shells agents start
(each probed as a real process with the installed home), and what the agent's user could
change (personal vs hardened mode)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path
from typing import Any

from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.execute import find_real, is_shim_file
from shellgate.install.shims import SHELL_SHIM, read_manifest
from shellgate.install.startup_files import block, block_of

_PROBE_SECONDS = 15


def install_report(config: Config) -> list[str]:
    """Doctor lines about the shims installation made with this config dir."""
    try:
        manifest = read_manifest(config)
    except ShellgateError as exc:
        return [f"PROBLEM install: {exc.message}"]
    if manifest is None:
        return ["shims: not installed with this config directory (`shellgate install` "
                "writes them and puts them first on PATH)"]
    shims = Path(manifest["shims_dir"])
    tools = [str(t) for t in manifest.get("tools", [])]
    lines = _shims(manifest, shims, tools)
    lines += _blocks(manifest, shims)
    probe = "git" if "git" in tools else (tools[0] if tools else SHELL_SHIM)
    lines += _shells(manifest, shims, probe)
    lines += _writable(config, manifest, shims)
    return lines


def _shims(manifest: dict[str, Any], shims: Path, tools: list[str]) -> list[str]:
    lines = []
    python = str(manifest.get("python", ""))
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        lines.append(f"PROBLEM shims: their interpreter {python} is gone; every shim refuses "
                     "(run `shellgate install` again)")
    broken = [t for t in [*tools, SHELL_SHIM] if not is_shim_file(str(shims / t))
              or not os.access(shims / t, os.X_OK)]
    if broken:
        lines.append(f"PROBLEM shims: {len(broken)} missing or changed in {shims}: "
                     f"{', '.join(broken[:8])} (run `shellgate install` again)")
    else:
        lines.append(f"shims: {len(tools)} tools and {SHELL_SHIM} in {shims}")
    path = os.pathsep.join(p for p in os.environ.get("PATH", os.defpath).split(os.pathsep)
                           if p and os.path.realpath(p) != os.path.realpath(shims))
    found = []
    for tool in tools:
        try:
            found.append(find_real(tool, path, [str(shims)]))
        except ShellgateError:
            continue
    lines.append(f"  real programs found for {len(found)} of {len(tools)} shimmed tools (the "
                 "others are not installed here; their shims answer `command not found`)")
    return lines


def _blocks(manifest: dict[str, Any], shims: Path) -> list[str]:
    lines = []
    expected = block(str(shims))
    for path, entry in sorted(manifest["files"].items()):
        if entry.get("kind") != "rc":
            continue
        try:
            content = Path(entry.get("target") or path).read_bytes()
        except OSError:
            content = b""
        found = block_of(content)
        if found is None:
            lines.append(f"PROBLEM {path}: the shellgate PATH block is gone")
        elif found != expected:
            lines.append(f"PROBLEM {path}: the shellgate PATH block was edited")
        elif content.rstrip().endswith(expected.rstrip()):
            lines.append(f"  {path}: PATH block in place (last in the file)")
        else:
            lines.append(f"  {path}: PATH block in place (lines after it may change PATH)")
    return lines


def _probe_env(home: str, path: str) -> dict[str, str]:
    env = {"HOME": home, "PATH": path, "TERM": "dumb", "LANG": "C.UTF-8"}
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
        env.update(USER=user, LOGNAME=user)
    except KeyError:
        pass
    return env


def _first(shell: list[str], env: dict[str, str], probe: str) -> str | None:
    """What ``command -v PROBE`` says in that shell (None: the shell failed)."""
    try:
        result = subprocess.run([*shell, f"command -v {probe}"], env=env, cwd=env["HOME"],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=_PROBE_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = result.stdout.strip().splitlines()
    return out[-1] if out else ""


def _shells(manifest: dict[str, Any], shims: Path, probe: str) -> list[str]:
    """Spawn each configured shell the way agents do and see where ``probe`` resolves."""
    home = str(manifest.get("home", ""))
    current = os.environ.get("PATH", os.defpath)
    base = os.pathsep.join(p for p in current.split(os.pathsep)
                           if p and os.path.realpath(p) != os.path.realpath(shims))
    want = str(shims / probe)
    rc_names = {Path(p).name for p, e in manifest["files"].items() if e.get("kind") == "rc"}
    probes: list[tuple[str, list[str], str]] = []
    bash = shutil.which("bash", path=base)
    if bash and rc_names:
        probes += [("bash -lc (Claude Code, Codex)", [bash, "-lc"], base),
                   ("bash -ic (an interactive terminal)", [bash, "-ic"], base)]
    zsh = shutil.which("zsh", path=base)
    if zsh and ".zshenv" in rc_names:
        probes += [("zsh -c", [zsh, "-c"], base), ("zsh -lc", [zsh, "-lc"], base),
                   ("zsh -ic", [zsh, "-ic"], base)]
    lines = []
    for label, shell, path in probes:
        got = _first(shell, _probe_env(home, path), probe)
        if got == want:
            lines.append(f"  {label}: `{probe}` is the shim")
        elif got is None:
            lines.append(f"PROBLEM {label}: the shell did not answer")
        else:
            lines.append(f"PROBLEM {label}: `{probe}` is {got or 'not found'}, not the shim")
    if bash:
        got = _first([bash, "-c"], _probe_env(home, current), probe)
        state = "the shim" if got == want else f"{got or 'not found'}: open a new terminal"
        lines.append(f"  this terminal's PATH (bash -c, as Gemini CLI runs it): `{probe}` is "
                     f"{state}")
    login = _login_shell()
    name = os.path.basename(login)
    if name in ("bash", "zsh", "sh", "dash"):
        lines.append(f"  login shell (Codex runs it with -lc): {login}")
    else:
        lines.append(f"  login shell {login or '(none)'}: Codex falls back to bash on PATH")
    return lines


def _login_shell() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_shell
    except KeyError:
        return ""


def _writable(config: Config, manifest: dict[str, Any], shims: Path) -> list[str]:
    """What the agent (running as this user) could change."""
    import shellgate

    guarded = {"config directory": config.directory, "keys": config.keys_path,
               "patterns": config.patterns_dir, "shims directory": shims,
               "shellgate's code": Path(shellgate.__file__).parent,
               "shim interpreter": Path(str(manifest.get("python", "")))}
    writable = [name for name, path in guarded.items()
                if os.access(path if path.exists() else path.parent, os.W_OK)]
    rc = sorted(Path(p).name for p, e in manifest["files"].items() if e.get("kind") == "rc")
    if not writable:
        return ["  the agent's user cannot change shellgate's config, keys, shims or code"
                + (f" (it can still edit {', '.join(rc)})" if rc else "")]
    what = ", ".join(writable + rc)
    if config.hardened:
        return [f"PROBLEM hardened mode, yet this user can write: {', '.join(writable)}"]
    return [f"  writable by this user, so by an agent running as it: {what} (personal mode)"]
