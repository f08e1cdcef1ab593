"""Hardened mode is switched on only by root-owned state, and anything it trusts with the
wrong owner or mode refuses instead of falling back."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from shellgate.errors import ConfigError
from shellgate.hardened import POINTER_NAME, state
from shellgate.hardened.layout import Layout
from shellgate.install.hardened_units import marker

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="ownership by root needs root "
                               "(CI runs as root)")
ME = os.getuid()


def test_check_owner_accepts_own_file_writable_by_no_one_else(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text("{}")
    path.chmod(0o644)
    assert state.check_owner(str(path), ME, kind="file").st_uid == ME


@pytest.mark.parametrize("mode", [0o664, 0o646, 0o666])
def test_group_or_other_writable_is_refused(tmp_path, mode):
    path = tmp_path / "keys.json"
    path.write_text("{}")
    path.chmod(mode)
    with pytest.raises(ConfigError, match="wrong owner or mode"):
        state.check_owner(str(path), ME, "the key store")


def test_wrong_owner_is_refused(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("")
    with pytest.raises(ConfigError, match=f"owned by uid {ME + 1}"):
        state.check_owner(str(path), ME + 1, "the policy")


def test_symlink_is_refused(tmp_path):
    (tmp_path / "real").write_text("{}")
    (tmp_path / "keys.json").symlink_to(tmp_path / "real")
    with pytest.raises(ConfigError, match="symlink"):
        state.check_owner(str(tmp_path / "keys.json"), ME)


def test_missing_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="missing"):
        state.check_owner(str(tmp_path / "nope"), ME)


def test_no_marker_means_personal_mode(tmp_path):
    if os.path.lexists("/etc/shellgate/hardened.toml"):
        pytest.skip("this machine has hardened mode installed")
    assert state.marker_path(str(tmp_path)) is None
    assert state.detect(str(tmp_path)) is None


def test_pointer_not_owned_by_root_refuses(tmp_path):
    if os.geteuid() == 0:
        os.chown(tmp_path, 1, 1)
    (tmp_path / POINTER_NAME).write_text(str(tmp_path / "etc"))
    if os.geteuid() == 0:
        os.chown(tmp_path / POINTER_NAME, 1, 1)
    if os.path.lexists("/etc/shellgate/hardened.toml"):
        pytest.skip("this machine has hardened mode installed")
    with pytest.raises(ConfigError, match="hardened mode: refusing"):
        state.marker_path(str(tmp_path))


def _root_install(base: Path) -> Layout:
    """A minimal root-owned policy directory and marker under ``base``."""
    base.chmod(0o755)
    layout = Layout.under(base, broker_user="root")
    layout.etc.mkdir(parents=True)
    for directory in (base / "etc", layout.etc):
        directory.chmod(0o755)
    (layout.etc / "keys.json").write_text('{"version": 1, "credentials": []}')
    (layout.etc / "config.toml").write_text("approval_timeout = 5\n")
    user = pwd.getpwuid(0).pw_name
    layout.marker.write_text(marker(layout, user, 0))
    venv = base / "venv"
    venv.mkdir()
    (venv / POINTER_NAME).write_text(str(layout.etc))
    for path in (layout.marker, layout.etc / "keys.json", layout.etc / "config.toml",
                 venv / POINTER_NAME):
        path.chmod(0o644)
    return layout


@root_only
def test_root_owned_install_is_detected(tmp_path):
    layout = _root_install(tmp_path)
    found = state.detect(str(tmp_path / "venv"))
    assert found is not None
    assert found.layout == layout
    assert found.uid == 0


@root_only
@pytest.mark.parametrize(("name", "what"), [("keys.json", "key store"),
                                            ("config.toml", "policy"),
                                            ("hardened.toml", "marker")])
@pytest.mark.parametrize("damage", ["chown", "chmod"])
def test_policy_with_wrong_owner_or_mode_refuses(tmp_path, name, what, damage):
    layout = _root_install(tmp_path)
    target = layout.etc / name
    if damage == "chown":
        os.chown(target, 1, 1)
    else:
        target.chmod(0o666)
    with pytest.raises(ConfigError, match=what):
        state.detect(str(tmp_path / "venv"))


@root_only
def test_pattern_file_not_roots_refuses(tmp_path):
    layout = _root_install(tmp_path)
    patterns = layout.etc / "patterns"
    patterns.mkdir(mode=0o755)
    (patterns / "git.toml").write_text("")
    os.chown(patterns / "git.toml", 1, 1)
    with pytest.raises(ConfigError, match="pattern file"):
        state.detect(str(tmp_path / "venv"))


@root_only
def test_writable_parent_directory_refuses(tmp_path):
    _root_install(tmp_path)
    (tmp_path / "etc").chmod(0o777)
    with pytest.raises(ConfigError, match="directory above it"):
        state.detect(str(tmp_path / "venv"))


def test_layout_under_moves_every_path(tmp_path):
    layout = Layout.under(tmp_path, "sgb", "sgr")
    assert (layout.broker_user, layout.runner_user) == ("sgb", "sgr")
    for name, value in layout.as_dict().items():
        if name not in ("broker_user", "runner_user"):
            assert value.startswith(str(tmp_path) + "/"), name
    assert Layout.from_dict(dict(layout.as_dict())) == layout
    with pytest.raises(ValueError, match="absolute"):
        Layout.from_dict({"etc": "relative/etc"})
