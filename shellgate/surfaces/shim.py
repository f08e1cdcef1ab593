"""The PATH shim: one small script per guarded tool (``shims/shim.tmpl``, written by
``shellgate install``) calls :func:`main` with the tool's name, the config directory and
the shims directory it was installed with.

The shim decides on its argv with the same engine as every other surface, asks for a key
touch when a rule gates it (or redeems the ticket of an approved parent script), and
then replaces itself with the real program, so stdin, stdout, stderr, the terminal,
signals and the exit status are the program's own. Anything that goes wrong refuses
(exit 126); nothing unchecked runs.

What the shim does to stay invisible:

- The real program is the next one on PATH that is not a shim: directories holding the
  shims marker, the shim's own directory and its own file are skipped, and so is any file
  that is a shellgate shim, so copies of shims in unmarked directories cannot ping-pong.
- Standard input is read only when it can carry a payload the decision depends on (a
  database client's SQL, an HTTP body): first the decision is taken with stdin unseen,
  which the classifier treats as at least as risky as any content, and only when that
  is not an allow is stdin buffered, inspected and replayed byte for byte. curl and wget
  read stdin only when an argument names it (``-``, ``@-``); httpie and xh read a piped
  body unasked, so theirs is always buffered. Anything else (git, rm…) keeps its stdin
  untouched.
- The interpreter's own process changes are undone before exec: SIGPIPE and SIGXFSZ go
  back to their default action (Python ignores them, and ignored signals survive exec),
  and on Linux the environment is reset to the one the shim was started with (Python's
  C-locale coercion adds ``LC_CTYPE``).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the shim ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable

    from shellgate.config import Config
    from shellgate.rules.ruleset import RuleSet
    from shellgate.values import Decision

    _Redecide = Callable[[], Decision]

REFUSED = 126
NOT_FOUND = 127
"""Starts the second line of every file ``shellgate install`` writes into a shims dir."""
_READ_CAP = 8 * 1024 * 1024


def main(tool: str, config_dir: str, shims_dir: str) -> int:
    """Decide on ``tool`` with this process's arguments; exec the real program or refuse.

    Returns only to refuse (126), or 127 when there is no real program to run.
    """
    argv = [tool, *sys.argv[1:]]
    try:
        return _run(argv, config_dir, shims_dir)
    except KeyboardInterrupt:
        _say(f"cancelled; {tool} was not run")
    except Exception as exc:
        from shellgate.errors import ShellgateError

        if not isinstance(exc, ShellgateError):
            _crash_log(config_dir, argv)
            _say(f"internal error, refusing: {type(exc).__name__}: {exc}; {tool} was not run")
            return REFUSED
        _say(exc.message)
        if exc.exit_code == NOT_FOUND:
            return NOT_FOUND
    return REFUSED


def restricted_shell(config_dir: str, shims_dir: str) -> None:
    """Run ``shellgate-sh`` bound to ``config_dir``, with the shims first on PATH."""
    parts = [p for p in os.environ.get("PATH", os.defpath).split(os.pathsep)
             if os.path.normpath(p) != os.path.normpath(shims_dir) or not p]
    os.environ["PATH"] = os.pathsep.join([shims_dir, *parts])
    sys.argv[1:1] = ["--config", config_dir]
    from shellgate.surfaces.restricted_shell.main import main as shell_main

    shell_main()


def _run(argv: list[str], config_dir: str, shims_dir: str) -> int:
    from shellgate.execute import find_program

    real = find_program(argv[0], shims_dir)
    sealed = _vault_names(argv[0], config_dir)
    if not sealed and _quick_allow(argv, config_dir):
        _exec(real, argv, None)
    from shellgate.config import Config

    config = Config.at(config_dir)
    rules = config.rules()
    status = _interactive(argv, config, rules)
    if status is not None:
        return status
    from shellgate.guard import decide_argv

    data, decision, redecide = decide_argv(argv, rules, _read_file)
    if sealed and config.state:  # hardened: the broker's runner starts it with the secret
        status = _broker_runs(argv, real, data, decision, config.approval_timeout)
        if status is not None:
            return status
        _exec(real, argv, data)  # approved without a secret: the file the broker checked
    if sealed:
        from shellgate.vault.leasing import try_lease

        status = try_lease(config, argv, decision.verdict, data is not None)
        if status is not None:  # a live lease ran it (no touch, no value in this process)
            return status
        values = _sealed_values(argv, config, decision, redecide, real)
        if values:  # the touch that unlocked them approved this command too
            from shellgate.vault.headers import curl_argv

            _exec(real, curl_argv(argv, values), data, values)
    if decision.verdict != "allow":
        import shlex

        from shellgate.guard import Ask, guard
        from shellgate.surfaces.procs import detect_agent

        guard(config, Ask(shlex.join(argv), tuple(argv), redecide, asker=detect_agent,
                          redeem=True), decision)
    _exec(real, argv, data)
    return REFUSED  # not reached: _exec replaces the process or raises


def _broker_runs(argv: list[str], real: str, data: bytes | None, decision: Decision,
                 timeout: float) -> int | None:
    """Hardened mode, a tool the vault may hold a secret for (``broker.client.run_sealed``):
    the exit status of the command the broker ran, or None to exec it here."""
    from shellgate.broker.sealed_client import run_sealed
    from shellgate.guard import _tell
    from shellgate.surfaces.procs import detect_agent

    return run_sealed(argv=argv, program=real, files=[p for p, _ in decision.files],
                      stdin_data=data, agent=detect_agent(), timeout=timeout, tell=_tell)


def _vault_names(tool: str, config_dir: str) -> bool:
    """Whether the vault may hold a secret for ``tool`` (a substring check: no JSON parse
    on the fast path). An unreadable vault says yes, so the full path refuses it."""
    try:
        with open(os.path.join(config_dir, "vault.json"), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return f'"{tool}"'.encode("utf-8", "surrogateescape") in data


def _sealed_values(argv: list[str], config: Config, decision: Decision,
                   redecide: _Redecide, program: str) -> dict[str, str]:
    """The vault secrets this command receives, after the one touch that approves it."""
    import shlex

    from shellgate.guard import vault_service
    from shellgate.surfaces.procs import detect_agent

    service = vault_service(config, agent=detect_agent())
    values, _ = service.secrets_for_run(argv, shlex.join(argv), decision, redecide,
                                        program=program)
    return values


def _quick_allow(argv: list[str], config_dir: str) -> bool:
    """The engine-free fast path, when this shellgate has one (never allows what it gates)."""
    try:
        from shellgate.surfaces.fastpath import quick_allow
    except ImportError:
        return False
    return quick_allow(argv, config_dir)


def _interactive(argv: list[str], config: Config, rules: RuleSet) -> int | None:
    """Hand an interactive database session (stdin a terminal, no ``-c``/``-e``/``-f``/
    ``--eval`` payload) to ``shellgate.surfaces.db_client.session``, which gates each statement
    typed."""
    from shellgate.rules.registry import interactive_tools

    if argv[0] not in interactive_tools(rules) or not os.isatty(0):
        return None
    import importlib

    try:
        clients = importlib.import_module("shellgate.surfaces.db_client.session")
    except ImportError:  # this shellgate has no session inspector: decide as usual
        return None
    if not clients.is_interactive(argv[0], argv, rules):
        return None
    return int(clients.run_interactive(argv[0], argv, config))


class _Files:
    """Payload files (``psql -f``, ``curl -d @f``) are read from the working directory;
    symlinks in path arguments are resolved there (``shellgate.fsutil.real_path``)."""

    def __call__(self, path: str) -> bytes | None:
        from shellgate.fsutil import read_regular_file  # never a stream: /dev/stdin is ours

        return read_regular_file(path, _READ_CAP)

    @staticmethod
    def real_path(path: str) -> str | None:
        from shellgate.fsutil import real_path

        return real_path(path)


_read_file = _Files()


def _exec(real: str, argv: list[str], data: bytes | None,
          secrets: dict[str, str] | None = None) -> None:
    from shellgate.execute import exec_real

    _restore_process()
    exec_real(real, argv, data, secrets)


def _restore_process() -> None:
    """Undo what starting Python changed, so the program inherits what the shim did."""
    import importlib

    # the C module: ``import signal`` would pull in enum and functools (~7 ms per shim)
    signal = importlib.import_module("_signal")
    for name in ("SIGPIPE", "SIGXFSZ"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)
    original = _initial_environment()
    if original is None or not hasattr(os, "environb"):
        return
    for key in [k for k in os.environb if k not in original]:
        del os.environb[key]
    for key, value in original.items():
        if os.environb.get(key) != value:
            os.environb[key] = value


def _initial_environment() -> dict[bytes, bytes] | None:
    """The environment this process was started with (Linux), before Python touched it."""
    try:
        with open("/proc/self/environ", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    found: dict[bytes, bytes] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key:
            found.setdefault(key, value)
    return found


def _say(message: str) -> None:
    try:
        sys.stderr.write(f"shellgate: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _crash_log(config_dir: str, argv: list[str]) -> None:
    """Append the traceback to ``crash.log`` in the config dir (best effort)."""
    import time
    import traceback

    try:
        with open(os.path.join(config_dir, "crash.log"), "a", encoding="utf-8") as handle:
            handle.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} shim {argv[:1]!r}\n")
            handle.write(traceback.format_exc())
    except OSError:
        pass
