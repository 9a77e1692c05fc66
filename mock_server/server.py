"""Serving the mock over real HTTP with waitress: in the foreground (CLI) or a thread (tests)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily: the granian supervisor imports this module too
    from flask import Flask

DEFAULT_THREADS = 8


@dataclass
class RunningServer:
    """A mock listening on `base_url` from a daemon thread until `stop()`."""

    app: Flask
    base_url: str
    _server: object
    _thread: threading.Thread
    _stopping: threading.Event

    def stop(self) -> None:
        """Let requests in flight finish, then close every socket so the serving loop ends.

        The sockets are closed from the loop's own thread (through waitress' trigger): closed
        from here, the loop could be in select() on them and fail with EBADF."""
        server: Any = self._server
        self._stopping.set()
        server.task_dispatcher.shutdown(timeout=5)

        def close_every_channel() -> None:
            for channel in list(server._map.values()):
                channel.close()

        try:
            server.trigger.pull_trigger(close_every_channel)
        except OSError:  # the trigger is closed already (the loop met an error): close here
            close_every_channel()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def base_url(host: str, port: int) -> str:
    """The URL a client uses: IPv6 addresses in brackets, the port the socket really got."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = DEFAULT_THREADS):
    """A waitress server bound to `host:port` (port 0: any free port), not yet running."""
    from waitress.server import create_server

    return create_server(
        app, host=host, port=port, threads=threads, ident="calendar-mock",
        clear_untrusted_proxy_headers=True, channel_timeout=30,
    )


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0,
                    threads: int = DEFAULT_THREADS) -> RunningServer:
    server = make_server(app, host, port, threads)
    stopping = threading.Event()
    thread = threading.Thread(target=_serve, args=(server, stopping), name="calendar-mock", daemon=True)
    thread.start()
    url = base_url(host, server.effective_port)  # type: ignore[attr-defined]
    return RunningServer(app, url, server, thread, stopping)


def _serve(server: Any, stopping: threading.Event) -> None:
    """waitress' loop, until stopped; a socket closed under it while stopping is no error."""
    try:
        server.run()
    except OSError:
        if not stopping.is_set():
            raise
