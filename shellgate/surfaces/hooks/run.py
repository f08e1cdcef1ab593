"""``shellgate hook AGENT``: read one hook call, decide, wait for a touch when the command
is gated, and answer in the agent's own format before the agent's hook timeout.

Every failure (bad input, broken config, internal error, running out of time) becomes
the dialect's deny; nothing here turns an exception into an allow. A watchdog alarm
answers deny before the agent's own timeout would fail open.
"""

from __future__ import annotations

import os
import sys
import time

from shellgate.fsutil import read_payload_file
from shellgate.surfaces.hooks import jsonin
from shellgate.surfaces.hooks.dialect import Answer, BadInput, HookRequest, Payload, Verdict

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    import signal
else:  # the C module: ``signal`` wraps it in enums, ~6 ms of every hook call
    import _signal as signal
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import IO

    from shellgate.config import Config
    from shellgate.rules.ruleset import RuleSet
    from shellgate.surfaces.hooks.agents.base import Agent
    from shellgate.values import Decision

MAX_INPUT_BYTES = 2 * 1024 * 1024
"""Hook inputs larger than this are refused unread."""
READ_SECONDS = 20
"""An agent writes its input at once; a stdin still open after this is refused."""
PROBE = "SHELLGATE_HOOK_PROBE"
"""Set to 1 by ``doctor``'s probe: a gated command is denied at once instead of asking for
a touch. It can only turn an approval wait into a denial, so an agent setting it gains
nothing."""
TOUCH = "a human must approve this exact command with a hardware security-key touch"
SAME_RULE = ("Rewording the command, splitting it up, or doing the same operation through "
             "another tool, shell or script is gated by the same rule and needs the same "
             "touch; an approval is bound to one exact command and cannot be reused.")


class HookDeadline(Exception):
    """The hook is about to run out of the agent's time: answer deny now."""


def dialects() -> dict[str, Agent]:
    """Every supported agent name and its dialect (``shellgate.surfaces.hooks.agents``)."""
    from shellgate.surfaces.hooks.agents import registry

    return registry()


