"""Stubbing another ClicRDV resource: routes and blueprints added to the Flask app of
`create_app` answer the paths the spec does not serve (the spec's paths keep priority), inside
the same fault middleware and journal as the API; `api_user` authenticates such a route as
the API does.

    app = create_app()

    @app.get("/api/v1/groups/<int:group_id>/fiches")
    def fiches(group_id):
        api_user(group_id)              # 401 without credentials, 404 for a group not theirs
        return {"records": [], "totalRecords": 0}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from .api.app import REFUSAL_KEY
from .api.auth import authenticate
from .api.pipeline import NO_BODY, check_group, credentials
from .api.request import ApiRequest
from .calendars.data import User
from .config import MOCK_ENVIRON_KEY
from .errors import ApiError, Forbidden, MethodNotAllowed, Unauthorized, error_reply
from .state import MockState

__all__ = ["AddedFlaskRoutes", "api_user", "current_mock"]


def current_mock() -> MockState:
    """The mock (of the request's namespace) that an added route answers for."""
    return flask.request.environ[MOCK_ENVIRON_KEY]


def api_user(group_id: int | None = None) -> User:
    """The user the request authenticates, as the API reads them (apikey, then Basic auth or
    the `_session_id` cookie); with `group_id`, one of their groups. Raises the API's own
    refusals - 401 (or as `credentials_refusal` answers), 404 for a group that does not exist
    or is not theirs - which the app answers as the API does, and the journal lists."""
    mock = current_mock()
    request = ApiRequest(flask.request.environ, mock.contract.limits["max-body-bytes"])
    refusal = Unauthorized if mock.settings.credentials_refusal == "401" else Forbidden
    user = cast(User, authenticate(mock.store, credentials(request, request.args(), NO_BODY),
                                   user_required=True, refusal=refusal))  # else it refused
    if group_id is not None:
        check_group(group_id, user, mock.store)
    return user


class AddedFlaskRoutes:
    """The routes a user added to `app`, asked by the API for the paths the spec does not serve."""

    def __init__(self, app: flask.Flask) -> None:
        self.app = app
        app.register_error_handler(ApiError, _api_refusal)
        app.register_error_handler(HTTPException, _http_refusal)

    def serves(self, environ: dict[str, Any]) -> bool:
        """Whether a rule of the app matches the path (in any method: a wrong one is the
        app's 405); no rule at all costs nothing."""
        url_map = self.app.url_map
        if next(url_map.iter_rules(), None) is None:
            return False
        try:
            url_map.bind_to_environ(environ).match()
        except RequestRedirect:
            return True
        except HTTPException as refused:
            return refused.code == 405
        return True

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return flask.Flask.wsgi_app(self.app, environ, start_response)


def _api_refusal(error: ApiError) -> flask.Response:
    reply = error_reply(error, current_mock().settings)
    flask.request.environ[REFUSAL_KEY] = reply.refusal
    headers, payload = reply.encoded()
    return flask.Response(payload, status=reply.status, headers=headers)


def _http_refusal(error: HTTPException) -> flask.Response:
    """Flask's own refusals (a 405, an `abort(404)`) with the API's JSON error body."""
    allowed = getattr(error, "valid_methods", None)
    if error.code == 405 and allowed:
        return _api_refusal(MethodNotAllowed(flask.request.method, sorted(allowed)))
    refusal = ApiError(error.description or error.name)
    refusal.status = error.code or 500
    return _api_refusal(refusal)
