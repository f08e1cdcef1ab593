"""Ask several keys at once, accept the first that answers, and never wait past a deadline.

Every device call runs in a daemon thread; the caller's thread only waits on a queue, so
a key that stops answering (no reply, no keepalive, CANCEL ignored) cannot hold it past
the deadline plus a short grace, and Ctrl-C cancels at once. The shared ``cancel`` event
reaches every call (python-fido2 sends CTAPHID CANCEL when it is set).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from shellgate.approve.fido.messages import (
    CANCELLED,
    DECISIVE,
    NO_KEY,
    PIN,
    TIMED_OUT,
    ApprovalError,
    explain,
)

T = TypeVar("T")
U = TypeVar("U")
GRACE = 1.5
CANCEL_WAIT = 1.0
"""Longest a finished race waits for the other keys' cancels to go out."""
"""Seconds a call may take to wind down once cancelled before it is abandoned."""


class Race(Generic[T]):
    """Tasks started with :meth:`start`; :meth:`first` returns the first success."""

    def __init__(self, timeout: float, *, enrolling: bool = False) -> None:
        self.cancel = threading.Event()
        self.deadline = time.monotonic() + timeout
        self.enrolling = enrolling
        self._results: queue.Queue[tuple[bool, object]] = queue.Queue()
        self._running = 0
        self._threads: list[threading.Thread] = []

    def start(self, task: Callable[[threading.Event], T], name: str = "key") -> None:
        """Run ``task(cancel)`` in a daemon thread."""
        self._running += 1

        def run() -> None:
            try:
                self._results.put((True, task(self.cancel)))
            except BaseException as exc:  # every failure is a result, never an escape
                self._results.put((False, exc))

        thread = threading.Thread(target=run, daemon=True, name=f"shellgate {name}")
        self._threads.append(thread)
        thread.start()

    def call(self, task: Callable[[threading.Event], U], name: str = "key") -> U:
        """Run one task (listing the keys, say) under the deadline and return its result;
        unlike :meth:`first`, success does not cancel the tasks to come."""
        results: queue.Queue[tuple[bool, object]] = queue.Queue()

        def run() -> None:
            try:
                results.put((True, task(self.cancel)))
            except BaseException as exc:  # every failure is a result, never an escape
                results.put((False, exc))

        threading.Thread(target=run, daemon=True, name=f"shellgate {name}").start()
        try:
            ok, value = results.get(timeout=max(0.0, self.deadline - time.monotonic()))
        except queue.Empty:
            self.cancel.set()
            raise ApprovalError(f"{TIMED_OUT} (a key stopped answering)") from None
        except KeyboardInterrupt:
            self.cancel.set()
            raise ApprovalError(CANCELLED, DECISIVE) from None
        if not ok:
            raise explain(value if isinstance(value, BaseException) else
                          RuntimeError(str(value)), enrolling=self.enrolling)
        return value  # type: ignore[return-value]

    def first(self) -> T:
        """The first success; the most useful error once every task failed; a timeout
        (after cancelling everything) at the deadline."""
        errors: list[ApprovalError] = []
        try:
            while self._running:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    return self._expire(errors)
                try:
                    ok, value = self._results.get(timeout=left)
                except queue.Empty:
                    continue
                self._running -= 1
                if ok:
                    self.cancel.set()
                    return value  # type: ignore[return-value]
                error = explain(value if isinstance(value, BaseException) else
                                RuntimeError(str(value)), enrolling=self.enrolling)
                if error.rank >= DECISIVE:
                    self.cancel.set()
                    raise error
                errors.append(error)
        except KeyboardInterrupt:
            self.cancel.set()
            raise ApprovalError(CANCELLED, DECISIVE) from None
        self.cancel.set()
        if not errors:  # nothing was started: no key to ask
            raise ApprovalError(NO_KEY)
        raise max(errors, key=lambda e: e.rank)

    def _expire(self, errors: list[ApprovalError]) -> T:
        """Cancel everything, give the calls a moment to answer, then give up."""
        self.cancel.set()
        end = time.monotonic() + GRACE
        while self._running and time.monotonic() < end:
            try:
                ok, value = self._results.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                break
            self._running -= 1
            if ok:  # touched just as time ran out: still a valid touch, verified later
                return value  # type: ignore[return-value]
        pin = [e for e in errors if e.rank == PIN]
        if pin:  # the key the human is touching may be the one that wants its PIN
            raise ApprovalError(f"{TIMED_OUT}; {pin[0].message}", PIN)
        if self._running:
            raise ApprovalError(f"{TIMED_OUT} (a key stopped answering)")
        raise ApprovalError(TIMED_OUT)

    def close(self) -> None:
        """Cancel whatever still runs, and give the keys still asked a moment (at most
        CANCEL_WAIT seconds in all) to be sent their CTAPHID CANCEL before the caller goes
        on or exits: a key left waiting keeps blinking for a touch that means nothing."""
        self.cancel.set()
        end = time.monotonic() + CANCEL_WAIT
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))
