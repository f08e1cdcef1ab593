"""``secrets scan``: the provider catalogue's examples, and planted tokens in a temporary
home and workspace found with file:line and never printed whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shellgate.vault import scan

RAILWAY = "4f1c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6"
AWS_ID = "AKIAQWERTYUIOPASDFGH"
AWS_SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
GITHUB = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"


def formats() -> list[dict[str, Any]]:
    return list(scan.catalog().raw["format"])


@pytest.mark.parametrize("item", formats(), ids=lambda item: item["id"])
def test_format_examples(item: dict[str, Any]) -> None:
    pattern = next(p for rule, _, p in scan.catalog().formats if rule == item["id"])
    for text in item["match"]:
        assert pattern.search(text), text
        assert item["provider"] in {f.provider for f in scan.scan_line(text, "x", 1)}, text
    for text in item["pass"]:
        assert not pattern.search(text), text


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    home, work = tmp_path / "home", tmp_path / "work"
    (home / ".railway").mkdir(parents=True)
    (home / ".railway" / "config.json").write_text(json.dumps(
        {"projects": {}, "user": {"token": RAILWAY}}, indent=2))
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SK}\n")
    (home / ".bash_history").write_text(
        f"ls\ncd app && export GITHUB_TOKEN={GITHUB}\ngit status\n")
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(
        f"github.com:\n    user: dev\n    oauth_token: {GITHUB}\n")
    work.mkdir()
    (work / ".env").write_text(f"# deploy\nRAILWAY_TOKEN={RAILWAY}\nDEBUG=1\n"
                               "DATABASE_URL=postgres://app:s3cr3t-passw0rd@db:5432/app\n"
                               "OTHER_TOKEN=${FROM_ELSEWHERE}\n")
    (work / "node_modules").mkdir()
    (work / "node_modules" / ".env").write_text(f"RAILWAY_TOKEN={RAILWAY}\n")
    return home, work


def test_planted_tokens_found_with_file_and_line(planted: tuple[Path, Path]) -> None:
    home, work = planted
    found = scan.scan([work], home, {"PATH": "/bin", "GH_TOKEN": GITHUB})
    where = {(f.where(), f.provider) for f in found}
    assert (f"{home}/.railway/config.json:4", "Railway CLI") in where
    assert (f"{home}/.aws/credentials:2", "AWS") in where
    assert (f"{home}/.aws/credentials:3", "AWS CLI") in where
    assert (f"{home}/.bash_history:2", "GitHub") in where
    assert (f"{home}/.config/gh/hosts.yml:3", "GitHub CLI") in where
    assert (f"{work}/.env:2", "Railway") in where
    assert (f"{work}/.env:4", "database URL") in where
    assert ("environment:GH_TOKEN", "GitHub") in where
    assert not any("node_modules" in f.path for f in found)
    assert not any(f.where() == f"{work}/.env:5" for f in found)  # a reference, not a value
    for finding in found:
        text = finding.text() + repr(finding) + json.dumps(finding.to_json())
        for value in (RAILWAY, AWS_ID, AWS_SK, GITHUB, "s3cr3t-passw0rd"):
            assert value not in text


def test_whole_file_credentials(tmp_path: Path) -> None:
    (tmp_path / ".supabase").mkdir()
    (tmp_path / ".supabase" / "access-token").write_text(
        "sbp_0123456789abcdef0123456789abcdef01234567")
    found = scan.home_findings(tmp_path)
    assert [(f.provider, f.line) for f in found] == [("Supabase CLI", 1)]
    assert "0123456789abcdef" not in found[0].text()


def test_mask_never_shows_more_than_four_characters() -> None:
    assert scan.mask(GITHUB) == f"ghp_…({len(GITHUB)} chars)"
    assert scan.mask("short-value") == "…(11 chars)"


def test_generic_names_need_a_secret_shaped_value() -> None:
    found = scan.scan_text('MY_SERVICE_TOKEN=Ab3dE5gH7jK9mN1pQ3sT\n'
                           '{"output_token": "NextToken", "input_token": "NextTokenValue1"}\n'
                           'MAX_TOKEN=4096\nPUBLIC_KEY_PATH=/etc/ssl/certs/ca-certificates.crt\n',
                           "f")
    assert [(f.line, f.provider) for f in found] == [(1, "generic credential")]
