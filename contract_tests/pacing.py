"""How the suite's own requests share a deployment: at most `--max-rate` per second, at most
`--concurrency` in flight, and patient with a deployment that answers 429 or 503 (a write never
goes under a read: gate.Gate).

- `RateLimiter`: one token bucket for the whole run (every thread, every identity).
- `PacedTransport`: wraps any transport with both, and with the back-off: a 429 or 503 is
  waited out (Retry-After when the deployment says, in seconds or as an HTTP date, else 0.5 s
  doubling to 8 s) and re-sent, counted. A deployment still busy BUSY_BUDGET_S after one
  request's first busy answer, or asking for a wait longer than the longest (Retry-After:
  3600, a spent quota), stops the run without a verdict (`StayedBusy`): a busy answer is no
  contract failure, and waiting it out request by request would take hours.
  Every wait wakes at the run's stop (stopping.RunStop), after which only the clean-up sends.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .gate import Gate
from .http import Transport, Unreachable
from .stopping import CLEAN_UP_S, SETTLE_S, RunInterrupted, RunStop

T = TypeVar("T")
BUSY_STATUSES = (429, 503)
FIRST_WAIT_S, LONGEST_WAIT_S = 0.5, 30.0
LONGEST_OWN_WAIT_S = 8.0  # without Retry-After the wait doubles up to this, then stays
# How long one request may meet busy answers before the run gives up on the deployment: a
# per-minute quota (the commonest rate limit) refills within 60 s, and a redeploy or a rolling
# restart answers 503 for about as long; twice that is no passing moment any more.
BUSY_BUDGET_S = 120.0



class RateLimiter:
    """At most `rate` requests per second, spread evenly (a bucket of one: no bursts)."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def acquire(self, sleep: Callable[[float], None] | None = None) -> None:
        """Wait for this request's turn; `sleep` (the run's, which wakes at its stop) if given."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            (sleep or self._sleep)(slot - now)


class StayedBusy(Unreachable):
    """The deployment stayed busy (429/503) beyond the back-off: the run cannot go on now."""


class PacedTransport(Transport):
    """`inner` behind the run's rate limiter, retrying 429/503 answers with back-off, with at
    most `in_flight` requests sent at once (--concurrency; shared with the twins). `stop` is the
    run's (stopping.py); `sleep` and `clock` are the back-off's (time's, or a test's)."""

    def __init__(self, inner: Transport, limiter: RateLimiter, busy: Counter | None = None,
                 sleep: Callable[[float], None] | None = None, busy_budget_s: float = BUSY_BUDGET_S,
                 in_flight: int | threading.BoundedSemaphore = 1, gone: list[str] | None = None,
                 stop: RunStop | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.base_url = inner.base_url
        self.limiter = limiter
        # Held only while a request is on the wire (never while waiting for the gate or a back-off).
        self.in_flight = (in_flight if isinstance(in_flight, threading.BoundedSemaphore)
                          else threading.BoundedSemaphore(max(1, in_flight)))
        self.busy = busy if busy is not None else Counter()  # "429" / "503" / "gave up" -> count
        # Why the deployment was given up on (shared with the twins): no request goes out after.
        self.gone: list[str] = gone if gone is not None else []
        self._lock = threading.Lock()
        self._clean_up_inner: Transport | None = None
        self.stop = stop if stop is not None else RunStop()
        self._given_sleep = sleep
        self._sleep = sleep if sleep is not None else self.stop.wait
        self._clock = clock
        self.busy_budget_s = busy_budget_s
        # Requests that took their turn (re-sends too): a second process's sign of life. Not
        # locked: a count lost between two threads does not matter there.
        self.requests_started = 0

    def send(self, method, path, query, headers, body):
        return self.patiently(lambda: self._connections().send(method, path, query, headers, body),
                              lambda answer: answer[0], lambda answer: answer[1])

    def patiently(self, once: Callable[[], T], status_of: Callable[[T], int],
                  headers_of: Callable[[T], list[tuple[str, str]]]) -> T:
        """`once()` (a request of the suite's, or one schemathesis generated) behind the rate
        limit and in a lane of the in-flight bound (--concurrency: every request on the wire
        holds one, whichever thread or process sent it), sent again while the answer is busy
        (429, 503): waited out, counted. StayedBusy when it is still busy `busy_budget_s` after
        its first busy answer, when it asks for more than LONGEST_WAIT_S, or once any request has
        given up; RunInterrupted after the stop."""
        wait, first_busy, tries = FIRST_WAIT_S, None, 0
        while True:
            self._wait_for_turn()
            with self._lanes():
                answer = once()
            tries += 1
            status = status_of(answer)
            if status not in BUSY_STATUSES:
                return answer
            told = _retry_after(headers_of(answer))
            with self._lock:
                self.busy[str(status)] += 1
            now = self._clock()
            first_busy = now if first_busy is None else first_busy
            if told is not None and told > LONGEST_WAIT_S:
                self._give_up(f"the deployment answered {status} with Retry-After: {told:.0f} s, longer "
                              f"than the suite waits ({LONGEST_WAIT_S:g} s)")
            if now - first_busy >= self.busy_budget_s:
                self._give_up(f"the deployment still answered {status} after {now - first_busy:.1f} s of "
                              f"backing off one request ({tries} tries; the suite backs off for "
                              f"{self.busy_budget_s:g} s at most)")
            pause = wait if told is None else max(told, FIRST_WAIT_S)  # "0": not at once, either
            left = self.stop.time_left()
            if left is not None and pause > left:  # the clean-up after a stop has no time for it
                raise RunInterrupted(f"the deployment answered {status} during the clean-up after the stop, "
                                     f"which has {max(left, 0):.1f} s left, not the {pause:g} s to wait")
            self._sleep(pause)
            wait = min(wait * 2, LONGEST_OWN_WAIT_S)

    def _wait_for_turn(self) -> None:
        """The rate limit's turn, unless the run stopped or gave up on the deployment."""
        self._may_send()
        self.limiter.acquire(self._sleep)
        self._may_send()  # the stop cuts the wait short, or came during it
        self.requests_started += 1

    def _may_send(self) -> None:
        self.stop.admit()
        self._still_there()

    @contextlib.contextmanager
    def one_request(self) -> Iterator[None]:
        """Held while a request sent past this transport goes out (schemathesis' probes): in the
        rate limit and the in-flight bound, none after the run's stop; never re-sent."""
        self._wait_for_turn()
        with self._lanes():
            yield

    def _connections(self) -> Transport:
        """The inner transport; after a stop, the clean-up's own connections: the pool's lock may
        be one the interruption left taken, as the lanes' may (see _lanes)."""
        if not self.stop.cleaning():
            return self.inner
        # No lock here: this transport's own may be the one the interruption left taken. Two
        # clean-up threads making a pool each at the same moment cost a connection, nothing more.
        if self._clean_up_inner is None:
            self._clean_up_inner = self.inner.twin()
        return self._clean_up_inner

    def _lanes(self) -> threading.BoundedSemaphore:
        # After a stop the run's own may be held for good: the KeyboardInterrupt that a signal
        # raises in the main thread wherever it is can leave a lock taken inside it (a run hung
        # so in its clean-up). The clean-up has lanes of its own.
        lanes = self.stop.clean_up_lanes if self.stop.cleaning() else None
        return lanes if lanes is not None else self.in_flight

    def settle(self, seconds: float = SETTLE_S) -> None:
        """Wait until no request of the run is on the wire (at most `seconds`): after the stop,
        before the clean-up reads what the run left. The lanes are read, never taken (see _lanes)."""
        deadline = time.monotonic() + seconds
        while self._lanes_free() < self._slots and time.monotonic() < deadline:
            time.sleep(0.02)

    def after_stop(self, gate: Gate, clean_up: Callable[[], list[str]]) -> list[str]:
        """`clean_up()`'s notes, run after the run's stop: once the requests on the wire came back,
        with the group's gate open (a check cut off mid-write may still hold it), for
        stopping.CLEAN_UP_S. In a thread of its own, waited for a bounded time: a lock the
        interruption left taken must not hold the process (RunInterrupted then)."""
        outcome: list[Any] = []

        def run() -> None:
            try:
                self.settle()
                with self.stop.clean_up(lanes=self._slots), gate.opened():
                    outcome.append(clean_up())
            except BaseException as error:  # handed to the main thread
                outcome.append(error)

        worker = threading.Thread(target=run, name="contract-clean-up", daemon=True)
        worker.start()
        worker.join(SETTLE_S + CLEAN_UP_S + 1.0)
        if not outcome:
            raise RunInterrupted(f"it did not end within {SETTLE_S + CLEAN_UP_S + 1.0:g} s")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def take_lanes(self, count: int) -> None:
        """Hold `count` lanes of the in-flight bound (a second process's share of --concurrency)
        until `release_lanes`."""
        for _ in range(count):
            self.in_flight.acquire()

    def release_lanes(self, count: int) -> None:
        for _ in range(count):
            self.in_flight.release()

    def keep_lanes(self, count: int) -> None:
        """Hold for good every free lane but `count`: a forked process's share, the others its
        parent's (whose threads, gone in the child, may have held some at the fork: never freed)."""
        while self._lanes_free() > count and self.in_flight.acquire(blocking=False):
            pass

    def add_busy(self, busy: dict[str, int], gone: list[str]) -> None:
        """A second process's busy answers, and why it gave up on the deployment, if it did."""
        with self._lock:
            self.busy.update(busy)
            if gone and not self.gone:
                self.gone.append(gone[0])

    @property
    def _slots(self) -> int:
        # --concurrency: the shared semaphore's size (CPython's BoundedSemaphore keeps it there).
        return self.in_flight._initial_value  # type: ignore[attr-defined]

    def _lanes_free(self) -> int:
        return self.in_flight._value  # type: ignore[attr-defined]  # read without its lock

    def _give_up(self, why: str) -> None:
        with self._lock:
            self.busy["gave up"] += 1
            if not self.gone:
                self.gone.append(f"{why}: the run stops here, without a verdict (a busy deployment "
                                 "breaks no contract); run it again when it answers")
        self._still_there()

    def _still_there(self) -> None:
        if self.gone:
            raise StayedBusy(self.gone[0])

    def close(self) -> None:
        self.inner.close()

    def twin(self) -> PacedTransport:
        """Own connections for another identity; the same rate limit and busy counts."""
        return PacedTransport(self.inner.twin(), self.limiter, self.busy, self._given_sleep,
                              self.busy_budget_s, self.in_flight, self.gone, self.stop, self._clock)

    def note(self) -> str | None:
        """What the summary says about busy answers, if there were any."""
        if not self.busy:
            return None
        seen = ", ".join(f"{self.busy[s]} x {s}" for s in ("429", "503") if self.busy[s])
        text = (f"the deployment answered busy ({seen}): the suite backed off (Retry-After, else 0.5 s "
                f"doubling up to {LONGEST_OWN_WAIT_S:g} s) and re-sent each; busy answers are not contract "
                "failures")
        if self.gone:
            return text + f"; then it stayed busy ({self.gone[0]})"
        return text + " - consider a lower --max-rate or --concurrency"


def _retry_after(pairs: list[tuple[str, str]], now: Callable[[], float] = time.time) -> float | None:
    """Seconds Retry-After asks for: delta-seconds or an HTTP date (RFC 9110 10.2.3), the date as
    seconds from `now` (a date past: 0); None when not said or unreadable."""
    for name, value in pairs:
        if name.lower() == "retry-after":
            try:
                told = float(value)
            except ValueError:
                return _seconds_until(value, now)
            # Delta-seconds are a whole number >= 0 (RFC 9110): -5 or NaN once meant six sends
            # with no wait at all; they count as not said.
            return told if math.isfinite(told) and told >= 0 else None
    return None


def _seconds_until(http_date: str, now: Callable[[], float]) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110: HTTP dates are GMT ("-0000" from parsedate_to_datetime)
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now())
