"""httpx through a mock: `HTTPTransport.handle_request` and
`AsyncHTTPTransport.handle_async_request` answered in-process.

A dropped connection, a body cut short and an expired read timeout raise what httpx raises
then (RemoteProtocolError, ReadTimeout); an async call waits out a delay without holding the
event loop. Imported only where httpx is installed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx

from .exchange import Call, Exchange, Outcome


def hooks(router: Any) -> list[tuple[type, str, Any]]:
    """The two transports' methods as they answer what `router.route` sends to a mock."""

    def handle_request(transport: Any, request: httpx.Request) -> httpx.Response:
        target = router.route(request.method, str(request.url))
        if target is None:
            return router.original(httpx.HTTPTransport, "handle_request")(transport, request)
        exchange = Exchange(target.app, _call(request, request.read()))
        wait, timed_out = exchange.delay()
        if wait:
            time.sleep(wait)
        return _response(request, exchange.outcome(), timed_out)

    async def handle_async_request(transport: Any, request: httpx.Request) -> httpx.Response:
        target = router.route(request.method, str(request.url))
        if target is None:
            original = router.original(httpx.AsyncHTTPTransport, "handle_async_request")
            return await original(transport, request)
        exchange = Exchange(target.app, _call(request, await request.aread()))
        wait, timed_out = exchange.delay()
        if wait:
            await anyio.sleep(wait)  # the event loop goes on meanwhile
        return _response(request, exchange.outcome(), timed_out)

    return [(httpx.HTTPTransport, "handle_request", handle_request),
            (httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)]


def _call(request: httpx.Request, body: bytes) -> Call:
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
    timeout = request.extensions.get("timeout", {}).get("read")
    return Call(request.method, str(request.url), headers, body, timeout)


def _response(request: httpx.Request, outcome: Outcome, timed_out: bool) -> httpx.Response:
    if timed_out:
        raise httpx.ReadTimeout("timed out", request=request)
    if outcome.status is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    stream = httpx.ByteStream(outcome.body) if outcome.complete else _CutShort(outcome, request)
    return httpx.Response(outcome.status, headers=outcome.headers, stream=stream, request=request,
                          extensions={"http_version": b"HTTP/1.1"})


class _CutShort(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stops before its Content-Length, then fails as httpx fails on a socket."""

    def __init__(self, outcome: Outcome, request: httpx.Request) -> None:
        self.outcome = outcome
        self.request = request

    def _error(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body: received "
            f"{len(self.outcome.body)} bytes, expected {self.outcome.declared_length}", request=self.request)

    def __iter__(self) -> Iterator[bytes]:
        yield self.outcome.body
        raise self._error()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.outcome.body
        raise self._error()
