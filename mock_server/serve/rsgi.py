"""The mock under granian's RSGI interface: one event-loop thread, the WSGI app called inline.

Why not granian's own WSGI interface: it hands requests to a pool of Python threads, and
with more than one thread the GIL hand-offs cost tail latency (p99 of 0.1–0.8 s at 16
connections, measured); with one thread, a delay fault would hold every other request.
Here the cheap requests (almost all: an answer takes tens of µs) are answered one at a time
on the loop, and the few that may take milliseconds on one slow-lane thread beside it, so a
costly list never holds a cheap one for longer than the GIL's switch interval. A delay fault
is awaited, so it holds only its own request; a stop cuts every delay short
(`release_delays`), so that the server can stop at once.
"""

from __future__ import annotations

import asyncio
import io
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config import CONTROL_PREFIX, MAX_SEED_BYTES
from ..namespaces import STATE, NamespaceRouter
from ..replies import JSON_TYPE
from ..traffic.connection import OWN_SOCKETS
from ..traffic.faults import PICKED_FAULT, ConnectionCut, FaultMiddleware, Paced, WsgiApp
from ..wsgi import BODY_INCOMPLETE, content_length

MAX_READ_BYTES = MAX_SEED_BYTES + 1  # a body is never read further: the app refuses it then
BODY_TIMEOUT_S = 30
CUT, CLOSED = "cut", "closed"  # how a fault ended the answer (call_wsgi)
SPECIAL_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
# granian lists a header whose value is not visible ASCII among the names but gives no value for
# it: the app gets this (U+FFFD's UTF-8 read as latin-1, as WSGI passes bytes) so that the header
# is refused as unreadable instead of being missed (a namespace or credentials silently dropped).
UNREADABLE = "\ufffd".encode().decode("latin-1")


# What may take milliseconds rather than microseconds: a list that filters, searches, sorts
# or answers a big page (up to the filter budget, ~25 ms) when the store is not small, a long
# query, a big body, and the control plane (a 16 MiB seed, a dump of every calendar). Those
# are answered on a thread of their own, so that the loop keeps answering the cheap requests
# meanwhile (the GIL passes between the two every SWITCH_INTERVAL_S). Over a small store such
# a list costs what any request does, and the hop to the thread would cost more than it
# saves (filtered list, 16 connections, demo seed: 1,800 -> 2,700-3,400 req/s answered inline).
_MAY_TAKE_LONG = re.compile(r"conditions|search=|sort=|results=(?:all|[0-9]{3,})")
LONG_QUERY = 512
BIG_BODY = 16 * 1024
SMALL_STORE = 256  # calendars: any list within LONG_QUERY costs at most ~2 ms over this many
SWITCH_INTERVAL_S = 0.001


def may_take_long(environ: dict[str, Any], store_size: int) -> bool:
    query = environ.get("QUERY_STRING", "")
    return (environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX) or len(query) > LONG_QUERY
            or (content_length(environ) or 0) > BIG_BODY
            or (store_size > SMALL_STORE and _MAY_TAKE_LONG.search(query) is not None))


