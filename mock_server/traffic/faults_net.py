"""The faults of the network rather than of the API: a connection reset by peer (`reset`),
random bytes then a close (`garbage`), and the real answer sent slowly (`dribble`).

`reset` and `garbage` act on the request's socket (traffic.connection): under waitress and
under granian's embedded server on Linux; where the socket cannot be reached they close the
connection as `drop` does. `dribble` is a body that paces itself: a WSGI server writing each
chunk as it comes (waitress) sends it from its thread, granian's bridge awaits the pauses.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from .connection import connection_socket, reset, send_and_close
from .delays import MAX_DELAY_MS
from .fault_base import COMMON_KEYS, ConnectionCut, Fault, optional_int

MAX_GARBAGE_BYTES = 16 * 1024


@dataclass
class Reset(Fault):
    """The connection is reset (TCP RST) before any answer: "connection reset by peer"."""

    kind: ClassVar[str] = "reset"

    def answer(self, app, environ, start_response):
        with connection_socket(environ) as connection:
            if connection is not None:
                reset(connection)
                raise ConnectionCut(f"injected fault {self.id}: reset", closed=True)
        raise ConnectionCut(f"injected fault {self.id}: reset (socket out of reach: closed)")


@dataclass
class Garbage(Fault):
    """`bytes` random bytes (from the fault's seeded source) instead of an answer, then a close."""

    kind: ClassVar[str] = "garbage"
    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {"bytes"}
    size: int = 64

    def answer(self, app, environ, start_response):
        data = self._random.randbytes(self.size)
        if data.startswith(b"H"):  # never by chance the start of a status line
            data = b"\xff" + data[1:]
        with connection_socket(environ) as connection:
            if connection is not None:
                send_and_close(connection, data)
                raise ConnectionCut(f"injected fault {self.id}: garbage", closed=True)
        raise ConnectionCut(f"injected fault {self.id}: garbage (socket out of reach: closed)")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "bytes": self.size}

    @classmethod
    def options(cls, spec: dict[str, Any]) -> dict[str, Any]:
        size = optional_int(spec, "bytes", 1, MAX_GARBAGE_BYTES)
        return {"size": 64 if size is None else size}


@dataclass
class Dribble(Fault):
    """The real answer, its body sent `chunk_bytes` at a time every `interval_ms`; after `max_ms`
    the rest goes at once, so a dribble never holds a connection longer than that."""

    kind: ClassVar[str] = "dribble"
    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {"chunk_bytes", "interval_ms", "max_ms"}
    journaled_here: ClassVar[bool] = False
    chunk_bytes: int = 16
    interval_ms: int = 100
    max_ms: int = 10_000

    def answer(self, app, environ, start_response):
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return Paced(body, self.chunk_bytes, self.interval_ms / 1000, self.max_ms / 1000)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "chunk_bytes": self.chunk_bytes, "interval_ms": self.interval_ms,
                "max_ms": self.max_ms}

    @classmethod
    def options(cls, spec: dict[str, Any]) -> dict[str, Any]:
        chunk = optional_int(spec, "chunk_bytes", 1, 1024 * 1024)
        interval = optional_int(spec, "interval_ms", 1, MAX_DELAY_MS)
        cap = optional_int(spec, "max_ms", 1, MAX_DELAY_MS)
        return {"chunk_bytes": 16 if chunk is None else chunk,
                "interval_ms": 100 if interval is None else interval,
                "max_ms": 10_000 if cap is None else cap}


class Paced:
    """A body sent `size` bytes at a time, `interval_s` apart, for `limit_s` at most (then the
    rest at once). Iterated, it sleeps between chunks (a WSGI server's thread); `stream`
    awaits the pauses instead (granian's bridge)."""

    def __init__(self, body: bytes, size: int, interval_s: float, limit_s: float) -> None:
        self.body, self.size, self.interval_s, self.limit_s = body, size, interval_s, limit_s

    def _plan(self, clock: Callable[[], float]) -> Iterator[tuple[float, bytes]]:
        """(pause before it, chunk) for each chunk; the pauses end by the deadline."""
        deadline = clock() + self.limit_s
        for start in range(0, len(self.body), self.size):
            pause = 0.0
            if start:
                pause = min(self.interval_s, deadline - clock())
                if pause <= 0:
                    yield 0.0, self.body[start:]
                    return
            yield pause, self.body[start:start + self.size]

    def __iter__(self) -> Iterator[bytes]:
        for pause, chunk in self._plan(time.monotonic):
            if pause:
                time.sleep(pause)
            yield chunk

    async def stream(self, send: Callable[[bytes], Awaitable[Any]],
                     wait: Callable[[float], Awaitable[None]]) -> None:
        for pause, chunk in self._plan(time.monotonic):
            if pause:
                await wait(pause)
            await send(chunk)
