"""Upstreams that answer as real servers do, and not as the mock does: early answers to a large
upload, a connection closed under a POST, bodies framed oddly or in huge chunks, heads with bare
LF line ends. The client gets exactly the upstream's answer, or a JSON 502 saying why - never a
request sent twice, a body read two ways, or a wait on the wrong clock."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from proxy_support import APIKEY, proxy
from raw_tcp import read_head, tcp_server

pytestmark = pytest.mark.http
APPOINTMENTS = f"/api/v1/groups/4/appointments?apikey={APIKEY}"  # judged by no rule: framing alone
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def _request(connection: socket.socket) -> tuple[bytes, bytes]:
    """One request's head and Content-Length body; (b"", b"") when the peer closed first."""
    data = read_head(connection)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                   if line.startswith(b"content-length:")), 0)
    while head and len(body) < length:
        more = connection.recv(65536)
        if not more:
            break
        body += more
    return head, body


def _answer(address: tuple[str, int], raw: bytes, timeout_s: float = 10) -> tuple[int, bytes, bytes]:
    """Send `raw` (one request) and read its answer whole: (status, head, body)."""
    with socket.create_connection(address, timeout=timeout_s) as client:
        client.sendall(raw)
        return _Answers(client).next()


class _Answers:
    """The answers on one client connection, each read by its own framing and no further: what
    follows one is the start of the next."""

    def __init__(self, client: socket.socket, data: bytes = b"") -> None:
        self.client, self.data = client, data

    def _more(self) -> None:
        received = self.client.recv(1 << 20)
        if not received:
            raise ConnectionError(f"closed after {self.data[:80]!r}")
        self.data += received

    def _take(self, size: int) -> bytes:
        while len(self.data) < size:
            self._more()
        taken, self.data = self.data[:size], self.data[size:]
        return taken

    def _line(self) -> bytes:
        while b"\r\n" not in self.data:
            self._more()
        line, _, self.data = self.data.partition(b"\r\n")
        return line

    def next(self) -> tuple[int, bytes, bytes]:
        while b"\r\n\r\n" not in self.data:
            self._more()
        head, _, self.data = self.data.partition(b"\r\n\r\n")
        lowered = head.lower()
        if b"transfer-encoding: chunked" in lowered:
            body = b""
            while (size := int(self._line(), 16)):
                body += self._take(size)
                self._take(2)
            self._take(2)
        else:
            body = self._take(int(lowered.split(b"content-length:")[1].split(b"\r\n")[0]))
        return int(head.split(b" ")[1]), head, body


def _address(base_url: str) -> tuple[str, int]:
    host, port = base_url.removeprefix("http://").split(":")
    return host, int(port)


@contextlib.contextmanager
def _upstream(answer: Callable[[socket.socket, int], None]) -> Iterator[str]:
    """A raw upstream: `answer(connection, index)` per connection (index from 1)."""
    count = iter(range(1, 1000))
    lock = threading.Lock()

    def serve(connection: socket.socket) -> None:
        with lock:
            index = next(count)
        with connection:
            connection.settimeout(10)
            with contextlib.suppress(OSError):
                answer(connection, index)

    with tcp_server(serve) as url:
        yield url


@pytest.mark.parametrize(("method", "status", "sent"), [("POST", 502, 1), ("GET", 200, 2)])
def test_a_connection_closed_under_a_request_resends_it_only_if_that_does_no_harm(method, status,
                                                                                   sent) -> None:
    # The upstream reads the request (a POST that books an appointment, say) and closes without an
    # answer: whether it acted on it cannot be known. A GET may go again; a POST may not (RFC 9112, 9.3.1.1).
    seen: list[bytes] = []

    def answer(connection: socket.socket, index: int) -> None:
        while (head := _request(connection)[0]):
            seen.append(head.split(b" ")[0])
            if index == 1 and len(seen) == 2:
                return
            connection.sendall(OK)

    with _upstream(answer) as upstream, proxy(upstream) as (_, url), requests.Session() as client:
        assert client.get(f"{url}{APPOINTMENTS}", timeout=10).status_code == 200  # the connection pooled
        second = client.request(method, f"{url}{APPOINTMENTS}", json={"title": "book me"}, timeout=10)
    assert second.status_code == status
    assert seen.count(method.encode()) == sent + (method == "GET")
    if status == 502:
        assert "closed the connection without an answer" in second.json()["error"]


