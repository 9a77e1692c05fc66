"""The mock as `calendar-mock serve` runs it, under granian (the default) and waitress.

The in-process tests drive the WSGI app directly; here the same catalogue of hostile inputs
goes over real HTTP through each server, which must answer as the app does. The faults
whose behaviour depends on the server (a delay, a cut connection) are checked under both.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from hostile_cases import ACCEPTED_EDGES, KEY, REJECTED, Case
from spec_validation import check_http_response
from test_mock_cli import read_banner, serving

pytestmark = [pytest.mark.http, pytest.mark.slow]
SERVERS = ("granian", "waitress")
# granian (its HTTP library, hyper) answers a longer request target itself: 414, no body.
GRANIAN_MAX_TARGET = 65534
BASIC = "Basic " + base64.b64encode(b"pro@demo.test:demo-password").decode()
LIST = "/api/v1/groups/4/calendars"


@pytest.fixture(scope="module", params=SERVERS)
def server(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def base_url(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp(server) / "stderr.log"
    with log.open("w") as stderr, serving("--server", server, stderr=stderr) as process:
        try:
            banner = read_banner(process)
        except AssertionError as error:
            raise AssertionError(f"{error}; stderr: {log.read_text()[-2000:]}") from None
        yield re.search(r"listening on (http://\S+)", banner)[1]


@pytest.fixture
def mock(base_url: str) -> str:
    requests.post(f"{base_url}/_mock/reset", timeout=10).raise_for_status()
    return base_url


def _state(base_url: str) -> dict:
    return requests.get(f"{base_url}/_mock/state", timeout=10).json()


def _target(case: Case) -> str:
    target = quote(case.path, safe="/%:@!$&'()*+,;=")
    if case.query:
        target += "?" + quote(case.query, safe="/%:@!$&'()*+,;=?[]")
    return target


def _send(base_url: str, case: Case) -> tuple[int, str, bytes]:
    """Status, Content-Type and body of `case` sent as it is (no client-side clean-up)."""
    headers = dict(case.headers)
    if case.auth:
        headers.setdefault("Authorization", BASIC)
    if case.content_type:
        headers["Content-Type"] = case.content_type
    target = _target(case)
    host_port = base_url.removeprefix("http://")
    connection = http.client.HTTPConnection(host_port, timeout=10)
    try:
        connection.request(case.method, target, body=case.body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("case", REJECTED + ACCEPTED_EDGES, ids=lambda case: case.id)
def test_every_server_answers_the_hostile_catalogue_as_the_app_does(mock, server, case):
    before = _state(mock)
    status, content_type, body = _send(mock, case)
    if server == "granian" and len(_target(case)) > GRANIAN_MAX_TARGET:
        assert (status, body) == (414, b"")
        assert _state(mock) == before
        return
    assert status == case.status, body[:300]
    assert content_type.startswith("application/json")
    if case.method != "HEAD":
        answer = json.loads(body)
        if case.status >= 400:
            assert answer.get("error"), answer
            if case.names:
                assert case.names in json.dumps(answer, ensure_ascii=False), answer
    if not case.changes:
        assert _state(mock) == before


def test_a_session_from_the_login_form_reaches_the_calendars(mock):
    wrong = hashlib.sha1(b"not-the-password").hexdigest()
    login = requests.post(f"{mock}/api/v1/sessions/login", params={"apikey": KEY},
                          data={"pro[email]": "pro@demo.test", "pro[password]": wrong}, timeout=10)
    assert login.status_code == 401  # the form is read, and checked
    digest = hashlib.sha1(b"demo-password").hexdigest()
    login = requests.post(f"{mock}/api/v1/sessions/login", params={"apikey": KEY},
                          data={"pro[email]": "pro@demo.test", "pro[password]": digest}, timeout=10)
    assert login.status_code == 200, login.text
    listed = requests.get(f"{mock}{LIST}", params={"apikey": KEY}, cookies=login.cookies, timeout=10)
    assert [record["id"] for record in check_http_response(listed)["records"]][:2] == [1, 2]


def test_writes_round_trip_and_head_sends_no_body(mock):
    auth, params = {"Authorization": BASIC}, {"apikey": KEY}
    created = requests.post(f"{mock}{LIST}", params=params, headers=auth,
                            json={"calendar": {"name": "Agenda servi"}}, timeout=10)
    calendar = check_http_response(created)
    assert created.status_code == 201
    one = f"{mock}{LIST}/{calendar['id']}"
    updated = requests.put(one, params=params, headers=auth, json={"calendar": {"city": "Lyon"}}, timeout=10)
    assert check_http_response(updated)["city"] == "Lyon"
    head = requests.head(one, params=params, headers=auth, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(requests.get(one, params=params, headers=auth,
                                                                   timeout=10).content)
    journal = requests.get(f"{mock}/_mock/requests", params={"method": "PUT"}, timeout=10).json()
    assert journal["requests"][-1]["body"] == {"calendar": {"city": "Lyon"}}


def test_a_chunked_body_is_read_and_capped(mock):
    auth = {"Authorization": BASIC, "Content-Type": "application/json"}

    def body(size: int) -> Iterator[bytes]:
        yield b'{"calendar": {"name": "x", "address": "'
        yield b"a" * size
        yield b'"}}'

    small = requests.post(f"{mock}{LIST}", params={"apikey": KEY}, data=body(100), headers=auth, timeout=10)
    assert small.status_code == 201, small.text
    large = requests.post(f"{mock}{LIST}", params={"apikey": KEY}, data=body(100_000), headers=auth,
                          timeout=10)
    assert large.status_code == 400 and "larger" in large.json()["error"]


def _inject(base_url: str, **fault: object) -> None:
    requests.post(f"{base_url}/_mock/faults", json=fault, timeout=10).raise_for_status()


def _show(base_url: str, timeout: float = 10) -> requests.Response:
    return requests.get(f"{base_url}{LIST}/1", params={"apikey": KEY},
                        headers={"Authorization": BASIC}, timeout=timeout)


def test_a_delay_holds_only_its_own_request(mock):
    _inject(mock, action="delay", path="/calendars$", delay_ms=1500, times=1)
    delayed: list[float] = []

    def list_slowly() -> None:
        started = time.monotonic()
        requests.get(f"{mock}{LIST}", params={"apikey": KEY}, headers={"Authorization": BASIC}, timeout=10)
        delayed.append(time.monotonic() - started)

    slow = threading.Thread(target=list_slowly)
    slow.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert _show(mock).status_code == 200
    assert time.monotonic() - started < 1.0, "another request waited for the delayed one"
    slow.join(timeout=10)
    assert delayed and delayed[0] >= 1.4


def test_drop_and_truncate_break_the_response_then_the_mock_serves_again(mock):
    _inject(mock, action="drop", path="/calendars/1$", times=1)
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        _show(mock).json()
    _inject(mock, action="truncate", path="/calendars/1$", times=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _show(mock)
    assert _show(mock).status_code == 200
    faulted = requests.get(f"{mock}/_mock/requests", timeout=10).json()["requests"]
    assert [entry["fault"]["action"] for entry in faulted if "fault" in entry] == ["drop", "truncate"]


def test_a_body_cut_short_is_refused_and_writes_nothing(mock):
    before = _state(mock)
    host, port = mock.removeprefix("http://").split(":")
    request = (f"POST {LIST}?apikey={KEY} HTTP/1.1\r\nHost: x\r\nAuthorization: {BASIC}\r\n"
               "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request + b'{"calendar": {"name": "cut"}}')
        connection.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    if answer:  # waitress drops such a request unanswered; granian answers it
        status, _, rest = answer.partition(b"\r\n")
        assert status.split(b" ")[1] == b"400", answer[:300]
        assert b"ended before it was complete" in rest
    assert _state(mock) == before
