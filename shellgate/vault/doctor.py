"""What ``shellgate doctor`` says about credentials: plaintext ones the scan finds (in
this user's home, the current directory and the environment) and vault secrets whose
policy reaches more than one tool."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from shellgate.config import Config
from shellgate.errors import ShellgateError

SHOWN = 5
"""Findings listed by name; the rest are counted (``secrets scan`` lists them all)."""


def vault_report(config: Config) -> list[str]:
    """Doctor lines (``WARNING``/``PROBLEM`` count as problems)."""
    from shellgate.vault import policy
    from shellgate.vault.scan import scan
    from shellgate.vault.service import vault_path
    from shellgate.vault.store import load

    lines: list[str] = []
    try:
        vault = load(vault_path(config))
    except ShellgateError as exc:
        return [f"PROBLEM vault: {exc.message}"]
    if vault is None:
        lines.append("vault: none (seal credentials with `shellgate secrets add`)")
    else:
        lines.append(f"vault: {len(vault.entries)} secret(s), {len(vault.slots)} key slot(s)")
        for entry in vault.entries:
            wide = policy.broad(entry)
            if wide:
                lines.append(f"WARNING secret {entry.name} {'; '.join(wide)}: give each tool "
                             "its own, narrower token where the provider allows it")
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    found = scan([Path.cwd()], home, os.environ)
    if found:
        lines.append(f"WARNING {len(found)} plaintext credential(s) an agent could read "
                     "(`shellgate secrets scan` lists them; `secrets import` moves one into "
                     "the vault):")
        lines.extend(f"  {f.where()}  {f.provider}" for f in found[:SHOWN])
        if len(found) > SHOWN:
            lines.append(f"  … and {len(found) - SHOWN} more")
    else:
        lines.append("plaintext credentials: none found in the environment, the current "
                     "directory, shell history or CLI credential files")
    return lines
