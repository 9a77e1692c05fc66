"""What every control-plane route shares: the mock the request is for (its namespace's) and
the JSON it reads and answers. Flask, like the routes (control.py, control_more.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from .api.bodies import decode_json
from .config import MOCK_ENVIRON_KEY
from .errors import BadRequest, NotFound
from .namespaces import REGISTRY, Namespaces
from .replies import JSON_TYPE, Reply, encode_json
from .state import MockState


def current_mock() -> MockState:
    """The mock the request is for - its namespace's (`X-Mock-Namespace`), else the default -
    as its WSGI stack handed it over (`stack.LazyControlApp`)."""
    return request.environ[MOCK_ENVIRON_KEY]


def namespaces() -> Namespaces:
    """The registry of the request's mock: every namespace it serves."""
    found = request.environ.get(REGISTRY) or current_app.extensions.get(REGISTRY)
    if found is None:
        raise NotFound("this mock serves no namespaces")
    return found


def reply(body: Any, status: int = 200) -> Response:
    return response(Reply(status, body))


def response(answer: Reply) -> Response:
    flask_response = Response(encode_json(answer.body), status=answer.status, content_type=JSON_TYPE)
    for name, value in answer.headers:
        flask_response.headers[name] = value
    return flask_response


def json_object() -> dict[str, Any] | None:
    """The request's JSON object body; None when there is none; 400 when it is not one."""
    if not request.get_data(cache=True).strip():
        return None
    body = decode_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise BadRequest.field("body", "must be a JSON object")
    return body
