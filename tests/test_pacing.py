"""Politeness of the suite's own client: the rate limit, the back-off from 429/503, and the gate
that keeps a write (with its snapshots) apart from everything else in flight."""

from __future__ import annotations

import json
import threading
import time

import pytest
from in_flight import count_in_flight
from suite_runs import options

from contract_tests.gate import Gate
from contract_tests.http import WsgiTransport
from contract_tests.pacing import PacedTransport, RateLimiter, StayedBusy
from contract_tests.runner import SuiteUsageError, run_suite
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


def _counted(app) -> list[str]:
    """The paths of the requests `app` receives from now on."""
    seen: list[str] = []
    inner = app.wsgi_app

    def counting(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = counting
    return seen


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


def test_a_deployment_that_stays_busy_is_given_up_on_and_nothing_more_is_sent():
    app = create_app()
    _add_fault(app, action="error", status=503, path="^/api/", ratio=1)
    clock = FakeClock()
    transport = PacedTransport(WsgiTransport(app), RateLimiter(None), sleep=clock.sleep, busy_budget_s=1.5,
                               clock=clock)
    seen = _counted(app)
    with pytest.raises(StayedBusy, match=r"still answered 503 after 1\.5 s of backing off one request \(3 "):
        transport.send("GET", LIST, QUERY, _basic(), None)
    assert transport.busy["gave up"] == 1 and clock.slept == [0.5, 1.0]
    assert len(seen) == 3
    for other in (transport, transport.twin()):  # the other identity's client gives up too
        with pytest.raises(StayedBusy):
            other.send("GET", LIST, QUERY, _basic(), None)
    assert len(seen) == 3 and clock.slept == [0.5, 1.0]
    assert "stayed busy" in transport.note()


def test_a_retry_after_longer_than_the_suite_waits_is_given_up_on_at_once():
    """A spent quota (Retry-After: 3600) would hold every request for minutes: no wait at all."""
    app = create_app()
    _add_fault(app, action="error", status=429, retry_after=3600, path="^/api/", ratio=1)
    clock = FakeClock()
    transport = PacedTransport(WsgiTransport(app), RateLimiter(None), sleep=clock.sleep)
    with pytest.raises(StayedBusy, match="Retry-After: 3600 s"):
        transport.send("GET", LIST, QUERY, _basic(), None)
    assert clock.slept == [] and transport.busy["429"] == 1


def test_a_quota_spent_mid_run_stops_it_soon_with_its_reports(tmp_path):
    """Every answer 429 (Retry-After: 3600) from the rules' first DELETE on: the run used to wait
    out 5 x 30 s per request (over 10 minutes, unfinished); now it stops at once, no verdict."""
    app = create_app()
    inner, spent = app.wsgi_app, threading.Event()

    def quota(environ, start_response):
        if environ["REQUEST_METHOD"] == "DELETE":
            spent.set()
        if spent.is_set() and environ["PATH_INFO"].startswith("/api/"):
            start_response("429 Too Many Requests", [("Content-Type", "application/json"),
                                                     ("Retry-After", "3600")])
            return [b'{"error": "quota"}']
        return inner(environ, start_response)

    app.wsgi_app = quota
    report = tmp_path / "contract.json"
    started = time.monotonic()
    with pytest.raises(SuiteUsageError, match="Retry-After: 3600 s"):
        run_suite(options(app, level="documented", layers=("semantic", "auth"), concurrency=4,
                          json_report=str(report)))
    assert time.monotonic() - started < 60
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["stopped"]["why"] == "run stopped" and data["passed"] is False
    assert not data["failures"]  # a busy deployment breaks no rule
    assert [rule for rule in data["rules"] if rule["status"] == "checked"]


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


def test_a_holder_lends_its_reads_to_other_threads_and_nobody_else_gets_in():
    """A write's snapshot reads side by side inside the write's hold (Gate.lend): they do not wait
    for the hold they serve, another thread's read still does, and a lent read cannot write."""
    from concurrent.futures import ThreadPoolExecutor

    gate, outsider_in, together = Gate(), threading.Event(), threading.Barrier(4)

    def read(name: str) -> str:
        with gate.shared():
            together.wait(2)  # all four inside the gate at once, or BrokenBarrierError
        return name

    def outsider() -> None:
        with gate.shared():
            outsider_in.set()

    def lent_write() -> None:
        with gate.alone():
            pass

    with ThreadPoolExecutor(4) as pool, gate.alone():  # a failure ends the hold, then the pool
        waiting = threading.Thread(target=outsider)
        waiting.start()
        lent = gate.lend([lambda n=n: read(f"r{n}") for n in range(4)])
        answers = [future.result(5) for future in [pool.submit(call) for call in lent]]
        assert answers == ["r0", "r1", "r2", "r3"]
        assert not outsider_in.wait(0.1)  # the hold is still the holder's
        denied = pool.submit(gate.lend([lent_write])[0]).exception(2)
        assert isinstance(denied, RuntimeError) and "may not write" in str(denied)
    waiting.join(2)
    assert outsider_in.is_set()
    with pytest.raises(RuntimeError, match="holds the gate alone"):
        Gate().lend([lambda: None])


class _SlowInner:
    """A transport that counts the requests on the wire at once."""

    base_url = "http://127.0.0.1:9"

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        self.counts = counts if counts is not None else {"now": 0, "most": 0}
        self._lock = threading.Lock()

    def send(self, method, path, query, headers, body):
        with self._lock:
            self.counts["now"] += 1
            self.counts["most"] = max(self.counts["most"], self.counts["now"])
        time.sleep(0.01)
        with self._lock:
            self.counts["now"] -= 1
        return 200, [], b"{}"

    def twin(self):
        return _SlowInner(self.counts)

    def close(self):
        pass


def test_at_most_concurrency_requests_are_on_the_wire_across_identities():
    transport = PacedTransport(_SlowInner(), RateLimiter(None), in_flight=3)
    twin = transport.twin()
    threads = [threading.Thread(target=lambda t=t: [t.send("GET", LIST, QUERY, {}, None) for _ in range(5)])
               for t in [transport, twin] * 6]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert transport.inner.counts["most"] == 3  # 12 threads wanted more; the other identity shares the 3


def test_a_whole_run_keeps_to_its_concurrency():
    """Rules side by side, a rule's reads side by side inside its hold, engine runs side by side
    with their snapshots: never more than --concurrency requests at the deployment at once."""
    app = create_app()
    counts = count_in_flight(app, 0.002)
    result = run_suite(options(app, level="documented", concurrency=3, max_examples=3,
                               layers=("semantic", "auth", "conformance")))
    assert result.passed, result.summary()
    assert counts["most"] == 3, counts


def test_a_lent_read_run_in_the_thread_that_lent_it_leaves_that_thread_reading_for_the_hold():
    """At --concurrency 1 lent reads run in the lending thread itself, and a lent read may lend
    again: neither may end the thread's own right to read inside the hold."""
    gate, reads = Gate(), []

    def read() -> None:
        with gate.shared():
            reads.append(threading.get_ident())

    def read_then_lend_then_read() -> None:
        read()
        for nested in gate.lend([read]):
            nested()  # in this same thread, as run_all does at concurrency 1
        read()

    with gate.alone():
        for lent in gate.lend([read]):
            lent()  # in the holder's thread
        read()
        worker = threading.Thread(target=gate.lend([read_then_lend_then_read])[0], daemon=True)
        worker.start()
        worker.join(2)
        stuck = worker.is_alive()
    assert not stuck, "a lent read lost its right to read inside the hold"
    assert len(reads) == 2 + 3


def test_an_opened_gate_lets_writes_and_reads_meet_and_still_counts_writes():
    """The claims before the rules and the clean-up after them compare nothing: opened, the gate
    lets their writes go side by side (a barrier of two writers and a reader is met)."""
    gate, together = Gate(), threading.Barrier(3)

    def write() -> None:
        with gate.alone():
            gate.note_write()
            together.wait(2)

    def read() -> None:
        with gate.shared():
            together.wait(2)

    with gate.opened():
        threads = [threading.Thread(target=job) for job in (write, write, read)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
    assert not together.broken and gate.writes == 2
    read_in = threading.Event()

    def read_once() -> None:
        with gate.shared():
            read_in.set()

    with gate.alone():  # closed again: a reader waits for the writer
        reader = threading.Thread(target=read_once)
        reader.start()
        assert not read_in.wait(0.2)
    reader.join(2)
    assert read_in.is_set()


def test_generated_requests_wait_out_busy_answers_too():
    """Schemathesis' requests go out as the suite's own: a busy answer to a generated case is
    waited out and counted, not judged as an undocumented status (it was, 429 by 429)."""
    app = create_app()
    _add_fault(app, action="error", status=429, retry_after=0, path="^/api/", ratio=0.05, seed=3)
    result = run_suite(options(app, level="documented", layers=("conformance",), concurrency=4,
                               max_examples=3))
    assert result.passed, result.summary()
    assert any("answered busy" in note and "429" in note for note in result.notes), result.notes


@pytest.mark.parametrize("told", ["-5", "nan", "inf", "0"])
def test_a_retry_after_that_says_no_wait_is_not_a_storm(told):
    """Retry-After -5 or NaN once meant six sends with 0.0 s between: those count as not said
    (the suite's own doubling), and 0 as the shortest wait, not none."""
    answers = iter([429, 429, 200])

    def busy_then_fine(environ, start_response):
        status = next(answers)
        start_response(f"{status} X", [("Content-Type", "application/json"), ("Retry-After", told)])
        return [b"{}"]

    clock = FakeClock()
    transport = PacedTransport(WsgiTransport(busy_then_fine), RateLimiter(None), sleep=clock.sleep)
    assert transport.send("GET", LIST, QUERY, {}, None)[0] == 200
    assert clock.slept == ([0.5, 0.5] if told == "0" else [0.5, 1.0])
