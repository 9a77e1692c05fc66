"""The faults WireMock users expect - reset, garbage, dribble, 429/503 with headers, lognormal
delays - as a client meets them over real HTTP, under both servers `calendar-mock serve` runs.

The socket faults act on the connection itself (traffic.connection): under granian they need
Linux (/proc/self/fd), where this suite runs.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import statistics
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from hostile_cases import KEY
from test_mock_cli import read_banner, serving

from mock_server.errors import FaultSpecError
from mock_server.traffic.faults import FaultInjector

pytestmark = [pytest.mark.http, pytest.mark.slow]
BASIC = "Basic " + base64.b64encode(b"pro@demo.test:demo-password").decode()
SHOW = "/api/v1/groups/4/calendars/1"
RAW_SHOW = (f"GET {SHOW}?apikey={KEY} HTTP/1.1\r\nHost: x\r\nAuthorization: {BASIC}\r\n"
            "Connection: close\r\n\r\n").encode()


@pytest.fixture(scope="module", params=("granian", "waitress"))
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "granian" and sys.platform != "linux":
        pytest.skip("under granian the socket faults reach the connection through /proc (Linux)")
    log = tmp_path_factory.mktemp(request.param) / "stderr.log"
    with log.open("w") as stderr, serving("--server", request.param, stderr=stderr) as process:
        yield re.search(r"listening on (http://\S+)", read_banner(process))[1]
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.fixture
def mock(base_url: str) -> str:
    requests.post(f"{base_url}/_mock/reset", timeout=10).raise_for_status()
    return base_url


def _inject(base_url: str, **fault: object) -> dict:
    response = requests.post(f"{base_url}/_mock/faults", json=fault, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _show(base_url: str) -> requests.Response:
    return requests.get(f"{base_url}{SHOW}", params={"apikey": KEY}, headers={"Authorization": BASIC},
                        timeout=10)


def _raw(base_url: str) -> tuple[list[tuple[float, bytes]], BaseException | None]:
    """What a raw client reads for one request: (seconds since sending, bytes) per read, and
    the error that ended the reading, if any."""
    host, port = base_url.removeprefix("http://").split(":")
    reads: list[tuple[float, bytes]] = []
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(RAW_SHOW)
        started = time.monotonic()
        try:
            while chunk := connection.recv(65536):
                reads.append((time.monotonic() - started, chunk))
        except OSError as error:
            return reads, error
    return reads, None


def test_reset_is_a_connection_reset_by_peer_before_any_byte(mock):
    _inject(mock, action="reset", path="/calendars/1$", times=1)
    reads, error = _raw(mock)
    assert isinstance(error, ConnectionResetError) and reads == []
    assert _show(mock).status_code == 200
    journal = requests.get(f"{mock}/_mock/requests", timeout=10).json()["requests"]
    assert [entry["fault"]["action"] for entry in journal if "fault" in entry] == ["reset"]


def test_reset_seen_through_requests(mock):
    _inject(mock, action="reset", path="/calendars/1$", times=1)
    with pytest.raises(requests.ConnectionError, match="reset by peer"):
        _show(mock)


def test_garbage_is_random_bytes_then_a_close_reproducible_with_a_seed(mock):
    _inject(mock, action="garbage", path="/calendars/1$", times=1, bytes=100, seed=7)
    reads, error = _raw(mock)
    first = b"".join(chunk for _, chunk in reads)
    assert error is None and len(first) == 100 and not first.startswith(b"HTTP")
    _inject(mock, action="garbage", path="/calendars/1$", times=1, bytes=100, seed=7)
    assert b"".join(chunk for _, chunk in _raw(mock)[0]) == first
    _inject(mock, action="garbage", path="/calendars/1$", times=1)
    with pytest.raises(requests.ConnectionError):
        _show(mock)
    assert _show(mock).status_code == 200


def test_dribble_sends_the_real_answer_in_slow_chunks(mock):
    expected = _show(mock).content
    _inject(mock, action="dribble", path="/calendars/1$", times=1, chunk_bytes=64, interval_ms=100)
    reads, error = _raw(mock)
    assert error is None
    body = b"".join(chunk for _, chunk in reads).partition(b"\r\n\r\n")[2]
    assert body == expected
    assert len(reads) >= 4, "the body came in one piece"
    assert reads[-1][0] - reads[0][0] >= 0.3  # len(expected) // 64 pauses of 0.1 s


def test_dribble_never_holds_a_connection_longer_than_its_cap(mock):
    expected = _show(mock).content
    # One byte a second would take minutes; max_ms sends the rest at once after 0.5 s.
    _inject(mock, action="dribble", path="/calendars/1$", times=1, chunk_bytes=1, interval_ms=1000,
            max_ms=500)
    reads, error = _raw(mock)
    assert error is None
    assert b"".join(chunk for _, chunk in reads).partition(b"\r\n\r\n")[2] == expected
    assert reads[-1][0] < 10


def test_429_with_retry_after_and_503_with_headers(mock):
    _inject(mock, action="error", path="/calendars/1$", times=1, status=429, retry_after=30)
    _inject(mock, action="error", path="/calendars/1$", times=1, status=503,
            headers={"X-Maintenance": "until 10:00"})
    limited = _show(mock)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "30"
    assert "429" in limited.json()["error"]
    unavailable = _show(mock)
    assert unavailable.status_code == 503 and unavailable.headers["X-Maintenance"] == "until 10:00"
    assert _show(mock).status_code == 200


def test_a_lognormal_delay_waits(mock):
    _inject(mock, action="delay", path="/calendars/1$", times=1, seed=1,
            delay_ms={"distribution": "lognormal", "median_ms": 300, "sigma": 0.05})
    started = time.monotonic()
    assert _show(mock).status_code == 200
    assert time.monotonic() - started >= 0.2


def _delays(seed: int, count: int = 400) -> list[float]:
    injector = FaultInjector()
    injector.add({"action": "delay", "ratio": 1.0, "seed": seed,
                  "delay_ms": {"distribution": "lognormal", "median_ms": 100, "sigma": 1.0, "max_ms": 1000}})
    return [injector.pick("GET", "/x").delay_seconds() for _ in range(count)]


def test_lognormal_delays_stay_within_bounds_and_repeat_with_a_seed():
    drawn = _delays(seed=11)
    assert drawn == _delays(seed=11) and drawn != _delays(seed=12)
    assert all(0 < delay <= 1.0 for delay in drawn)
    assert 0.07 < statistics.median(drawn) < 0.14  # exp(N(ln 100 ms, 1)): median 100 ms
    assert max(drawn) == 1.0, "the long tail is cut at max_ms"


def test_uniform_delays_as_a_distribution_and_as_a_pair_are_the_same():
    def drawn(delay_ms: object) -> list[float]:
        injector = FaultInjector()
        injector.add({"action": "delay", "ratio": 1.0, "seed": 3, "delay_ms": delay_ms})
        return [injector.pick("GET", "/x").delay_seconds() for _ in range(50)]

    pair = drawn([10, 90])
    assert pair == drawn({"distribution": "uniform", "min_ms": 10, "max_ms": 90})
    assert all(0.01 <= delay <= 0.09 for delay in pair)


@pytest.mark.parametrize("bad", [
    {"action": "delay", "times": 1, "delay_ms": {"distribution": "lognormal", "median_ms": 100, "sigma": 0}},
    {"action": "delay", "times": 1, "delay_ms": {"distribution": "lognormal", "median_ms": 0, "sigma": 1}},
    {"action": "delay", "times": 1, "delay_ms": {"distribution": "lognormal", "median_ms": 100, "sigma": 1,
                                                 "max_ms": 50}},
    {"action": "delay", "times": 1, "delay_ms": {"distribution": "pareto"}},
    {"action": "delay", "times": 1, "delay_ms": {"distribution": "uniform", "min_ms": 9, "max_ms": 1}},
    {"action": "delay", "times": 1, "delay_ms": {"distribution": "uniform", "min_ms": 1, "x": 1}},
    {"action": "error", "times": 1, "status": 302},
    {"action": "error", "times": 1, "retry_after": -1},
    {"action": "error", "times": 1, "headers": {"Bad Name": "x"}},
    {"action": "error", "times": 1, "headers": {"X-A": "line\r\nbreak"}},
    {"action": "error", "times": 1, "headers": {"Content-Length": "1"}},
    {"action": "garbage", "times": 1, "bytes": 0},
    {"action": "dribble", "times": 1, "chunk_bytes": 0},
    {"action": "dribble", "times": 1, "max_ms": 10**6},
    {"action": "reset", "times": 1, "status": 500},
])
def test_bad_fault_descriptions_are_refused_naming_the_problem(bad):
    injector = FaultInjector()
    with pytest.raises(FaultSpecError) as refused:
        injector.add(bad)
    assert str(refused.value) and injector.list() == []


def test_new_kinds_are_described_with_their_options(calendar_mock):
    described = calendar_mock.inject("dribble", path="/x", times=1, chunk_bytes=8, interval_ms=20)
    assert (described["chunk_bytes"], described["interval_ms"], described["max_ms"]) == (8, 20, 10_000)
    described = calendar_mock.inject("error", path="/x", times=1, status=429, retry_after=5)
    assert described["headers"] == {"Retry-After": "5"}
    assert json.loads(json.dumps(calendar_mock.inject(
        "delay", path="/x", times=1, delay_ms={"distribution": "lognormal", "median_ms": 5, "sigma": 1}
    )))["delay_ms"] == {"distribution": "lognormal", "median_ms": 5.0, "sigma": 1.0, "max_ms": 30_000}
