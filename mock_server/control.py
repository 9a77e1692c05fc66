"""The control plane under /_mock/: reset, seed, dump, journal, settings and faults, for tests.

A small Flask app of its own (`control_plane`); the API never goes through it. Its refusals
are answered by the same `error_reply` as the API's. The app holds no mock: a mock's WSGI stack
hands itself over in the environ (`MOCK_ENVIRON_KEY`), so one app, built once, serves every
mock of the process (building it costs ~10 ms: werkzeug compiles each route).
"""

from __future__ import annotations

import contextlib
import functools
import logging

from calendar_spec import profiles
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from .config import CONTROL_PREFIX, MAX_SEED_BYTES
from .control_io import current_mock as _mock
from .control_io import json_object as _json_object
from .control_io import reply as _reply
from .control_io import response as _response
from .control_more import more_routes
from .control_pages import pages
from .errors import ApiError, BadRequest, InternalError, MethodNotAllowed, NotFound, error_reply
from .traffic.patterns import RequestPattern

# Every method reaches the catch-all view, so an unserved one gets a JSON 405, not Flask's.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "QUERY"]
log = logging.getLogger(__name__)
blueprint = Blueprint("control", __name__)
blueprint.register_blueprint(more_routes)  # clock, namespaces, coverage
blueprint.register_blueprint(pages)  # docs and dashboard, for people


@functools.cache
def control_plane(max_body_bytes: int) -> Flask:
    """The Flask app of the control plane (and of nothing else), for the mocks whose contract
    limits a body to `max_body_bytes`; each request names its mock in the environ. Nothing
    changes it once built, and Flask serves concurrent requests from one app."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.register_blueprint(blueprint, url_prefix=CONTROL_PREFIX)
    app.url_map.converters["anything"] = _AnyPath
    for rule in ("/", "/<anything:subpath>"):
        app.add_url_rule(rule, "unknown", _unknown_path, methods=ANY_METHOD,
                         provide_automatic_options=False)
    app.register_error_handler(ApiError, _answer_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


class _AnyPath(BaseConverter):
    """Every path reaches the catch-all view, also one with a newline (`path` stops at one)."""

    regex = "(?s:.+)"
    part_isolating = False


@blueprint.before_request
def _allow_large_seeds() -> None:
    with contextlib.suppress(AttributeError):  # per-request limits need Flask >= 3.1
        request.max_content_length = MAX_SEED_BYTES


@blueprint.post("/reset")
def reset() -> Response:
    """Back to the mock's start-up data and settings, with no sessions and an empty journal.

    A JSON body is other seed data to load instead (the next bodiless reset goes back to
    the start-up data); seed data that does not load is refused with 400 and changes nothing.
    """
    mock = _mock()
    mock.reset(_json_object())
    return _reply({"reset": True, "calendars": len(mock.store.dump()["calendars"])})


@blueprint.get("/state")
def state() -> Response:
    return _reply(_mock().store.dump())


@blueprint.get("/requests")
def requests_journal() -> Response:
    journal = _mock().journal
    entries = journal.entries(request.args.to_dict())
    return _reply({"requests": entries, "count": len(entries), "capacity": journal.capacity})


@blueprint.delete("/requests")
def clear_journal() -> Response:
    _mock().journal.clear()
    return _reply({"cleared": True})


# -- verification: request patterns over the journal (traffic/patterns.py) ----------------
@blueprint.post("/requests/count")
def count_requests() -> Response:
    """A pattern `{method, path, params, body}` (each optional) -> `{count}` of matching requests."""
    pattern = RequestPattern.from_json(_json_object() or {})
    return _reply({"count": len(pattern.find(_mock().journal.entries()))})


@blueprint.post("/requests/find")
def find_requests() -> Response:
    """The requests matching a pattern, and the closest ones that do not, with what differs."""
    pattern = RequestPattern.from_json(_json_object() or {})
    entries = _mock().journal.entries()
    return _reply({"requests": pattern.find(entries), "near_misses": pattern.near_misses(entries)})


@blueprint.get("/requests/refused")
def refused_requests() -> Response:
    """The requests the API refused as wrong (validation, auth, routing), each with its reason."""
    refused = _mock().journal.refused()
    return _reply({"requests": refused, "count": len(refused)})


@blueprint.get("/settings")
def get_settings() -> Response:
    return _reply(_mock().settings.as_dict())


@blueprint.put("/settings")
def put_settings() -> Response:
    body = _json_object() or {}
    return _reply(_mock().configure(**{key: str(value) for key, value in body.items()}).as_dict())


@blueprint.get("/profile")
def get_profile() -> Response:
    """The answer to every open question, as a profile file (`calendar_spec.profiles`)."""
    settings = _mock().settings
    return _reply({"name": "current", "answers": settings.as_dict(),
                   "differs_from_default": settings.differs()})


@blueprint.put("/profile")
def put_profile() -> Response:
    """A profile document as the body, or `?builtin=default|contrarian`; every question it
    leaves out goes back to the default."""
    builtin = request.args.get("builtin")
    if builtin is not None and builtin not in profiles.BUILTIN:
        # a name, never a path: files are the command line's (--profile), not a request's to open
        raise BadRequest.field("builtin", f"{builtin[:64]!r} is not a built-in profile; built in: "
                                          f"{', '.join(profiles.BUILTIN)}")
    source = builtin if builtin is not None else _json_object()
    if source is None:
        raise BadRequest.field("profile", "missing: send a profile as a JSON object, "
                                          "or ?builtin=default|contrarian")
    return _reply(_mock().use_profile(source))


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return _reply(_mock().contract.spec)


@blueprint.get("/health")
def health() -> Response:
    return _reply({"ok": True})


@blueprint.get("/faults")
def list_faults() -> Response:
    return _reply({"faults": _mock().faults.list()})


@blueprint.post("/faults")
def add_fault() -> Response:
    """E.g. {"action": "error", "method": "GET", "path": "/calendars$", "times": 2}."""
    return _reply(_mock().faults.add(_json_object() or {}).describe(), 201)


@blueprint.delete("/faults")
def clear_faults() -> Response:
    _mock().faults.clear()
    return _reply({"cleared": True})


@blueprint.delete("/faults/<int:fault_id>")
def remove_fault(fault_id: int) -> Response:
    if not _mock().faults.remove(fault_id):
        raise NotFound(f"no active fault {fault_id}")
    return _reply({"removed": fault_id})


def _unknown_path(subpath: str = "") -> Response:
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


# -- errors: the control plane's refusals, answered by the API's one error path ------------
def _answer_error(error: ApiError) -> Response:
    return _response(error_reply(error))


def _http_error(error: HTTPException) -> Response:
    """Werkzeug's errors in the API's terms: a body over the size limit is a 400, a method
    the router does not know (FOO, PROPFIND) a 405, any other status outside 400–404 a 400."""
    if isinstance(error, RequestEntityTooLarge):
        limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
        return _answer_error(BadRequest.field("body", f"is larger than {limit} bytes"))
    if error.code == 405:
        try:
            _unknown_path()
        except ApiError as api_error:
            return _answer_error(api_error)
    status = error.code if error.code in (400, 401, 403, 404) else 400
    return _answer_error(_WerkzeugError(error.description or error.name, status))


class _WerkzeugError(ApiError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error while serving %s %s", request.method, request.path)
    return _answer_error(InternalError())
