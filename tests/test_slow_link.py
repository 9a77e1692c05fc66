"""mutation/slow_link.py, the slow network the seed sweep puts between the suite and a server:
each answer comes at least the delay later, whole and in order on its connection, and with
jitter the answers to requests sent side by side come back in another order than sent."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mutation"))

import slow_link
from independent_servers import free_port


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@contextlib.contextmanager
def _echo_behind_link(delay_ms: float, jitter_ms: float) -> Iterator[int]:
    """An echo server on 127.0.0.1 behind a slow link; the link's port."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port, ready, running = free_port(), threading.Event(), {}

    async def run() -> None:
        running["loop"], running["task"] = asyncio.get_running_loop(), asyncio.current_task()
        await slow_link.serve(port, server.server_address[1], delay_ms, jitter_ms, seed=7, on_ready=ready.set)

    def serve_link() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(run())  # which ends the connections' tasks too once the link is stopped

    thread = threading.Thread(target=serve_link, daemon=True)
    thread.start()
    try:
        assert ready.wait(10)
        yield port
    finally:
        running["loop"].call_soon_threadsafe(running["task"].cancel)
        thread.join(10)
        server.shutdown()
        server.server_close()


def _round_trip(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while len(received) < len(data):
            piece = sock.recv(65536)
            assert piece, "the link closed early"
            received += piece
        return received


def test_an_answer_comes_the_delay_later_whole_and_in_order():
    with _echo_behind_link(delay_ms=120, jitter_ms=0) as port:
        started = time.monotonic()
        assert _round_trip(port, b"ping") == b"ping"
        assert time.monotonic() - started >= 0.118
        payload = bytes(range(256)) * 8192  # 2 MiB: many pieces, each with its own draw
        assert _round_trip(port, payload) == payload


def test_with_jitter_answers_to_requests_sent_side_by_side_come_back_in_another_order():
    with _echo_behind_link(delay_ms=200, jitter_ms=180) as port:
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(8)]
        try:
            order: list[int] = []
            lock = threading.Lock()

            def ask(number: int) -> None:
                sockets[number].sendall(b"x")
                assert sockets[number].recv(1) == b"x"
                with lock:
                    order.append(number)

            threads = [threading.Thread(target=ask, args=(number,)) for number in range(8)]
            for thread in threads:
                thread.start()
                time.sleep(0.002)  # sent in this order, 2 ms apart
            for thread in threads:
                thread.join(10)
        finally:
            for sock in sockets:
                sock.close()
    assert sorted(order) == list(range(8)) and order != list(range(8)), order
