"""Which commands a hook must refuse because only a shim could deliver their secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from shellgate.vault import store, surfaces
from shellgate.vault.store import Entry, VaultFile


@pytest.mark.parametrize(("command", "uses"), [
    ("railway status", True), ("cd app && railway up", True), ("/usr/bin/railway logs", True),
    ("echo railway", True),  # generous: a false match only refuses with instructions
    ("railwayctl status", False), ("my-railway status", False), ("git status", False),
])
def test_uses(command: str, uses: bool) -> None:
    assert surfaces._uses(command, "railway") is uses


def test_refusal_names_the_secret_and_what_to_run(tmp_path: Path) -> None:
    store.save(tmp_path / "vault.json",
               VaultFile(1, (), (Entry("RAILWAY_TOKEN", ("railway",)),), "x"))
    refusal = surfaces.hook_refusal("railway up", tmp_path, lambda tool: False)
    assert refusal is not None and "shellgate run -- railway" in refusal
    assert surfaces.hook_refusal("railway up", tmp_path, lambda tool: True) is None
    assert surfaces.hook_refusal("git push", tmp_path, lambda tool: False) is None
    (tmp_path / "vault.json").write_text("{broken")
    broken = surfaces.hook_refusal("git push", tmp_path, lambda tool: True)
    assert broken is not None and "damaged" in broken
