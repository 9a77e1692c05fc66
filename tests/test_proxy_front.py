"""The proxy's own HTTP/1.1 server, spoken to over raw sockets: what a client that is not a
well-behaved library may send - pipelined requests, a malformed or endless head, Expect, HEAD,
HTTP/1.0, an Upgrade, a client that leaves half-way - gets a clear answer or a closed
connection, never a proxy that stops serving."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from proxy_support import upstream_wsgi

from mock_server.proxy.app import ProxyApp, ProxyConfig
from mock_server.proxy.front import Front
from mock_server.proxy.relay import Relay
from mock_server.serve.front_server import serve_front_in_thread

PATH = "/api/v1/groups/4/calendars"


def _echo(environ, start_response):
    """Answers what it received: method, target, body length."""
    body = environ["wsgi.input"].read()
    target = environ.get("RAW_URI") or environ["PATH_INFO"] + (
        f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
    reply = json.dumps({"method": environ["REQUEST_METHOD"], "target": target, "length": len(body)}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))])
    return [reply]


def _big(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"records": [' + b"0," * 500_000 + b"0]}"]


@contextlib.contextmanager
def front(app=_echo, **timeouts: float) -> Iterator[tuple[str, int]]:
    """The proxy in front of a WSGI upstream: its (host, port)."""
    with upstream_wsgi(app) as upstream:
        proxy_app = ProxyApp(ProxyConfig(upstream=upstream.base_url, keep_response_bytes=64 * 1024))
        running = serve_front_in_thread(Front(Relay(proxy_app), **timeouts))
        try:
            host, port = running.base_url.removeprefix("http://").rsplit(":", 1)
            yield host, int(port)
        finally:
            running.stop(timeout=2)
            proxy_app.close()


def exchange(address: tuple[str, int], data: bytes, timeout: float = 5) -> bytes:
    """Send `data`, read until the proxy closes the connection (or `timeout`)."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        return read_all(sock, timeout)


