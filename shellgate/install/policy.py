"""``shellgate rules accept FILE``: a key touch over a user pattern file's exact content
(checked again on every compile by ``shellgate.approve.acceptances``)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from shellgate.approve.acceptances import ACCEPTED_NAME, COMMAND
from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.values import Decision


def digest_of(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ShellgateError(f"cannot read {path}: {exc.strerror}", 2) from exc


def user_file(config: Config, name: str) -> Path:
    """The real path of a file in the config's ``patterns/`` (only those can be accepted:
    a project file may never weaken)."""
    path = Path(os.path.realpath(name))
    patterns = Path(os.path.realpath(config.patterns_dir))
    if path.parent != patterns or path.suffix != ".toml" or path.name.startswith("."):
        raise ShellgateError(f"{name}: only a pattern file in {patterns}/ can be accepted "
                             "(project files may only add rules or tighten)", 2)
    if not path.is_file():
        raise ShellgateError(f"{name}: no such pattern file", 2)
    return path


def accept(config: Config, name: str, timeout: float, changes: list[str]) -> str:
    """Ask for a key touch over the file's exact content, then record the acceptance
    (``accepted.jsonl`` and the audit). Returns the accepted digest."""
    from shellgate.classify.core import core_finding
    from shellgate.decide import decide
    from shellgate.guard import Ask, _audit, guard

    path = user_file(config, name)
    command = COMMAND + str(path)

    def current() -> Decision:
        finding = core_finding("policy-change", f"{command} ({len(changes)} change(s))")
        return decide([finding], ((str(path), digest_of(path)),))

    decision = current()
    digest: str = decision.files[0][1]
    approved = guard(config, Ask(command, ("shellgate", "rules", "accept", str(path)), current,
                                 timeout=timeout), decision).approval
    if approved is None:  # pragma: no cover - a policy change always needs approval
        raise ShellgateError("the acceptance was not approved")
    entry = {"path": str(path), "digest": digest, **approved}
    line = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    target = config.directory / ACCEPTED_NAME
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    _audit(config, "policy-accepted", decision, command, file=str(path), digest=digest,
           changes=changes, nonce=approved["request"]["nonce"])
    return digest
