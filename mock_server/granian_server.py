"""`calendar-mock serve` under granian: a light supervisor process and one worker process.

The supervisor imports neither Flask nor the spec, so it stays small; the worker builds the
mock from the options the supervisor leaves in its environment, prints the banner and
serves it through mock_server.rsgi.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
from typing import Any

OPTIONS_VARIABLE = "CALENDAR_MOCK_SERVE_OPTIONS"
WORKER_TARGET = "mock_server.granian_server:worker_app"
SEED_ERROR_EXIT = 2


def serve(host: str, port: int, url: str, app_options: dict[str, Any]) -> int:
    """Serve until SIGINT or SIGTERM; 2 if the worker could not start (its reason is on stderr)."""
    from granian.constants import Interfaces
    from granian.server import Server

    os.environ[OPTIONS_VARIABLE] = json.dumps({"url": url, "host": host, "port": port, "app": app_options})
    server = Server(
        WORKER_TARGET, address=host, port=port, interface=Interfaces.RSGI, factory=True,
        workers=1, websockets=False, log_level="warning",  # type: ignore[arg-type]
    )
    try:
        server.serve()
    except SystemExit as exit_:
        return 0 if exit_.code in (0, None) else SEED_ERROR_EXIT
    return 0


def worker_app() -> Any:
    """granian's factory, run in the worker: the mock, or exit 2 with the reason on stderr.

    Flask is imported on the first control-plane request only: the API answers sooner."""
    from .cli import banner
    from .errors import SeedError
    from .rsgi import RsgiBridge
    from .stack import LazyControlApp, wsgi_stack
    from .state import MockState

    options = json.loads(os.environ[OPTIONS_VARIABLE])
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app_options = options["app"]
        mock = MockState(None, app_options.pop("fixtures"), **app_options)
    except (OSError, SeedError, ValueError) as error:
        print(f"calendar-mock: cannot load the seed data: {error}", file=sys.stderr, flush=True)
        os._exit(SEED_ERROR_EXIT)
    store = mock.store
    text = banner(options["url"], store.dump()["apikeys"], store.seed_credentials())
    threading.Thread(target=announce_when_listening, args=(options["host"], options["port"], text),
                     name="calendar-mock-banner", daemon=True).start()
    return RsgiBridge(wsgi_stack(mock, LazyControlApp(mock)))


def announce_when_listening(host: str, port: int, text: str, deadline_s: float = 10.0) -> None:
    """Print `text` once the port takes connections: the worker binds it only after this
    factory returns, and whoever reads the banner may connect at once."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.005)
    print(text, flush=True)
