"""The Flask app factory: routes from the spec, one error path, a journal of requests."""

from __future__ import annotations

import json
import logging
import time
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from . import bodies, control, params
from .auth import Credentials, authenticate
from .contract import Contract, Operation
from .errors import ApiError, BadRequest, MethodNotAllowed, NotFound, Unauthorized
from .faults import FaultMiddleware
from .handlers import HANDLERS, USER_OPERATIONS, Call, check_group_access
from .journal import MAX_BODY_CHARS, mask_body, mask_pairs
from .state import MockState, Seed
from .store import Clock, utc_now

EXTENSION = "calendar_mock"
CONTROL_PREFIX = "/_mock"
# Every method reaches the API view, so an unserved one gets the API's own 405, not Flask's.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "QUERY"]
log = logging.getLogger(__name__)


class AnyPath(BaseConverter):
    """Every path reaches the API view, also one with a newline (`path` stops at one)."""

    regex = "(?s:.+)"
    part_isolating = False


def create_app(
    fixtures: Seed = None,
    *,
    intervention_match: str = "all",
    deleted_calendars: str = "listed",
    journal_size: int = 1000,
    session_ttl: float = 3600.0,
    clock: Clock = utc_now,
    contract: Contract | None = None,
) -> Flask:
    """A mock of the Calendar API with its own state, seeded from `fixtures` (default: demo)."""
    contract = contract or Contract()
    unhandled = set(contract.operations) ^ set(HANDLERS)
    if unhandled:
        raise RuntimeError(f"spec operations and handlers differ: {sorted(unhandled)}")
    mock = MockState(
        contract,
        fixtures,
        intervention_match=intervention_match,
        deleted_calendars=deleted_calendars,
        journal_size=journal_size,
        session_ttl=session_ttl,
        clock=clock,
    )
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = contract.limits.get("max-body-bytes", 65536)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = mock
    app.register_blueprint(control.blueprint, url_prefix=CONTROL_PREFIX)
    app.url_map.converters["anything"] = AnyPath
    for rule in ("/", "/<anything:subpath>"):
        app.add_url_rule(rule, "api", api_view, methods=ANY_METHOD,
                         provide_automatic_options=False)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.before_request(_start_clock)
    app.after_request(_journal)
    app.wsgi_app = FaultMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, mock.faults, CONTROL_PREFIX, on_fault=partial(_journal_fault, mock)
    )
    return app


