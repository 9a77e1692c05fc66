"""Requests at a WSGI app at once, counted where they arrive: what `--concurrency` bounds."""

from __future__ import annotations

import threading
import time
from typing import Any


def count_in_flight(app: Any, pause_s: float) -> dict[str, int]:
    """`app` counting the requests it serves at once ("now") and the most it served ("most"),
    each held `pause_s` (long enough for requests sent at once to meet)."""
    counts, lock = {"now": 0, "most": 0}, threading.Lock()
    served = app.wsgi_app

    def counting(environ, start_response):
        with lock:
            counts["now"] += 1
            counts["most"] = max(counts["most"], counts["now"])
        try:
            time.sleep(pause_s)
            return served(environ, start_response)
        finally:
            with lock:
                counts["now"] -= 1

    app.wsgi_app = counting
    return counts
