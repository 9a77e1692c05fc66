"""Serving the mock over real HTTP with waitress: in the foreground (CLI) or a thread (tests).

waitress closes a connection without another byte when the app raises its ClientDisconnected;
`CutConnections` turns the mock's own ConnectionCut (drop and truncate faults) into it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import MAX_SEED_BYTES
from ..traffic.faults import ConnectionCut
from .banner import base_url

if TYPE_CHECKING:
    from flask import Flask

DEFAULT_THREADS = 8
CONNECTION_LIMIT = 1024  # open connections at once, idle kept-alive ones included


@dataclass
class RunningServer:
    """A mock listening on `base_url` from a daemon thread until `stop()`."""

    app: Flask
    base_url: str
    _server: Any
    _sockets: dict[int, Any]  # the server's socket map, ours: given to create_server
    _thread: threading.Thread
    _stopping: threading.Event

    def stop(self, timeout: float = 5) -> None:
        """Let requests in flight finish (for up to `timeout` s), then close every socket so the
        serving loop ends, and wait for it (as long again at most).

        The sockets are closed from the loop's own thread (through waitress' trigger): closed
        from here, the loop could be in select() on them and fail with EBADF."""
        server = self._server
        self._stopping.set()
        server.task_dispatcher.shutdown(timeout=timeout)

        def close_every_channel() -> None:
            for channel in list(self._sockets.values()):
                channel.close()

        try:
            server.trigger.pull_trigger(close_every_channel)
        except OSError:  # the trigger is closed already (the loop met an error): close here
            close_every_channel()
        self._thread.join(timeout=timeout)

    def serving(self) -> bool:
        """Whether the serving loop still runs."""
        return self._thread.is_alive()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = DEFAULT_THREADS,
                sockets: dict[int, Any] | None = None):
    """A waitress server bound to `host:port` (port 0: any free port), not yet running; its
    listening socket and connections live in `sockets` when given."""
    from waitress.server import create_server

    return create_server(
        CutConnections(app), map=sockets, host=host, port=port, threads=threads, ident="calendar-mock",
        clear_untrusted_proxy_headers=True, channel_timeout=30,
        # waitress' defaults: 100 connections (a pool of idle kept-alive clients would shut
        # everyone else out) and bodies of 1 GiB spooled to disk before the app may refuse them
        connection_limit=CONNECTION_LIMIT, max_request_body_size=MAX_SEED_BYTES + 1,
    )


class CutConnections:
    """The app, with the mock's ConnectionCut (drop, truncate) raised as waitress'
    ClientDisconnected: waitress then closes the connection without another byte."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        from waitress.channel import ClientDisconnected

        self.app = app
        self.disconnected = ClientDisconnected

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return self._relay(self.app(environ, start_response))
        except ConnectionCut as cut:
            raise self.disconnected(str(cut)) from None

    def _relay(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        try:
            yield from chunks
        except ConnectionCut as cut:
            raise self.disconnected(str(cut)) from None
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0,
                    threads: int = DEFAULT_THREADS) -> RunningServer:
    sockets: dict[int, Any] = {}
    server = make_server(app, host, port, threads, sockets)
    stopping = threading.Event()
    thread = threading.Thread(target=_serve, args=(server, stopping), name="calendar-mock", daemon=True)
    thread.start()
    url = base_url(host, server.effective_port)  # type: ignore[attr-defined]
    return RunningServer(app, url, server, sockets, thread, stopping)


def _serve(server: Any, stopping: threading.Event) -> None:
    """waitress' loop, until stopped; a socket closed under it while stopping is no error."""
    try:
        server.run()
    except OSError:
        if not stopping.is_set():
            raise