def read_all(sock: socket.socket, timeout: float) -> bytes:
    chunks, end = [], time.monotonic() + timeout
    sock.settimeout(timeout)
    while time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def answers(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The answers in `raw`, each framed by its Content-Length."""
    found = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", len(rest)))
        found.append((int(status_line.split()[1]), headers, rest[:length]))
        raw = rest[length:]
    return found


def get(path: str = PATH, extra: str = "", version: str = "1.1") -> bytes:
    return f"GET {path} HTTP/{version}\r\nHost: x\r\n{extra}\r\n".encode()


def test_pipelined_requests_are_answered_in_order() -> None:
    with front() as address:
        raw = exchange(address, get(f"{PATH}?n=1") + get(f"{PATH}?n=2")
                       + get(f"{PATH}?n=3", "Connection: close\r\n"))
    got = answers(raw)
    assert [status for status, _, _ in got] == [200, 200, 200]
    assert [json.loads(body)["target"] for _, _, body in got] == [f"{PATH}?n={n}" for n in (1, 2, 3)]
    assert got[-1][1]["connection"] == "close"


def test_the_request_target_goes_upstream_as_sent() -> None:
    target = f"{PATH}/1?apikey=k&conditions%5B0%5D%5Bfield%5D=name&x=%2Fa%20b"
    with front() as address:
        (status, _, body), = answers(exchange(address, get(target, "Connection: close\r\n")))
    assert status == 200 and json.loads(body)["target"] == target


def test_a_malformed_request_is_answered_400_and_the_proxy_serves_on() -> None:
    with front() as address:
        (status, headers, body), = answers(exchange(address, b"GET /x HTTP/1.1\r\nBad Header\r\n\r\n"))
        assert status == 400 and headers["connection"] == "close"
        assert "not valid HTTP" in json.loads(body)["error"]
        assert requests.get(f"http://{address[0]}:{address[1]}{PATH}", timeout=5).status_code == 200


def test_a_head_too_large_is_answered_431_and_never_relayed() -> None:
    relayed = []

    def counting(environ, start_response):
        relayed.append(environ["PATH_INFO"])
        return _echo(environ, start_response)

    with front(counting) as address:
        raw = exchange(address, get(extra=f"X-Big: {'a' * 70_000}\r\n"))
        many = exchange(address, get(extra="".join(f"X-{n}: v\r\n" for n in range(250))))
    assert answers(raw) == [(431, answers(raw)[0][1], answers(raw)[0][2])]  # one answer, then closed
    assert answers(raw)[0][0] == 431 and "64 KiB" in json.loads(answers(raw)[0][2])["error"]
    assert answers(many)[0][0] == 431 and "header lines" in json.loads(answers(many)[0][2])["error"]
    assert relayed == []


def test_a_head_that_never_ends_is_answered_408_in_bounded_time() -> None:
    with front(head_timeout_s=0.3, sweep_s=0.05) as address:
        started = time.monotonic()
        raw = exchange(address, f"GET {PATH} HTTP/1.1\r\nHost: x\r\n".encode(), timeout=5)
        took = time.monotonic() - started
    assert answers(raw)[0][0] == 408 and took < 2


def test_an_idle_kept_alive_connection_is_closed() -> None:
    with front(keep_alive_s=0.3, sweep_s=0.05) as address, \
            socket.create_connection(address, timeout=5) as sock:
        sock.sendall(get())
        started = time.monotonic()
        raw = read_all(sock, timeout=5)  # the answer, then the close
        assert answers(raw)[0][0] == 200 and time.monotonic() - started < 2


def test_expect_100_continue_is_answered_before_the_body_is_sent() -> None:
    with front() as address, socket.create_connection(address, timeout=5) as sock:
        sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                     "Connection: close\r\n\r\n".encode())
        interim = sock.recv(1024)
        sock.sendall(b"hello")
        final = read_all(sock, timeout=5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert json.loads(answers(final)[0][2]) == {"method": "POST", "target": PATH, "length": 5}


def test_head_gets_the_head_of_a_get_and_no_body() -> None:
    with front() as address:
        raw = exchange(address, f"HEAD {PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and rest == b""
    assert b"Content-Length: " in head or b"content-length: " in head.lower()


def test_an_upgrade_offer_is_declined_and_the_connection_read_on() -> None:
    with front() as address:
        raw = exchange(address, get(extra="Connection: Upgrade\r\nUpgrade: websocket\r\n")
                       + get(extra="Connection: close\r\n"))
    assert [(status, json.loads(body)["method"]) for status, _, body in answers(raw)] == [(200, "GET")] * 2


@pytest.mark.parametrize("split", [30, 120, 131, 140])
def test_the_body_of_a_request_offering_an_upgrade_is_relayed_whole(split) -> None:
    """`curl --http2` offers h2c on a POST: llhttp stops at the head, leaving the body to the new
    protocol; the upstream once got an empty body (Content-Length: 0), and the client a 400."""
    offer = (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
             "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello").encode()
    data = offer + get(extra="Connection: close\r\n")
    with front() as address, socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data[:split])
        time.sleep(0.05)
        sock.sendall(data[split:])
        raw = read_all(sock, 5)
    assert [json.loads(body) for _, _, body in answers(raw)] == [
        {"method": "POST", "target": PATH, "length": 5}, {"method": "GET", "target": PATH, "length": 0}]


def test_an_http_1_0_client_gets_a_streamed_answer_up_to_the_close() -> None:
    with front(_big) as address:
        raw = exchange(address, get(version="1.0"), timeout=10)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"chunked" not in head.lower()
    assert body == b'{"records": [' + b"0," * 500_000 + b"0]}"


def test_a_client_that_leaves_mid_answer_does_not_stop_the_proxy() -> None:
    with front(_big) as address:
        for _ in range(3):
            with socket.create_connection(address, timeout=5) as sock:
                sock.sendall(get())
                assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        answer = requests.get(f"http://{address[0]}:{address[1]}{PATH}", timeout=10)
    assert answer.status_code == 200 and answer.content.endswith(b"0]}")



_PIECES = st.sampled_from([
    b"GET ", b"POST ", b"PUT ", b"HEAD ", b"BREW ", PATH.encode(), b"?apikey=k", b"%", b"%zz", b" HTTP/1.1",
    b" HTTP/1.0", b" HTTP/9.9", b"\r\n", b"\n", b"Host: x", b"Content-Length: 3", b"Content-Length: -1",
    b"Content-Length: 99999999999999999999", b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip",
    b"Expect: 100-continue", b"Connection: close", b"Connection: Upgrade", b"Upgrade: h2c", b": no name",
    b"X: \x00\xff", b"abc", b"0\r\n\r\n", b"5\r\nhello\r\n", b"zz\r\n", b"\r\n\r\n",
]) | st.binary(max_size=40)


@pytest.fixture(scope="module")
def shared_front() -> Iterator[tuple[str, int]]:
    """One proxy for the property test's many examples."""
    with front() as address:
        yield address


@settings(max_examples=60, deadline=None)
@given(garbage=st.lists(_PIECES, max_size=14))
def test_whatever_a_client_sends_is_answered_or_closed(shared_front: tuple[str, int],
                                                       garbage: list[bytes]) -> None:
    """Pieces of HTTP in any order, and bytes: answers are HTTP and never a failure of the proxy's
    own (502 and 504 say the upstream failed), the connection ends, and the proxy serves on."""
    with socket.create_connection(shared_front, timeout=5) as sock:
        sock.sendall(b"".join(garbage))
        sock.shutdown(socket.SHUT_WR)  # nothing more comes: the proxy must not wait for it
        started = time.monotonic()
        raw = read_all(sock, timeout=8)
        assert time.monotonic() - started < 4, "the proxy kept a finished client's connection open"
    statuses = [int(line.split()[1]) for line in raw.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    assert not raw or raw.startswith(b"HTTP/1.1 "), raw[:80]
    assert all(status < 500 or status in (502, 504) for status in statuses), raw[:300]
    assert requests.get(f"http://{shared_front[0]}:{shared_front[1]}{PATH}", timeout=5).status_code == 200
