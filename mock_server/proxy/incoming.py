"""A request as the proxy's front (mock_server.proxy.front) hands it to the relay: its head, and
its body as it arrives, read piece by piece with the connection's flow control."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from .flow import release


class ClientGone(Exception):
    """The client closed its connection, or stopped sending valid HTTP, before its request was read."""


class Flow(Protocol):
    """What a body needs of its connection."""

    @property
    def cut_short(self) -> bool: ...

    def resume(self) -> None: ...

    def consumed(self, size: int) -> None: ...


class Body:
    """A request's body as it arrives: `next()` gives its pieces, None at its end."""

    __slots__ = ("_chunks", "_conn", "_dropping", "_waiter", "complete")

    def __init__(self, conn: Flow, complete: bool) -> None:
        self._chunks: deque[bytes] = deque()
        self._conn = conn
        self._waiter: asyncio.Future[None] | None = None
        self._dropping = False
        self.complete = complete

    def feed(self, data: bytes) -> None:
        if self._dropping:
            self._conn.consumed(len(data))
            return
        self._chunks.append(data)
        self.wake()

    def end(self) -> None:
        self.complete = True
        self.wake()

    def wake(self) -> None:
        release(self._waiter)

    async def next(self) -> bytes | None:
        while not self._chunks:
            if self.complete:
                return None
            if self._conn.cut_short:
                raise ClientGone
            self._conn.resume()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunk = self._chunks.popleft()
        self._conn.consumed(len(chunk))
        return chunk

    async def read(self) -> bytes:
        """All of it."""
        parts = []
        while (chunk := await self.next()) is not None:
            parts.append(chunk)
        return b"".join(parts)

    def discard(self) -> None:
        """Forget what came and what will (the request was answered without reading it all)."""
        self._conn.consumed(sum(map(len, self._chunks)))
        self._chunks.clear()
        self._dropping = True


class Request:
    """One request's head, and its body as it comes. `target` is the request target as sent
    (the path and query forwarded unchanged), `path` its path percent-decoded."""

    __slots__ = ("body", "chunked", "content_length", "expects_continue", "headers", "keep_alive",
                 "method", "path", "query", "target", "version")

    def __init__(self, method: str, target: str, path: str, query: str, headers: list[tuple[str, str]],
                 version: str, keep_alive: bool, content_length: int | None, chunked: bool,
                 expects_continue: bool, body: Body) -> None:
        self.method, self.target, self.path, self.query = method, target, path, query
        self.headers, self.version, self.keep_alive = headers, version, keep_alive
        self.content_length, self.chunked, self.expects_continue = content_length, chunked, expects_continue
        self.body = body
