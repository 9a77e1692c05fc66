"""The API as a plain WSGI app: each request through the pipeline, its answer journaled once.

Control-plane paths go to the control app; API requests never build Flask's request and
response objects, which cost more than everything else a request does (benchmarks/RESULTS.md,
"Decisions measured once").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..config import MOCK_ENVIRON_KEY
from ..errors import ApiError, InternalError, NoSuchPath, error_reply
from ..state import MockState
from ..traffic.journal import Entry
from .handlers import HANDLERS
from .pipeline import answer
from .request import ApiRequest

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
log = logging.getLogger(__name__)
REFUSAL_KEY = "calendar_mock.refusal"  # where an added route leaves why it refused, for the journal


class AddedRoutes(Protocol):
    """Routes beside the spec's (a user's, on the app of `create_app`): asked only for paths
    the spec does not serve."""

    def serves(self, environ: dict[str, Any]) -> bool: ...

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]: ...


class ApiApp:
    """Serves the API of `mock`; paths under `control_prefix` go to `control_app`."""

    def __init__(self, mock: MockState, control_app: WsgiApp, control_prefix: str,
                 added_routes: AddedRoutes | None = None) -> None:
        unhandled = set(mock.contract.operations) ^ set(HANDLERS)
        if unhandled:
            raise RuntimeError(f"spec operations and handlers differ: {sorted(unhandled)}")
        self.mock = mock
        self.control_app = control_app
        self.control_prefix = control_prefix
        self.max_body = mock.contract.limits["max-body-bytes"]
        self.added_routes = added_routes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        request = ApiRequest(environ, self.max_body)
        if request.path.startswith(self.control_prefix):
            return self.control_app(environ, start_response)
        refusal = None
        try:
            reply = answer(self.mock, request)
        except NoSuchPath as error:
            if self.added_routes is not None and self.added_routes.serves(environ):
                return self._added_route(request, start_response, started)
            reply, refusal = error_reply(error, self.mock.settings), error
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

    def _added_route(self, request: ApiRequest, start_response: Callable[..., Any],
                     started: float) -> Iterable[bytes]:
        """An added route answers, with this mock in its environ (`MOCK_ENVIRON_KEY`); it is
        journaled like an API request (its body left to the route: reading it here would take
        it from the route), outside the spec's coverage."""
        environ = request.environ
        environ[MOCK_ENVIRON_KEY] = self.mock
        seen: list[str] = []

        def started_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            seen.append(status)
            return start_response(status, headers, *exc_info)

        body = self.added_routes(environ, started_response)  # type: ignore[misc]
        self.mock.journal.record(Entry(
            time=time.time(), method=request.method, path=request.path,
            query_string=request.query_string, body=None, mimetype=request.mimetype,
            status=int(seen[0].split()[0]) if seen else 500,
            duration_ms=(time.perf_counter() - started) * 1000, refusal=environ.get(REFUSAL_KEY),
        ))
        return body
