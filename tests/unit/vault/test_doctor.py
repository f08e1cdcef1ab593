"""``doctor``'s credential lines: plaintext found by the scan, policies wider than one tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.vault import store
from shellgate.vault.doctor import vault_report
from shellgate.vault.store import Entry, VaultFile

PLANTED = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"


def test_plaintext_and_broad_policies_are_warnings(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config.at(tmp_path / "cfg")
    config.directory.mkdir(parents=True, exist_ok=True)
    store.save(config.directory / "vault.json", VaultFile(1, (), (
        Entry("RAILWAY_TOKEN", ("railway", "curl"), ("*.railway.app",)),
        Entry("AWS_SECRET_ACCESS_KEY", ("aws",)))))
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_text(f"GITHUB_TOKEN={PLANTED}\n")
    monkeypatch.chdir(work)
    lines = vault_report(config)
    text = "\n".join(lines)
    assert "vault: 2 secret(s)" in text
    assert any(line.startswith("WARNING secret RAILWAY_TOKEN goes to 2 tools") for line in lines)
    assert not any("AWS_SECRET_ACCESS_KEY" in line for line in lines if "WARNING" in line)
    assert any(line.startswith("WARNING") and "plaintext credential" in line for line in lines)
    assert f"{work}/.env:1  GitHub" in text and PLANTED not in text


def test_a_damaged_vault_is_a_problem(tmp_path: Path) -> None:
    config = Config.at(tmp_path / "cfg")
    config.directory.mkdir(parents=True, exist_ok=True)
    (config.directory / "vault.json").write_text("{")
    assert vault_report(config)[0].startswith("PROBLEM vault:")
