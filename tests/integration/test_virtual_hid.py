"""The real device path: python-fido2's Linux HID transport (hidraw discovery by ioctl,
CTAPHID framing, KEEPALIVE, CANCEL) against virtual keys served by FUSE as
``/dev/hidrawN`` in a private mount namespace, and shellgate's own enrol/approve flow
through them as real subprocesses. Root only (a mount namespace and a FUSE mount)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from shellgate.approve.softkey.authenticator import create_soft_key
from tests.virtual_hid.run import CANNOT, why_not

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REASON = why_not()
pytestmark = pytest.mark.skipif(bool(REASON), reason=REASON or "")


def plugged(keys: list[Path], command: list[str], *, hang_after: list[int] | None = None,
            delay: list[float] | None = None, log: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with ``keys`` plugged in as /dev/hidraw0, /dev/hidraw1…"""
    args = [sys.executable, "-m", "tests.virtual_hid.run"]
    for key in keys:
        args += ["--key", str(key)]
    for hang in hang_after or []:
        args += ["--hang-after", str(hang)]
    for seconds in delay or []:
        args += ["--delay", str(seconds)]
    if log is not None:
        args += ["--log", str(log)]
    result = subprocess.run([*args, "--", *command], cwd=ROOT, capture_output=True, text=True,
                            timeout=180, check=False, env=env)
    if result.returncode == CANNOT:
        pytest.skip(result.stderr.strip())
    return result


def soft_key(path: Path, *, touch: bool = True) -> Path:
    create_soft_key(path, touch=touch)
    return path


@pytest.fixture
def box(tmp_path: Path) -> dict[str, Any]:
    """A config dir, a stub ``git`` that only logs, and the environment to run in."""
    config, stubs = tmp_path / "config", tmp_path / "stubs"
    config.mkdir()
    stubs.mkdir()
    (config / "config.toml").write_text("approval_timeout = 5\n", encoding="utf-8")
    marker = tmp_path / "ran"
    git = stubs / "git"
    git.write_text(f'#!/bin/sh\necho "git $*" >> {marker}\n', encoding="utf-8")
    git.chmod(0o755)
    env = {"PATH": f"{stubs}:{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return {"config": config, "marker": marker, "env": env, "tmp": tmp_path}


def shellgate(box: dict[str, Any], *args: str) -> list[str]:
    return [str(BIN / "shellgate"), "--config", str(box["config"]), *args]


def test_python_fido2_finds_and_drives_the_virtual_key(tmp_path: Path) -> None:
    key = soft_key(tmp_path / "key.json", touch=False)
    result = plugged([key], [sys.executable, "-m", "tests.virtual_hid.scenario"],
                     log=tmp_path / "log.json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["descriptors"] == [["/dev/hidraw0", 0x1050, 0x0407, 64, 64,
                                      "Soft FIDO (test)", "vhid0"]]
    assert report["capabilities"] & 0x04  # CBOR
    assert report["ping"] is True
    assert "FIDO_2_0" in report["versions"]
    assert 2 in report["keepalives"]  # UPNEEDED arrived as CTAPHID KEEPALIVE
    assert report["cancel"] == "KEEPALIVE_CANCEL"
    log = json.loads((tmp_path / "log.json").read_text(encoding="utf-8"))
    assert "CANCEL" in log[0]["hid"] and "INIT" in log[0]["hid"]
    assert ["makeCredential", {"result": "KEEPALIVE_CANCEL", "rp_id": "shellgate:local"}] \
        in log[0]["ctap"]
    assert not Path("/dev/hidraw0").is_file()  # nothing leaked onto the real /dev
    assert not list(Path(tempfile.gettempdir()).glob("shellgate-vhid-*"))


