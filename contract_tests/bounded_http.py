"""What a deployment's answer can cost, bounded for every request the suite makes (its own and
schemathesis' generated ones): the whole answer within the timeout, MAX_ANSWER_BYTES of it at
most, read past informational answers.

A socket timeout bounds each wait, not the whole answer: a server sending one byte a second
would hold a read for ever. So each request's connection is known to a deadline that shuts it
when the time is up, which ends any read waiting on it.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import os
import socket
import threading
import time
import weakref
from typing import Any

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions

# The largest answer read: a list of 50,000 calendars is about 25 MB. Beyond it, or a body that
# never ends (or a gzip bomb), the request fails rather than fill the machine.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
GRACE_S = 1.0
_SENDING = threading.local()  # the connections the thread's request under way went out on


class Unreachable(Exception):
    """The server could not be reached at all (connection refused, DNS, timeout)."""


class UnusableAnswer(Unreachable):
    """The server answered, but nothing the suite can judge: cut off, undecodable, larger than
    MAX_ANSWER_BYTES, or in a form HTTP clients refuse. Like a server gone, the run stops there
    without a verdict, saying so (and writes its reports)."""


class AnswerTooLarge(requests.exceptions.ContentDecodingError):
    """More than MAX_ANSWER_BYTES (decoded)."""


class WholeAnswerLate(requests.exceptions.RequestException):
    """The answer was not whole within the timeout (it came too slowly, or never ended). Not a
    ReadTimeout: schemathesis reads urllib3's own message out of those."""

    seconds: float | None = None


class _FinalResponse(http.client.HTTPResponse):
    """An answer read past informational ones: Python's reader skips a 100 Continue only, and a
    103 Early Hints (nginx, CDNs) was taken for the answer itself - a correct deployment failed."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()
            if status in (100, 101) or not 100 <= status < 200:  # a 100 begin() skips itself
                return version, status, reason
            http.client.parse_headers(self.fp)  # the informational answer's own headers


class _Tracked:
    """A connection that tells the thread sending on it which it is (for the deadline)."""

    response_class = _FinalResponse

    def request(self, *args: Any, **kw: Any) -> Any:
        sending = getattr(_SENDING, "connections", None)
        if sending is not None:
            sending.append(self)
        return super().request(*args, **kw)  # type: ignore[misc]


class _TrackedHTTPConnection(_Tracked, urllib3.connection.HTTPConnection):
    pass


class _TrackedHTTPSConnection(_Tracked, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _Watchdog:
    """One thread for every deadline of the process (a timer thread per request cost 0.2 ms and
    a quarter of the client's throughput): a heap by expiry; an ended request's entry is
    dropped when it comes up."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _Deadline) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline.expiry, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="answer-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._heap and self._heap[0][2].ended:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)[2].expire()


_WATCHDOG = _Watchdog()  # process-wide, as the threads sending requests are


class _Deadline:
    """While open, the thread's request must have its whole answer within `seconds` (None: no
    deadline): past that, its connection is shut."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.passed = False
        self.ended = False
        # a second's grace: a server that sends nothing at all is told by the read timeout, as before
        self.expiry = time.monotonic() + seconds + GRACE_S if seconds else 0.0
        self._connections: list[Any] = []

    def __enter__(self) -> _Deadline:
        _SENDING.connections = self._connections
        if self.seconds:
            _WATCHDOG.watch(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.ended = True
        _SENDING.connections = None

    def expire(self) -> None:
        if self.ended:
            return
        self.passed = True
        for connection in list(self._connections):
            with contextlib.suppress(OSError, AttributeError):
                connection.sock.shutdown(socket.SHUT_RDWR)


def _seconds(timeout: Any) -> float | None:
    """The read timeout of requests' `timeout` (a number, or a (connect, read) pair)."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else None
    return float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None


class BoundedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter with the bounds above: `timeout` is a deadline for the whole answer,
    whose body is read here (MAX_ANSWER_BYTES at most) unless it is an event stream the caller
    streams."""

    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        _ADAPTERS.add(self)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             **kw: Any) -> requests.Response:
        with _Deadline(_seconds(timeout)) as deadline:
            try:
                response = super().send(request, stream=True, timeout=timeout, **kw)
                # Read here, bounded, even when the caller streams (schemathesis always asks to,
                # then reads it whole) - but for an event stream, which the caller reads itself.
                if not stream or "text/event-stream" not in response.headers.get("content-type", ""):
                    response._content = _body(response)
                    response._content_consumed = True
                return response
            except AnswerTooLarge:
                raise
            except (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException,
                    OSError) as error:
                if deadline.passed:
                    late = WholeAnswerLate(f"no whole answer within {deadline.seconds:g} s (it came too "
                                           "slowly, or never ended)", request=request)
                    late.seconds = deadline.seconds
                    raise late from error
                raise


def _body(response: requests.Response) -> bytes:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_ANSWER_BYTES:
        response.close()
        raise AnswerTooLarge(f"an answer of {int(length):,} bytes (Content-Length), more than the "
                             f"{MAX_ANSWER_BYTES:,} read")
    parts, size = [], 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            response.close()
            raise AnswerTooLarge(f"an answer that goes on past {MAX_ANSWER_BYTES:,} bytes (decoded): "
                                 "reading stopped there")
        parts.append(chunk)
    return b"".join(parts)


class BoundedSession(requests.Session):
    """A session whose requests are bounded as above (schemathesis' own, for generated cases)."""

    def __init__(self) -> None:
        super().__init__()
        adapter = BoundedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)


_ADAPTERS: weakref.WeakSet[BoundedAdapter] = weakref.WeakSet()


def _start_afresh_in_child() -> None:
    """A forked process (schemathesis_layers/second_process.py) keeps none of its parent's
    connections - one socket written by two processes would mix their requests and answers - and
    gets a watchdog of its own: the parent's thread is not in the child. The pools are replaced,
    not closed: their locks may be held by a thread the child does not have, and dropping them
    only closes the child's copies of the sockets."""
    _WATCHDOG.__init__()
    for adapter in list(_ADAPTERS):
        adapter.init_poolmanager(adapter._pool_connections, adapter._pool_maxsize, block=adapter._pool_block)
        adapter.proxy_manager = {}


os.register_at_fork(after_in_child=_start_afresh_in_child)
