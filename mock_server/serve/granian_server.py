"""`calendar-mock serve` under granian, in one process: granian's embedded server.

The mock is built here, then granian's embedded server (`granian.server.embed`) answers
through mock_server.rsgi on this process' asyncio event loop. There is no supervisor and no
worker process: nothing can outlive the command, and the memory is one interpreter's: 46 MB
idle against 70 MB for granian's supervisor and forked worker, for the same throughput and
p99 within the noise (benchmarks/serve_variants.py).

Stopping (server.StopSignals): SIGINT or SIGTERM cuts every delay fault short and asks
granian to stop; requests in flight get STOP_GRACE_S to finish, and STOP_DEADLINE_S after
the signal the process ends whatever it is doing (a request holding the loop, a client that
never finishes its body). A requested stop exits with status 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from ..config import MockConfig
from .signals import STOP_GRACE_S, StopSignals, exit_now

SEED_ERROR_EXIT = 2
LISTEN_ERROR_EXIT = 2
EXPERIMENTAL_WARNING = "Embedded server is experimental"


def serve(host: str, port: int, url: str, config: MockConfig) -> int:
    """Serve until SIGINT or SIGTERM, then end the process: status 0; 2 if the port cannot be
    bound, 1 if granian fails later (the reason on stderr).

    Returns only if granian never started: 2 when the seed data cannot be loaded (the reason
    on stderr), 0 when a stop came during start-up."""
    stop = StopSignals()  # before the slow imports: a stop during start-up is a stop too
    from ..stack import namespaced_stack
    from ..state import MockState
    from .banner import banner
    from .rsgi import RsgiBridge

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        mock = MockState(config)
    except (OSError, ValueError) as error:
        print(f"calendar-mock: cannot load the seed data: {error}", file=sys.stderr, flush=True)
        return SEED_ERROR_EXIT
    if stop.requested.is_set():
        return 0
    # Flask is imported on the first control-plane request only: the API answers sooner.
    app = RsgiBridge(namespaced_stack(mock), mock.store.calendar_count)
    text = banner(url, mock.store.dump()["apikeys"], mock.store.seed_credentials())
    code = asyncio.run(serve_rsgi(app, host, port, text, stop, on_stop=app.release_delays))
    # Out without the interpreter's finalisation, as a multiprocessing worker ends: a thread
    # of granian's that meets a finalising interpreter aborts the process (SIGABRT, seen
    # about once in 15 stops).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def embedded_server(app: Any, host: str, port: int) -> Any:
    """granian's embedded server for the RSGI `app`, not yet serving."""
    from granian.constants import Interfaces
    from granian.log import logger as granian_logger
    from granian.server.embed import Server

    if not any(isinstance(known, _QuietExperimental) for known in granian_logger.filters):
        granian_logger.addFilter(_QuietExperimental())  # once, however many servers a process starts
    # backlog: granian's process server's default (the embedded one has 128)
    return Server(app, address=host, port=port, interface=Interfaces.RSGI, websockets=False,
                  backlog=1024, log_level="warning")  # type: ignore[arg-type]


class _QuietExperimental(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return EXPERIMENTAL_WARNING not in record.getMessage()


async def serve_rsgi(app: Any, host: str, port: int, text: str, stop: StopSignals, *,
                     on_stop: Callable[[], None] | None = None,
                     before_exit: Callable[[], None] | None = None) -> int:
    """Serve `app` until `stop`; print `text` once listening. On a stop, `on_stop` runs and
    requests in flight get STOP_GRACE_S; then `before_exit` runs (the caller's last words),
    and if a request is still in flight the process ends at once."""
    server = embedded_server(app, host, port)
    stopping = asyncio.Event()
    stop.call_on(asyncio.get_running_loop(), stopping.set)
    serving = asyncio.create_task(server.serve())
    announcing = asyncio.create_task(announce_when_listening(host, port, text))
    asked = asyncio.create_task(stopping.wait())
    await asyncio.wait((serving, asked), return_when=asyncio.FIRST_COMPLETED)
    listened = announcing.done()
    announcing.cancel()
    if serving.done():  # granian ended by itself: it could not bind, or failed
        asked.cancel()
        error = serving.exception()
        reason = str(error).split("\n", 1)[0] if error else "granian stopped"
        if listened:
            print(f"calendar-mock: granian stopped: {reason}", file=sys.stderr, flush=True)
            return 1
        print(f"calendar-mock: cannot listen on {host}:{port}: {reason}", file=sys.stderr, flush=True)
        return LISTEN_ERROR_EXIT
    if on_stop is not None:
        on_stop()
    server.stop()
    try:
        await asyncio.wait_for(asyncio.shield(serving), STOP_GRACE_S)
    except TimeoutError:  # a request still in flight (a body that never ends): do not wait
        if before_exit is not None:
            before_exit()
        exit_now()
    if before_exit is not None:
        before_exit()
    return 0


async def announce_when_listening(host: str, port: int, text: str, deadline_s: float = 10.0) -> None:
    """Print `text` once the port takes connections: granian binds it once serving starts,
    and whoever reads the banner may connect at once."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while loop.time() < end:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 0.5)
        except (OSError, TimeoutError):
            await asyncio.sleep(0.005)
            continue
        writer.close()
        break
    print(text, flush=True)