def load_payload(data: bytes) -> Payload:
    """Strict JSON: one object, UTF-8, no duplicate keys, no NaN, bounded size."""
    if len(data) > MAX_INPUT_BYTES:
        raise BadInput(f"input larger than {MAX_INPUT_BYTES} bytes")
    try:
        value = jsonin.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadInput(f"input is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BadInput("input is not a JSON object")
    return value


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise HookDeadline("shellgate ran out of the agent's hook time")


def run_hook(dialect: Agent, raw: bytes, config: Callable[[], Config],
             quick_dir: str | None = None, answer_by: float | None = None) -> Answer:
    """Decide one hook call; always returns the agent's answer, never raises.

    ``config`` loads the configuration when the engine is needed; ``quick_dir``, the
    config directory, lets plain commands no rule can match be allowed without it
    (``shellgate.surfaces.fastpath``). ``answer_by`` is the monotonic time the installed
    entry's deadline falls at (None: the dialect's own budget from now)."""
    started = time.monotonic()
    request: HookRequest | None = None
    try:
        parsed = dialect.parse(load_payload(raw))
        _no_nul(parsed)
        request = parsed
        if answer_by is None:
            answer_by = started + request.budget + min(8.0, request.budget * 0.15)
        from shellgate.values import replace

        request = replace(request, budget=max(0.0, answer_by - 1.0 - started))
        _arm(answer_by - 1.0 - time.monotonic())
        verdict = _decide(request, config, started, quick_dir)
    except BadInput as exc:
        verdict = _refused(f"the {dialect.name} hook input could not be checked ({exc})")
    except HookDeadline:
        verdict = _refused("no decision was reached within the agent's hook time")
    except Exception as exc:  # an internal error must refuse, never allow
        from shellgate.errors import ShellgateError

        detail = exc.message if isinstance(exc, ShellgateError) else \
            f"internal error: {type(exc).__name__}: {exc}"
        verdict = _refused(detail)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        return dialect.answer(request, verdict)
    except Exception:  # the answer itself failed: the dialect's unreadable-input deny
        return dialect.answer(None, _refused("the answer could not be rendered"))


def _arm(seconds: float) -> None:
    """Raise HookDeadline in the main thread ``seconds`` from now (the watchdog thread
    answers a moment later should the main thread not get to run)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, max(0.05, seconds))


def _no_nul(request: HookRequest) -> None:
    """A NUL in the working directory cannot be entered (one in the command is the
    engine's to refuse, by policy)."""
    if request.cwd is not None and "\x00" in request.cwd:
        raise BadInput("the cwd contains a NUL character")


def _refused(detail: str) -> Verdict:
    reason = (f"shellgate: refused: {detail}; the command was not allowed. "
              "A human can check the setup with `shellgate doctor`.")
    return Verdict("deny", reason, "shellgate: refused a command: " + detail)


def _decide(request: HookRequest, load: Callable[[], Config], started: float,
            quick_dir: str | None) -> Verdict:
    if request.command is None:
        return Verdict("allow")
    if request.cwd:
        try:
            os.chdir(request.cwd)
        except OSError as exc:
            return _refused(f"cannot enter the working directory {request.cwd!r}: "
                            f"{exc.strerror}")
    from shellgate.decide import refuse_unread

    oversize = refuse_unread(request.command)
    if oversize is not None and not load().state:  # hardened: the broker reads it itself
        from shellgate.decide import unread_summary

        # personal mode: the guard audits a deny and refuses; it never asks anyone else
        return _approve(request, oversize, load(), None, started,
                        unread_summary(request.command))
    sealed = _sealed(request.command, load)
    if sealed is not None:
        return Verdict("deny", f"shellgate: {sealed}", f"shellgate: refused: {sealed}")
    if quick_dir is not None:
        from shellgate.surfaces.fastpath import quick_allow_script

        if quick_allow_script(request.command, quick_dir):
            return Verdict("allow")
    from shellgate.engine import evaluate

    config = load()
    command = request.command
    rules = config.rules(exceptions="no-tilde")  # the agent's shell keeps its own HOME
    decision = evaluate(command, rules, read_payload_file, environ=os.environ)
    if decision.verdict == "allow":
        return Verdict("allow")
    if decision.verdict == "deny":
        return _approve(request, decision, config, rules, started)
    from shellgate.surfaces.hooks import dedup

    with dedup.twin(config.directory / "hooks" / "seen", request) as slot:
        earlier = slot.previous() if slot is not None else None
        if earlier is not None:
            return earlier
        verdict = _approve(request, decision, config, rules, started)
        if slot is not None:
            slot.record(verdict)
        return verdict


def _sealed(command: str, load: Callable[[], Config]) -> str | None:
    """A refusal when the command uses a tool whose vault secret only a shim can deliver
    and that tool has no shim installed (``shellgate.vault.surfaces``)."""
    config = load()
    if not os.path.exists(os.path.join(config.root, "vault.json")):
        return None  # no vault: nothing to deliver (one stat on the hook's fast path)
    from shellgate.vault.surfaces import hook_refusal, installed_shim

    shims = ""
    if config.state:
        from shellgate.hardened.state import detect

        state = detect()
        shims = str(state.layout.shims) if state else ""
    return hook_refusal(command, config.directory, installed_shim(config.directory, shims))


def _approve(request: HookRequest, decision: Decision, config: Config,
             rules: RuleSet | None, started: float, shown: str | None = None) -> Verdict:
    """Gate through the one approval flow; issue a ticket for the shims once approved.
    ``shown``: what the human and the audit trail see instead of an oversize command."""
    from shellgate.guard import Ask, Refused, guard
    from shellgate.surfaces.procs import detect_agent

    command = shown if shown is not None else request.command or ""
    first = next((f for f in decision.findings if f.action == decision.verdict),
                 decision.findings[0])

    def redecide() -> Decision:  # ``rules`` None: refused unread, and still refused
        if rules is None:
            return decision
        from shellgate.engine import evaluate

        return evaluate(command, rules, read_payload_file, environ=os.environ)

    left = request.budget - (time.monotonic() - started) - 2
    timeout = min(config.approval_timeout, left)
    try:
        if decision.verdict == "gate" and os.environ.get(PROBE) == "1":
            raise Refused("doctor's probe: no touch was asked for")
        if decision.verdict == "gate" and timeout < 1:
            raise Refused("no time was left to wait for a key touch")
        approved = guard(config, Ask(command, ("bash", "-c", command), redecide,
                                     asker=detect_agent, timeout=max(timeout, 1.0)),
                         decision).approval
    except Refused as exc:
        detail = exc.message.removesuffix("; not run").rsplit(" — ", 1)[-1]
        if decision.verdict == "deny":
            reason = (f"shellgate: denied by rule {first.rule_id} ({first.summary}). This "
                      "command is refused by policy; a key touch cannot approve it, and "
                      "rewording it or doing the same through another tool, shell or script "
                      "is refused by the same rule.")
            return Verdict("deny", reason, f"shellgate: denied {first.rule_id}")
        reason = (f"shellgate: not approved: rule {first.rule_id} ({first.summary}); "
                  f"{TOUCH}, and none was given ({detail}). " + SAME_RULE)
        return Verdict("deny", reason, f"shellgate: not approved: {first.rule_id}: {detail}")
    if approved is None:  # cannot happen for gate/deny; never read it as an approval
        return _refused("the approval flow returned no approval")
    from shellgate.approve import tickets  # only once approved (a refusal never needs it)

    tickets.issue(config, approved["request"], approved["approval"],
                  tickets.HOOK_TICKET_SECONDS)
    short = _short(approved["request"])
    return Verdict("approved",
                   f"shellgate: approved with a security-key touch [{short}] for this exact "
                   f"command (rule {first.rule_id}).",
                   f"shellgate: approved [{short}] {first.rule_id}")


def _short(request: dict[str, object]) -> str:
    from shellgate.approve.request import ApprovalRequest

    try:
        return ApprovalRequest.from_json(dict(request)).short()
    except (KeyError, ValueError, TypeError):
        return "?"


def read_input(stream: IO[bytes]) -> bytes:
    """Read stdin up to one byte over the limit (so oversized input is detected)."""
    return stream.read(MAX_INPUT_BYTES + 1)


def emit(answer: Answer) -> int:
    """Write the answer and return the exit status (unless the watchdog already answered:
    then wait for it to end the process)."""
    from shellgate.surfaces.hooks import watchdog

    if watchdog.armed() and not watchdog.claim():
        time.sleep(60)  # the watchdog is writing its deny and exits the process
    if answer.stderr:
        sys.stderr.write(answer.stderr)
    if answer.stdout:
        sys.stdout.write(answer.stdout)
    sys.stdout.flush()
    sys.stderr.flush()
    return answer.exit_code


def finish(status: int) -> None:
    """Exit now with ``status``: a device thread still winding down after a timeout must
    not keep the agent waiting past its hook deadline."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: S110 - exiting with the status decided is all that is left
        pass
    os._exit(status)


def main(agent: str, config: Callable[[], Config], quick_dir: str | None = None,
         deadline: float | None = None) -> int:
    """The whole hook process: read stdin, decide, answer; returns the exit status.

    ``deadline``: seconds from the watchdog's start (the process start, when the entry
    module armed it) by which the answer is out; None uses the agent's default budget."""
    from shellgate.surfaces.hooks import watchdog
    from shellgate.surfaces.hooks.agents import NAMES, get

    dialect = get(agent)
    if dialect is None:
        sys.stderr.write(f"shellgate: unknown agent {agent!r} "
                         f"(known: {', '.join(NAMES)}); refusing\n")
        return 2
    if not watchdog.armed():
        seconds = deadline if deadline is not None else \
            dialect.budget + min(8.0, dialect.budget * 0.15) + 1.0
        watchdog.start(agent, seconds)
    watched = watchdog.answer_by()
    answer_by = watched - 0.5 if watched is not None and deadline is not None else None
    signal.signal(signal.SIGTERM, _alarm)  # killed by the agent: still answer deny
    signal.signal(signal.SIGALRM, _alarm)
    read_for = READ_SECONDS if watched is None else \
        min(READ_SECONDS, watched - 1.0 - time.monotonic())
    signal.setitimer(signal.ITIMER_REAL, max(0.05, read_for))
    try:
        raw = read_input(sys.stdin.buffer)
    except HookDeadline:
        raw = b""
    except OSError:
        raw = b""
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    answer = run_hook(dialect, raw, config, quick_dir, answer_by)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # main thread: cannot fail
    return emit(answer)
