"""A slow network between the suite and a server, on 127.0.0.1: a TCP relay that delivers each
piece it reads `delay` ms later (half each way), each piece's delay drawn within +-`jitter` ms,
so that answers to requests sent side by side come back in another order than they were sent,
as over a real network. Within one direction of one connection the order is kept (TCP's).

    python mutation/slow_link.py --listen 8091 --upstream 8090 --delay-ms 40 --jitter-ms 30

The seed sweep puts it in front of each server (`make seeds DELAY_MS=40 JITTER_MS=30`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import socket
import sys
from collections.abc import Callable

HOST = "127.0.0.1"
PIECE = 65536


class Direction:
    """One direction of one connection: each piece handed on at its time, none before the one
    read before it."""

    def __init__(self, writer: asyncio.StreamWriter, one_way_s: float, jitter_s: float,
                 rng: random.Random) -> None:
        self.writer = writer
        self.one_way_s, self.jitter_s, self.rng = one_way_s, jitter_s, rng
        self.queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        self._last_due = 0.0

    def delay(self) -> float:
        return max(0.0, self.one_way_s + self.rng.uniform(-self.jitter_s, self.jitter_s))

    async def read_from(self, reader: asyncio.StreamReader) -> None:
        loop = asyncio.get_running_loop()
        try:
            while data := await reader.read(PIECE):
                self._last_due = max(self._last_due, loop.time() + self.delay())
                self.queue.put_nowait((self._last_due, data))
        except OSError:
            pass
        finally:
            self.queue.put_nowait(None)  # the end, after what was read before it

    async def deliver(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(OSError):
            while (item := await self.queue.get()) is not None:
                due, data = item
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())
                self.writer.write(data)
                await self.writer.drain()


def _no_delay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _relay(client_reader, client_writer, upstream_port: int, one_way_s: float, jitter_s: float,
                 rng: random.Random) -> None:
    _no_delay(client_writer)
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(HOST, upstream_port)
    except OSError:
        client_writer.close()
        return
    _no_delay(upstream_writer)
    out = Direction(upstream_writer, one_way_s, jitter_s, random.Random(rng.random()))
    back = Direction(client_writer, one_way_s, jitter_s, random.Random(rng.random()))
    readers = [asyncio.create_task(out.read_from(client_reader)),
               asyncio.create_task(back.read_from(upstream_reader))]
    deliveries = [asyncio.create_task(out.deliver()), asyncio.create_task(back.deliver())]
    try:
        # One side closed and what it sent before was delivered: the connection is over.
        await asyncio.wait(deliveries, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in readers + deliveries:
            task.cancel()
        for writer in (client_writer, upstream_writer):
            writer.close()
        await asyncio.gather(*readers, *deliveries, return_exceptions=True)


async def serve(listen: int, upstream: int, delay_ms: float, jitter_ms: float, seed: int | None = None,
                on_ready: Callable[[], None] | None = None) -> None:
    rng = random.Random(seed)
    one_way_s, jitter_s = delay_ms / 2000, jitter_ms / 2000
    server = await asyncio.start_server(
        lambda reader, writer: _relay(reader, writer, upstream, one_way_s, jitter_s, rng), HOST, listen,
        backlog=256)
    if on_ready is not None:
        on_ready()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--upstream", type=int, required=True, help="the server's port on 127.0.0.1")
    parser.add_argument("--delay-ms", type=float, default=40.0, help="round trip added (default 40)")
    parser.add_argument("--jitter-ms", type=float, default=0.0,
                        help="each connection's round trip drawn within +- this (default 0)")
    parser.add_argument("--seed", type=int, help="for the draws (default: random)")
    args = parser.parse_args(argv)
    if args.delay_ms < 0 or not 0 <= args.jitter_ms <= args.delay_ms:
        parser.error("--delay-ms must be 0 or more and --jitter-ms between 0 and --delay-ms")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.listen, args.upstream, args.delay_ms, args.jitter_ms, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
