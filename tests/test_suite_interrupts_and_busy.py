"""A run against a busy staging, and a run stopped (Ctrl-C, a CI job's SIGTERM): QA's probe found
a Retry-After given as an HTTP date ignored (re-sent at 0.5, 1.5, 3.5 s), a deployment
rate-limiting for 30 s given up on after 5 s, a SIGINT during a 25 s back-off not acted on for
over 90 s, and a SIGTERM with 250 ms answers taking 26 s and 300 more requests to exit (every
queued rule still ran), long enough for a CI runner's SIGKILL to leave calendars live. Real
servers on 127.0.0.1: the kit's mock served over HTTP, the CLI in a process of its own."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from suite_runs import APIKEY, GROUP, PASSWORD, USER
from tls_support import serving

from contract_tests.gate import Gate
from contract_tests.http import HttpTransport
from contract_tests.pacing import PacedTransport, RateLimiter, StayedBusy
from contract_tests.stopping import RunInterrupted
from mock_server import create_app

pytestmark = [pytest.mark.http]

LIST = f"/api/v1/groups/{GROUP}/calendars"
QUERY = f"apikey={APIKEY}"
ROOT = Path(__file__).resolve().parent.parent
# What a CI runner gives a job from its first signal to its next (GitHub Actions cancelling: SIGINT,
# 7.5 s, SIGTERM, 2.5 s, SIGKILL): the run must be out, cleaned up, before the next comes.
STOP_WITHIN_S = 7.5


def _busy_then_fine(busy_for_s: float, retry_after) -> tuple[object, list[float]]:
    """A WSGI app answering 429 (Retry-After: `retry_after()`) for `busy_for_s`, then 200; the
    times requests came (monotonic)."""
    arrivals: list[float] = []
    started: list[float] = []

    def app(environ, start_response):
        now = time.monotonic()
        arrivals.append(now)
        started[:] = started or [now]
        if now - started[0] < busy_for_s:
            start_response("429 Too Many Requests", [("Content-Type", "application/json"),
                                                     ("Retry-After", retry_after())])
            return [b'{"error": "slow down"}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"records": [], "totalRecords": 0}']

    return app, arrivals


def test_a_retry_after_given_as_an_http_date_is_waited_until():
    """Retry-After: <date 3 s ahead> (RFC 9110 10.2.3) was read as "not said": re-sent after 0.5 s."""
    app, arrivals = _busy_then_fine(2.0, lambda: formatdate(time.time() + 3, usegmt=True))
    with serving(app) as url:
        transport = PacedTransport(HttpTransport(url, timeout=5), RateLimiter(None))
        assert transport.send("GET", LIST, QUERY, {}, None)[0] == 200
    # The date is whole seconds: 3 s ahead is 2 to 3 s from the first answer.
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] >= 1.9, arrivals
    assert transport.busy["429"] == 1


def test_a_retry_after_date_too_far_ahead_is_given_up_on_at_once_as_its_seconds_would_be():
    app, arrivals = _busy_then_fine(60.0, lambda: formatdate(time.time() + 3600, usegmt=True))
    with serving(app) as url:
        transport = PacedTransport(HttpTransport(url, timeout=5), RateLimiter(None))
        started = time.monotonic()
        with pytest.raises(StayedBusy, match=r"Retry-After: 3\d\d\d s, longer than the suite waits \(30 s\)"):
            transport.send("GET", LIST, QUERY, {}, None)
    assert time.monotonic() - started < 2 and len(arrivals) == 1


def test_a_deployment_rate_limiting_longer_than_six_tries_is_waited_out():
    """429 with Retry-After: 1 for 6.5 s: six tries (five 1-s waits) gave up after 5 s, no verdict.
    A request now backs off for up to BUSY_BUDGET_S (120 s) before the run stops."""
    app, arrivals = _busy_then_fine(6.5, lambda: "1")
    with serving(app) as url:
        transport = PacedTransport(HttpTransport(url, timeout=5), RateLimiter(None))
        assert transport.send("GET", LIST, QUERY, {}, None)[0] == 200
    assert len(arrivals) >= 7 and transport.busy["429"] == len(arrivals) - 1
    assert not transport.busy["gave up"]


def _mock_with_request_log(delay_ms: int) -> tuple[object, list[tuple[float, str, str]]]:
    """The kit's mock answering every API request after `delay_ms`; (time, method, path) of each
    request the run sends."""
    app = create_app()
    if delay_ms:
        with app.test_client() as client:
            fault = {"action": "delay", "delay_ms": delay_ms, "path": "^/api/", "ratio": 1}
            assert client.post("/_mock/faults", json=fault).status_code == 201
    seen: list[tuple[float, str, str]] = []
    inner = app.wsgi_app

    def logged(environ, start_response):
        if not environ["PATH_INFO"].startswith("/_mock/"):  # the test's own, not the run's
            seen.append((time.monotonic(), environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return inner(environ, start_response)

    app.wsgi_app = logged
    return app, seen


@contextlib.contextmanager
def _run_cli(url: str, report: Path, *extra: str) -> Iterator[subprocess.Popen]:
    """`calendar-contract run` against `url` in a process of its own, killed on leaving if alive."""
    process = subprocess.Popen(
        [sys.executable, "-m", "contract_tests.cli", "run", "--base-url", url, "--apikey", APIKEY,
         "--user", USER, "--password", PASSWORD, "--group-id", str(GROUP), "--level", "documented",
         "--seed", "7", "--intervention-id", "1", "--progress", "lines", "--json", str(report), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=_signals_as_a_shell_leaves_them)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _wait_for_line(process: subprocess.Popen, text: str, timeout_s: float) -> list[str]:
    """The CLI's output up to its first line holding `text` (a watchdog kills a hung run)."""
    watchdog = threading.Timer(timeout_s, process.kill)
    watchdog.start()
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if text in line:
                return lines
    finally:
        watchdog.cancel()
    raise AssertionError(f"no line with {text!r} within {timeout_s} s:\n{''.join(lines)}")


