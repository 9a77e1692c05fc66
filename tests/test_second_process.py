"""The read operations' generated cases drawn in a second process (schemathesis_layers/
second_process.py): over HTTP at --concurrency > 1 the suite forks, and must conclude exactly as
in one process - the same findings, counted as often - whether the child ends well, dies or
hangs; it must share no connection with its parent, and a Ctrl-C must take it down too.
Real servers on 127.0.0.1 (the kit's mock, with a planted fault where a finding is wanted), the
suite in-process or as the CLI in a process of its own."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from planted_faults.plumbing import after_request, calendars_in
from suite_runs import options
from test_suite_interrupts_and_busy import (
    STOP_WITHIN_S,
    _mock_with_request_log,
    _run_cli,
    _stopped_within,
    _wait_for_line,
)

from contract_tests import bounded_http
from contract_tests.runner import run_suite
from contract_tests.schemathesis_layers import second_process
from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

pytestmark = [pytest.mark.http]


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """`app` served by waitress on 127.0.0.1, which keeps connections alive (werkzeug's server
    closes each: no socket would be there to share); its base URL."""
    with serve_in_thread(app) as running:
        yield running.base_url

_FORKS = [0]  # os.fork()s of this process (subprocess' fork-exec runs no at-fork hook)
os.register_at_fork(after_in_parent=lambda: _FORKS.__setitem__(0, _FORKS[0] + 1))
_NUMBERS = re.compile(r"contract-kit-[0-9]+-[0-9a-f]+|[0-9]+")
LISTED = re.compile(r"^/api/v1/groups/[^/]+/calendars(\.json)?$")


def _listed_without_publicname():
    """The mock, but the calendar lists it answers lack `publicname` (a GET's answer only: the
    read engines in the second process find it, and the list's coverage run here)."""
    app = create_app()

    @after_request(app)
    def drop(request, response):
        if request.method == "GET" and LISTED.match(request.path) and response.is_json:
            body = response.get_json(silent=True)
            for record in calendars_in(body):
                record.pop("publicname", None)
            response.set_data(json.dumps(body))
        return response

    return app


def _run(url: str, concurrency: int, **overrides: Any) -> tuple[Any, int]:
    forks = _FORKS[0]
    result = run_suite(options(base_url=url, app=None, layers=("conformance",), concurrency=concurrency,
                               **overrides))
    return result, _FORKS[0] - forks


def _findings(result) -> list[tuple[str, str, str, str, int]]:
    """Each finding with how often it was seen; the run's own numbers masked."""
    return sorted((f.rule_id, f.layer, _NUMBERS.sub("#", f.operation or ""), _NUMBERS.sub("#", f.message),
                   f.occurrences) for f in result.failures)


def _second_process_notes(result) -> list[str]:
    return [note for note in result.notes if "second process" in note]


@pytest.fixture(scope="module")
def alone():
    """The run in one process (concurrency 1), against its own mock with the fault."""
    with serving(_listed_without_publicname()) as url:
        result, forks = _run(url, 1)
    assert forks == 0 and not result.passed, result.summary()
    assert any(f.operation == "GET /api/v1/groups/{group_id}/calendars" for f in result.failures), \
        _findings(result)
    return result


def test_the_reads_in_a_second_process_give_the_same_findings_counted_as_often(alone):
    with serving(_listed_without_publicname()) as url:
        beside, forks = _run(url, 8)
    assert forks == 1, "the read engines did not go to a second process"
    assert not _second_process_notes(beside), beside.notes
    assert _findings(beside) == _findings(alone)
    assert beside.cases == alone.cases


def test_a_second_process_that_dies_has_its_runs_run_again_here(alone, monkeypatch):
    """The child killed by the kernel (an out-of-memory kill, say) before it sent anything."""
    monkeypatch.setattr(second_process, "_child_main", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    with serving(_listed_without_publicname()) as url:
        beside, forks = _run(url, 8)
    assert forks == 1
    notes = _second_process_notes(beside)
    assert len(notes) == 1 and "exit code -9" in notes[0], beside.notes
    assert _findings(beside) == _findings(alone)


def test_a_second_process_that_hangs_is_killed_and_its_runs_run_here(alone, monkeypatch):
    """A child stuck for good (a lock a parent's thread held at the fork): silent past the bound."""
    monkeypatch.setattr(second_process, "_child_main", lambda *args: time.sleep(600))
    monkeypatch.setattr(second_process, "DRAWING_S", 0.5)
    monkeypatch.setattr(second_process, "LONGEST_WAIT_S", 0.5)
    with serving(_listed_without_publicname()) as url:
        started = time.monotonic()
        beside, forks = _run(url, 8, timeout=1.0)
        took = time.monotonic() - started
    assert forks == 1
    notes = _second_process_notes(beside)
    assert len(notes) == 1 and "started no request for 2 s" in notes[0], beside.notes
    assert _findings(beside) == _findings(alone)
    assert took < 120, took


@pytest.mark.parametrize("overrides", [{"concurrency": 1}, {"max_rate": 500.0}],
                         ids=["concurrency-1", "max-rate"])
def test_no_second_process_at_concurrency_1_or_under_a_max_rate(overrides):
    """--max-rate is one bucket for the whole run: two processes would each keep to it."""
    with serving(create_app()) as url:
        result, forks = _run(url, **{"concurrency": 8, **overrides}, max_examples=1)
    assert result.passed, result.summary()
    assert forks == 0


def test_no_second_process_for_an_app_in_process():
    """The child would test its own copy of the app: what the engines here changed, it would not see."""
    forks = _FORKS[0]
    result = run_suite(options(layers=("conformance",), concurrency=8, max_examples=1))
    assert result.passed, result.summary()
    assert _FORKS[0] == forks


def _child_of_a_fork(reply: Any, session: requests.Session, url: str) -> None:
    adapter = session.get_adapter(url)
    reply.send((len(adapter.poolmanager.pools), bounded_http._WATCHDOG._thread is None))
    answer = session.get(url, timeout=5)  # on a connection of its own, bounded as ever
    reply.send((answer.status_code, bounded_http._WATCHDOG._thread is not None))


def test_a_forked_process_shares_no_connection_and_has_a_watchdog_of_its_own():
    """A kept-alive socket written by two processes would mix their requests' answers; the
    parent's deadline thread is not in the child, so a child's answers would go unbounded."""
    peers: list[tuple[str, int]] = []
    app = create_app()
    inner = app.wsgi_app

    def noted(environ, start_response):
        peers.append((environ["REMOTE_ADDR"], int(environ["REMOTE_PORT"])))
        return inner(environ, start_response)

    app.wsgi_app = noted
    with serving(app) as url:
        session = bounded_http.BoundedSession()
        assert session.get(f"{url}/_mock/health", timeout=5).status_code in (200, 404)
        receiving, sending = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.get_context("fork").Process(target=_child_of_a_fork,
                                                            args=(sending, session, f"{url}/_mock/health"))
        child.start()
        try:
            pools, no_thread = receiving.recv()
            status, watched = receiving.recv()
        finally:
            child.join(10)
        session.get(f"{url}/_mock/health", timeout=5)  # the parent's kept-alive connection still serves
    assert pools == 0 and no_thread
    assert status in (200, 404) and watched
    assert peers[0] == peers[2] != peers[1], peers  # the child on a connection of its own


def _stat(pid: int) -> list[str]:
    """State, parent pid... of /proc/<pid>/stat (after the command's name); [] once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return []


def _children(pid: int) -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and _stat(int(entry.name))[1:2] == [str(pid)]]


def _alive(pid: int) -> bool:
    return _stat(pid)[:1] not in ([], ["Z"])


@contextlib.contextmanager
def _cli_with_a_second_process(tmp_path: Path) -> Iterator[tuple[Any, list[int], list[Any]]]:
    """The CLI's conformance run against a mock answering in 100 ms, once its second process has
    been at work for a second: the CLI, the child's pid, the requests the mock saw (time, method, path)."""
    app, seen = _mock_with_request_log(100)
    layers = ("--layers", "conformance", "--concurrency", "4")
    with serving(app) as url, _run_cli(url, tmp_path / "report.json", *layers) as process:
        _wait_for_line(process, "conformance", 60)
        deadline, children = time.monotonic() + 60, []
        while not children and time.monotonic() < deadline and process.poll() is None:
            children = _children(process.pid)
            time.sleep(0.05)
        assert children, "no second process within 60 s"
        time.sleep(1.0)  # the child's engines under way
        yield process, children, seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the second process is Linux's only")
def test_ctrl_c_takes_the_second_process_down_too(tmp_path):
    with _cli_with_a_second_process(tmp_path) as (process, children, _):
        status, took = _stopped_within(process, signal.SIGINT, 12)
        time.sleep(0.5)
        left = [child for child in children if _alive(child)]
    assert status == 130, (status, took)
    assert took < STOP_WITHIN_S, f"{took:.1f} s from SIGINT to exit"
    assert not left, f"the second process outlived the run: {left}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the second process is Linux's only")
def test_a_run_killed_outright_takes_its_second_process_with_it(tmp_path):
    """SIGKILL (a CI runner's last word) leaves no handler to kill the child: it sees its parent
    gone and ends, rather than go on sending its requests to the deployment."""
    with _cli_with_a_second_process(tmp_path) as (process, children, seen):
        process.kill()
        process.wait(10)
        killed = time.monotonic()
        while any(_alive(child) for child in children) and time.monotonic() < killed + 10:
            time.sleep(0.05)
        gone_after = time.monotonic() - killed
        time.sleep(0.5)
        late = [at for at, _, _ in seen if at > killed + gone_after + 0.3]
    assert gone_after < 3.0, f"the second process outlived its parent by {gone_after:.1f} s"
    assert not late, f"{len(late)} requests after the child was gone"


def test_busy_answers_in_the_second_process_are_counted_with_the_run(monkeypatch):
    """A staging rate-limiting GETs now and then: the child's backed-off 429s are in the note."""
    app = create_app()
    served = [0]
    lock = threading.Lock()

    @after_request(app)
    def busy_now_and_then(request, response):
        if request.method != "GET" or not request.path.startswith("/api/"):
            return response
        with lock:
            served[0] += 1
            every_tenth = served[0] % 10 == 0
        if every_tenth:
            response.status_code = 429
            response.headers["Retry-After"] = "0"
            response.set_data(b'{"error": "slow down"}')
        return response

    with serving(app) as url:
        result, forks = _run(url, 8, max_examples=2)
    assert forks == 1
    busy = [note for note in result.notes if "answered busy" in note]
    counted = int(re.search(r"(\d+) x 429", busy[0])[1]) if busy else 0
    # Every tenth GET answered 429, and each counted by the process that sent it (schemathesis'
    # probes, never re-sent, are not: a few)
    assert served[0] // 10 - 3 <= counted <= served[0] // 10, (busy, served)
    assert result.passed, result.summary()
