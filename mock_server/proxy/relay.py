"""The relay: each request the front (mock_server.proxy.front) reads is sent upstream
(mock_server.proxy.upstream) and answered, while ProxyApp judges and records it.

Judging runs on the loop, between the reads and writes: it takes tens of microseconds, less than
a hop to a thread would cost. Unless --block needs the verdict first, the request is judged
while the upstream works on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from ..config import CONTROL_PREFIX
from ..errors import BadRequest, error_reply
from ..replies import Reply
from .app import ProxyApp, forward_headers
from .front import ClientConnection
from .incoming import Body, ClientGone, Request
from .upstream import AsyncUpstream, UpstreamFailure

BODY_TIMEOUT_S = 30  # a client that goes quiet this long in its body is not waited for


class BodyStalled(Exception):
    """The client went quiet for BODY_TIMEOUT_S in the middle of its body."""


class Relay:
    """The front's handler: relays to `app.config.upstream`."""

    def __init__(self, app: ProxyApp) -> None:
        self.app = app
        config = app.config
        self.upstream = AsyncUpstream(config.upstream, config.upstream_timeout_s, config.connections)

    async def __call__(self, request: Request, conn: ClientConnection) -> None:
        method, path, query = request.method, request.path, request.query
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            await _drain(request.body)
            return _send(conn, request, self.app.control(method, path, query))
        try:
            kept, body, size, length = await self._body(request)
        except (BodyStalled, ClientGone):
            return _send(conn, request, _incomplete_body())
        target, headers = request.target, request.headers
        started, judged = time.perf_counter(), []

        def judge() -> None:
            judged.append(self.app.begin(method, path, target, query, headers, kept, size, started))

        if self.app.config.block:  # the request is judged before it may go
            judge()
            refused = self.app.blocked(judged[0])
            if refused is not None:
                return _send(conn, request, refused)
        try:
            # Unblocked, the request is judged while the upstream works on it.
            answer = await self.upstream.send(method, target, forward_headers(headers), body, length,
                                              self.app.config.keep_response_bytes,
                                              None if judged else judge,
                                              conn.write if request.version == "1.1" else None)
        except UpstreamFailure as failure:
            if not judged:
                judge()
            return _send(conn, request, self.app.failed(judged[0], failure))
        except BodyStalled:  # while its body was being streamed upstream (which got none of the answer)
            return _send(conn, request, _incomplete_body())
        pending = judged[0]
        sent = self.app.answered(pending, answer.status, answer.reason, answer.headers, answer.body)
        if answer.body is not None:
            conn.respond(request, answer.status, answer.reason, sent, answer.body)
            return self.app.record(pending)
        stream, rest = conn.start_stream(request, answer.status, answer.reason, sent), answer.rest
        try:
            async for chunk in rest:  # type: ignore[union-attr]
                await stream.send(chunk)
            stream.end()
        except UpstreamFailure:
            stream.abort()  # the answer has begun: it stops short, and the client sees the connection close
        except ClientGone:
            await rest.aclose()  # type: ignore[union-attr]  # lets go of the upstream connection
            raise
        finally:
            self.app.record(pending)

    async def _body(self, request: Request) -> tuple[bytes | None, bytes | AsyncIterator[bytes] | None, int,
                                                     int | None]:
        """(the body when it fits the limit, else None; what to send upstream; its size, -1
        when unknown; its declared length, None when it comes chunked)."""
        length, incoming = request.content_length, request.body
        keep = self.app.config.keep_request_bytes
        parts: list[bytes] = []
        size = 0
        while size <= keep and (chunk := await _next_piece(incoming)) is not None:
            parts.append(chunk)
            size += len(chunk)
        if size > keep:
            return None, _chained(parts, incoming), length if length is not None else -1, length
        data = b"".join(parts)
        if length is None and not request.chunked:  # there is none
            return data, None, 0, None
        return data, data, len(data), len(data)


async def _next_piece(incoming: Body) -> bytes | None:
    """The body's next piece, None at its end; BodyStalled after BODY_TIMEOUT_S without one (a
    bound on the quiet, not on the whole: a large body may take long to upload)."""
    if incoming.complete:  # it all came already: no wait to bound
        return await incoming.next()
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            return await incoming.next()
    except TimeoutError:
        raise BodyStalled from None


async def _chained(first: list[bytes], incoming: Body) -> AsyncIterator[bytes]:
    for part in first:
        yield part
    while (chunk := await _next_piece(incoming)) is not None:
        yield chunk


def _incomplete_body() -> Reply:
    return error_reply(BadRequest.field("body", "ended before it was complete (the client stopped sending)"))


async def _drain(body: Body) -> None:
    """Read whatever body a control-plane request has (none of them takes one)."""
    try:
        while await _next_piece(body) is not None:
            pass
    except (BodyStalled, ClientGone):
        pass


def _send(conn: ClientConnection, request: Request, reply: Reply) -> None:
    headers, payload = reply.encoded()
    conn.respond(request, reply.status, "", headers, payload)