def _signals_as_a_shell_leaves_them() -> None:
    """In the child before it runs the command: no signal blocked, SIGINT and SIGTERM at their
    defaults. A child inherits its parent's blocked and ignored signals, and a pytest worker
    that ran other tests first is not a shell (a run that ignored SIGINT outlived it under
    `make test` only)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def _signal_state(pid: int) -> str:
    """The process' blocked, ignored and caught signals (/proc), for a failure's message."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError as error:
        return f"(no /proc status: {error})"
    return "; ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def _stopped_within(process: subprocess.Popen, signum: int, seconds: float) -> tuple[int | None, Any]:
    """Send `signum`; the exit status and how long the exit took (None and the process' signal
    state when it still ran `seconds` later, then killed)."""
    sent = time.monotonic()
    process.send_signal(signum)
    threading.Thread(target=process.stdout.read, daemon=True).start()  # its pipe must not fill
    try:
        status = process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        state = _signal_state(process.pid)
        process.kill()
        process.wait(10)
        return None, f"still running {seconds:g} s after the signal ({state})"
    return status, time.monotonic() - sent


def _live_calendars_of_the_suite(app) -> list[tuple[int, str]]:
    with app.test_client() as client:
        listed = client.get(f"{LIST}?{QUERY}&results=all", auth=(USER, PASSWORD)).get_json()
    return [(record["id"], record["name"]) for record in listed["records"]
            if record["name"].startswith("contract-kit-") and not record.get("deleted")]


def _creates(requests: list[tuple[str, str]]) -> list[str]:
    return [path for method, path in requests if method == "POST" and path.endswith("/calendars")]


def test_sigterm_with_slow_answers_stops_the_run_at_once_and_cleans_up(tmp_path):
    """250 ms answers, --concurrency 4, SIGTERM 2 s into the checks: every queued rule used to
    run first (15-26 s, 200-300 requests); now no rule starts after it, the run's calendars are
    soft-deleted and the process is out well within a CI grace period."""
    app, seen = _mock_with_request_log(250)
    report = tmp_path / "report.json"
    layers = ("--layers", "semantic,auth", "--concurrency", "4")
    with serving(app) as url, _run_cli(url, report, *layers) as process:
        _wait_for_line(process, "discovered", 30)
        time.sleep(2.0)  # the first rules running, the others queued
        signalled = time.monotonic()
        status, took = _stopped_within(process, signal.SIGTERM, 12)
        after = [(method, path) for at, method, path in seen if at > signalled + 0.3]
        live = _live_calendars_of_the_suite(app)
    assert status == 143, (status, took)
    assert took < STOP_WITHIN_S, f"{took:.1f} s from SIGTERM to exit"
    assert len(after) < 30 and not _creates(after), after  # the clean-up's alone
    assert not live, live
    notes = json.loads(report.read_text(encoding="utf-8"))["notes"]
    assert any("interrupted" in note for note in notes), notes
    assert any(note.startswith("clean-up:") for note in notes), notes


def test_ctrl_c_during_a_long_back_off_stops_the_run_at_once(tmp_path):
    """The deployment starts answering 429 with Retry-After: 25 mid-run, then Ctrl-C: the threads
    sitting in their back-off used to wait it out (QA: alive 90 s later); now they wake at the
    stop, and the clean-up (the deployment answering again by then) soft-deletes the run's
    calendars."""
    app, seen = _mock_with_request_log(0)  # a delay fault would answer before the 429 one
    report = tmp_path / "report.json"
    layers = ("--layers", "semantic,auth", "--concurrency", "4")
    with serving(app) as url, _run_cli(url, report, *layers) as process:
        _wait_for_line(process, "semantic", 30)
        with app.test_client() as client:
            busy = {"action": "error", "status": 429, "retry_after": 25, "path": "^/api/", "ratio": 1}
            fault = client.post("/_mock/faults", json=busy).get_json()
            time.sleep(1.5)  # every thread of the run now in a 25 s back-off
            assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 200
        before = len(seen)  # nothing on the wire now: every thread backs off
        status, took = _stopped_within(process, signal.SIGINT, 12)
        after = [(method, path) for _, method, path in seen[before:]]
        live = _live_calendars_of_the_suite(app)
    assert status == 130, (status, took)
    assert took < STOP_WITHIN_S, f"{took:.1f} s from SIGINT to exit"
    assert after and not _creates(after), after  # the clean-up's alone
    assert not live, live


