"""A bare TCP server on 127.0.0.1 for tests that need a peer HTTP libraries would not be: one
that answers garbage, or closes a connection under a request. Bounded: it stops on leaving."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def tcp_server(serve_connection: Callable[[socket.socket], None]) -> Iterator[str]:
    """Each accepted connection handed to `serve_connection` in a thread of its own (which
    closes it); yields the server's http:// base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve_connection, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def read_head(connection: socket.socket) -> bytes:
    """A request's bytes up to and including its blank line (and what came with them); b"" when
    the peer closed first."""
    head = b""
    while b"\r\n\r\n" not in head:
        data = connection.recv(65536)
        if not data:
            return b""
        head += data
    return head