def mock_of(app: Flask) -> MockState:
    return app.extensions[EXTENSION]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = Response(text, status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def api_view(subpath: str = "") -> Response:
    mock = mock_of(current_app)
    operation, raw_path = _operation(mock)
    args = request.args.to_dict(flat=False)
    call = Call(mock.contract, mock.store, operation, {}, args)
    body, body_error = _json_body(operation)
    if operation.operation_id in USER_OPERATIONS:
        call.user = authenticate(mock.store, _credentials(args, body))
        call.path = params.path_values(operation, raw_path)
        check_group_access(call)
        if body_error is not None:
            raise body_error
        if "application/json" in operation.body_validators:
            call.body = bodies.validated_body(mock.contract, operation, body)
        if operation.operation_id != "listCalendars":
            params.query_values(operation, args)
    else:
        call.query_apikey = _single_apikey(args)
        call.form = (request.form.to_dict(flat=False)
                     if request.mimetype == "application/x-www-form-urlencoded" else {})
    reply = HANDLERS[operation.operation_id](call)
    return json_response(reply.status, reply.body, reply.headers)


def _operation(mock: MockState) -> tuple[Operation, dict[str, str]]:
    """The spec operation for this method and path; else 404, or 405 with the path's methods."""
    found = mock.contract.match(request.path)
    if found is None:
        _control_method_not_allowed()
        raise NotFound(f"there is no resource at {request.path}")
    route, raw_path = found
    method = "get" if request.method == "HEAD" else request.method.lower()
    operation = route.operations.get(method)
    if operation is None:
        raise MethodNotAllowed(request.method, route.allowed_methods)
    return operation, raw_path


def _control_method_not_allowed() -> None:
    """A control-plane path asked with a method it does not serve reaches this catch-all view."""
    allowed = {
        method
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint.startswith("control.") and rule.rule == request.path
        for method in rule.methods or ()
    }
    if allowed:
        raise MethodNotAllowed(request.method, sorted(allowed - {"HEAD"}))


def _json_body(operation) -> tuple[Any, ApiError | None]:
    """The decoded JSON body, or the error to answer once the caller is authenticated."""
    if "application/json" not in operation.body_validators:
        return None, None
    try:
        bodies.require_json_media_type(request.mimetype)
        return bodies.decode_json(request.get_data(cache=True)), None
    except ApiError as error:
        return None, error


def _single_apikey(args: dict[str, list[str]]) -> str | None:
    values = args.get("apikey") or []
    if len(set(values)) > 1:
        raise Unauthorized("apikey is given more than once with different values",
                           {"apikey": ["is given more than once"]})
    return values[0] if values else None


def _credentials(args: dict[str, list[str]], body: Any) -> Credentials:
    apikey = _single_apikey(args)
    if apikey is None and isinstance(body, dict) and isinstance(body.get("apikey"), str):
        apikey = body["apikey"]  # the official PHP client sends it there
    return Credentials(
        apikey=apikey,
        authorization=request.headers.get("Authorization"),
        session_id=request.cookies.get("_session_id"),
    )


# -- errors: the one place an exception becomes an HTTP answer ----------------------------
def _api_error(error: ApiError) -> Response:
    return json_response(error.status, error.body(), error.headers())


def _http_error(error: HTTPException) -> Response:
    """Werkzeug's errors in the API's terms: a body over the spec's max-body-bytes is a 400
    (the API has no 413), any other status outside the documented set becomes 400."""
    if isinstance(error, RequestEntityTooLarge):
        limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
        return _api_error(BadRequest.field("body", f"is larger than {limit} bytes"))
    if error.code == 405:  # a method the router does not know (FOO, PROPFIND): ask the spec
        try:
            _operation(mock_of(current_app))
        except ApiError as api_error:
            return _api_error(api_error)
        allowed = sorted(getattr(error, "valid_methods", None) or ["GET"])
        return _api_error(MethodNotAllowed(request.method, allowed))
    status = error.code if error.code in (400, 401, 403, 404) else 400
    return json_response(status, {"error": error.description or error.name})


def _unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error while serving %s %s", request.method, request.path)
    return json_response(500, {"error": "internal error in the mock; see its log"})


# -- journal ----------------------------------------------------------------------------
def _start_clock() -> None:
    g.started = time.perf_counter()


def _journal(response: Response) -> Response:
    if request.path.startswith(CONTROL_PREFIX):
        return response
    mock_of(current_app).journal.record({
        "time": time.time(),
        "method": request.method,
        "path": request.path,
        "query": mask_pairs(request.args.items(multi=True)),
        "body": _journal_body(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 3),
    })
    return response


def _journal_body() -> Any:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if not request.content_length or request.content_length > limit:
        return None
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_CHARS:
        return raw[:MAX_BODY_CHARS].decode("utf-8", "replace") + "…"
    try:
        return mask_body(json.loads(raw))
    except (ValueError, RecursionError):
        if request.mimetype.endswith("form-urlencoded"):
            return dict(mask_pairs(request.form.items(multi=True)))
        return mask_body(raw.decode("utf-8", "replace"))


def _journal_fault(mock: MockState, environ: dict[str, Any], fault) -> None:
    """A faulted request never reaches Flask; journal it here, with the fault that hit it."""
    query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    mock.journal.record({
        "time": time.time(),
        "method": environ.get("REQUEST_METHOD", ""),
        "path": environ.get("PATH_INFO", ""),
        "query": mask_pairs(query),
        "body": None,
        "status": fault.status if fault.action == "error" else None,
        "fault": {"id": fault.id, "action": fault.action},
        "duration_ms": 0.0,
    })
