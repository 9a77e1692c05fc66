"""What each check keeps to itself when checks run side by side (--concurrency): the `expect`s
it counted, the names it made, the last exchange it sent; and what they share safely: the gate
that lets a write go alone (gate.Gate) and values made once however many ask at a time."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from typing import Any

from .gate import Gate
from .http import Exchange


class CheckThreads:
    cache: dict[str, Any]  # the context's cache, which `shared_once` fills
    def __init__(self) -> None:
        # Writers first: with readers first, a writer rule waited 5-7 s for a turn of 0.1 s at
        # 50 ms a round trip, behind the other rules' steady reads. A thread that holds the gate
        # shared and reads again (a login's guard) is let in again, and lends its hold to the
        # reads it sends side by side (`Gate.shared`, `Gate.lend_shared`).
        self.gate = Gate(writers_first=True)
        # While generated writes go side by side with other engines' snapshots (their own
        # partitions: schemathesis_layers.run), a write in flight holds this shared and a list
        # read in pages (`listing_still`) alone: pages of one state, none skipped or read twice.
        # None otherwise: the rules' writes and reads already take turns at `gate`.
        self.listing: Gate | None = None
        self._lock = threading.RLock()
        self._sessions = threading.RLock()
        self._local = threading.local()
        self._key_locks: dict[str, threading.Lock] = {}
        self._names = itertools.count(1)  # names made outside a check (discovery, schemathesis)

    def listing_still(self) -> contextlib.AbstractContextManager[None]:
        """While held, no write that could add or drop a listed calendar lands (see `listing`)."""
        return self.listing.alone() if self.listing is not None else contextlib.nullcontext()

    @property
    def checks_run(self) -> int:
        """`expect`s stated so far by this thread (the runner counts a check's by difference)."""
        return getattr(self._local, "checks", 0)

    def start_check(self, slot: int) -> None:
        """Names made by the check in `slot` are `<label>-<slot*100+n>`: the same whatever runs beside it."""
        self._local.slot, self._local.made = slot, 0

    def last_exchange(self) -> Exchange | None:
        """The last exchange this thread sent (another check's may be later in the journal)."""
        return getattr(self._local, "last", None)

    def one_session(self) -> contextlib.AbstractContextManager[bool]:
        """Hold while a login of the user and the requests its cookie makes are sent: no other
        check logs in meanwhile (a deployment may end a user's session when they log in again).
        Taken at a check's start, before the gate, never inside it."""
        return self._sessions

    @contextlib.contextmanager
    def _flagged(self, flag: str) -> Iterator[None]:
        """This thread's `flag` on while the block runs (as it was after)."""
        before = getattr(self._local, flag, False)
        setattr(self._local, flag, True)
        try:
            yield
        finally:
            setattr(self._local, flag, before)

    def must_succeed(self) -> contextlib.AbstractContextManager[None]:
        """Writes this thread sends meanwhile are ones its check fails unless they succeed (a 2xx
        expected of each, right after it): the refusal guard leaves them out
        (unchanged.guard_refusals), whose snapshot before each would only judge a write the
        check fails anyway, at a round trip inside the group's hold."""
        return self._flagged("must_succeed")

    def writes_must_succeed(self) -> bool:
        return getattr(self._local, "must_succeed", False)

    def alone(self) -> Any:
        """Hold the group still: no other check's write until the block ends (before/after comparisons)."""
        return self.gate.alone()

    def _number(self) -> int:
        slot = getattr(self._local, "slot", None)
        if slot is None:
            return 100_000 + next(self._names)
        self._local.made += 1
        return slot * 100 + self._local.made

    def shared_once(self, key: str, make: Any) -> Any:
        """`cache[key]`, made once however many checks ask at the same time. Never called while
        holding `alone()` (making it may write, which waits for the gate)."""
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.cache:
                self.cache[key] = make()
            return self.cache[key]
