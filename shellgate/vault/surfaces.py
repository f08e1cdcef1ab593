"""What surfaces that cannot start the command themselves (agent hooks) do about sealed
secrets. A hook only answers allow or deny; the agent's own shell then runs the command,
so a value can reach the tool only through a shellgate shim on that shell's PATH.

So a hook lets a command that uses a sealed secret's tool go ahead only when that tool
has an installed shim (which asks for the touch and gives the secret to the tool alone);
otherwise it refuses with what to run instead. It never passes a value anywhere.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from shellgate.errors import ShellgateError
from shellgate.vault import store


def _uses(command: str, tool: str) -> bool:
    """``tool`` appears as a command word (bare or as a path's last part). Generous: a
    false match only refuses with instructions."""
    pattern = rf"(?<![\w.+-])(?:[^\s'\";|&()<>]*/)?{re.escape(tool)}(?![\w.+-])"
    return re.search(pattern, command) is not None


def hook_refusal(command: str, config_dir: Path, shimmed: Callable[[str], bool],
                 ) -> str | None:
    """Why a hook must refuse ``command`` (None: it may decide as usual)."""
    try:
        vault = store.load(config_dir / "vault.json")
    except ShellgateError as exc:
        return f"{exc.message}; not run"
    if vault is None:
        return None
    for entry in vault.entries:
        for tool in entry.tools:
            if _uses(command, tool) and not shimmed(tool):
                return (f"{entry.name} is sealed in shellgate's vault for {tool}, and a hook "
                        f"cannot hand it to {tool}. Run it as `shellgate run -- {tool} …` "
                        "(one key touch gives the secret to that command only), or ask the "
                        f"human to install the {tool} shim (`shellgate install --tools "
                        f"{tool}`); not run")
    return None


INSTALL_MANIFEST = "install.json"
"""``shellgate install``'s record in the config dir (``install.shims.MANIFEST``; read here
directly because the installer itself reports on the vault)."""


def installed_shim(config_dir: Path, hardened_shims: str = "") -> Callable[[str], bool]:
    """Whether ``shellgate install`` wrote a shim for a tool (and it is still there). In
    hardened mode (``hardened_shims``: the root-owned shims directory every login shell
    of the guarded user puts first) a shim there counts."""
    try:
        if hardened_shims:
            shims_dir = hardened_shims
            tools = set(os.listdir(shims_dir))
        else:
            manifest = json.loads((config_dir / INSTALL_MANIFEST).read_text(encoding="utf-8"))
            shims_dir = str(manifest["shims_dir"])
            tools = {str(t) for t in manifest.get("tools", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        shims_dir, tools = "", set()

    def shimmed(tool: str) -> bool:
        return bool(shims_dir) and tool in tools and os.path.isfile(os.path.join(shims_dir,
                                                                                 tool))

    return shimmed
