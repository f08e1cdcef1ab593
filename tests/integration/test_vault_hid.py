"""The vault through the real device path: python-fido2's Linux HID transport (hidraw
discovery, CTAPHID framing, KEEPALIVE, CANCEL) against virtual keys served by FUSE as
``/dev/hidrawN`` (see ``tests/virtual_hid``), with the installed ``shellgate`` as real
subprocesses in a temporary config directory and home.

Enrolment makes the credential with hmac-secret over HID; sealing, unlocking and rotating
ride ClientPin key agreement and the hmac-secret extension in CTAPHID CBOR messages, and
python-fido2's own WebAuthn client gets the same outputs the spec defines. Root only (a
mount namespace and a FUSE mount); skipped with the reason elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from shellgate.approve.keystore import unb64
from shellgate.approve.softkey.authenticator import create_soft_key
from shellgate.approve.softkey.hmac_secret import cred_random
from tests.virtual_hid.run import CANNOT, why_not

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REASON = why_not()
pytestmark = pytest.mark.skipif(bool(REASON), reason=REASON or "")

VALUE = "rw_live_hid_5e4d3c2b1a09f8e7d6c5b4a3"
DIGEST = hashlib.sha256(VALUE.encode()).hexdigest()
FORMS = (VALUE.encode(), base64.b64encode(VALUE.encode()),
         base64.urlsafe_b64encode(VALUE.encode()).rstrip(b"="), VALUE.encode().hex().encode())
"""The planted value as it could leak: raw, base64, base64url, hex."""

# The stub tool says whether its environment holds the secret by its digest, never the value.
TOOL = """#!/bin/sh
echo "railway ran: $*" >> {marker}
if [ -n "${{RAILWAY_TOKEN+set}}" ]; then
  printf 'token sha256 %s\\n' "$(printf %s "$RAILWAY_TOKEN" | sha256sum | cut -d' ' -f1)"
else
  echo "token absent"
fi
"""


class Box:
    """A config dir, a home, a stub ``railway`` and every output seen, for one test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config, self.home, bin_dir = root / "config", root / "home", root / "bin"
        for directory in (self.config, self.home, bin_dir):
            directory.mkdir()
        (self.config / "config.toml").write_text("approval_timeout = 10\n", encoding="utf-8")
        self.marker = root / "railway.ran"
        tool = bin_dir / "railway"
        tool.write_text(TOOL.format(marker=self.marker), encoding="utf-8")
        tool.chmod(0o755)
        self.env = {"PATH": f"{bin_dir}:{BIN}:/usr/bin:/bin", "HOME": str(self.home),
                    "LANG": "C.UTF-8"}
        self.outputs: list[str] = []

    def key(self, name: str, *, touch: bool = True) -> Path:
        path = self.root / f"{name}.json"
        create_soft_key(path, touch=touch)
        return path

    def command(self, keys: list[Path], args: tuple[str, ...], log: Path | None,
                untouched_make: list[int]) -> list[str]:
        """``shellgate ARGS`` with ``keys`` plugged in as /dev/hidraw0, /dev/hidraw1…"""
        command = [sys.executable, "-m", "tests.virtual_hid.run"]
        for key in keys:
            command += ["--key", str(key)]
        for index in untouched_make:
            command += ["--untouched-make", str(index)]
        if log is not None:
            command += ["--log", str(log)]
        return [*command, "--", str(BIN / "shellgate"), "--config", str(self.config), *args]

    def plugged(self, keys: list[Path], *args: str, stdin: str = "",
                log: Path | None = None, untouched_make: list[int] | None = None,
                ) -> subprocess.CompletedProcess[str]:
        """Run ``shellgate ARGS`` with ``keys`` plugged in; every output is kept."""
        result = subprocess.run(self.command(keys, args, log, untouched_make or []), cwd=ROOT,
                                input=stdin, capture_output=True, text=True, timeout=180,
                                check=False, env=self.env)
        return self.seen(result)

    def seen(self, result: subprocess.CompletedProcess[str],
             ) -> subprocess.CompletedProcess[str]:
        if result.returncode == CANNOT:
            pytest.skip(result.stderr.strip())
        self.outputs.append(result.stdout + result.stderr)
        return result

    def credentials(self) -> list[dict[str, Any]]:
        data = json.loads((self.config / "keys.json").read_text(encoding="utf-8"))
        credentials: list[dict[str, Any]] = data["credentials"]
        return credentials


