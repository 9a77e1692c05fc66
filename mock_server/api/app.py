"""The API as a plain WSGI app: each request through the pipeline, its answer journaled once.

Control-plane paths go to the control app; API requests never build Flask's request and
response objects, which cost more than everything else a request does (benchmarks/RESULTS.md,
"Decisions measured once").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ApiError, InternalError, error_reply
from ..state import MockState
from ..traffic.journal import Entry
from .handlers import HANDLERS
from .pipeline import answer
from .request import ApiRequest

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
log = logging.getLogger(__name__)


class ApiApp:
    """Serves the API of `mock`; paths under `control_prefix` go to `control_app`."""

    def __init__(self, mock: MockState, control_app: WsgiApp, control_prefix: str) -> None:
        unhandled = set(mock.contract.operations) ^ set(HANDLERS)
        if unhandled:
            raise RuntimeError(f"spec operations and handlers differ: {sorted(unhandled)}")
        self.mock = mock
        self.control_app = control_app
        self.control_prefix = control_prefix
        self.max_body = mock.contract.limits["max-body-bytes"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        request = ApiRequest(environ, self.max_body)
        if request.path.startswith(self.control_prefix):
            return self.control_app(environ, start_response)
        refusal = None
        try:
            reply = answer(self.mock, request)
        except ApiError as error:
            reply, refusal = error_reply(error, self.mock.settings), error
        except Exception:
            log.exception("unexpected error while serving %s %s", request.method, request.path)
            reply = error_reply(InternalError())
        self.mock.journal.record(Entry(
            time=time.time(), method=request.method, path=request.path,
            query_string=request.query_string, body=request.journal_body(),
            mimetype=request.mimetype, status=reply.status,
            duration_ms=(time.perf_counter() - started) * 1000, refusal=reply.refusal,
        ))
        self.mock.coverage.count(request, reply.status, reply.body, refusal)
        return reply.wsgi(start_response, head_only=request.method == "HEAD")
