"""Enrolling and removing keys. Once a key is enrolled, changing the set of keys is
itself a gated command: an enrolled key must approve it first."""

from __future__ import annotations

import os
from pathlib import Path

from shellgate.approve import fido
from shellgate.approve.keystore import Credential, KeyStore
from shellgate.classify.core import core_finding
from shellgate.config import Config
from shellgate.decide import decide
from shellgate.errors import ShellgateError
from shellgate.guard import Ask, _audit, _tell, current_user, guard


def _approve_change(config: Config, store: KeyStore, command: str, argv: list[str],
                    timeout: float) -> None:
    if not store.load():
        return
    decision = decide([core_finding("key-management", command)])
    guard(config, Ask(command, tuple(argv), lambda: decision, timeout=timeout))


def enroll(config: Config, label: str, soft_file: str | None, timeout: float,
           argv: list[str]) -> Credential:
    """Make a new credential on a key (a software key only when ``soft_file`` is given)."""
    store = KeyStore(config.keys_path)
    command = "shellgate enroll" + (f" --soft {soft_file}" if soft_file else "")
    if soft_file is not None and config.hardened:
        raise ShellgateError("hardened mode refuses software keys", 2)
    _approve_change(config, store, command, argv, timeout)
    existing = store.load()
    if soft_file is not None:
        from shellgate.approve.softkey.authenticator import create_soft_key

        path = Path(soft_file).resolve()
        if not path.exists():
            create_soft_key(path, touch=True)
        device = fido.soft_device(str(path))
        file_name = str(path)
    else:  # every key plugged in is asked; the one the human touches is enrolled
        device, file_name = None, ""

    def prompt() -> None:
        _tell("shellgate: touch the key you want to enrol")

    credential = fido.make_credential(device, current_user(), label or _default_label(soft_file),
                                      existing, timeout, prompt, soft_file=file_name)
    if soft_file is not None:
        allow_software_keys(config)
    store.add(credential)
    decision = decide([core_finding("key-management", command)])
    _audit(config, "enrolled", decision, command, credential_id=credential.credential_id,
           kind=credential.kind)
    return credential


def remove(config: Config, prefix: str, timeout: float, argv: list[str]) -> Credential:
    """Remove an enrolled credential after an enrolled key approves the removal."""
    store = KeyStore(config.keys_path)
    command = f"shellgate keys remove {prefix}"
    _approve_change(config, store, command, argv, timeout)
    removed = store.remove(prefix)
    decision = decide([core_finding("key-management", command)])
    _audit(config, "key-removed", decision, command, credential_id=removed.credential_id)
    return removed


ALLOW_SOFT_SETTING = "allow_software_keys"


def allow_software_keys(config: Config) -> None:
    """Say in ``config.toml`` that software keys may approve (``enroll --soft`` does, a
    change the human approved with a touch once a key is enrolled). Only this file can
    say it: no flag or environment variable does, and hardened mode ignores it."""
    import re

    from shellgate.approve.keystore import write_atomic

    path = config.settings_path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    line = f"{ALLOW_SOFT_SETTING} = true"
    pattern = re.compile(rf"^[ \t]*{ALLOW_SOFT_SETTING}[ \t]*=.*$", re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(line, text, count=1)
    else:
        text += ("" if not text or text.endswith("\n") else "\n") + line + "\n"
    write_atomic(path, text, 0o644)


def _default_label(soft_file: str | None) -> str:
    host = os.uname().nodename
    return f"software key ({Path(soft_file).name})" if soft_file else f"key on {host}"