def test_enrol_and_approve_a_gated_command_through_hidraw(box: dict[str, Any]) -> None:
    key = soft_key(box["tmp"] / "key.json")
    enrolled = plugged([key], shellgate(box, "enroll", "--label", "virtual"), env=box["env"])
    assert enrolled.returncode == 0, enrolled.stderr
    keys = json.loads((box["config"] / "keys.json").read_text(encoding="utf-8"))
    assert [c["kind"] for c in keys["credentials"]] == ["hardware"]
    assert "allow_software_keys" not in (box["config"] / "config.toml").read_text("utf-8")
    ran = plugged([key], shellgate(box, "run", "--", "git", "push", "--force", "origin",
                                   "main"), env=box["env"])
    assert ran.returncode == 0, ran.stderr
    assert "touch your key to approve" in ran.stderr
    assert box["marker"].read_text(encoding="utf-8") == "git push --force origin main\n"
    verify = subprocess.run(shellgate(box, "audit", "verify"), capture_output=True, text=True,
                            env=box["env"], timeout=60, check=False)
    assert verify.returncode == 0, verify.stderr
    shown = subprocess.run(shellgate(box, "audit", "show"), capture_output=True, text=True,
                           env=box["env"], timeout=60, check=False).stdout
    approved = [line for line in shown.splitlines() if "  approved  " in line]
    assert len(approved) == 1 and "git push --force origin main" in approved[0]
    assert "SOFTWARE" not in approved[0]


def test_enrolment_takes_the_touched_key_among_several(box: dict[str, Any]) -> None:
    idle = soft_key(box["tmp"] / "idle.json", touch=False)
    active = soft_key(box["tmp"] / "active.json")
    log = box["tmp"] / "log.json"
    # the active key answers after a human's reach (1.5 s), so both keys are asked first
    result = plugged([idle, active], shellgate(box, "enroll"), env=box["env"], log=log,
                     delay=[0.0, 1.5])
    assert result.returncode == 0, result.stderr
    logs = json.loads(log.read_text(encoding="utf-8"))
    assert ["makeCredential", {"result": "KEEPALIVE_CANCEL", "rp_id": "shellgate:local"}] \
        in logs[0]["ctap"]
    assert any(name == "makeCredential" and d.get("result") == "ok"
               for name, d in logs[1]["ctap"])
    ran = plugged([active], shellgate(box, "run", "--", "git", "push", "--force"),
                  env=box["env"])
    assert ran.returncode == 0, ran.stderr  # the credential is the active key's


def test_every_enrolled_key_is_asked_and_the_touched_one_wins(box: dict[str, Any]) -> None:
    idle = soft_key(box["tmp"] / "idle.json")
    active = soft_key(box["tmp"] / "active.json")
    credentials = []
    for name, key in (("idle", idle), ("active", active)):  # each enrolled on its own
        scratch = box["tmp"] / f"scratch-{name}"
        scratch.mkdir()
        result = plugged([key], [str(BIN / "shellgate"), "--config", str(scratch), "enroll"],
                         env=box["env"])
        assert result.returncode == 0, result.stderr
        store = json.loads((scratch / "keys.json").read_text(encoding="utf-8"))
        credentials += store["credentials"]
    (box["config"] / "keys.json").write_text(json.dumps({"version": 1,
                                                         "credentials": credentials}))
    data = json.loads(idle.read_text(encoding="utf-8"))
    idle.write_text(json.dumps({**data, "touch": False}), encoding="utf-8")
    log = box["tmp"] / "log.json"
    ran = plugged([idle, active], shellgate(box, "run", "--", "git", "push", "--force"),
                  env=box["env"], log=log, delay=[0.0, 1.5])  # a human's reach, as above
    assert ran.returncode == 0, ran.stderr
    assert box["marker"].read_text(encoding="utf-8") == "git push --force\n"
    logs = json.loads(log.read_text(encoding="utf-8"))
    # the first enrolled key was asked for a touch too, and cancelled when the other won
    assert ["getAssertion", {"result": "KEEPALIVE_CANCEL", "rp_id": "shellgate:local",
                             "up": True}] in logs[0]["ctap"]
    assert "CANCEL" in logs[0]["hid"]
    assert any(name == "getAssertion" and d.get("up") is True and d.get("result") == "ok"
               for name, d in logs[1]["ctap"])


def test_a_key_that_stops_answering_cannot_hold_the_approval(box: dict[str, Any]) -> None:
    key = soft_key(box["tmp"] / "key.json")
    assert plugged([key], shellgate(box, "enroll"), env=box["env"]).returncode == 0
    (box["config"] / "config.toml").write_text("approval_timeout = 2\n", encoding="utf-8")
    # the key answers getInfo, then goes silent: no reply, no keepalive, CANCEL ignored
    ran = plugged([key], shellgate(box, "run", "--", "git", "push", "--force"),
                  hang_after=[1], env=box["env"])
    assert ran.returncode == 126, ran.stderr
    assert "timed out waiting for a key touch" in ran.stderr
    assert not box["marker"].exists()
