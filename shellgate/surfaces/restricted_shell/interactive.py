"""Interactive ``shellgate-sh``: a real bash whose every line is decided on before bash
reads it.

The human (or an agent with a terminal) types at a ``shellgate-sh`` prompt; each whole
command (continuation lines included) is decided on by the engine, together with what
the session remembers (:mod:`shellgate.surfaces.restricted_shell.checks`). Allowed: sent to bash,
whose
output is relayed until bash is back at its prompt. Gated: a key touch first, with a
ticket for the nested shims while the line runs. Denied or not approved: one
``shellgate: …`` line, and bash never sees the line. bash's state (directory, variables,
functions, aliases, jobs) persists between lines; the session's exit status is the last
command's. Ctrl-C at the prompt drops the line; Ctrl-D ends the session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shellgate.config import Config
from shellgate.errors import REFUSED, ShellgateError
from shellgate.fsutil import read_payload_file
from shellgate.rules.ruleset import RuleSet
from shellgate.surfaces.restricted_shell.bash import BashChild, SessionBroken, child_env
from shellgate.surfaces.restricted_shell.checks import (
    SessionMemory,
    session_findings,
    shimmed_clients,
    touches_path,
)
from shellgate.surfaces.restricted_shell.lines import Typed, read_command
from shellgate.surfaces.tty import LineRejected, line_mode, say
from shellgate.values import NO_STDIN, Decision, Finding, Script

CONTINUATION = "shellgate-sh> "


def run_session(config_dir: str | None, shims_dir: str | None = None) -> int:
    """Run an interactive session on this terminal; return the last command's status.

    ``shims_dir``: shellgate's shim directory, put first on the child bash's PATH (PATH is
    left alone when None).
    """
    from shellgate.execute import find_real

    config = Config.at(config_dir)
    rules = config.rules(exceptions="off")  # bash's cwd and variables live in the child
    skip = [shims_dir] if shims_dir else []
    bash = find_real("bash", os.environ.get("PATH"), skip)
    return Session(config, rules, bash, shims_dir).run()


class Session:
    """One interactive session: the child bash, the rules, and what earlier lines defined."""

    def __init__(self, config: Config, rules: RuleSet, bash: str,
                 shims_dir: str | None) -> None:
        """Prepare a session over the real bash at ``bash``."""
        self.config = config
        self.rules = rules
        self.bash = bash
        self.shims_dir = shims_dir
        self.memory = SessionMemory()
        env = child_env(shims_dir)
        from shellgate.rules.registry import interactive_tools

        self.shimmed = shimmed_clients(env.get("PATH", ""), interactive_tools(rules))
        self.child = BashChild(bash, env)
        self._cwd_known = False
        self._rules_cwd = os.getcwd()

    def run(self) -> int:
        """The read, decide, run loop; returns bash's exit status."""
        with line_mode(sys.stdin.fileno()):
            return self._loop()

    def _loop(self) -> int:
        self.child.start()
        last = 0
        try:
            while True:
                self.child.flush_output()
                typed, status = self._read()
                if typed is None:
                    if status == -1:  # Ctrl-D
                        print(flush=True)
                        if self.child.exit(last):
                            break
                        continue
                    last = status if status is not None else last
                    continue
                try:
                    ran = self.one(typed)
                except KeyboardInterrupt:  # while deciding: the line is dropped, unsent
                    print(flush=True)
                    last = 130
                    continue
                if ran is None:
                    break  # bash exited (``exit`` typed)
                last = ran
        except SessionBroken as exc:
            say(f"shellgate: {exc.message}")
            self.child.close()
            return REFUSED
        except BaseException:
            self.child.close()  # never leave a bash behind that nobody gates
            raise
        return self.child.close()

    def _read(self) -> tuple[Typed | None, int | None]:
        """The next command; else (None, status to record, or -1 for end of input)."""
        try:
            typed = read_command(input, self.bash, self._prompt(), CONTINUATION)
        except EOFError:
            return None, -1
        except KeyboardInterrupt:
            print(flush=True)
            return None, 130
        except LineRejected as exc:
            say(f"shellgate: {exc}")
            return None, REFUSED
        except UnicodeDecodeError:
            say("shellgate: the line is not valid text in this terminal's encoding; not sent")
            return None, REFUSED
        if typed is not None and typed.syntax_error:
            say(f"shellgate-sh: {typed.syntax_error}")
            return None, 2
        return typed, None

    def _prompt(self) -> str:
        cwd = self.child.cwd()
        self._cwd_known = False
        if cwd:
            try:
                os.chdir(cwd)  # relative paths in the next line are read from bash's cwd
                self._cwd_known = True
            except OSError:
                pass
        where = cwd or "?"
        home = str(Path.home())
        if where == home or where.startswith(home + "/"):
            where = "~" + where[len(home):]
        return f"shellgate-sh:{where}$ "

    def decide(self, text: str) -> tuple[Decision, Script]:
        """The decision on one command in this session (never raises)."""
        from shellgate.classify.core import core_finding
        from shellgate.decide import decide
        from shellgate.engine import evaluate
        from shellgate.parse import parse

        try:
            if self._cwd_known and os.getcwd() != self._rules_cwd:
                # another directory may sit under other project files (.shellgate.toml)
                self.rules = self.config.rules(exceptions="off")
                self._rules_cwd = os.getcwd()
            script = parse(text, self._read_file)
            base = evaluate(text, self.rules, self._read_file, NO_STDIN, os.environ)
            findings: list[Finding] = list(base.findings)
            files = dict(base.files)
            context = self.memory.context(text)
            if context != text:
                within = evaluate(context, self.rules, self._read_file, NO_STDIN, os.environ)
                findings += [f for f in within.findings if f not in findings]
                files.update(within.files)
            trusted = self.memory.path_trusted and not touches_path(text, script)
            findings += session_findings(script, self.shimmed if trusted else frozenset())
            findings += self.memory.findings(text, script)
        except Exception as exc:  # an internal error refuses, never allows
            failed = core_finding("internal-error", f"{type(exc).__name__}: {exc}")
            return decide([failed]), Script(())
        return decide(list(dict.fromkeys(findings)), tuple(sorted(files.items()))), script

    def one(self, typed: Typed) -> int | None:
        """Decide on one command and run it when allowed or approved; its status, 126 when
        refused, None when bash has exited."""
        from shellgate.guard import Ask, guard
        from shellgate.surfaces.procs import detect_agent

        text = typed.text
        decision, script = self.decide(text)
        approved: dict[str, Any] | None = None
        if decision.verdict != "allow":
            try:
                approved = guard(self.config, Ask(text, ("bash", "-c", text),
                                                  lambda: self.decide(text)[0],
                                                  asker=detect_agent), decision).approval
            except ShellgateError as exc:
                say(f"shellgate: {exc.message}")
                return REFUSED
            except KeyboardInterrupt:
                print(flush=True)
                say("shellgate: approval cancelled; not run")
                return REFUSED
            if approved is None:  # nothing left to approve: still the stricter path
                say("shellgate: refused: the decision changed while waiting; not run")
                return REFUSED
        with self._ticket(approved), _no_sigint():
            status = self.child.run(list(typed.lines))
        self.memory.record(text, script, decision.findings if approved else None, self._judge)
        return status

    def _judge(self, text: str) -> tuple[Finding, ...]:
        from shellgate.engine import evaluate

        return evaluate(text, self.rules, self._read_file, NO_STDIN, os.environ).findings

    def _read_file(self, path: str) -> bytes | None:
        """A payload file; a relative one is not visible when bash's directory is unknown
        (shellgate would read another file than bash will: fail closed)."""
        if not self._cwd_known and not os.path.isabs(path):
            return None
        return read_payload_file(path)

    @contextlib.contextmanager
    def _ticket(self, approved: dict[str, Any] | None) -> Iterator[None]:
        """While an approved line runs, its own nested shims need no second touch."""
        if approved is None:
            yield
            return
        from shellgate.approve import tickets

        ticket = tickets.issue(self.config, approved["request"], approved["approval"])
        try:
            yield
        finally:
            tickets.release(ticket)


@contextlib.contextmanager
def _no_sigint() -> Iterator[None]:
    """Ctrl-C while a command runs is a keystroke for the command, never for the session."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
