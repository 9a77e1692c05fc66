"""An RSGI app served by granian's embedded server on an event loop of its own, in a daemon
thread: for tests and tools that need a real granian server inside their own process."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from .banner import base_url
from .granian_server import embedded_server
from .ports import free_port


@dataclass
class RunningRsgi:
    """A server listening on `base_url` until `stop()`."""

    base_url: str
    _server: Any
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread

    def stop(self, timeout: float = 5) -> None:
        """Ask granian to stop (on its loop) and wait for the thread, `timeout` s at most."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._server.stop)
        self._thread.join(timeout=timeout)

    def __enter__(self) -> RunningRsgi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_rsgi_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0,
                         ready_timeout_s: float = 10.0) -> RunningRsgi:
    """Serve `app` from a new thread; returns once the port takes connections (OSError if it
    never does)."""
    port = free_port(host, port)
    made: dict[str, Any] = {}
    created = threading.Event()

    async def serve() -> None:
        made["server"], made["loop"] = embedded_server(app, host, port), asyncio.get_running_loop()
        created.set()
        await made["server"].serve()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="rsgi-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout_s
    created.wait(ready_timeout_s)
    while time.monotonic() < deadline and thread.is_alive():
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return RunningRsgi(base_url(host, port), made["server"], made["loop"], thread)
        except OSError:
            time.sleep(0.01)
    if "server" in made and thread.is_alive():
        made["loop"].call_soon_threadsafe(made["server"].stop)
    raise OSError(f"granian did not listen on {host}:{port} within {ready_timeout_s:g} s")
