"""Waiting on a connection, said once for both sides of the proxy (front: the client's; link:
the upstream's): a future that whoever waits on it is released from, and writing that waits
while the peer does not read."""

from __future__ import annotations

import asyncio


def release(waiter: asyncio.Future[None] | None) -> None:
    """Let whoever waits on `waiter` go on (nothing if nobody does, or it already went)."""
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class WriteFlow(asyncio.Protocol):
    """asyncio's pause_writing/resume_writing as something a writer can await."""

    _writable: asyncio.Future[None] | None = None

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        release(writable)

    async def writable(self) -> None:
        """Return once the transport takes more (at once when it is not paused)."""
        if self._writable is not None:
            await self._writable
