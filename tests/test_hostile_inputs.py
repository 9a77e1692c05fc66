"""Every hostile input gets a clear answer and leaves the state as it was; none gets a 5xx."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
from hostile_cases import ACCEPTED_EDGES, ACCEPTED_QUERIES, ALL_CASES, BASIC, KEY, REJECTED, send

from mock_server import create_app, mock_of
from mock_server.serve.waitress_server import serve_in_thread


@pytest.fixture(scope="module")
def app():
    return create_app()


def _state(app) -> dict:
    dump = mock_of(app).store.dump()
    dump.pop("sessions")
    return dump


def test_the_catalogue_is_large_and_distinct():
    assert len(REJECTED) >= 60
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", REJECTED, ids=lambda case: case.id)
def test_hostile_input_is_refused_clearly_and_changes_nothing(app, case):
    before = _state(app)
    started = time.monotonic()
    response = send(app, case)
    assert time.monotonic() - started < 5, "no input may make the mock hang"
    assert response.status_code == case.status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    if case.status >= 400:
        assert isinstance(body, dict) and body.get("error"), body
        if case.names:
            assert case.names in json.dumps(body, ensure_ascii=False), body
    if case.status == 405:
        assert response.headers.get("Allow")
    assert _state(app) == before


@pytest.mark.parametrize("case", ACCEPTED_EDGES, ids=lambda case: case.id)
def test_edge_inputs_that_are_valid_are_accepted_and_stored_as_sent(case):
    app = create_app()
    response = send(app, case)
    assert response.status_code == case.status, response.get_data(as_text=True)
    created = response.get_json()
    sent = json.loads(case.body)["calendar"]
    stored = mock_of(app).store.get_calendar(4, created["id"])
    for key, value in sent.items():
        assert stored[key] == value and type(stored[key]) is type(created[key])
    assert isinstance(stored.get("mintime_rdv"), int)


@pytest.mark.parametrize("case", ACCEPTED_QUERIES, ids=lambda case: case.id)
def test_valid_queries_past_the_old_bounds_are_answered_and_change_nothing(app, case):
    before = _state(app)
    response = send(app, case)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["recordsReturned"] == len(body["records"]) <= body["totalRecords"]
    assert _state(app) == before


# -- over real HTTP: what only a socket can send --------------------------------------------
@pytest.fixture(scope="module")
def server():
    with serve_in_thread(create_app()) as running:
        yield running


def _raw_exchange(server, payload: bytes, shut_write: bool = True, timeout: float = 10.0) -> bytes:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(payload)
        if shut_write:
            conn.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _assert_still_healthy(server, before: dict) -> None:
    response = requests.get(f"{server.base_url}/api/v1/groups/4/calendars",
                            params={"apikey": KEY}, headers={"Authorization": BASIC}, timeout=5)
    assert response.status_code == 200
    assert _state(server.app) == before


@pytest.mark.http
def test_truncated_body_neither_hangs_nor_writes(server):
    before = _state(server.app)
    request = (f"POST /api/v1/groups/4/calendars?apikey={KEY} HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: {BASIC}\r\nContent-Type: application/json\r\n"
               "Content-Length: 200\r\n\r\n").encode() + b'{"calendar": {"name": "tru'
    started = time.monotonic()
    answer = _raw_exchange(server, request)
    assert time.monotonic() - started < 10
    assert not answer or answer.split(b" ")[1][:1] == b"4"
    _assert_still_healthy(server, before)


@pytest.mark.http
def test_very_long_url_is_a_4xx(server):
    before = _state(server.app)
    response = requests.get(f"{server.base_url}/api/v1/groups/4/calendars",
                            params={"apikey": KEY, "search": "s" * 300_000},
                            headers={"Authorization": BASIC}, timeout=10)
    assert 400 <= response.status_code < 500
    _assert_still_healthy(server, before)


@pytest.mark.http
@pytest.mark.parametrize("raw_path", [
    b"/api/v1/groups/4/calendars/%FF%FE",
    b"/api/v1/groups/4/calendars/1%00",
    b"/api/v1/groups/%E2%80%8F4/calendars",
])
def test_odd_bytes_in_the_path_are_a_4xx(server, raw_path):
    before = _state(server.app)
    request = (b"GET " + raw_path + b"?apikey=" + KEY.encode() + b" HTTP/1.1\r\nHost: x\r\n"
               b"Authorization: " + BASIC.encode() + b"\r\nConnection: close\r\n\r\n")
    answer = _raw_exchange(server, request, shut_write=False)
    status = int(answer.split(b" ")[1])
    assert 400 <= status < 500, answer[:300]
    _assert_still_healthy(server, before)


@pytest.mark.http
def test_chunked_body_over_the_cap_is_refused(server):
    before = _state(server.app)

    def chunks():
        yield b'{"calendar": {"name": "x", "address": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}}'

    response = requests.post(f"{server.base_url}/api/v1/groups/4/calendars", params={"apikey": KEY},
                             data=chunks(), headers={"Authorization": BASIC,
                                                     "Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert "larger" in response.json()["error"]
    _assert_still_healthy(server, before)
