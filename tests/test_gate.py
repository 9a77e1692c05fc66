"""The rules' gate lets a waiting write in before new reads (a writer rule once waited 5-7 s
behind other rules' steady reads at 50 ms a round trip), without the deadlock that order invites:
a thread that holds the gate shared and reads again, in itself or in threads it waits for."""

from __future__ import annotations

import threading
import time

from contract_tests.gate import Gate

WAIT_S = 5.0


def _started(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _until(condition, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_waiting_writer_goes_before_reads_that_come_after_it():
    gate = Gate(writers_first=True)
    order: list[str] = []
    first_read_in, release_first_read = threading.Event(), threading.Event()

    def first_reader() -> None:
        with gate.shared():
            first_read_in.set()
            release_first_read.wait(WAIT_S)
        order.append("first read out")

    def writer() -> None:
        with gate.alone():
            order.append("write")

    def later_reader() -> None:
        with gate.shared():
            order.append("later read")

    threads = [_started(first_reader)]
    assert first_read_in.wait(WAIT_S)
    threads.append(_started(writer))
    assert _until(lambda: gate._waiting_writers == 1)
    threads.append(_started(later_reader))
    time.sleep(0.1)  # were readers first, the later read would be in by now
    assert order == []
    release_first_read.set()
    for thread in threads:
        thread.join(WAIT_S)
    assert order == ["first read out", "write", "later read"]


def test_a_shared_hold_reads_again_and_lends_its_reads_while_a_writer_waits():
    """A login holds the gate shared, and its guard's snapshot reads inside it, side by side in
    other threads: with the writer waiting, none of them may wait for it."""
    gate = Gate(writers_first=True)
    lent_done: list[int] = []
    writer_in = threading.Event()
    outcome: dict[str, object] = {}

    def read(number: int) -> int:
        with gate.shared():
            lent_done.append(number)
        return number

    def write() -> None:
        with gate.alone():
            writer_in.set()

    def login_with_guard() -> None:
        with gate.shared():
            writer_thread = _started(write)
            assert _until(lambda: gate._waiting_writers == 1)
            with gate.shared():  # the same thread, again
                pass
            jobs = gate.lend_shared([lambda n=n: read(n) for n in range(4)])
            threads = [_started(job) for job in jobs]
            for thread in threads:
                thread.join(WAIT_S)
            outcome["lent finished"] = not any(thread.is_alive() for thread in threads)
            outcome["writer in meanwhile"] = writer_in.is_set()
        outcome["writer"] = writer_thread

    holder = _started(login_with_guard)
    holder.join(WAIT_S * 2)
    assert not holder.is_alive()
    assert outcome == {"lent finished": True, "writer in meanwhile": False, "writer": outcome["writer"]}
    assert sorted(lent_done) == [0, 1, 2, 3]
    assert writer_in.wait(WAIT_S)  # and once the login's hold ended, the writer got in


def test_only_a_holder_lends():
    gate = Gate(writers_first=True)
    for lend in (gate.lend, gate.lend_shared):
        try:
            lend([lambda: None])
        except RuntimeError:
            continue
        raise AssertionError(f"{lend.__name__} lent without a hold")
