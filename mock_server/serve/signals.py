"""How `calendar-mock serve` stops, under either server: SIGINT or SIGTERM asks it to, and
whatever is running, the process is gone within 2 s."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop

# A stop lets requests in flight finish for STOP_GRACE_S; STOP_DEADLINE_S after the signal
# the process ends whatever it is doing. Whoever stops the mock (Ctrl-C, a test, a supervisor)
# sees every process of it gone within 2 s.
STOP_GRACE_S = 0.5
STOP_DEADLINE_S = 1.5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """SIGINT and SIGTERM ask `calendar-mock serve` to stop; the stop is a success (status 0).

    The first signal sets `requested`, calls `on_stop` if set (it must only wake a thread
    or schedule work: it runs in the main thread, between two bytecodes of whatever runs
    there) and arms a backstop that ends the process with status 0 STOP_DEADLINE_S later, even
    if a request still holds the main thread or a worker thread. A second signal ends the
    process at once. Python runs these handlers between bytecodes, so they run even while a
    Python loop keeps the main thread busy; the backstop is a thread, which gets the GIL
    within the switch interval.
    """

    def __init__(self, deadline_s: float = STOP_DEADLINE_S) -> None:
        self.requested = threading.Event()
        self.on_stop: Callable[[], None] | None = None
        self._deadline_s = deadline_s
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested.is_set():
            exit_now()
        self.requested.set()
        backstop = threading.Timer(self._deadline_s, exit_now)
        backstop.daemon = True
        backstop.start()
        if self.on_stop is not None:
            self.on_stop()

    def call_on(self, loop: AbstractEventLoop, on_stop: Callable[[], None]) -> None:
        """Run `on_stop` on `loop` when a stop is requested (soon, if it already was).

        A signal also wakes the loop, as asyncio's own signal handlers do: Python runs handlers
        in the main thread only, and a signal taken by another thread (granian's) must not
        wait for the loop's next event."""
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        loop.add_reader(reader.fileno(), _drain, reader)
        self._wakeup = (reader, writer)
        self.on_stop = lambda: loop.call_soon_threadsafe(on_stop)
        if self.requested.is_set():
            loop.call_soon(on_stop)

    def wait(self, running: Callable[[], bool] = lambda: True) -> bool:
        """Block the main thread until a stop is requested (True) or `running()` turns False
        (False); signal handlers run meanwhile."""
        while not self.requested.wait(0.25):
            if not running():
                return False
        return True


def _drain(reader: socket.socket) -> None:
    with contextlib.suppress(OSError):  # nothing left to read
        reader.recv(4096)


def exit_now() -> None:
    """End the process with status 0 (a requested stop) now, from any thread.

    Nothing is flushed: the banner and log lines are flushed as they are written, and a
    flush could block on a full pipe."""
    os._exit(0)
