"""The run's stop (Ctrl-C, or the SIGTERM of a CI job's timeout), acted on at once everywhere.

A CI runner sends SIGTERM and, a grace period later (Docker 10 s; GitHub Actions 7.5 s from its
SIGINT to its SIGTERM, 2.5 s more to SIGKILL), SIGKILL: whatever the run has not cleaned up by
then stays live in the group. So once `stop()` is called:
- no request of the run's goes out any more (`admit` raises RunInterrupted in the thread that
  would send it), and every wait of the run (a back-off, the rate limit) wakes at once;
- the engines still generating are told to stop (`on_stop`);
- only the clean-up (`clean_up`: the calendars the run made or claimed) may still send, for at
  most CLEAN_UP_S, from the context that entered it and the jobs it hands to other threads
  (schedule.run_all runs each job in a copy of its submitter's context).
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import threading
import time
from collections.abc import Callable, Iterator

from .bounded_http import Unreachable

# What the clean-up may take after a stop: it soft-deletes about 20 calendars, 2-3 requests
# each, --concurrency at a time (about 3 s with 250 ms answers at 4), and must be done before the
# shortest grace period above (7.5 s, of which the run's requests in flight may take some).
CLEAN_UP_S = 5.0
# What the requests already on the wire at the stop may take to come back before the clean-up
# starts (a create's answer is the calendar's id, which the clean-up needs).
SETTLE_S = 2.0

_CLEANING_UP: contextvars.ContextVar[RunStop | None] = contextvars.ContextVar("cleaning_up", default=None)


class RunInterrupted(Unreachable):
    """The run was stopped (Ctrl-C, SIGTERM): this request is not sent."""


class RunStop:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._deadline: float | None = None  # monotonic end of the clean-up
        self.clean_up_lanes: threading.BoundedSemaphore | None = None  # its --concurrency
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._numbers = itertools.count(1)

    def stop(self) -> None:
        self._event.set()
        with self._lock:
            callbacks = list(self._callbacks.values())
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        return self._event.is_set()

    @contextlib.contextmanager
    def on_stop(self, callback: Callable[[], None]) -> Iterator[None]:
        """`callback()` is called on the stop while the block runs (at once if already stopped)."""
        with self._lock:
            number = next(self._numbers)
            self._callbacks[number] = callback
        try:
            if self.is_set():
                callback()
            yield
        finally:
            with self._lock:
                self._callbacks.pop(number, None)

    def cleaning(self) -> bool:
        """Whether this context is the clean-up's, after the stop."""
        return self.is_set() and _CLEANING_UP.get() is self

    def time_left(self) -> float | None:
        """Seconds the clean-up has left, in its context after the stop; None when unbounded."""
        if not self.is_set() or self._deadline is None:
            return None
        return self._deadline - time.monotonic()

    def admit(self) -> None:
        """Raises RunInterrupted when a request may no longer go out from here."""
        if not self.is_set():
            return
        if not self.cleaning():
            raise RunInterrupted("the run was stopped (Ctrl-C or SIGTERM): no request is sent after it "
                                 "but the clean-up's")
        left = self.time_left()
        if left is not None and left <= 0:
            raise RunInterrupted(f"the clean-up after the stop ran out of its {CLEAN_UP_S:g} s")

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, waking at the stop (outside the clean-up; `admit` then raises); in the
        clean-up, no longer than it has left."""
        if self.cleaning():
            left = self.time_left()
            time.sleep(max(0.0, min(seconds, left if left is not None else seconds)))
            return
        self._event.wait(seconds)

    @contextlib.contextmanager
    def clean_up(self, seconds: float = CLEAN_UP_S, lanes: int = 1) -> Iterator[None]:
        """After the stop: requests from this context (and the jobs it starts) go out again,
        for `seconds` at most, `lanes` at a time."""
        self._deadline = time.monotonic() + seconds
        self.clean_up_lanes = threading.BoundedSemaphore(lanes)
        token = _CLEANING_UP.set(self)
        try:
            yield
        finally:
            _CLEANING_UP.reset(token)
