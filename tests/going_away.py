"""A server that goes away mid-run, as a staging does when it is redeployed."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

from mock_server.serve.waitress_server import RunningServer, serve_in_thread


@contextlib.contextmanager
def served_until(app: Any, nth: int, matching: Callable[[dict[str, Any]], bool] = lambda environ: True,
                 ) -> Iterator[RunningServer]:
    """`app` served on 127.0.0.1, stopping as the `nth` request `matching` comes in (that one
    is still answered); stopped on leaving in any case."""
    server = serve_in_thread(app)
    inner, seen = app.wsgi_app, itertools.count(1)

    def goes_away(environ: dict[str, Any], start_response: Any) -> Any:
        if matching(environ) and next(seen) == nth:
            threading.Thread(target=server.stop, daemon=True).start()
        return inner(environ, start_response)

    app.wsgi_app = goes_away
    try:
        yield server
    finally:
        server.stop()
