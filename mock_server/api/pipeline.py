"""One API request, answered in one pass:

route → authenticate → authorize → parse and validate (path, query, body) → handle → reply.

Each step runs once, in this order, and a refusal ends the request: no such path (404) or
method (405); then credentials (401), the path's ids and the group (404), the body (400) -
or the body first, when the settings answer `error_precedence: body_first` - and the query
(400). A body over the size limit is refused at once: it cannot be read without reading too
much.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..calendars.store import CalendarStore, User
from ..contract import FORM_TYPE, Operation
from ..errors import ApiError, Forbidden, NotFound, Unauthorized
from ..replies import Reply
from ..state import MockState
from . import bodies, params
from .auth import Credentials, authenticate
from .handlers import HANDLERS, Call
from .request import ApiRequest


def answer(mock: MockState, request: ApiRequest) -> Reply:
    """The reply to one API request; an `ApiError` for any request the API refuses."""
    operation, raw_path = mock.contract.route(request.method, request.path)
    request.operation_id = operation.operation_id
    args = request.args()
    body = BodyReading.of(operation, request)
    body_first = mock.settings.error_precedence == "body_first"
    payload = body.validated(mock, operation) if body_first else None
    refusal = Unauthorized if mock.settings.credentials_refusal == "401" else Forbidden
    user = authenticate(mock.store, credentials(request, args, body),
                        user_required=operation.identifies_user, refusal=refusal)
    path = authorize(operation, raw_path, user, mock.store)
    if not body_first:
        payload = body.validated(mock, operation)
    query = params.query_values(mock.contract, operation, args, form=body.form)
    call = Call(mock.contract, mock.store, mock.settings, path, query, payload)
    handled = HANDLERS[operation.operation_id](call)
    request.notes = handled.notes
    return Reply(operation.success_status, handled.body, handled.headers)


@dataclass(slots=True)
class BodyReading:
    """The body as read before anyone is authenticated: decoded JSON (or a form's fields), or
    the refusal it earns, answered in its turn."""

    json: Any = None
    form: dict[str, list[str]] | None = None
    error: ApiError | None = None

    @classmethod
    def of(cls, operation: Operation, request: ApiRequest) -> BodyReading:
        if not operation.body_validators:
            return NO_BODY
        if operation.takes_json:
            try:
                bodies.require_json_media_type(request.mimetype)
            except ApiError as error:
                return cls(error=error)
            raw = request.data()  # too large: refused now
            try:
                return cls(json=bodies.decode_json(raw))
            except ApiError as error:
                return cls(error=error)
        if FORM_TYPE in operation.body_validators and request.mimetype == FORM_TYPE:
            return cls(form=request.form())
        return cls()

    def validated(self, mock: MockState, operation: Operation) -> dict[str, Any]:
        if self is NO_BODY:
            return {}
        if self.error is not None:
            raise self.error
        if operation.takes_json:
            return bodies.validated_body(mock.contract, operation, self.json, mock.settings)
        return {key: given[0] for key, given in (self.form or {}).items()}


NO_BODY = BodyReading()  # what an operation that takes no body reads


def credentials(request: ApiRequest, args: dict[str, list[str]], body: BodyReading) -> Credentials:
    """What the request presents, wherever the client put it: the apikey in the query, else at
    the top level of a JSON body (the official PHP client sends it there) or in a form."""
    apikey = single_apikey(args)
    if apikey is None and isinstance(body.json, dict) and isinstance(body.json.get("apikey"), str):
        apikey = body.json["apikey"]
    if apikey is None and body.form:
        apikey = body.form.get("apikey", [None])[0]
    return Credentials(apikey=apikey, authorization=request.authorization,
                       session_id=request.cookie("_session_id"))


def single_apikey(args: dict[str, list[str]]) -> str | None:
    values = args.get("apikey") or []
    if len(set(values)) > 1:
        raise Unauthorized("apikey is given more than once with different values",
                           {"apikey": ["is given more than once"]})
    return values[0] if values else None


def authorize(operation: Operation, raw_path: dict[str, str], user: User | None,
              store: CalendarStore) -> dict[str, Any]:
    """The path's ids, typed; 404 for an id that is not valid, and for a group that does not
    exist or that the user may not see: the same answer."""
    path = params.path_values(operation, raw_path)
    group_id = path.get("group_id")
    if group_id is not None:
        check_group(group_id, user, store)
    return path


def check_group(group_id: int, user: User | None, store: CalendarStore) -> None:
    """NotFound unless the group exists and the user may access it: one answer for both."""
    if not (user is not None and user.may_access(group_id) and store.group_exists(group_id)):
        raise NotFound(f"group {group_id} does not exist or you may not access it")
