"""A signal the kernel hands to a worker thread still stops the run at once. A process' signal
goes to any of its threads; Python runs the handler in the main thread, and only once that
thread runs Python code again. CI once sent a run SIGTERM while its main thread waited, with no
timeout, for an engine to end: the run went on sending for over 12 s, until the runner killed
it (test_suite_interrupts_and_busy.py's probes test, status None). Here the signal is sent to a
pool thread on purpose (pthread_kill), as the kernel may choose to."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from contract_tests.schedule import run_in_pool

pytestmark = pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                                reason="signal handlers are set in the main thread only")
JOB_S = 6.0  # how long the job waited for runs, unless stopped


class Stopped(KeyboardInterrupt):
    pass


def _raise_stopped(signum, frame):
    raise Stopped


def test_a_signal_a_worker_thread_caught_stops_the_wait_at_once():
    started, stop = threading.Event(), threading.Event()
    workers: list[int] = []

    def long_job() -> str:
        workers.append(threading.get_ident())
        started.set()
        stop.wait(JOB_S)  # an engine generating, sending: it ends at its next request after a stop
        return "ended"

    def signal_the_worker() -> None:
        started.wait(5)
        time.sleep(0.2)
        signal.pthread_kill(workers[0], signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, _raise_stopped)
    sender = threading.Thread(target=signal_the_worker)
    try:
        sender.start()
        began = time.monotonic()
        with pytest.raises(Stopped):
            run_in_pool([long_job, long_job], 2, "test-signal", [0, 1])
        took = time.monotonic() - began
    finally:
        stop.set()
        sender.join(5)
        signal.signal(signal.SIGUSR1, previous)
    # Sent 0.2 s in; acted on within the pool's wake interval, not when the job ended (6 s).
    assert took < JOB_S / 2, f"the signal was acted on {took:.1f} s after the wait began"
