"""The proxy's HTTP/1.1 server: client connections on the event loop, parsed by httptools
(llhttp, Node.js' parser), every request handed to one coroutine (mock_server.proxy.relay).

Why not granian, which serves the mock: granian parses in Rust threads and hands each request
to the Python loop and each answer back, two thread wake-ups that a relay pays on top of its two
exchanges. Here a request is read, relayed, judged and answered on one thread: in front of the
mock, 54-56 % of the direct throughput at one connection against 45-46 % under granian
(benchmarks/decisions.md).

A connection answers its requests in order (pipelined ones wait their turn); a body arrives as
it comes and is read by the handler, with reading paused while more than HIGH_WATER bytes wait.
Bounds, so that no client can hold the proxy: a head of MAX_HEAD_BYTES and MAX_HEADERS at most
(431 beyond), HEAD_TIMEOUT_S to send a head once begun, KEEP_ALIVE_S idle between requests;
HTTP that llhttp refuses is answered 400 and the connection closed; an Upgrade offer is declined:
the request (its body too) answered as a plain one, and the connection read on.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

import httptools

from ..errors import ApiError, error_reply
from ..replies import STATUS_LINES
from .flow import WriteFlow, release
from .incoming import Body, ClientGone, Request

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 200
HIGH_WATER = 1024 * 1024  # body bytes buffered per connection before reading pauses
KEEP_ALIVE_S = 75  # an idle kept-alive connection is closed after this long
HEAD_TIMEOUT_S = 30  # a head begun must be complete within this
SWEEP_S = 1.0
FRAMING = frozenset({"content-length", "transfer-encoding"})
NO_BODY_STATUSES = frozenset({204, 304})
_log = logging.getLogger("calendar-mock.proxy")

Handler = Callable[["Request", "ClientConnection"], Awaitable[None]]


class Unreadable(ApiError):
    """What cannot be read as a request: 400, 408, 431 or 501."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _StopParsing(Exception):
    """Raised in a parser callback once the connection is refused: llhttp stops there."""


class Front:
    """The server side: makes a ClientConnection per accepted socket (`connection` is the
    protocol factory for loop.create_server), and closes those that idle or stall."""

    def __init__(self, handler: Handler, *, head_timeout_s: float = HEAD_TIMEOUT_S,
                 keep_alive_s: float = KEEP_ALIVE_S, sweep_s: float = SWEEP_S) -> None:
        self.handler = handler
        self.connections: set[ClientConnection] = set()
        self.tick = 0  # sweeps so far: a connection's clock
        self.sweep_s = sweep_s
        self.head_ticks = math.ceil(head_timeout_s / sweep_s)
        self.head_timeout_s = head_timeout_s
        self.idle_ticks = math.ceil(keep_alive_s / sweep_s)
        self._sweeper: asyncio.Task[None] | None = None

    def connection(self) -> ClientConnection:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return ClientConnection(self)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_s)
            self.tick += 1
            for conn in list(self.connections):
                conn.check(self.tick)

    async def finish(self, grace_s: float) -> bool:
        """Close idle connections, let requests in flight end for `grace_s`, then close the
        rest: whether every request in flight ended."""
        loop = asyncio.get_running_loop()
        end = loop.time() + grace_s
        while True:
            for conn in list(self.connections):
                if not conn.queue:
                    conn.close()
            if not self.connections or loop.time() >= end:
                break
            await asyncio.sleep(0.01)
        ended = not self.connections
        for conn in list(self.connections):
            conn.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        return ended


