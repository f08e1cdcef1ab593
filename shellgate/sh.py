"""``shellgate-sh``: a bash front end that decides on the whole script before any of it runs.

This is the engine-only stage: an allowed script runs in real bash; a gated or denied
one is refused (exit 126) until hardware approval is wired in. Modes: ``-c STRING``
(also ``-l -c``, ``-lc``), a script file argument, or a script on stdin.
"""

from __future__ import annotations

import os
import shutil
import sys

from shellgate.config import Config
from shellgate.errors import REFUSED, ShellgateError
from shellgate.model import Decision

USAGE = "usage: shellgate-sh [-l] -c STRING [NAME [ARGS…]] | shellgate-sh [SCRIPT [ARGS…]]"


def _split(argv: list[str]) -> tuple[list[str], str | None, str | None, list[str]]:
    """Return (bash options, -c string, script path, positional args)."""
    options: list[str] = []
    command: str | None = None
    i = 0
    wants_command = False
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            letters = arg[1:]
            if "c" in letters:
                wants_command = True
                letters = letters.replace("c", "")
            if letters:
                options.append("-" + letters)
            i += 1
            continue
        if arg.startswith("--"):
            options.append(arg)
            i += 1
            continue
        break
    rest = argv[i:]
    if wants_command:
        if not rest:
            raise ShellgateError("-c needs a command string", 2)
        command, rest = rest[0], rest[1:]
        return options, command, None, rest
    if rest:
        return options, None, rest[0], rest[1:]
    return options, None, None, []


def _decide(text: str) -> Decision:
    from shellgate.engine import evaluate

    rules = Config.at(None).rules()
    return evaluate(text, rules, _read)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(8 * 1024 * 1024 + 1)
    except OSError:
        return None


def _refuse(decision: Decision) -> int:
    from shellgate.report import refusal_line

    print(refusal_line(decision), file=sys.stderr)
    return REFUSED


def run(argv: list[str]) -> int:
    options, command, script, positional = _split(argv)
    bash = shutil.which("bash") or "/bin/bash"
    if command is not None:
        decision = _decide(command)
        if decision.verdict != "allow":
            return _refuse(decision)
        os.execv(bash, [bash, *options, "-c", command, *positional])
    if script is not None:
        content = _read(script)
        if content is None:
            raise ShellgateError(f"cannot read script {script}", 127)
        decision = _decide(content.decode("utf-8", "surrogateescape"))
        if decision.verdict != "allow":
            return _refuse(decision)
        os.execv(bash, [bash, *options, script, *positional])
    if sys.stdin.isatty():
        raise ShellgateError("interactive mode is not available yet; use -c STRING", 2)
    text = sys.stdin.buffer.read(8 * 1024 * 1024 + 1).decode("utf-8", "surrogateescape")
    decision = _decide(text)
    if decision.verdict != "allow":
        return _refuse(decision)
    os.execv(bash, [bash, *options, "-c", text, "shellgate-sh", *positional])
    return 0  # pragma: no cover - execv does not return


def main() -> None:
    """Console entry point; any failure is a refusal, never a run."""
    try:
        sys.exit(run(sys.argv[1:]))
    except ShellgateError as exc:
        print(f"shellgate: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:
        print(f"shellgate: internal error, refusing: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(REFUSED)