def test_an_answer_given_before_a_large_upload_ended_reaches_the_client() -> None:
    # nginx, gunicorn and gateways answer 413 or 401 on the head and close: that answer, not a 502.
    def answer(connection: socket.socket, index: int) -> None:
        read_head(connection)
        connection.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 13\r\nConnection: close\r\n\r\n{\"error\":413}")
        connection.shutdown(socket.SHUT_WR)
        ends = time.monotonic() + 3
        connection.settimeout(0.5)
        with contextlib.suppress(OSError):
            while time.monotonic() < ends and connection.recv(65536):
                pass  # read on, as servers do, so that the close sends no reset

    body = b"x" * (2 * 1024 * 1024)
    with _upstream(answer) as upstream, proxy(upstream, keep_request_bytes=1024) as (_, url), \
            socket.create_connection(_address(url), timeout=10) as client:
        client.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n" % (APPOINTMENTS.encode(), len(body)))
        for start in range(0, len(body), 256 * 1024):
            client.sendall(body[start:start + 256 * 1024])
            time.sleep(0.02)
        status, _, answered = _Answers(client).next()
    assert (status, answered) == (413, b'{"error":413}')


def test_a_slow_upload_is_not_timed_as_the_upstream_s_answer() -> None:
    # The upstream's timeout counts from the request sent whole: a 3 s upload through a 1 s timeout
    # is answered as the upstream answers, not 504.
    def answer(connection: socket.socket, index: int) -> None:
        message = b'{"got":%d}' % len(_request(connection)[1])
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n%s" % (len(message), message))

    pieces, piece = 12, b"x" * 8192
    with _upstream(answer) as upstream, \
            proxy(upstream, keep_request_bytes=1024, upstream_timeout_s=1.0) as (_, url), \
            socket.create_connection(_address(url), timeout=10) as client:
        client.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n" % (APPOINTMENTS.encode(), pieces * len(piece)))
        for _ in range(pieces):
            client.sendall(piece)
            time.sleep(0.25)
        status, _, answered = _Answers(client).next()
    assert (status, answered) == (200, b'{"got":%d}' % (pieces * len(piece)))


def _serving(reply: bytes) -> Callable[[socket.socket, int], None]:
    def answer(connection: socket.socket, index: int) -> None:
        while _request(connection)[0]:
            connection.sendall(reply)

    return answer


