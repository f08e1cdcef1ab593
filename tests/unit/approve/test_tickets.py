"""Tickets are single-use and unforgeable: replayed, forged, expired tickets and a key
counter that went backwards are refused. Approvals come from the software key through
python-fido2's real Ctap2."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shellgate.approve import fido, tickets
from shellgate.approve.keystore import Credential, KeyStore, b64
from shellgate.approve.request import ApprovalRequest, new_nonce
from shellgate.approve.softkey.authenticator import create_soft_key
from shellgate.config import Config

SCRIPT = "rm -rf build; git push --force origin dev"
RM = ["rm", "-rf", "build"]
PUSH = ["git", "push", "--force", "origin", "dev"]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = tmp_path / "config"
    root.mkdir()
    (root / "config.toml").write_text("allow_software_keys = true\n", encoding="utf-8")
    key = tmp_path / "key.json"
    create_soft_key(key)
    credential = fido.make_credential(fido.soft_device(str(key)), "dev", "soft", [], 10,
                                      lambda: None, soft_file=str(key))
    KeyStore(root / "keys.json").add(credential)
    return Config.at(root)


def approve(config: Config, command: str = SCRIPT) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the guard does: a touch over H, the counter stored, the approval recorded."""
    store = KeyStore(config.keys_path)
    request = ApprovalRequest(command=command, argv=("bash", "-c", command), cwd="/w",
                              user="dev", host="box", rules=("fs.rm-recursive",), files=(),
                              nonce=new_nonce(), time=int(time.time()))
    credentials = store.load()
    assertion = fido.get_assertion(credentials, request.digest(), 10, lambda: None,
                                   allow_soft=True)
    counter = int.from_bytes(assertion.auth_data[33:37], "big")
    store.update_count(assertion.credential_id, counter)
    return request.to_json(), {"credential_id": assertion.credential_id,
                               "auth_data": b64(assertion.auth_data),
                               "signature": b64(assertion.signature), "counter": counter,
                               "key": "software"}


def test_each_approved_command_runs_once_per_appearance(config: Config) -> None:
    tickets.issue(config, *approve(config))
    assert tickets.redeem(config, RM)
    assert tickets.redeem(config, ["/usr/bin/git", *PUSH[1:]])
    assert not tickets.redeem(config, RM)  # used up
    assert not tickets.redeem(config, ["rm", "-rf", "/"])  # never approved


def test_a_command_that_appears_twice_runs_twice(config: Config) -> None:
    tickets.issue(config, *approve(config, "rm -rf build && make && rm -rf build"))
    assert [tickets.redeem(config, RM) for _ in range(3)] == [True, True, False]


def test_a_copy_put_back_after_release_is_a_replay(config: Config, tmp_path: Path) -> None:
    path = tickets.issue(config, *approve(config))
    copy = tmp_path / "copy.json"
    shutil.copy(path, copy)
    tickets.release(path)
    assert not tickets.redeem(config, RM)
    shutil.copy(copy, path)  # the agent restores the ticket it kept
    assert not tickets.redeem(config, RM)


def test_an_older_copy_of_a_used_ticket_gives_no_use_back(config: Config,
                                                          tmp_path: Path) -> None:
    path = tickets.issue(config, *approve(config))
    before = path.read_bytes()
    assert tickets.redeem(config, RM)
    path.write_bytes(before)  # the ticket file as it was before the use
    (path.parent / "other.json").write_bytes(before)  # and a copy under another name
    assert not tickets.redeem(config, RM)


@pytest.mark.parametrize("edit", [
    {"expires": 2**40}, {"lifetime": 10**9}, {"issued": 0},
    {"counter": 0}, {"nonce": "0" * 32},
])
def test_an_edited_ticket_is_refused(config: Config, edit: dict[str, Any]) -> None:
    path = tickets.issue(config, *approve(config))
    ticket = json.loads(path.read_text(encoding="utf-8"))
    ticket.update(edit)
    path.write_text(json.dumps(ticket), encoding="utf-8")
    assert not tickets.redeem(config, RM)


def test_a_ticket_made_without_the_tickets_key_is_refused(config: Config) -> None:
    """A ticket built from a real approval (the audit holds every one) but MACed under a
    key of the forger's own."""
    request, approval = approve(config)
    path = tickets.issue(config, request, approval)
    key_file = path.parent / tickets.MAC_KEY
    real_key = key_file.read_bytes()
    ticket = json.loads(path.read_text(encoding="utf-8"))
    ticket["mac"] = tickets._mac(b"\x01" * 32, ticket)
    path.write_text(json.dumps(ticket), encoding="utf-8")
    assert not tickets.redeem(config, RM)
    ticket["mac"] = tickets._mac(real_key, ticket)
    path.write_text(json.dumps(ticket), encoding="utf-8")
    assert tickets.redeem(config, RM)  # so the key must stay unreadable (hardened mode)


def test_a_ticket_for_another_command_with_a_real_signature_is_refused(config: Config) -> None:
    request, approval = approve(config, "ls")
    request["command"] = SCRIPT  # the signature covered "ls"
    path = tickets.issue(config, request, approval)
    assert path.exists()
    assert not tickets.redeem(config, RM)


def test_an_expired_ticket_is_refused_and_tidied(config: Config) -> None:
    path = tickets.issue(config, *approve(config), tickets.HOOK_TICKET_SECONDS)
    later = time.time() + tickets.HOOK_TICKET_SECONDS + 1
    assert not tickets.redeem(config, RM, now=later)
    assert not path.exists()


def test_a_hook_ticket_lives_only_as_long_as_a_hook_needs(config: Config) -> None:
    tickets.issue(config, *approve(config, "rm -rf build; rm -rf build"),
                  tickets.HOOK_TICKET_SECONDS)
    assert tickets.redeem(config, RM)
    assert not tickets.redeem(config, RM, now=time.time() + 2 * tickets.HOOK_TICKET_SECONDS)


def test_a_stale_approval_makes_no_ticket_that_works(config: Config) -> None:
    """A ticket issued now for an approval signed long ago (from the audit, say)."""
    request, approval = approve(config)
    late = time.time() + tickets.TICKET_SECONDS + tickets.APPROVAL_WAIT_SECONDS + 5
    original = time.time
    try:
        time.time = lambda: late  # type: ignore[assignment]
        tickets.issue(config, request, approval)
    finally:
        time.time = original  # type: ignore[assignment]
    assert not tickets.redeem(config, RM, now=late + 1)


def test_a_key_counter_that_went_backwards_is_refused(config: Config) -> None:
    tickets.issue(config, *approve(config))
    store = KeyStore(config.keys_path)
    credential = store.load()[0]
    store.save([replace(credential, sign_count=credential.sign_count - 1)])  # rolled back
    assert not tickets.redeem(config, RM)


def test_a_counter_the_gate_never_counted_is_refused(config: Config) -> None:
    """An assertion the key signed outside the gate: its counter is above the store's."""
    request, approval = approve(config)
    store = KeyStore(config.keys_path)
    credential: Credential = store.load()[0]
    store.save([replace(credential, sign_count=approval["counter"] - 1)])
    tickets.issue(config, request, approval)
    assert not tickets.redeem(config, RM)


def test_software_key_tickets_die_when_software_keys_are_no_longer_accepted(
        config: Config) -> None:
    tickets.issue(config, *approve(config))
    config.settings_path.write_text("hardened = true\nallow_software_keys = true\n",
                                    encoding="utf-8")
    assert not tickets.redeem(Config.at(config.root), RM)
