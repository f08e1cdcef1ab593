"""``shellgate-sh``: a bash front end that decides on the whole script before any of it runs.

An allowed script runs in real bash; a gated one runs after one key touch approves the
whole script; a denied one is refused (exit 126). Modes: ``-c STRING`` (also ``-l -c``,
``-lc``), a script file argument, or a script on stdin.
"""

from __future__ import annotations

import os
import sys

from shellgate.errors import REFUSED, ShellgateError
from shellgate.fsutil import read_payload_file

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

    from shellgate.config import Config
    from shellgate.values import Decision

    Gated = tuple[Config | None, dict[str, Any] | None]

USAGE = ("usage: shellgate-sh [--config DIR] [-l] -c STRING [NAME [ARGS…]] | "
         "shellgate-sh [--config DIR] [SCRIPT [ARGS…]]")


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


def _gate(text: str, argv: list[str], config_dir: str | None) -> Gated:
    """Return when the script may run (allowed, or approved with a key touch). Plain
    commands no rule can match are allowed without loading the engine (``fastpath``)."""
    from shellgate.decide import refuse_unread
    from shellgate.rules.index import config_dir as resolve
    from shellgate.surfaces.fastpath import quick_allow_script

    oversize = refuse_unread(text)
    if oversize is not None:  # denied before any parsing: the guard audits and refuses it
        from shellgate.config import Config
        from shellgate.decide import unread_summary
        from shellgate.guard import Ask, guard

        config = Config.at(config_dir)
        if not config.state:  # hardened: the broker reads the script itself, below
            shown = unread_summary(text)
            guard(config, Ask(shown, ("bash", "-c", shown), lambda: oversize), oversize)
            raise ShellgateError("the script is too large to inspect; not run", REFUSED)
    try:
        if quick_allow_script(text, resolve(config_dir)):
            return None, None
    except KeyError:
        pass  # no home directory: Config.at says so
    from shellgate.config import Config
    from shellgate.engine import evaluate

    config = Config.at(config_dir)
    rules = config.rules()

    def decide() -> Decision:
        return evaluate(text, rules, read_payload_file, environ=os.environ)

    from shellgate.guard import Ask, guard
    from shellgate.surfaces.procs import detect_agent

    return config, guard(config, Ask(text, tuple(argv), decide, asker=detect_agent)).approval


_CODE_ENV = ("BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "PS0", "PS4")


def _bash_env() -> dict[str, str]:
    """The environment bash runs the decided script in: without the variables that would
    make it run code shellgate never saw (``BASH_ENV``, exported functions, xtrace's PS4)."""
    return {k: v for k, v in os.environ.items()
            if k not in _CODE_ENV and not k.startswith("BASH_FUNC_")}


def _exec(bash: str, args: list[str], gated: Gated) -> int:
    """Run the script: exec when nothing was approved; else as a child, so that the
    approval's ticket (which lets the script's own shims skip a second prompt) ends with it."""
    config, approved = gated
    env = _bash_env()
    if approved is None or config is None:
        os.execve(bash, [bash, *args], env)
    import signal
    import subprocess

    from shellgate.approve import tickets

    ticket = tickets.issue(config, approved["request"], approved["approval"])
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        status = subprocess.call([bash, *args], env=env)
    finally:
        signal.signal(signal.SIGINT, previous)
        tickets.release(ticket)
    return status if status >= 0 else 128 - status


def _which(name: str) -> str:
    """The real ``name`` in an absolute PATH directory (never the working directory, nor a
    shellgate shim), else ``/bin/NAME``."""
    from shellgate.execute import find_real

    path = os.environ.get("PATH", os.defpath).split(os.pathsep)
    try:
        return find_real(name, os.pathsep.join(d for d in path if os.path.isabs(d)))
    except ShellgateError:
        return "/bin/" + name


def run(argv: list[str]) -> int:
    config_dir = shims_dir = None
    while len(argv) >= 2 and argv[0] in ("--config", "--shims-dir"):
        if argv[0] == "--config":
            config_dir = argv[1]
        else:
            shims_dir = argv[1]
        argv = argv[2:]
    options, command, script, positional = _split(argv)
    bash = _which("bash")
    if command is not None:
        gated = _gate(command, ["bash", "-c", command, *positional], config_dir)
        return _exec(bash, [*options, "-c", command, *positional], gated)
    if script is not None:
        content = read_payload_file(script)
        if content is None:
            raise ShellgateError(f"cannot read script {script}", 127)
        gated = _gate(content.decode("utf-8", "surrogateescape"), ["bash", script, *positional],
                      config_dir)
        return _exec(bash, [*options, script, *positional], gated)
    if sys.stdin.isatty():
        from shellgate.surfaces.restricted_shell.interactive import run_session

        return run_session(config_dir, shims_dir)
    text = sys.stdin.buffer.read(8 * 1024 * 1024 + 1).decode("utf-8", "surrogateescape")
    gated = _gate(text, ["bash", "-c", text, "shellgate-sh", *positional], config_dir)
    return _exec(bash, [*options, "-c", text, "shellgate-sh", *positional], gated)


def main() -> None:
    """Console entry point; any failure is a refusal, never a run."""
    try:
        sys.exit(run(sys.argv[1:]))
    except ShellgateError as exc:
        from shellgate.errors import ConfigError, RuleFileError

        print(f"shellgate: {exc.message}", file=sys.stderr)
        # a broken pattern or settings file means the command was refused: 126, like any
        # other refusal (2 stays for shellgate-sh's own usage errors)
        sys.exit(REFUSED if isinstance(exc, (RuleFileError, ConfigError)) else exc.exit_code)
    except Exception as exc:
        print(f"shellgate: internal error, refusing: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(REFUSED)