def test_one_huge_chunk_is_passed_on_as_it_arrives() -> None:
    # One chunk larger than the answer kept whole (as Node's res.write(buffer) sends): its first
    # half reaches the client while the upstream still holds back the second, not once it is whole.
    size = 4 * 1024 * 1024
    client_has_some = threading.Event()

    def answer(connection: socket.socket, index: int) -> None:
        _request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s" % (size, b"z" * (size // 2)))
        client_has_some.wait(5)
        connection.sendall(b"z" * (size // 2) + b"\r\n0\r\n\r\n")

    with _upstream(answer) as upstream, proxy(upstream, keep_response_bytes=4096) as (_, url), \
            socket.create_connection(_address(url), timeout=10) as client:
        client.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % APPOINTMENTS.encode())
        started, first = time.monotonic(), b""
        while len(first) < 1024 * 1024:  # the head and a megabyte of the body
            first += client.recv(1 << 20) or b"\0"
        waited = time.monotonic() - started
        client_has_some.set()
        status, _, body = _Answers(client, first).next()
    assert waited < 4  # not the upstream's 5 s hold-back
    assert (status, len(body), set(body)) == (200, size, {ord("z")})


@pytest.mark.parametrize("keep", [4096, 8 * 1024 * 1024], ids=["streamed", "kept whole"])
def test_a_content_length_beside_chunks_is_not_passed_on(keep: int) -> None:
    # RFC 9112, 6.3: the chunks frame the body. Passing on the stale length would desynchronise the
    # client's connection: its next answer would begin inside this body.
    body = b"y" * 20000
    chunks = b"".join(b"%x\r\n%s\r\n" % (5000, body[at:at + 5000]) for at in range(0, len(body), 5000))
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n%s0\r\n\r\n" % chunks)
    request = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % APPOINTMENTS.encode()
    with _upstream(_serving(reply)) as upstream, proxy(upstream, keep_response_bytes=keep) as (_, url), \
            socket.create_connection(_address(url), timeout=10) as client:
        answers = _Answers(client)
        client.sendall(request)
        first = answers.next()
        client.sendall(request)  # the same connection reads the next answer from its start
        second = answers.next()
    assert first[0] == second[0] == 200
    assert first[2] == second[2] == body
    assert b"content-length: 10\r\n" not in first[1].lower()


@pytest.mark.parametrize(("framing", "status"), [
    (b"Content-Length: 2\r\nContent-Length: 8", 502),   # which one is true cannot be known
    (b"Content-Length: 2, 8", 502),
    (b"Content-Length: 2, 2", 200),                     # the same value repeated is one
    (b"Content-Length: 2\r\nContent-Length: 2", 200),
    (b"Transfer-Encoding: gzip, chunked", 502),         # a coding the proxy would pass on unlabelled
])
def test_a_body_framed_two_ways_is_refused_and_one_framed_once_is_passed_on(framing, status) -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%s\r\n\r\n{}" % framing
    if b"chunked" in framing:
        reply = reply[:-2] + b"2\r\n{}\r\n0\r\n\r\n"
    with _upstream(_serving(reply)) as upstream, proxy(upstream) as (_, url):
        answer = requests.get(f"{url}{APPOINTMENTS}", timeout=10)
    assert answer.status_code == status
    if status == 502:
        assert "answered no valid HTTP" in answer.json()["error"]
    else:
        assert answer.content == b"{}"


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 2\n\n{}",  # bare LF (RFC 9112, 2.2)
    b"HTTP/1.1 200 OK\r\nContent-Type : application/json\r\nContent-Length: 2\r\n\r\n{}",  # space before ":"
], ids=["bare LF", "space before the colon"])
def test_a_head_a_recipient_may_read_is_read(reply: bytes) -> None:
    with _upstream(_serving(reply)) as upstream, proxy(upstream, upstream_timeout_s=5) as (_, url):
        started = time.monotonic()
        answer = requests.get(f"{url}{APPOINTMENTS}", timeout=10)
    assert (answer.status_code, answer.content) == (200, b"{}")
    assert answer.headers["Content-Type"] == "application/json"  # passed on as a well-formed line
    assert time.monotonic() - started < 2  # read at once, not at the timeout


@pytest.mark.parametrize("size_line", [b"-2", b"0x2", b"1_0"])
def test_a_chunk_size_that_is_not_hex_digits_is_refused(size_line: bytes) -> None:
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"%s\r\n{}\r\n0\r\n\r\n" % size_line)
    with _upstream(_serving(reply)) as upstream, proxy(upstream) as (_, url):
        answer = requests.get(f"{url}{APPOINTMENTS}", timeout=10)
    assert answer.status_code == 502


@pytest.mark.parametrize("version", [b"1.1", b"1.0"])
def test_early_hints_are_passed_on_to_a_client_that_can_read_them(version: bytes) -> None:
    # RFC 9110, 15.2: a proxy forwards 1xx answers, but not to an HTTP/1.0 client; an upstream's
    # own 100 Continue is not passed on (the front gives the client its own).
    reply = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
             + OK)
    with _upstream(_serving(reply)) as upstream, proxy(upstream) as (_, url), \
            socket.create_connection(_address(url), timeout=10) as client:
        client.sendall(b"GET %s HTTP/%s\r\nHost: x\r\n\r\n" % (APPOINTMENTS.encode(), version))
        answers = _Answers(client)
        heads = []
        while True:
            while b"\r\n\r\n" not in answers.data:
                answers._more()
            if not answers.data.startswith(b"HTTP/1.1 1"):
                break
            head, _, answers.data = answers.data.partition(b"\r\n\r\n")
            heads.append(head)
        status, _, body = answers.next()
    assert (status, body) == (200, b"{}")
    expected = [b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload"] if version == b"1.1" else []
    assert heads == expected
