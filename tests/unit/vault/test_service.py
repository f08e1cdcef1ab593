"""The vault end to end with software keys: python-fido2's real hmac-secret code, the real
approval flow (verify, counter, audit), the vault file on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.engine import evaluate_argv
from shellgate.errors import ShellgateError
from shellgate.fsutil import read_payload_file
from shellgate.guard import vault_service
from shellgate.install.keys import enroll
from shellgate.values import Decision
from shellgate.vault.service import VaultService, slot_answer_from_key
from shellgate.vault.store import VaultError

VALUE = "rw_live_5f1c0ffee0ddba11deadbeef42"
"""A planted value: it must appear nowhere but in the returned mapping."""


def set_touch(key: Path, touch: bool) -> None:
    data = json.loads(key.read_text())
    data["touch"] = touch
    key.write_text(json.dumps(data))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "cfg").mkdir()
    # what `enroll --soft` writes; set first, as these tests hold one Config throughout
    (tmp_path / "cfg" / "config.toml").write_text("allow_software_keys = true\n")
    return Config.at(tmp_path / "cfg")


@pytest.fixture
def key(tmp_path: Path, config: Config) -> Path:
    path = tmp_path / "soft.json"
    enroll(config, "soft one", str(path), 5, ["enroll"])
    return path


def decision_for(argv: list[str], config: Config) -> Decision:
    return evaluate_argv(argv, config.rules(), read_payload_file)


def program(config: Config, tool: str) -> str:
    """A stub for ``tool`` in a directory only its owner may write."""
    path = config.directory.parent / "bin" / tool
    path.parent.mkdir(mode=0o755, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def run_secrets(service: VaultService, argv: list[str], config: Config,
                requested: tuple[str, ...] = ()) -> dict[str, str]:
    decision = decision_for(argv, config)
    values, _ = service.secrets_for_run(argv, " ".join(argv), decision,
                                        lambda: decision_for(argv, config), requested,
                                        program(config, argv[0]))
    return values


def everything_on_disk(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_add_seals_the_value_and_an_allowed_command_gets_it(config: Config, key: Path,
                                                            tmp_path: Path) -> None:
    service = vault_service(config, timeout=5)
    entry = service.add("RAILWAY_TOKEN", ["railway"], [], VALUE.encode(), ["secrets", "add"])
    assert entry.tools == ("railway",)
    assert VALUE.encode() not in everything_on_disk(tmp_path)
    assert run_secrets(service, ["railway", "status"], config) == {"RAILWAY_TOKEN": VALUE}
    assert VALUE.encode() not in everything_on_disk(tmp_path)
    audit = (config.audit_path).read_text()
    assert '"RAILWAY_TOKEN"' in audit and VALUE not in audit


def test_a_command_the_policy_does_not_name_gets_nothing(config: Config, key: Path) -> None:
    service = vault_service(config, timeout=5)
    service.add("RAILWAY_TOKEN", ["railway"], [], VALUE.encode(), ["secrets", "add"])
    assert run_secrets(service, ["env"], config) == {}
    with pytest.raises(VaultError, match="may only go to railway"):
        run_secrets(service, ["env"], config, requested=("RAILWAY_TOKEN",))


def test_http_client_only_to_its_hosts(config: Config, key: Path) -> None:
    service = vault_service(config, timeout=5)
    with pytest.raises(VaultError, match="--host"):
        service.add("RAILWAY_TOKEN", ["railway", "curl"], [], VALUE.encode(), ["add"])
    service.add("RAILWAY_TOKEN", ["railway", "curl"], ["backboard.railway.app"],
                VALUE.encode(), ["add"])
    good = ["curl", "-s", "https://backboard.railway.app/graphql/v2"]
    assert run_secrets(service, good, config) == {"RAILWAY_TOKEN": VALUE}
    assert run_secrets(service, ["curl", "https://evil.example/x"], config) == {}
    assert run_secrets(service, ["curl", good[2], "https://evil.example/x"], config) == {}
    with pytest.raises(VaultError, match=r"not to evil\.example"):
        run_secrets(service, ["curl", "https://evil.example/"], config, ("RAILWAY_TOKEN",))


def test_untouched_key_refuses_and_leaks_nothing(config: Config, key: Path,
                                                 tmp_path: Path,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    service = vault_service(config, timeout=5)
    service.add("RAILWAY_TOKEN", ["railway"], [], VALUE.encode(), ["add"])
    set_touch(key, False)
    with pytest.raises(ShellgateError) as caught:
        vault_service(config, timeout=1).secrets_for_run(
            ["railway", "status"], "railway status", decision_for(["railway", "status"], config),
            lambda: decision_for(["railway", "status"], config),
            program=program(config, "railway"))
    assert "timed out" in caught.value.message
    out, err = capfd.readouterr()
    assert VALUE not in out + err + repr(caught.value) + caught.value.message
    assert VALUE.encode() not in everything_on_disk(tmp_path)


def test_tampered_policy_or_file_is_refused(config: Config, key: Path) -> None:
    service = vault_service(config, timeout=5)
    service.add("RAILWAY_TOKEN", ["railway"], [], VALUE.encode(), ["add"])
    path = config.directory / "vault.json"
    data = json.loads(path.read_text())
    data["entries"][0]["tools"] = ["railway", "env"]
    path.write_text(json.dumps(data))
    with pytest.raises(VaultError, match="changed outside shellgate") as caught:
        run_secrets(service, ["env"], config)
    assert VALUE not in caught.value.message


def test_rotate_gives_a_second_key_a_slot_and_revoking_the_first(config: Config, key: Path,
                                                                 tmp_path: Path) -> None:
    from shellgate.install.keys import remove

    service = vault_service(config, timeout=5)
    service.add("RAILWAY_TOKEN", ["railway"], [], VALUE.encode(), ["add"])
    service.add("AWS_SECRET_ACCESS_KEY", ["aws"], [], b"aws-value-1234567890", ["add"])
    enroll(config, "soft two", str(tmp_path / "two.json"), 5, ["enroll"])
    report = service.rotate(["rotate"], slot_answer_from_key(config, 5, print))
    assert (report.generation, report.slots, len(report.added)) == (2, 2, 1)
    # the first key is lost: remove it, rotate with the second (its slot is dropped)
    remove(config, "soft one", 5, ["keys", "remove"])
    set_touch(key, False)
    report = service.rotate(["rotate"], slot_answer_from_key(config, 5, print))
    assert (report.generation, report.slots, len(report.dropped)) == (3, 1, 1)
    assert run_secrets(service, ["aws", "s3", "ls"], config) == {
        "AWS_SECRET_ACCESS_KEY": "aws-value-1234567890"}
    service.remove("AWS_SECRET_ACCESS_KEY", ["remove"])
    assert [e.name for e in service.entries()] == ["RAILWAY_TOKEN"]
    assert run_secrets(service, ["railway", "up"], config) == {"RAILWAY_TOKEN": VALUE}


def test_no_hmac_key_cannot_create_a_vault(config: Config, tmp_path: Path) -> None:
    from shellgate.approve.softkey.authenticator import create_soft_key

    path = tmp_path / "plain.json"
    create_soft_key(path, hmac_secret=False)
    credential = enroll(config, "plain", str(path), 5, ["enroll"])
    assert not credential.hmac_secret
    with pytest.raises(VaultError, match="no enrolled key can hold a vault slot"):
        vault_service(config, timeout=5).add("X", ["railway"], [], b"v", ["add"])


def test_the_program_must_be_the_tool_and_safe_from_other_users(config: Config, key: Path,
                                                                tmp_path: Path) -> None:
    service = vault_service(config, timeout=5)
    service.add("RAILWAY_TOKEN", ["railway"], [], VALUE.encode(), ["add"])
    argv = ["railway", "status"]
    decision = decision_for(argv, config)
    impostor = program(config, "printenv")
    with pytest.raises(VaultError, match="is not the program railway"):
        service.secrets_for_run(argv, "railway status", decision, lambda: decision,
                                program=impostor)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: anyone may put a "railway" here
    (shared / "railway").write_text("#!/bin/sh\n")
    (shared / "railway").chmod(0o755)
    with pytest.raises(VaultError, match="writable by any user"):
        service.secrets_for_run(argv, "railway status", decision, lambda: decision,
                                program=str(shared / "railway"))
    audit = config.audit_path.read_text()
    good = program(config, "railway")
    values, _ = service.secrets_for_run(argv, "railway status", decision, lambda: decision,
                                        program=good)
    assert values == {"RAILWAY_TOKEN": VALUE}
    added = config.audit_path.read_text()[len(audit):]
    assert good in added and '"@program"' in added  # the program is bound into H


def test_no_value_in_reprs_or_tracebacks(config: Config, key: Path) -> None:
    import traceback

    from shellgate.approve.fido import KeySecret
    from shellgate.approve.request import Unlock
    from shellgate.vault import unlocked

    service = vault_service(config, timeout=5)
    service.add("RAILWAY_TOKEN", ["railway"], [], VALUE.encode(), ["add"])
    vault = service.file()
    assert vault is not None
    secret = KeySecret("cred", b"\x01" * 32)
    unlock = Unlock((("RAILWAY_TOKEN", "d"),), {"cred": b"\x02" * 32}, secret)
    opened = unlocked.Unlocked(vault, b"\x03" * 32)  # the wrong data key
    with pytest.raises(VaultError) as caught:
        opened.reveal(["RAILWAY_TOKEN"])
    text = "".join(traceback.format_exception(caught.value)) + repr(opened) + repr(unlock)
    assert VALUE not in text and "\\x01" not in repr(secret) and "does not decrypt" in text