def set_touch(key: Path, touch: bool) -> None:
    data = json.loads(key.read_text(encoding="utf-8"))
    key.write_text(json.dumps({**data, "touch": touch}), encoding="utf-8")


def ctap_log(path: Path) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per key: the CTAP2 commands it answered over HID, as (name, details)."""
    keys = json.loads(path.read_text(encoding="utf-8"))
    return [[(name, details) for name, details in key["ctap"]] for key in keys]


def touches(log: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The answered getAssertions that needed a touch."""
    return [d for name, d in log if name == "getAssertion" and d.get("up") is True
            and d.get("result") == "ok"]


def leaks(data: bytes) -> bool:
    return any(form in data for form in FORMS)


def everything_on_disk(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def enrolled(box: Box, key: Path) -> dict[str, Any]:
    """Enrol ``key`` through HID; the credential must have hmac-secret."""
    log = box.root / "enrol-log.json"
    result = box.plugged([key], "enroll", "--label", key.stem, log=log)
    assert result.returncode == 0, result.stderr
    assert "cannot hold a slot" not in result.stdout
    made = [d for name, d in ctap_log(log)[0] if name == "makeCredential"]
    assert made == [{"result": "ok", "rp_id": "shellgate:local", "counter": made[0]["counter"],
                     "hmac_secret": True}]
    credential = box.credentials()[-1]
    assert credential["kind"] == "hardware" and credential["hmac_secret"] is True
    return credential


def sealed(box: Box, key: Path) -> None:
    """``secrets add RAILWAY_TOKEN --for railway`` (value on stdin) through HID."""
    log = box.root / "add-log.json"
    added = box.plugged([key], "secrets", "add", "RAILWAY_TOKEN", "--for", "railway",
                        stdin=VALUE + "\n", log=log)
    assert added.returncode == 0, added.stderr
    assert "sealed RAILWAY_TOKEN" in added.stdout
    ctap = ctap_log(log)[0]
    # the salt went over ClientPin key agreement, and the one touch carried hmac-secret
    assert ("clientPin", {"result": "ok", "sub_command": 2}) in ctap
    assert [t["hmac_secret"] for t in touches(ctap)] == [True]


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path)


def test_sealing_through_hid_leaves_no_plaintext(box: Box) -> None:
    key = box.key("first")
    enrolled(box, key)
    sealed(box, key)
    vault = (box.config / "vault.json").read_bytes()
    assert b"RAILWAY_TOKEN" in vault and not leaks(vault)
    assert not leaks(everything_on_disk(box.root))
    listed = box.plugged([], "secrets", "list")
    assert "RAILWAY_TOKEN → railway" in listed.stdout and "1 key slot(s)" in listed.stdout
    assert not any(leaks(text.encode()) for text in box.outputs)


