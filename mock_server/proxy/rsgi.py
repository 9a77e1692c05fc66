"""The proxy's I/O under granian's RSGI interface: one event loop reads each request, sends it
upstream (mock_server.proxy.upstream) and answers, while ProxyApp judges and records.

Judging runs on the loop, as the mock answers its cheap requests there: it takes tens of
microseconds, less than a hop to a thread would cost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from ..config import CONTROL_PREFIX
from ..errors import BadRequest, error_reply
from ..replies import Reply
from .app import ProxyApp, forward_headers
from .upstream import AsyncUpstream, UpstreamFailure

BODY_TIMEOUT_S = 30  # a client that goes quiet this long in its body is not waited for
# RSGI gives the path percent-decoded; it goes upstream re-encoded with RFC 3986's path characters
# left as they are (an encoded slash, %2F, reaches the upstream as a slash).
PATH_SAFE = "/:@!$&'()*+,;=-._~"


class ProxyRsgi:
    """An RSGI app relaying to `app.config.upstream`."""

    def __init__(self, app: ProxyApp) -> None:
        self.app = app
        config = app.config
        self.upstream = AsyncUpstream(config.upstream, config.upstream_timeout_s, config.connections)

    async def __call__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return
        method, path, query = scope.method.upper(), scope.path, scope.query_string
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            await _drain(proto)
            return _send(proto, self.app.control(method, path, query), method)
        try:
            kept, body, size, length = await self._body(scope.headers, proto)
        except (TimeoutError, RuntimeError):  # RuntimeError: granian's RSGIProtocolClosed
            reply = error_reply(BadRequest.field("body", "ended before it was complete (the client stopped "
                                                         "sending)"))
            return _send(proto, reply, method)
        target = quote(path, safe=PATH_SAFE) + (f"?{query}" if query else "")
        headers = list(scope.headers.items())
        started, judged = time.perf_counter(), []

        def judge() -> None:
            judged.append(self.app.begin(method, path, target, query, headers, kept, size, started))

        if self.app.config.block:  # the request is judged before it may go
            judge()
            refused = self.app.blocked(judged[0])
            if refused is not None:
                return _send(proto, refused, method)
        try:
            # Unblocked, the request is judged while the upstream works on it.
            answer = await self.upstream.send(method, target, forward_headers(headers), body, length,
                                              self.app.config.keep_response_bytes,
                                              None if judged else judge)
        except UpstreamFailure as failure:
            if not judged:
                judge()
            return _send(proto, self.app.failed(judged[0], failure), method)
        pending = judged[0]
        sent = self.app.answered(pending, answer.status, answer.reason, answer.headers, answer.body)
        if answer.body is not None:
            proto.response_bytes(answer.status, sent, b"" if method == "HEAD" else answer.body)
            return self.app.record(pending)
        transport = proto.response_stream(answer.status, sent)
        try:
            async for chunk in answer.rest or ():
                await transport.send_bytes(chunk)
        except UpstreamFailure:
            pass  # the answer has begun: it stops short, and granian closes the connection
        return self.app.record(pending)

    async def _body(self, headers: Any, proto: Any
                    ) -> tuple[bytes | None, bytes | AsyncIterator[bytes] | None, int, int | None]:
        """(the body when it fits the limit, else None; what to send upstream; its size, -1
        when unknown; its declared length, None when it comes chunked)."""
        declared = headers.get("content-length")
        chunked = "transfer-encoding" in headers
        keep = self.app.config.keep_request_bytes
        if not chunked and declared is None:
            return b"", None, 0, None
        length = int(declared) if not chunked and declared.isdigit() else None
        async with asyncio.timeout(BODY_TIMEOUT_S):
            if length is not None and length <= keep:
                data = await proto()
                return data, data, len(data), len(data)
            parts: list[bytes] = []
            size = 0
            stream = proto.__aiter__()  # starts the body's stream (its own iterator, once only)
            while size <= keep and (chunk := await _next(stream)) is not None:
                parts.append(chunk)
                size += len(chunk)
            if size <= keep:
                data = b"".join(parts)
                return data, data, len(data), len(data)
        return None, _chained(parts, stream), length if length is not None else -1, length


async def _next(stream: Any) -> bytes | None:
    """The next piece of the body, None at its end. granian's protocol object is its own
    iterator, started by one `__aiter__()`: a second is an error, so no `async for` here."""
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return None


async def _chained(first: list[bytes], stream: Any) -> AsyncIterator[bytes]:
    for part in first:
        yield part
    async with asyncio.timeout(BODY_TIMEOUT_S):
        while (chunk := await _next(stream)) is not None:
            yield chunk


async def _drain(proto: Any) -> None:
    """Read whatever body a control-plane request has (none of them takes one)."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for _ in proto:
                pass
    except (TimeoutError, RuntimeError):
        pass


def _send(proto: Any, reply: Reply, method: str) -> None:
    headers, payload = reply.encoded()
    proto.response_bytes(reply.status, headers, b"" if method == "HEAD" else payload)
