"""The API itself as a plain WSGI app: route by the spec, authenticate, validate, handle.

Control-plane paths go to the Flask app; API requests never build Flask's request and
response objects, which cost more than everything else a request does (measured in
benchmarks/RESULTS.md). Every answer, error or not, is journaled exactly once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import orjson

from . import bodies, params
from .auth import Credentials, authenticate
from .contract import Operation
from .errors import ApiError, MethodNotAllowed, NotFound, Unauthorized
from .faults import WsgiApp
from .handlers import HANDLERS, USER_OPERATIONS, Call, Reply, check_group_access
from .journal import Entry
from .state import MockState
from .wsgi_request import ApiRequest

JSON_TYPE = "application/json; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
log = logging.getLogger(__name__)


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON. orjson, not json: a page of 10,000 calendars encodes in a seventh of
    the time (measured in benchmarks/RESULTS.md, section `worst`). orjson holds integers of 64
    bits; an echo of a larger one (`startIndex=10**30`) takes the slow path."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class ApiApp:
    """Serves the API of `mock`; paths under `control_prefix` go to `control_app`."""

    def __init__(self, mock: MockState, control_app: WsgiApp, control_prefix: str, max_body: int) -> None:
        self.mock = mock
        self.control_app = control_app
        self.control_prefix = control_prefix
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        request = ApiRequest(environ, self.max_body)
        if request.path.startswith(self.control_prefix):
            return self.control_app(environ, start_response)
        try:
            reply = answer(self.mock, request)
        except ApiError as error:
            reply = error_reply(error, self.mock.settings)
        except Exception:
            log.exception("unexpected error while serving %s %s", request.method, request.path)
            reply = Reply(500, {"error": "internal error in the mock; see its log"})
        payload = encode_json(reply.body)
        headers = [("Content-Type", JSON_TYPE), ("Content-Length", str(len(payload))), *reply.headers]
        self.mock.journal.record(Entry(
            time=time.time(), method=request.method, path=request.path,
            query_string=request.query_string, body=request.journal_body(),
            mimetype=request.mimetype, status=reply.status,
            duration_ms=(time.perf_counter() - started) * 1000,
        ))
        start_response(STATUS_LINES.get(reply.status, f"{reply.status} Unknown"), headers)
        return [] if request.method == "HEAD" else [payload]


def answer(mock: MockState, request: ApiRequest) -> Reply:
    """The reply to one API request; an `ApiError` for any request the API refuses.

    Refusals come in this order: no such path (404) or method (405); then credentials (401),
    the path's ids and the group (404) and the body (400) - or the body first, when the
    `error_precedence` answer says so."""
    operation, raw_path = _operation(mock, request)
    args = request.args()
    call = Call(mock.contract, mock.store, operation, {}, args, settings=mock.settings)
    body, body_error = _json_body(operation, request)
    if operation.operation_id in USER_OPERATIONS:
        body_first = mock.settings.error_precedence == "body_first"
        if body_first:
            call.body = _validated(mock, operation, body, body_error)
        call.user = authenticate(mock.store, _credentials(request, args, body))
        call.path = params.path_values(operation, raw_path)
        check_group_access(call)
        if not body_first:
            call.body = _validated(mock, operation, body, body_error)
        if operation.operation_id != "listCalendars":
            params.query_values(operation, args)
    else:
        call.query_apikey = _single_apikey(args)
        call.form = request.form() if request.mimetype == FORM_TYPE else {}
    return HANDLERS[operation.operation_id](call)


def _validated(mock: MockState, operation: Operation, body: Any, error: ApiError | None) -> dict[str, Any]:
    if error is not None:
        raise error
    if "application/json" not in operation.body_validators:
        return {}
    return bodies.validated_body(mock.contract, operation, body, mock.settings)


def error_reply(error: ApiError, settings: Any) -> Reply:
    """The one place an API refusal becomes an answer, in the error shape the settings answer
    (`error_body`), with an Allow header on 405 unless `allow_header` says it is omitted."""
    headers = list(error.headers().items()) if settings.allow_header == "sent" else []
    if settings.error_body == "kit":
        return Reply(error.status, error.body(), headers)
    details = [{"field": field, "problem": problem}
               for field, problems in error.errors.items() for problem in problems]
    return Reply(error.status, {"message": error.message, "code": error.status, "details": details}, headers)


def _operation(mock: MockState, request: ApiRequest) -> tuple[Operation, dict[str, str]]:
    """The spec operation for this method and path; else 404, or 405 with the path's methods."""
    found = mock.contract.match(request.path)
    if found is None:
        raise NotFound(f"there is no resource at {request.path}")
    route, raw_path = found
    method = "get" if request.method == "HEAD" else request.method.lower()
    operation = route.operations.get(method)
    if operation is None:
        raise MethodNotAllowed(request.method, route.allowed_methods)
    return operation, raw_path


def _json_body(operation: Operation, request: ApiRequest) -> tuple[Any, ApiError | None]:
    """The decoded JSON body, or the error to answer once the caller is authenticated.

    A JSON body over the size limit is refused at once, before authentication: it cannot
    be read without reading too much.
    """
    if "application/json" not in operation.body_validators:
        return None, None
    try:
        bodies.require_json_media_type(request.mimetype)
    except ApiError as error:
        return None, error
    raw = request.data()
    try:
        return bodies.decode_json(raw), None
    except ApiError as error:
        return None, error


def _single_apikey(args: dict[str, list[str]]) -> str | None:
    values = args.get("apikey") or []
    if len(set(values)) > 1:
        raise Unauthorized("apikey is given more than once with different values",
                           {"apikey": ["is given more than once"]})
    return values[0] if values else None


def _credentials(request: ApiRequest, args: dict[str, list[str]], body: Any) -> Credentials:
    apikey = _single_apikey(args)
    if apikey is None and isinstance(body, dict) and isinstance(body.get("apikey"), str):
        apikey = body["apikey"]  # the official PHP client sends it there
    return Credentials(
        apikey=apikey,
        authorization=request.authorization,
        session_id=request.cookie("_session_id"),
    )
