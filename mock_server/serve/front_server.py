"""Serving the proxy's front (mock_server.proxy.front) on this process' event loop, until a
stop: for `calendar-mock proxy`, and in a thread of its own for tests and tools.

A stop closes the listening socket and idle connections, lets requests in flight finish for
STOP_GRACE_S, then runs the caller's last words and ends.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ..proxy.front import Front
from .banner import base_url
from .signals import STOP_GRACE_S, StopSignals, exit_now

LISTEN_ERROR_EXIT = 2
BACKLOG = 1024


def run_on_uvloop(main: Coroutine[Any, Any, int]) -> int:
    """Run `main` on uvloop's event loop (every request is two exchanges on it:
    benchmarks/decisions.md); on asyncio's where uvloop is not installed (Windows)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def listen(front: Front, host: str, port: int) -> asyncio.Server:
    return await asyncio.get_running_loop().create_server(front.connection, host, port, backlog=BACKLOG)


async def serve_front(front: Front, host: str, port: int, text: str, stop: StopSignals, *,
                      before_exit: Callable[[], None] | None = None) -> int:
    """Serve until `stop`; print `text` once listening. Status 2 if the port cannot be bound."""
    try:
        server = await listen(front, host, port)
    except OSError as error:
        print(f"calendar-mock: cannot listen on {host}:{port}: {error.strerror or error}", file=sys.stderr,
              flush=True)
        return LISTEN_ERROR_EXIT
    print(text, flush=True)
    stopping = asyncio.Event()
    stop.call_on(asyncio.get_running_loop(), stopping.set)
    await stopping.wait()
    server.close()
    ended = await front.finish(STOP_GRACE_S)
    if before_exit is not None:
        before_exit()
    if not ended:  # a request still in flight (a body that never ends): do not wait
        exit_now()
    return 0


@dataclass
class RunningFront:
    """A front listening on `base_url` until `stop()`."""

    base_url: str
    _stopping: asyncio.Event
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread

    def stop(self, timeout: float = 5) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=timeout)

    def __enter__(self) -> RunningFront:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_front_in_thread(front: Front, host: str = "127.0.0.1", port: int = 0,
                          ready_timeout_s: float = 10.0) -> RunningFront:
    """Serve `front` from a new thread; returns once it listens (OSError if it cannot)."""
    made: dict[str, object] = {}
    ready = threading.Event()

    async def serve() -> int:
        try:
            server = await listen(front, host, port)
        except OSError as error:
            made["error"] = error
            ready.set()
            return LISTEN_ERROR_EXIT
        stopping = asyncio.Event()
        made.update(port=server.sockets[0].getsockname()[1], stopping=stopping,
                    loop=asyncio.get_running_loop())
        ready.set()
        await stopping.wait()
        server.close()
        await front.finish(STOP_GRACE_S)
        return 0

    # On the loop the command runs on (uvloop where it is installed): what is tested is what runs.
    thread = threading.Thread(target=run_on_uvloop, args=(serve(),), name="proxy-front", daemon=True)
    thread.start()
    if not ready.wait(ready_timeout_s) or "error" in made:
        raise OSError(f"the proxy did not listen on {host}:{port}: {made.get('error', 'timed out')}")
    return RunningFront(base_url(host, made["port"]), made["stopping"], made["loop"], thread)  # type: ignore[arg-type]