class RsgiBridge:
    """An RSGI app answering with the mock's WSGI app (its namespace router, outermost)."""

    def __init__(self, app: NamespaceRouter | FaultMiddleware, store_size: Callable[[], int]) -> None:
        self.app = app
        self.store_size = store_size  # how many calendars the store holds now
        self.stopping = False
        self._delays: set[asyncio.Future[None]] = set()
        self._slow_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calendar-mock-slow")
        sys.setswitchinterval(SWITCH_INTERVAL_S)

    async def __call__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return
        body, complete = await read_body(scope.headers, proto)
        environ = wsgi_environ(scope, body)
        if not complete:
            environ[BODY_INCOMPLETE] = True
        fault = self.app.pick(environ)
        environ[PICKED_FAULT] = fault
        if fault is not None and fault.delays:
            await self.delay(fault.delay_seconds())
        namespace = environ.get(STATE)  # another namespace's store, not the default's
        size = namespace.store.calendar_count() if namespace is not None else self.store_size()
        if may_take_long(environ, size):
            answer = await asyncio.get_running_loop().run_in_executor(
                self._slow_lane, call_wsgi, self.app, environ)
        else:
            answer = call_wsgi(self.app, environ)
        status, headers, chunks, cut = answer
        if cut == CLOSED:
            return  # the fault ended the connection itself (a reset, garbage): nothing to send
        if cut == CUT or isinstance(chunks, Paced):
            transport = proto.response_stream(status, headers)
            try:
                if isinstance(chunks, Paced):
                    await chunks.stream(transport.send_bytes, self.delay)
                else:
                    for chunk in chunks:
                        await transport.send_bytes(chunk)
            except RuntimeError:  # granian's RSGIProtocolClosed: the client went away
                pass
            return  # a cut is short of the promised Content-Length: granian closes the connection
        proto.response_bytes(status, headers, b"".join(chunks))

    async def delay(self, seconds: float) -> None:
        """Wait `seconds`, or less if the server stops meanwhile (asyncio.sleep, cut short)."""
        if self.stopping:
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(seconds, _resolve, waiter)
        self._delays.add(waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._delays.discard(waiter)

    def release_delays(self) -> None:
        """The server stops: delayed requests are answered now, and no request is delayed
        any more. Call it on the event loop."""
        self.stopping = True
        for waiter in self._delays:
            _resolve(waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def read_body(headers: Any, proto: Any) -> tuple[bytes, bool]:
    """The request body, read no further than MAX_READ_BYTES (the app refuses it then), and
    whether it came whole: a client that stops sending, or goes quiet for BODY_TIMEOUT_S
    (waitress' channel timeout), leaves it incomplete and the app refuses it.

    Most requests declare a small length or none: those cost one call into granian, or none."""
    declared = headers.get("content-length")
    parts: list[bytes] = []
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            if "transfer-encoding" not in headers:
                if declared is None:
                    return b"", True
                if declared.isdigit() and int(declared) < MAX_READ_BYTES:
                    return await proto(), True
            size = 0
            async for chunk in proto:
                parts.append(chunk)
                size += len(chunk)
                if size >= MAX_READ_BYTES:
                    break
    except (TimeoutError, RuntimeError):  # RuntimeError: granian's RSGIProtocolClosed
        return b"".join(parts), False
    return b"".join(parts), True


def wsgi_environ(scope: Any, body: bytes) -> dict[str, Any]:
    """The PEP 3333 environ for an RSGI request (strings are bytes as latin-1, as WSGI says)."""
    host, _, port = scope.server.rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scope.path.encode().decode("latin-1"),
        "QUERY_STRING": scope.query_string.encode().decode("latin-1"),
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": scope.client.rpartition(":")[0],
        "REMOTE_PORT": scope.client.rpartition(":")[2],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        OWN_SOCKETS: True,  # granian's embedded server: its connections are this process' sockets
    }
    items = scope.headers.items()
    for name, value in items:
        _header(environ, name, value.encode().decode("latin-1"))
    names = scope.headers.keys()
    if len(names) != len(items):
        for name in set(names).difference(name for name, _ in items):
            _header(environ, name, UNREADABLE)
    if "CONTENT_LENGTH" not in environ or len(body) >= MAX_READ_BYTES:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def _header(environ: dict[str, Any], name: str, value: str) -> None:
    key = SPECIAL_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")
    if key in environ:  # a repeated header: one value, as a proxy would fold it
        value = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + value
    environ[key] = value


def call_wsgi(app: WsgiApp, environ: dict[str, Any]
              ) -> tuple[int, list[tuple[str, str]], list[bytes] | Paced, str | None]:
    """Status, headers and body chunks of the app's answer (a `Paced` body as it is, to be sent
    at its pace), and whether a fault cuts the connection (CUT) or closed it already (CLOSED).

    The ConnectionCut itself is not returned: its traceback holds the caller's frame, and
    with it the response stream, which granian closes only once nothing refers to it."""
    head: list[Any] = [500, []]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        head[0], head[1] = int(status.split(" ", 1)[0]), headers

    chunks: list[bytes] = []
    try:
        result = app(environ, start_response)
        if isinstance(result, Paced):  # an empty one (a HEAD) is an ordinary answer
            return head[0], head[1], result if result.body else [], None
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except ConnectionCut as cut:
        if cut.closed:
            return head[0], head[1], [], CLOSED
        if not head[1]:
            # A drop, before any answer. granian cannot close a connection without a response
            # and sends an empty body as Content-Length 0, so the cut comes after one byte.
            head[0], head[1] = 200, [("Content-Type", JSON_TYPE), ("Content-Length", "2")]
            chunks = [b"{"]
        return head[0], head[1], chunks, CUT
    return head[0], head[1], chunks, None
