"""The app factory: the mock's WSGI stack (stack.py) with Flask serving its control plane."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from . import control
from .contract import Contract
from .errors import ApiError, BadRequest, MethodNotAllowed, NotFound
from .stack import CONTROL_PREFIX, wsgi_stack
from .state import MockState, Seed
from .store import Clock, utc_now

EXTENSION = "calendar_mock"
# Every method reaches the catch-all view, so an unserved one gets a JSON 405, not Flask's.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "QUERY"]
log = logging.getLogger(__name__)


class AnyPath(BaseConverter):
    """Every path reaches the catch-all view, also one with a newline (`path` stops at one)."""

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
    settings: Mapping[str, str] | None = None,
) -> Flask:
    """A mock of the Calendar API with its own state, seeded from `fixtures` (default: demo).

    `settings` answers the spec's open questions (`x-open-questions`), e.g.
    `{"page_cap": "5", "start_index": "pages"}`; the two named switches are shorthands."""
    mock = MockState(
        contract,
        fixtures,
        intervention_match=intervention_match,
        deleted_calendars=deleted_calendars,
        journal_size=journal_size,
        session_ttl=session_ttl,
        clock=clock,
        settings=settings,
    )
    app = control_app(mock)
    app.wsgi_app = wsgi_stack(mock, app.wsgi_app)  # type: ignore[method-assign]
    return app


def control_app(mock: MockState) -> Flask:
    """The Flask app of the control plane (and of nothing else) for `mock`."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = mock.contract.limits.get("max-body-bytes", 65536)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = mock
    app.register_blueprint(control.blueprint, url_prefix=CONTROL_PREFIX)
    app.url_map.converters["anything"] = AnyPath
    for rule in ("/", "/<anything:subpath>"):
        app.add_url_rule(rule, "unknown", unknown_control_path, methods=ANY_METHOD,
                         provide_automatic_options=False)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def mock_of(app: Flask) -> MockState:
    return app.extensions[EXTENSION]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = Response(text, status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def unknown_control_path(subpath: str = "") -> Response:
    """A control-plane path that does not exist (404), or a method it does not serve (405)."""
    allowed = {
        method
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint.startswith("control.") and rule.rule == request.path
        for method in rule.methods or ()
    }
    if allowed:
        raise MethodNotAllowed(request.method, sorted(allowed - {"HEAD"}))
    raise NotFound(f"there is no resource at {request.path}")


# -- errors: the one place a control-plane exception becomes an HTTP answer ---------------
def _api_error(error: ApiError) -> Response:
    return json_response(error.status, error.body(), error.headers())


def _http_error(error: HTTPException) -> Response:
    """Werkzeug's errors in the API's terms: a body over the size limit is a 400, a method
    the router does not know (FOO, PROPFIND) a 405, any other status outside 400–404 a 400."""
    if isinstance(error, RequestEntityTooLarge):
        limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
        return _api_error(BadRequest.field("body", f"is larger than {limit} bytes"))
    if error.code == 405:
        try:
            unknown_control_path()
        except ApiError as api_error:
            return _api_error(api_error)
    status = error.code if error.code in (400, 401, 403, 404) else 400
    return json_response(status, {"error": error.description or error.name})


def _unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error while serving %s %s", request.method, request.path)
    return json_response(500, {"error": "internal error in the mock; see its log"})
