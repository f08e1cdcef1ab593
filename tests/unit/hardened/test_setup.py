"""Pieces of the hardened install that need no root: the key store it accepts, the files
it writes, the store's mode kept across a change."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict
from pathlib import Path

import pytest
import tomllib

from shellgate.approve.keystore import Credential, KeyStore
from shellgate.hardened.layout import Layout
from shellgate.install.hardened import SetupError, _keys_text
from shellgate.install.hardened_units import marker, profile_snippet, service_unit, udev_rule
from shellgate.install.managed_agents import managed_entry, user_can_remove


def _store(path: Path, kind: str) -> Path:
    credential = Credential("Y3JlZA", "cGs", "shellgate:local", "k", kind,
                            soft_file="/x/key.json" if kind == "soft" else "")
    path.write_text(json.dumps({"version": 1, "credentials": [asdict(credential)]}))
    return path


def test_install_refuses_software_keys(tmp_path):
    with pytest.raises(SetupError, match="software keys"):
        _keys_text(_store(tmp_path / "keys.json", "soft"))
    text = _keys_text(_store(tmp_path / "hw.json", "hardware"))
    assert json.loads(text)["credentials"][0]["kind"] == "hardware"
    assert json.loads(_keys_text(None)) == {"version": 1, "credentials": []}


@pytest.mark.parametrize(("mode", "kept"), [(0o644, 0o644), (0o600, 0o600), (0o666, 0o644)])
def test_key_store_keeps_its_mode_never_wider(tmp_path, mode, kept):
    path = _store(tmp_path / "keys.json", "hardware")
    path.chmod(mode)
    store = KeyStore(path)
    store.save(store.load())
    assert stat.S_IMODE(os.stat(path).st_mode) == kept


def test_marker_round_trips_the_layout(tmp_path):
    layout = Layout.under(tmp_path, "sgb")
    data = tomllib.loads(marker(layout, "dev", 1234))
    assert data["user"] == "dev" and data["uid"] == 1234 and data["version"] == 1
    assert Layout.from_dict(data["layout"]) == layout


def test_units_name_the_layout(tmp_path):
    layout = Layout.under(tmp_path, "sgb")
    unit = service_unit(layout)
    # started by root, which forks the runner and drops to the broker's user in code
    assert "User=" not in unit and "NoNewPrivileges=yes" in unit
    assert f"ReadWritePaths={layout.state} {layout.runner_home}" in unit
    assert 'GROUP="sgb"' in udev_rule(layout)
    assert str(layout.shims) in profile_snippet(layout, "dev")


def test_managed_entries_merge_into_existing_settings(tmp_path):
    layout = Layout.under(tmp_path)
    layout.claude_managed.parent.mkdir(parents=True)
    layout.claude_managed.write_text('{"permissions": {"deny": ["Bash(curl:*)"]}}')
    path, text = managed_entry(layout, "claude-code", "/opt/x/python -I -c 'shellgate.hooks'")
    data = json.loads(text)
    assert path == layout.claude_managed
    assert data["permissions"] == {"deny": ["Bash(curl:*)"]}
    assert "shellgate.hooks" in json.dumps(data["hooks"]["PreToolUse"])
    _, gemini = managed_entry(layout, "gemini", "python -c 'shellgate.hooks'")
    assert json.loads(gemini)["hooksConfig"]["enabled"] is True
    _, codex = managed_entry(layout, "codex", "python -c 'shellgate.hooks'")
    parsed = tomllib.loads(codex)
    assert parsed["features"]["hooks"] is True
    assert parsed["hooks"]["PreToolUse"][0]["matcher"] == "Bash"


def test_codex_requirements_with_hooks_of_their_own_are_left_alone(tmp_path):
    layout = Layout.under(tmp_path)
    layout.codex_managed.parent.mkdir(parents=True)
    layout.codex_managed.write_text("[features]\nhooks = false\n")
    with pytest.raises(Exception, match="by hand"):
        managed_entry(layout, "codex", "python -c 'shellgate.hooks'")


def test_user_level_gemini_disable_list_is_reported(tmp_path):
    assert user_can_remove("gemini", tmp_path) is None
    (tmp_path / ".gemini").mkdir()
    (tmp_path / ".gemini" / "settings.json").write_text(
        json.dumps({"hooksConfig": {"disabled": ["shellgate"]}}))
    assert "hooksConfig.disabled" in (user_can_remove("gemini", tmp_path) or "")
