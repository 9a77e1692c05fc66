"""A forward HTTP proxy on 127.0.0.1, as a corporate network has one: `CONNECT host:port` opens
a tunnel, a request in absolute form (`GET http://host:port/path`) is relayed to that host. It
notes what it was asked (`requests`: the request lines) and may refuse every tunnel (`refuse`:
a status line such as "407 Proxy Authentication Required")."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from raw_tcp import read_head


@dataclass
class ForwardProxy:
    url: str = ""
    refuse: str | None = None
    requests: list[str] = field(default_factory=list)  # each connection's first request line
    authorizations: list[str] = field(default_factory=list)  # their Proxy-Authorization values


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def _serve(client: socket.socket, state: ForwardProxy) -> None:
    with client:
        head = read_head(client)
        if not head:
            return
        first, *lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        state.requests.append(first)
        state.authorizations += [line.split(":", 1)[1].strip() for line in lines
                                 if line.lower().startswith("proxy-authorization:")]
        method, target, _ = first.split(" ", 2)
        if method == "CONNECT":
            if state.refuse:
                client.sendall(f"HTTP/1.1 {state.refuse}\r\nContent-Length: 0\r\n\r\n".encode())
                return
            host, port = target.rsplit(":", 1)
            rest = b""
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            host, port, rest = parts.hostname or "", parts.port or 80, head
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            upstream.sendall(rest)
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join(10)


@contextlib.contextmanager
def forward_proxy(refuse: str | None = None) -> Iterator[ForwardProxy]:
    listener = socket.create_server(("127.0.0.1", 0))
    state = ForwardProxy(url=f"http://127.0.0.1:{listener.getsockname()[1]}", refuse=refuse)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                threading.Thread(target=_serve, args=(client, state), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield state
    finally:
        listener.close()