def test_schemathesis_probes_keep_to_the_max_rate(tmp_path):
    """Each engine run starts with schemathesis' probes (`GET /`, `GET /schemathesis-probe...`),
    sent past the suite's transport: at --max-rate 20 QA saw 24 in one second, a burst. Now they
    take their turns in the run's bucket (and the run stops at once when told)."""
    rate = 10.0
    app, seen = _mock_with_request_log(0)
    report = tmp_path / "report.json"
    paced = ("--layers", "conformance", "--concurrency", "4", "--max-rate", str(rate), "--max-examples", "1")
    with serving(app) as url, _run_cli(url, report, *paced) as process:
        _wait_for_line(process, "conformance", 30)
        time.sleep(3.0)  # the first engines' probes sent
        status, took = _stopped_within(process, signal.SIGTERM, 12)
    arrivals = sorted(seen)
    probes = [(at, path) for at, _, path in arrivals if not path.startswith("/api/")]
    assert status == 143 and len(probes) >= 4, (status, took, probes)
    # Sent 1/R apart, they arrive with the jitter of a loaded machine: a probe opens a connection
    # of its own, and CI saw one arrive 70 ms late, 28 ms after the next. So no single gap is
    # asserted: any five arrivals in a row span 4/R less that jitter (up to 2/R here), and any
    # second holds R of them and two late ones. A burst sent 4 engines' probes 5-20 ms apart.
    times = [at for at, _, _ in arrivals]
    spans = [round(times[index + 4] - times[index], 3) for index in range(len(times) - 4)]
    assert min(spans) > 2 / rate, spans
    in_one_second = max(sum(1 for at in times if start <= at < start + 1) for start in times)
    assert in_one_second <= rate + 2, in_one_second


def test_a_lock_the_interruption_left_taken_holds_up_neither_the_clean_up_nor_the_exit():
    """A signal's KeyboardInterrupt lands in the main thread wherever it is: once inside the
    in-flight semaphore's acquire, leaving its lock taken, and the clean-up then waited for it
    for ever (a CLI found alive 20 minutes after its SIGTERM). The clean-up now has lanes of its
    own, and runs in a thread of its own, waited for a bounded time."""
    app, seen = _mock_with_request_log(0)
    with serving(app) as url:
        transport = PacedTransport(HttpTransport(url, timeout=5), RateLimiter(None), in_flight=2)
        transport.in_flight._cond.acquire()  # as the interruption left it
        transport.stop.stop()
        with pytest.raises(RunInterrupted):  # nothing but the clean-up goes out after the stop
            transport.send("GET", LIST, QUERY, {}, None)
        started = time.monotonic()
        notes = transport.after_stop(Gate(), lambda: [str(transport.send("GET", LIST, QUERY, {}, None)[0])])
        assert notes == ["401"] and len(seen) == 1  # the clean-up's request, answered
        assert time.monotonic() - started < 2
        with pytest.raises(RunInterrupted, match="did not end within"):
            transport.after_stop(Gate(), lambda: [str(transport.in_flight.acquire())])  # held for ever
        transport.in_flight._cond.release()  # the clean-up's thread ends


class _PoolTheInterruptionBroke(HttpTransport):
    """Connections whose pool lock the interruption left taken (seen: a run's clean-up never
    sent a request, and its process outlived the CI grace period); twin() is a fresh pool."""

    def __init__(self, url: str) -> None:
        super().__init__(url, timeout=5)
        self.broken = threading.Lock()
        self.broken.acquire()

    def send(self, method, path, query, headers, body):
        if not self.broken.acquire(timeout=2):
            raise AssertionError("waited on the pool the interruption broke")
        return super().send(method, path, query, headers, body)

    def twin(self) -> HttpTransport:
        return HttpTransport(self.base_url, timeout=5)


def test_the_clean_up_after_a_stop_sends_on_connections_of_its_own():
    app, seen = _mock_with_request_log(0)
    with serving(app) as url:
        transport = PacedTransport(_PoolTheInterruptionBroke(url), RateLimiter(None))
        transport.stop.stop()
        notes = transport.after_stop(Gate(), lambda: [str(transport.send("GET", LIST, QUERY, {}, None)[0])])
    assert notes == ["401"] and len(seen) == 1


def test_an_interrupted_command_exits_though_a_thread_of_the_run_waits_on_a_lock_for_ever():
    """A thread of the run waiting on a lock the interruption left taken kept the process alive
    after its reports were written: Python waits for every thread of a pool at exit."""
    script = ("import threading, contract_tests.cli as cli\n"
              "stuck = threading.Lock(); stuck.acquire()\n"
              "threading.Thread(target=stuck.acquire).start()  # not a daemon: exit waits for it\n"
              "cli.main = lambda: (print('reports written'), cli.EXIT_TERMINATED)[1]\n"
              "cli.entry()\n")
    process = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                             timeout=60)
    assert process.returncode == 143 and process.stdout == "reports written\n", process
