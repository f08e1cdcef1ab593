"""Interactive database clients: every statement typed is inspected before it reaches the
program, so ``DROP TABLE`` typed at the ``psql`` prompt is gated exactly like
``psql -c 'DROP TABLE …'``.

The shim hands an interactive session (stdin a terminal, no ``-c``/``-e``/``-f``/
``--eval`` payload) to :func:`run_interactive`. The real client runs on a pty; shellgate
reads the human's lines itself (with line editing and history), holds them until they
form what the client would act on (:mod:`shellgate.surfaces.db_client.split`), classifies that with
the same inspectors and payload rules as a command-line payload, and then sends it
(allowed), sends it after a key touch (gated), or prints the refusal and sends nothing
of it, clearing what the client still holds of the statement (refused). The client's
output, prompts and exit status pass through; a line typed at a no-echo prompt (a
password) is passed on unread.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any

from shellgate.config import Config
from shellgate.errors import REFUSED, ShellgateError
from shellgate.fsutil import read_payload_file
from shellgate.surfaces.db_client.pty import ClientExited
from shellgate.surfaces.tty import (
    LineRejected,
    check_line,
    line_mode,
    reads_secret,
    say,
    terminal_settings,
)

if TYPE_CHECKING:
    from shellgate.rules.ruleset import RuleSet
    from shellgate.surfaces.db_client.pty import ClientPty
    from shellgate.surfaces.db_client.split import Ready, StatementBuffer
    from shellgate.values import Decision

CONTINUATION = "-> "
EOF_WAIT_SECONDS = 3.0


def is_interactive(tool: str, argv: list[str], rules: RuleSet) -> bool:
    """True when ``argv`` starts ``tool`` reading statements from this terminal (and the
    tool registry marks the client ``interactive``: its sessions are inspected)."""
    from shellgate.payloads.databases.clients import INTERACTIVE, db_payload
    from shellgate.rules.registry import interactive_tools, reader_of

    if tool not in interactive_tools(rules) or not os.isatty(0):
        return False
    reader = reader_of(rules, tool)[1]
    payload = db_payload(reader, [reader, *argv[1:]], None, False, lambda _path: None)
    return payload is not None and INTERACTIVE in payload.opaque


def run_interactive(tool: str, argv: list[str], config: Config) -> int:
    """Run ``tool`` (argv[0] may be a path) with every typed statement gated; its status.

    The invocation itself is decided on first (``--eval`` with ``--shell``, an init
    command, a shell escape in the options…); a refusal returns 126 with one
    ``shellgate: …`` line, and the client is not started.
    """
    name = tool.rsplit("/", 1)[-1]
    try:
        rules = config.rules(exceptions="off")
        _gate_invocation(argv, config, rules)
        from shellgate.execute import find_program

        real = find_program(tool)
        return ClientSession(name, [name, *argv[1:]], config, rules).run(real)
    except ShellgateError as exc:
        say(f"shellgate: {exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        say(f"shellgate: cancelled; {name} was not run")
        return REFUSED


def _gate_invocation(argv: list[str], config: Config, rules: RuleSet) -> None:
    from shellgate.engine import evaluate_argv
    from shellgate.guard import Ask, guard
    from shellgate.surfaces.procs import detect_agent

    def decide() -> Decision:
        return evaluate_argv(list(argv), rules, read_payload_file)

    guard(config, Ask(shlex.join(argv), tuple(argv), decide, asker=detect_agent, redeem=True))


class ClientSession:
    """The loop between the human's terminal and one client program."""

    def __init__(self, tool: str, argv: list[str], config: Config, rules: RuleSet) -> None:
        """A session for ``tool`` started with ``argv`` (argv[0] is the tool's name)."""
        from shellgate.surfaces.db_client.split import StatementBuffer
        from shellgate.values import Command, lit

        self.tool = tool
        self.argv = argv
        self.config = config
        self.rules = rules
        self.buffer: StatementBuffer = StatementBuffer(tool)
        self.command = Command(tuple(lit(a) for a in argv), via=(f"{tool} prompt",))
        self._reprompt = False
        self._eofs = 0
        self._settings: list[Any] | None = None

    def run(self, program: str) -> int:
        """Start ``program`` and pass inspected statements to it until it ends."""
        from shellgate.surfaces.db_client.pty import ClientPty

        client = ClientPty(program, self.argv)
        with line_mode(sys.stdin.fileno()) as settings:
            self._settings = settings
            return self._session(client)

    def _session(self, client: ClientPty) -> int:
        try:
            client.start()
            while not client.exited:
                self._step(client)
        except ClientExited:
            pass
        finally:
            try:
                status = client.close()
            except ClientExited:  # the wake-up arrived as the session was closing anyway
                status = client.close()
        return status

    def _step(self, client: ClientPty) -> None:
        client.settle()
        secret = reads_secret(client.fd) and not self.buffer.holding
        prompt = CONTINUATION if self.buffer.holding else ""
        if self._reprompt and not self.buffer.holding:
            prompt = client.prompt  # the client heard nothing: show its prompt again
        self._reprompt = False
        try:
            if secret:
                with terminal_settings(sys.stdin.fileno(), self._settings):
                    line = getpass.getpass("")
            else:
                line = input(prompt)
        except EOFError:
            self._eofs += 1
            if self._eofs > 2:
                raise ClientExited from None  # input has ended for good: stop the client
            self._clear(client)
            client.send_eof()
            client.wait_exit(EOF_WAIT_SECONDS)
            return
        except KeyboardInterrupt:
            print(flush=True)
            if self.buffer.holding:
                self._clear(client)
            elif client.busy:
                client.interrupt()
            return
        except UnicodeDecodeError:
            say("shellgate: the line is not valid text in this terminal's encoding; not sent")
            return
        self._eofs = 0
        if secret or (reads_secret(client.fd) and not self.buffer.holding):
            # a password for the client's own no-echo prompt (perhaps shown only while the
            # line was typed): the client reads it as a password, never as a statement
            client.send_secret(line)
            return
        line = line.replace("\t", " ")  # a tab would make the client's line editor complete
        try:
            check_line(line)
        except LineRejected as exc:
            say(f"shellgate: {exc}")
            return
        ready = self.buffer.feed(line)
        if ready is not None:
            self._submit(client, ready)

    def decide(self, text: str) -> Decision:
        """The decision on one statement typed at the prompt (never raises)."""
        from shellgate.classify.core import core_finding
        from shellgate.classify.payload import kind_findings
        from shellgate.decide import decide
        from shellgate.surfaces.db_client.split import classify

        try:
            return decide(kind_findings(self.command, classify(self.tool, text), self.rules))
        except Exception as exc:  # an internal error refuses, never allows
            return decide([core_finding("internal-error", f"{type(exc).__name__}: {exc}")])

    def _submit(self, client: ClientPty, ready: Ready) -> None:
        from shellgate.guard import Ask, guard
        from shellgate.surfaces.procs import detect_agent

        decision = self.decide(ready.text)
        if decision.verdict != "allow":
            shown = f"{self.tool}> {ready.text.strip()}"
            try:
                guard(self.config, Ask(shown, tuple(self.argv),
                                       lambda: self.decide(ready.text), asker=detect_agent),
                      decision)
            except ShellgateError as exc:
                say(f"shellgate: {exc.message}")
                self._clear(client)
                return
            except KeyboardInterrupt:
                print(flush=True)
                say("shellgate: approval cancelled; not sent")
                self._clear(client)
                return
        client.send(ready.lines)
        self.buffer.sent()

    def _clear(self, client: ClientPty) -> None:
        """Drop the statement being typed, here and in the client's own buffer."""
        self._reprompt = True
        clear = self.buffer.drop()
        if clear is not None:
            with contextlib.suppress(OSError):
                client.send([clear])
        sys.stdout.flush()
