"""Checking acceptances of user pattern files (``shellgate rules accept FILE``).

An acceptance is an approval, through the one approval flow, of the command
``shellgate rules accept PATH`` under the core check ``core.policy-change``, with the
file's SHA-256 as the request's one payload digest: the key signed H over exactly that
content. ``install/policy.py`` asks for it and appends the signed request and the
assertion to ``accepted.jsonl`` in the config directory.

When the rules are compiled every record is verified again (enrolled key, relying party,
touch flag, signature over the recorded request, and a request only ``rules accept`` can
make). Per file the newest valid record counts: its digest must be the file's digest now,
so any later edit, by anyone, sets the weakening aside until it is accepted again — and
restoring an older accepted content does not revive it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shellgate.errors import ShellgateError

ACCEPTED_NAME = "accepted.jsonl"
RULE = "core.policy-change"
COMMAND = "shellgate rules accept "


def accepted_digests(config_dir: str) -> dict[str, str]:
    """Path → the digest of the newest valid acceptance of that path. A record that does
    not verify is skipped (it accepts nothing)."""
    path = Path(config_dir) / ACCEPTED_NAME
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ShellgateError(f"cannot read {path}: {exc.strerror}") from exc
    if not lines:
        return {}
    from shellgate.approve.keystore import KeyStore

    credentials = KeyStore(Path(config_dir) / "keys.json").load()
    newest: dict[str, tuple[int, int, str]] = {}
    for order, line in enumerate(lines):
        entry = _verified(line, credentials)
        if entry is not None:
            file, digest, when = entry
            if (when, order) >= newest.get(file, (-1, -1, ""))[:2]:
                newest[file] = (when, order, digest)
    return {file: digest for file, (_, _, digest) in newest.items()}


def _verified(line: bytes, credentials: list[Any]) -> tuple[str, str, int] | None:
    from shellgate.approve.keystore import unb64
    from shellgate.approve.request import ApprovalRequest
    from shellgate.approve.verify import Assertion, VerifyError, check_signature

    try:
        data = json.loads(line)
        request = ApprovalRequest.from_json(data["request"])
        approval = data["approval"]
        assertion = Assertion(str(approval["credential_id"]), unb64(approval["auth_data"]),
                              unb64(approval["signature"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if (request.rules != (RULE,) or not request.command.startswith(COMMAND)
            or len(request.files) != 1):
        return None  # an approval for anything else accepts nothing
    file, digest = request.files[0]
    if request.command != COMMAND + file:
        return None
    try:
        check_signature(assertion, request, credentials)
    except VerifyError:
        return None
    return file, digest, request.time
