"""``secrets import``: find one scanned credential again and replace it in its file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from shellgate.vault.scan import PLACEHOLDER, Finding, environment_findings, scan
from shellgate.vault.store import VaultError


def find(where: str, key: str | None, home: Path, environ: Mapping[str, str]) -> Finding:
    """The finding at ``FILE:LINE`` (or ``environment:NAME``); exactly one, with a value."""
    if where.startswith("environment:"):
        name = where.split(":", 1)[1]
        candidates = [f for f in environment_findings(environ) if f.key == name]
    else:
        file_part, _, line_part = where.rpartition(":")
        if not file_part or not line_part.isdigit():
            raise VaultError(f"{where!r}: give FILE:LINE as `secrets scan` prints it")
        path = Path(file_part).resolve()
        found = scan([path], home, None)
        candidates = [f for f in found
                      if Path(f.path).resolve() == path and f.line == int(line_part)]
    if key is not None:
        candidates = [f for f in candidates if key in (f.key, f.rule)]
    if not candidates:
        raise VaultError(f"no credential found at {where}; run `shellgate secrets scan` again")
    if len(candidates) > 1:
        keys = ", ".join(f.key for f in candidates)
        raise VaultError(f"{len(candidates)} credentials at {where} ({keys}): choose one "
                         "with --key")
    finding = candidates[0]
    if not finding.value:
        raise VaultError(f"{finding.where()} is not a single-line value shellgate can move; "
                         "move it by hand")
    return finding


def replace_in_file(finding: Finding, name: str) -> None:
    """Replace the value on its line with ``shellgate-vault:NAME`` (atomic, same mode)."""
    from shellgate.fsutil import write_atomic

    path = Path(finding.path)
    data = path.read_bytes().decode("utf-8")
    lines = data.splitlines(keepends=True)
    index = finding.line - 1
    if not 0 <= index < len(lines) or finding.value not in lines[index]:
        raise VaultError(f"{finding.where()} changed since the scan; it was sealed in the "
                         "vault but the file was not edited: remove the value by hand")
    lines[index] = lines[index].replace(finding.value, PLACEHOLDER + name, 1)
    write_atomic(path, "".join(lines), os.stat(path).st_mode & 0o777)