class ClientConnection(WriteFlow):
    """One client's connection: parses what it sends and answers its requests in order."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.queue: deque[Request] = deque()
        self.lost = False
        self.seen = front.tick
        self._worker: asyncio.Task[None] | None = None
        self._idle: asyncio.Future[None] | None = None  # the worker waits on it for a request
        self._url: list[bytes] = []
        self._headers: list[tuple[str, str]] = []
        self._head_bytes = 0
        self._head_begun: int | None = None  # the tick a head begun at, until it is complete
        self._current: Request | None = None  # the request whose body is arriving
        self._buffered = 0
        self._paused = False
        self._eof = False
        self.refused = False
        self._refusal: bytes | None = None  # the answer owed to what could not be read
        self._owed = 0  # body bytes of a request with an Upgrade offer, which llhttp leaves unread

    # -- asyncio.Protocol ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.front.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.seen = self.front.tick
        if self.refused:
            return
        if self._owed:
            data = self._feed_owed(data)
            if not data:
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # The offer is declined (RFC 9110 allows it) and the request answered as a plain one:
            # its body, which llhttp leaves to the new protocol, is read here, then the next
            # requests by a fresh parser. A chunked body there cannot be told from the new
            # protocol's bytes: answered, then the connection closed.
            if not self._owed and self.queue and self.queue[-1].chunked:
                self._stop_reading()
                self._after_refusal()
                return
            self.parser = httptools.HttpRequestParser(self)
            offset = upgrade.args[0] if upgrade.args and isinstance(upgrade.args[0], int) else len(data)
            self.data_received(data[offset:])
        except httptools.HttpParserError as error:
            if not self.refused:
                self._refuse(400, f"the request is not valid HTTP/1.1 ({error})")

    @property
    def cut_short(self) -> bool:
        """Whether a body still arriving never will."""
        return self.lost or self.refused or self._eof

    def eof_received(self) -> bool:
        self._eof = True
        if self._current is not None:
            self._current.body.wake()
        self._nudge()
        return bool(self.queue)  # True: answer what was asked, then close

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.front.connections.discard(self)
        for request in self.queue:
            request.body.wake()
        self._nudge()
        self.resume_writing()  # a writer waiting for room learns the client is gone

    # -- httptools callbacks -----------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url, self._headers, self._head_bytes = [], [], 0
        self._head_begun = self.front.tick

    def on_url(self, url: bytes) -> None:
        self._url.append(url)
        self._grow_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))
        self._grow_head(len(name) + len(value) + 4)
        if len(self._headers) > MAX_HEADERS:
            self._refuse(431, f"the request has more than {MAX_HEADERS} header lines")
            raise _StopParsing  # the rest of what came is not read: the request is never relayed

    def _grow_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(431, f"the request's head is over {MAX_HEAD_BYTES // 1024} KiB")
            raise _StopParsing

    def on_headers_complete(self) -> None:
        self._head_begun = None
        parser = self.parser
        raw = b"".join(self._url).decode("utf-8", "surrogateescape")
        if raw.startswith("/"):
            path_part, _, query = raw.partition("?")
            target = raw
        else:  # absolute form (a client that takes us for a forward proxy), or "*"
            parsed = httptools.parse_url(raw.encode("utf-8", "surrogateescape"))
            path_part = (parsed.path or b"/").decode("utf-8", "surrogateescape")
            query = (parsed.query or b"").decode("utf-8", "surrogateescape")
            target = path_part + (f"?{query}" if query else "")
        length: int | None = None
        chunked = expects = False
        for name, value in self._headers:
            lowered = name.lower()
            if lowered == "content-length":
                length = int(value) if value.strip().isdigit() else None  # llhttp refused other values
            elif lowered == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif lowered == "expect":
                expects = value.strip().lower() == "100-continue"
        if chunked:
            length = None
        version = parser.get_http_version()
        body = Body(self, complete=not chunked and not length)
        request = Request(parser.get_method().decode("latin-1"), target, unquote(path_part), query,
                          self._headers, version, parser.should_keep_alive(), length, chunked,
                          expects and version == "1.1", body)
        self._current = request
        self.queue.append(request)
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())
        else:
            self._nudge()

    def on_body(self, data: bytes) -> None:
        if self._current is not None:
            self._buffered += len(data)
            self._current.body.feed(data)
            if self._buffered > HIGH_WATER and not self._paused and self.transport is not None:
                self._paused = True
                self.transport.pause_reading()

    def on_message_complete(self) -> None:
        if self._current is not None:
            if self.parser.should_upgrade() and self._current.content_length:
                self._owed = self._current.content_length  # llhttp ends the message at the head: read on
                return
            self._current.body.end()
            self._current = None

    def _feed_owed(self, data: bytes) -> bytes:
        """The part of `data` that is the upgrade-offering request's body, fed to it; the rest."""
        taken, rest = data[:self._owed], data[self._owed:]
        self._owed -= len(taken)
        self.on_body(taken)
        if not self._owed and self._current is not None:
            self._current.body.end()
            self._current = None
        return rest

    # -- flow control, for Body --------------------------------------------------------------
    def consumed(self, size: int) -> None:
        self._buffered -= size
        if self._paused and self._buffered < HIGH_WATER // 2:
            self.resume()

    def resume(self) -> None:
        if self._paused and self.transport is not None and not self.lost:
            self._paused = False
            self.transport.resume_reading()

    # -- answering -----------------------------------------------------------------------------
    async def _work(self) -> None:
        """Answer the queued requests in order, then wait for the next (one task for the
        connection's life: a task per request costs more than the relay's bookkeeping); close
        when a request asks to, or the client is gone."""
        loop = asyncio.get_running_loop()
        try:
            while not self.lost:
                if not self.queue:
                    if self.refused or self._eof:
                        break
                    self._idle = loop.create_future()
                    await self._idle
                    continue
                request = self.queue[0]
                if request.expects_continue and not request.body.complete:
                    self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                try:
                    await self.front.handler(request, self)
                except ClientGone:
                    break
                except Exception:  # a defect of the proxy's own: said, and the client is not left waiting
                    _log.exception("the proxy failed on %s %s", request.method, request.path)
                    self.close()
                    break
                self.queue.popleft()
                if not request.body.complete:
                    request.body.discard()
                if not request.keep_alive:
                    self.close()
                    break
        finally:
            self._worker = None
        if self.refused:
            self._end_refused()
        elif self._eof and not self.queue:
            self.close()

    def _nudge(self) -> None:
        """Wake the worker waiting for a request: one came, or none will."""
        idle, self._idle = self._idle, None
        release(idle)

    def respond(self, request: Request, status: int, reason: str, headers: list[tuple[str, str]],
                body: bytes) -> None:
        """The whole answer: `headers` less their framing, which is set here."""
        keep = request.keep_alive
        if request.method == "HEAD":
            head, body = _head(status, reason, headers, keep, framing=None), b""  # the framing a GET gets
        elif status in NO_BODY_STATUSES or status < 200:
            head, body = _head(status, reason, _unframed(headers), keep, framing=None), b""
        else:
            head = _head(status, reason, _unframed(headers), keep, framing=f"content-length: {len(body)}")
        self.write(head + body)

    def start_stream(self, request: Request, status: int, reason: str,
                     headers: list[tuple[str, str]]) -> Stream:
        """An answer whose body follows in pieces: sent with its Content-Length when `headers`
        declare one, else chunked (or, to an HTTP/1.0 client, up to the connection's end)."""
        declared = next((value.strip() for name, value in headers if name.lower() == "content-length"),
                        None)
        length = int(declared) if declared is not None and declared.isdigit() else None
        chunked = length is None and request.version == "1.1"
        if length is None and not chunked:
            request.keep_alive = False
        framing = f"content-length: {length}" if length is not None else \
            "transfer-encoding: chunked" if chunked else None
        self.write(_head(status, reason, _unframed(headers), request.keep_alive, framing=framing))
        return Stream(self, chunked)

    def write(self, data: bytes) -> None:
        """Send `data`, unless the client is gone (then it is dropped)."""
        if self.transport is not None and not self.lost and not self.transport.is_closing():
            self.transport.write(data)

    async def drain(self) -> None:
        await self.writable()
        if self.lost:
            raise ClientGone

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        """Stop reading: a request that cannot be read is answered `status` after those before
        it, and the connection closed. One whose body breaks off is answered by its handler
        (its body ends in ClientGone)."""
        self._stop_reading()
        current = self._current
        if current is not None and not current.body.complete:
            current.body.wake()
        else:
            reply = error_reply(Unreadable(status, message))
            headers, payload = reply.encoded()
            self._refusal = _head(reply.status, "", headers, False, framing=None) + payload
        self._after_refusal()

    def _stop_reading(self) -> None:
        self.refused = True
        if self.transport is not None and not self.lost:
            self.transport.pause_reading()

    def _after_refusal(self) -> None:
        if self._worker is None:
            self._end_refused()
        else:
            self._nudge()  # the worker ends it once the answers owed are written

    def _end_refused(self) -> None:
        if self._refusal is not None:
            self.write(self._refusal)
            self._refusal = None
        self.close()

    def check(self, tick: int) -> None:
        """Close a connection idle past the keep-alive time, or whose head takes too long."""
        front = self.front
        if self._head_begun is not None and tick - self._head_begun > front.head_ticks:
            if not self.refused:
                self._refuse(408, f"the request's head did not arrive within {front.head_timeout_s:g} s")
        elif not self.queue and tick - self.seen > front.idle_ticks:
            self.close()


class Stream:
    """The body of an answer, sent as it comes."""

    def __init__(self, conn: ClientConnection, chunked: bool) -> None:
        self.conn, self.chunked = conn, chunked

    async def send(self, data: bytes) -> None:
        if data:
            self.conn.write(b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data)
            await self.conn.drain()

    def end(self) -> None:
        if self.chunked:
            self.conn.write(b"0\r\n\r\n")

    def abort(self) -> None:
        """The body cannot be completed: the client sees the connection close short of it."""
        self.conn.close()


def _unframed(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in FRAMING]


def _head(status: int, reason: str, headers: list[tuple[str, str]], keep_alive: bool, *,
          framing: str | None) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}" if reason else f"HTTP/1.1 {STATUS_LINES.get(status, status)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if framing:
        lines.append(framing)
    if not keep_alive:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