def test_one_touch_over_hid_gives_the_tool_its_secret_and_untouched_gives_nothing(
        box: Box) -> None:
    key = box.key("first")
    enrolled(box, key)
    sealed(box, key)
    log = box.root / "run-log.json"
    ran = box.plugged([key], "run", "--", "railway", "status", log=log)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == f"token sha256 {DIGEST}\n"
    assert ran.stderr.count("touch your key") == 1 and "RAILWAY_TOKEN" in ran.stderr
    assert box.marker.read_text(encoding="utf-8") == "railway ran: status\n"
    ctap = ctap_log(log)[0]
    assert [t["hmac_secret"] for t in touches(ctap)] == [True]  # one touch approved, unlocked
    assert ("clientPin", {"result": "ok", "sub_command": 2}) in ctap

    box.marker.unlink()
    set_touch(key, False)  # the human does not touch: shellgate gives up and cancels
    log = box.root / "untouched-log.json"
    args = ("run", "--timeout", "3", "--", "railway", "status")
    waiting = subprocess.Popen(box.command([key], args, log, []), cwd=ROOT, env=box.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    announced: list[bytes] = []
    while waiting.poll() is None and not announced:  # what `shellgate watch` would show
        announced = [p.read_bytes() for p in (box.config / "pending").glob("*.json")]
        time.sleep(0.02)
    stdout, stderr = waiting.communicate(timeout=120)
    refused = box.seen(subprocess.CompletedProcess(waiting.args, waiting.returncode,
                                                   stdout, stderr))
    assert len(announced) == 1 and b"RAILWAY_TOKEN" in announced[0]
    assert not leaks(announced[0])
    assert refused.returncode == 126, refused.stderr
    assert "timed out waiting for a key touch" in refused.stderr
    assert refused.stdout == "" and not box.marker.exists()  # the tool never ran
    ctap = ctap_log(log)[0]
    assert ("getAssertion", {"result": "KEEPALIVE_CANCEL", "rp_id": "shellgate:local",
                             "up": True}) in ctap
    assert touches(ctap) == []

    # the value is nowhere: outputs, audit trail, vault, pending approvals, any file
    audit = (box.config / "audit.jsonl").read_bytes()
    assert b"RAILWAY_TOKEN" in audit and not leaks(audit)
    assert not leaks((box.config / "vault.json").read_bytes())
    assert not list((box.config / "pending").glob("*"))  # announced, then cleared
    assert not any(leaks(text.encode()) for text in box.outputs)
    assert not leaks(everything_on_disk(box.root))


def test_a_second_key_opens_the_vault_once_rotate_gives_it_a_slot(box: Box) -> None:
    first, second = box.key("first"), box.key("second")
    enrolled(box, first)
    sealed(box, first)
    # enrolling another key needs the enrolled one's approval: both plugged in, the human
    # touches the first to approve, then only the second (the one being enrolled)
    log = box.root / "enrol-second-log.json"
    added = box.plugged([first, second], "enroll", "--label", "second", log=log,
                        untouched_make=[0])
    assert added.returncode == 0, added.stderr
    approver, newcomer = ctap_log(log)
    assert len(touches(approver)) == 1 and touches(newcomer) == []
    assert ("makeCredential", {"result": "KEEPALIVE_CANCEL", "rp_id": "shellgate:local"}) \
        in approver  # asked too, and cancelled once the second key was touched
    assert [d["hmac_secret"] for name, d in newcomer if name == "makeCredential"] == [True]
    assert "secrets rotate" in added.stdout  # told it has no slot yet
    assert [c["label"] for c in box.credentials()] == ["first", "second"]
    assert all(c["hmac_secret"] for c in box.credentials())

    # enrolled but without a slot: refused, in one clear line, and the tool does not run
    no_slot = box.plugged([second], "run", "--timeout", "3", "--", "railway", "status")
    assert no_slot.returncode == 126
    assert "enrolled but has no slot in the secrets vault" in no_slot.stderr, no_slot.stderr
    assert "secrets rotate" in no_slot.stderr and len(no_slot.stderr.splitlines()) == 1
    assert no_slot.stdout == "" and not box.marker.exists()

    log = box.root / "rotate-log.json"
    rotated = box.plugged([first, second], "secrets", "rotate", log=log)
    assert rotated.returncode == 0, rotated.stderr
    assert "2 key slot(s)" in rotated.stdout
    assert f"new slot for key {box.credentials()[1]['credential_id'][:12]}" in rotated.stdout
    first_log, second_log = ctap_log(log)
    assert [t["hmac_secret"] for t in touches(first_log)] == [True]  # opened the vault
    assert [t["hmac_secret"] for t in touches(second_log)] == [True]  # answered a new salt

    for key in (second, first):  # each key alone now opens the vault
        ran = box.plugged([key], "run", "--", "railway", "status")
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout == f"token sha256 {DIGEST}\n"
    assert not any(leaks(text.encode()) for text in box.outputs)
    assert not leaks(everything_on_disk(box.root))


def _spec_output(key: Path, credential_hex: str, salt: bytes) -> str:
    """HMAC-SHA-256(CredRandom, salt), CredRandom recomputed from the key file (no UV)."""
    master = unb64(json.loads(key.read_text(encoding="utf-8"))["master_key"])
    secret = cred_random(master, bytes.fromhex(credential_hex), uv=False)
    return hmac.new(secret, salt, hashlib.sha256).hexdigest()


def test_python_fido2s_own_hmac_secret_client_over_ctaphid(box: Box) -> None:
    keys = [box.key("first"), box.key("second")]
    salt1, salt2 = hashlib.sha256(b"salt one").digest(), hashlib.sha256(b"salt two").digest()
    state = box.root / "credentials.json"
    reports = []
    for run in range(2):  # two power-ups: fresh key-agreement keys on both sides
        log = box.root / f"client-log-{run}.json"
        # the second time, the second key takes a moment over each touch: its replies
        # then come after a run of CTAPHID KEEPALIVE(PROCESSING) packets
        delay = ["--delay", "0", "--delay", "0.15"] if run else []
        command = [sys.executable, "-m", "tests.virtual_hid.run", "--key", str(keys[0]),
                   "--key", str(keys[1]), *delay, "--log", str(log), "--",
                   sys.executable, "-m", "tests.virtual_hid.hmac_client", str(state),
                   salt1.hex(), salt2.hex()]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                timeout=180, check=False)
        if result.returncode == CANNOT:
            pytest.skip(result.stderr.strip())
        assert result.returncode == 0, result.stderr
        reports.append(json.loads(result.stdout)["keys"])
        for ctap in ctap_log(log):  # the extension's traffic really went over CTAPHID
            assert ("clientPin", {"result": "ok", "sub_command": 2}) in ctap
            assert len([t for t in touches(ctap) if t["hmac_secret"]]) == 2 * 4
    first, second = reports
    assert [k["path"] for k in first] == ["/dev/hidraw0", "/dev/hidraw1"]
    made = [c for k in first for c in k["made"]]
    assert len(made) == 4 and [c for k in second for c in k["made"]] == made  # reused
    assert all(c["client_says"] is True and c["auth_data_says"] is True for c in made)
    assert all(2 in k["protocols"] and 1 in k["protocols"] for k in first)
    assert all(k["touch_prompts"] >= 2 * 2 for k in first)  # KEEPALIVE(UPNEEDED) arrived

    prf_salt = hashlib.sha256(b"WebAuthn PRF\0" + salt1).digest()  # WebAuthn's PRF salting
    for report in reports:
        for key, found in zip(keys, report, strict=True):
            for outputs in found["outputs"]:
                expected = _spec_output(key, outputs["id"], salt1)
                # the client, and protocols 1 and 2 by hand, all decrypt the spec's value
                assert outputs["output1"] == outputs["ctap2_v1"] == outputs["ctap2_v2"] \
                    == expected
                assert outputs["output2"] == _spec_output(key, outputs["id"], salt2)
                assert outputs["prf_first"] == _spec_output(key, outputs["id"], prf_salt)
    # per credential and per salt: all different; the same pair: the same across power-ups
    firsts = [o["output1"] for k in first for o in k["outputs"]]
    seconds = [o["output2"] for k in first for o in k["outputs"]]
    assert len(set(firsts)) == 4 and len(set(seconds)) == 4 and not set(firsts) & set(seconds)
    assert [o for k in second for o in k["outputs"]] == [o for k in first for o in k["outputs"]]


@pytest.mark.parametrize(("modes", "said"), [
    ({"ctap2": False}, "a U2F-only key"),
    ({"hmac_secret": False}, "a key without hmac-secret")])
def test_a_key_that_cannot_hold_a_slot_is_told_at_enrolment_and_seals_nothing(
        box: Box, modes: dict[str, bool], said: str) -> None:
    key = box.root / "key.json"
    create_soft_key(key, **modes)
    result = box.plugged([key], "enroll")
    assert result.returncode == 0, result.stderr
    assert f"note: this is {said}: it can approve commands but cannot hold a slot" \
        in result.stdout
    assert box.credentials()[0]["hmac_secret"] is False
    added = box.plugged([key], "secrets", "add", "RAILWAY_TOKEN", "--for", "railway",
                        stdin=VALUE)
    assert added.returncode == 126 and len(added.stderr.splitlines()) == 1
    assert "no enrolled key can hold a vault slot" in added.stderr
    assert not (box.config / "vault.json").exists()
    assert not leaks(everything_on_disk(box.root))
    assert not any(leaks(text.encode()) for text in box.outputs)
