"""Politeness of the suite's own client: the rate limit, the back-off from 429/503, and the gate
that keeps a write (with its snapshots) apart from everything else in flight."""

from __future__ import annotations

import threading
import time

from suite_runs import options

from contract_tests.http import WsgiTransport
from contract_tests.pacing import Gate, PacedTransport, RateLimiter
from contract_tests.runner import run_suite
from mock_server import create_app

LIST = "/api/v1/groups/4/calendars"
QUERY = "apikey=demo-apikey-4f1c2b"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_requests_evenly():
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    for _ in range(9):
        limiter.acquire()
    assert clock.now == 2.0  # 9 requests at 4/s: the 9th leaves 2 s after the first
    assert clock.slept == [0.25] * 8


def test_no_rate_limit_never_waits():
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        limiter.acquire()
    assert clock.slept == []


def _add_fault(app, **spec) -> None:
    with app.test_client() as client:
        assert client.post("/_mock/faults", json=spec).status_code == 201


def _basic() -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(b"pro@demo.test:demo-password").decode()}


def test_busy_answers_are_waited_out_and_counted():
    app = create_app()
    _add_fault(app, action="error", status=429, retry_after=2, path="^/api/", times=2)
    _add_fault(app, action="error", status=503, path="^/api/", times=1)
    clock = FakeClock()
    transport = PacedTransport(WsgiTransport(app), RateLimiter(None), sleep=clock.sleep)
    status, _, _ = transport.send("GET", LIST, QUERY, _basic(), None)
    assert status == 200
    assert transport.busy["429"] == 2 and transport.busy["503"] == 1 and not transport.busy["gave up"]
    assert clock.slept == [2.0, 2.0, 2.0]  # Retry-After twice, then the doubling wait (0.5, 1, 2)
    assert "2 x 429, 1 x 503" in transport.note()


def test_a_deployment_that_stays_busy_reaches_the_checks():
    app = create_app()
    _add_fault(app, action="error", status=503, path="^/api/", ratio=1)
    clock = FakeClock()
    transport = PacedTransport(WsgiTransport(app), RateLimiter(None), sleep=clock.sleep, max_tries=3)
    status, _, _ = transport.send("GET", LIST, QUERY, _basic(), None)
    assert status == 503
    assert transport.busy["gave up"] == 1 and clock.slept == [0.5, 1.0]
    assert "stayed busy" in transport.note()


def test_suite_passes_a_deployment_that_is_busy_now_and_then():
    """Busy answers sprinkled over the run are backed off, counted, and no rule fails for them."""
    app = create_app()
    _add_fault(app, action="error", status=429, retry_after=0, path="^/api/", ratio=0.05, seed=3)
    result = run_suite(options(app, level="documented", layers=("semantic", "auth"), concurrency=4))
    assert result.passed, result.summary()
    assert any("answered busy" in note and "429" in note for note in result.notes), result.notes


def test_gate_keeps_writers_apart_from_readers():
    gate, events, lock = Gate(), [], threading.Lock()

    def reader(name: str) -> None:
        with gate.shared():
            with lock:
                events.append(("in", name))
            time.sleep(0.02)
            with lock:
                events.append(("out", name))

    def writer() -> None:
        with gate.alone(), gate.shared():  # the writer may read inside its own window
            with lock:
                events.append(("in", "w"))
            time.sleep(0.02)
            with lock:
                events.append(("out", "w"))

    threads = [threading.Thread(target=reader, args=(f"r{i}",)) for i in range(4)]
    threads.insert(2, threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    inside: set[str] = set()
    for kind, name in events:
        if kind == "in":
            assert "w" not in inside and (name != "w" or not inside), events
            inside.add(name)
        else:
            inside.discard(name)
    assert len(events) == 10


def test_the_rules_gate_lets_a_reader_read_again_while_a_writer_waits():
    """A login holds the rules' gate shared and its guard reads the group inside: were a waiting
    writer let in first, that second read would wait for the writer, which waits for the login."""
    from contract_tests.threads import CheckThreads

    gate = CheckThreads().gate
    writer_waiting, read_again = threading.Event(), threading.Event()

    def writer() -> None:
        writer_waiting.set()
        with gate.alone():
            pass

    def reader() -> None:
        with gate.shared():
            threading.Thread(target=writer, daemon=True).start()
            writer_waiting.wait(5)
            time.sleep(0.05)  # the writer is in alone(), waiting for this reader
            with gate.shared():
                read_again.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(5)
    assert read_again.is_set(), "the nested read waited for the writer: a deadlock"
