"""A reader-writer lock over the group's state, for the suite's own requests side by side.

Reads (GET, logins) hold it shared; a write and the snapshots that bracket it
(unchanged.guard_refusals) hold it alone, so a refused write is judged against exactly the state
it met, whatever else is in flight; a waiting write can be let in before new reads
(`writers_first`). It also counts writes sent and answered (`note_write`), so that a snapshot no
write has outdated is read once, not again before the next write.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


class Gate:
    """Many readers or one writer; the writer's thread may read (and write again) inside.
    `writers_first`: a writer waiting keeps new readers out (else a steady stream of readers can
    hold it off until they all end) - only for holders that never read again while reading."""

    def __init__(self, writers_first: bool = False) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer: int | None = None
        self._depth = 0
        self._writers_first = writers_first
        self._waiting_writers = 0
        self._helpers: set[int] = set()  # threads reading for the writer (`lend`)
        self._writing: set[int] = set()  # of those, threads writing for it (`lend(writes=True)`)
        self._open = False  # no comparison in progress: nobody takes turns (`opened`)
        self._local = threading.local()  # this thread holds the gate shared (`shared`, `lend_shared`)
        # Moves when a write is sent and again when its answer comes: a snapshot of the group
        # taken while it did not move is still the group's state (unchanged.snapshot reuses it).
        self.writes = 0
        self._writes_lock = threading.Lock()

    def note_write(self) -> None:
        with self._writes_lock:
            self.writes += 1

    @contextlib.contextmanager
    def opened(self) -> Iterator[None]:
        """While no check compares the group (the claims before the rules, the clean-up after
        everything), writes and reads go side by side; writes are still counted. Entered and
        left by the one thread that runs the others; nested in the clean-up after a stop."""
        was_open, self._open = self._open, True
        try:
            yield
        finally:
            self._open = was_open

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Held again by a thread that holds it shared (or reads for one: `lend_shared`), it
        does not wait: with `writers_first`, a waiting writer would keep the inner hold out and
        the outer one in for good."""
        me = threading.get_ident()
        if self._open or self._writer == me or me in self._helpers or getattr(self._local, "reads", 0):
            yield
            return
        with self._cond:
            while self._writer is not None or (self._writers_first and self._waiting_writers):
                self._cond.wait()
            self._readers += 1
        self._local.reads = 1
        try:
            yield
        finally:
            self._local.reads = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    def held_shared(self) -> bool:
        """Whether this thread holds the gate shared (a login, whose guard reads inside)."""
        return bool(getattr(self._local, "reads", 0))

    def lend_shared(self, reads: Sequence[Callable[[], T]]) -> list[Callable[[], T]]:
        """`reads`, to run in other threads inside this thread's shared hold while it waits for
        them: with `writers_first`, a thread of their own would wait behind a waiting writer,
        and the writer for this hold."""
        if not self.held_shared():
            raise RuntimeError("only a thread that holds the gate shared lends its hold")

        def lent(read: Callable[[], T]) -> Callable[[], T]:
            def run() -> T:
                before = getattr(self._local, "reads", 0)
                self._local.reads = 1
                try:
                    return read()
                finally:
                    self._local.reads = before
            return run

        return [lent(read) for read in reads]

    def held_alone(self) -> bool:
        """Whether this thread holds the gate alone, or reads for the thread that does."""
        me = threading.get_ident()
        return self._writer == me or me in self._helpers

    def lend(self, reads: Sequence[Callable[[], T]], writes: bool = False) -> list[Callable[[], T]]:
        """`reads`, to run in other threads inside this thread's alone hold while it waits for
        them: they read as the holder would (another thread's read would wait for the hold to
        end, and the hold for the read). They may not write, unless `writes`: then they write
        inside the hold too (unchanged.refused_together: writes the holder judges together)."""
        writer = self._writer
        if not self.held_alone():
            raise RuntimeError("only a thread that holds the gate alone lends its reads")

        def lent(read: Callable[[], T]) -> Callable[[], T]:
            def run() -> T:
                me = threading.get_ident()
                with self._cond:
                    if self._writer != writer:
                        raise RuntimeError("a lent read ran after its hold ended")
                    joined = me != writer and me not in self._helpers  # else it already reads for the hold
                    if joined:
                        self._helpers.add(me)
                        if writes:
                            self._writing.add(me)
                try:
                    return read()
                finally:
                    if joined:
                        with self._cond:
                            self._helpers.discard(me)
                            self._writing.discard(me)
            return run

        return [lent(read) for read in reads]

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        me = threading.get_ident()
        if me in self._writing:  # a write lent to the hold: inside it already
            yield
            return
        if me in self._helpers:
            raise RuntimeError("a read lent to a hold may not write")
        if self._open:
            yield
            return
        with self._cond:
            if self._writer != me:
                self._waiting_writers += 1
                while self._writer is not None or self._readers:
                    self._cond.wait()
                self._waiting_writers -= 1
                self._writer = me
            self._depth += 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._writer = None
                    self._cond.notify_all()
