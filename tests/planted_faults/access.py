"""Faults in authentication and isolation between groups."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask
from werkzeug.wrappers import Request, Response

from mock_server.errors import NotFound

from .catalogue import fault
from .plumbing import (
    after_request,
    before_request,
    data_of,
    path_ids,
    refusal,
    store_of,
    wrap_wsgi,
)
from .probe_client import GROUP, OTHER_GROUP, OTHER_PASSWORD, OTHER_USER, PASSWORD, USER, Api


@fault("auth.missing-apikey-401", documented="auth.no-data-without-credentials", layer="auth",
       probe=lambda api: (api.list(apikey=None).status, api.list(apikey="not-a-key").status))
def apikey_not_checked(app: Flask) -> None:
    """The apikey is not checked: a request without one, or with an unknown one, is served."""
    store_of(app).apikey_known = lambda key: True

    def add_missing_apikey(environ, start_response):
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if not any(key == "apikey" for key, _ in pairs):
            environ["QUERY_STRING"] = urlencode([*pairs, ("apikey", "unchecked")])
        return None

    wrap_wsgi(app, add_missing_apikey)


@fault("auth.wrong-credentials-401", layer="auth",
       probe=lambda api: api.list(auth=(USER, "wrong-password")).status)
def wrong_password_accepted(app: Flask) -> None:
    """HTTP Basic with a known email and a wrong password is served as that user."""
    store, state = store_of(app), data_of(app)
    store.user_with_password = lambda email, password: state.users.get(email.lower())


@fault("auth.missing-credentials-401", documented="auth.no-data-without-credentials", layer="auth",
       probe=lambda api: api.list(auth=None).status)
def missing_credentials_served(app: Flask) -> None:
    """A request with the apikey but no Basic auth and no session is served as the first user."""
    demo = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def default_user(environ, start_response):
        if "HTTP_AUTHORIZATION" not in environ and "_session_id=" not in environ.get("HTTP_COOKIE", ""):
            environ["HTTP_AUTHORIZATION"] = f"Basic {demo}"
        return None

    wrap_wsgi(app, default_user)


def _probe_session(api: Api) -> Any:
    digest = hashlib.sha1(PASSWORD.encode()).hexdigest()
    login = api.call("POST", "/api/v1/sessions/login", [("pro[email]", USER), ("pro[password]", digest)],
                     auth=None)
    return login.status, api.list(auth=None).status


@fault("auth.session-cookie", layer="auth", probe=_probe_session)
def session_cookie_ignored(app: Flask) -> None:
    """Login answers 200 and sets _session_id, but the cookie is never accepted afterwards."""
    store_of(app).session_user = lambda token: None


@fault("isolation.other-group-404", layer="auth",
       probe=lambda api: (api.list(group=OTHER_GROUP).status, api.get(9, group=OTHER_GROUP).status))
def other_group_readable(app: Flask) -> None:
    """Every user may access every group: group 5 is served to the group-4 user."""
    store, state = store_of(app), data_of(app)

    def widen(find):
        def found(*args):
            user = find(*args)
            return None if user is None else dataclasses.replace(user, group_ids=frozenset(state.groups))
        return found

    store.user_with_password = widen(store.user_with_password)
    store.user_with_sha1 = widen(store.user_with_sha1)


@fault("isolation.other-group-calendar-404", layer="auth", probe=lambda api: api.get(9).status)
def other_group_calendar_readable(app: Flask) -> None:
    """GET /groups/4/calendars/9 answers group 5's calendar 9 instead of 404."""
    store, state = store_of(app), data_of(app)
    original = store.get_calendar

    def get_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        try:
            return original(group_id, calendar_id)
        except NotFound:
            if calendar_id in state.calendars:
                return dict(state.calendars[calendar_id])
            raise

    store.get_calendar = get_calendar


def _probe_cross_group_update(api: Api) -> Any:
    status = api.put(9, {"name": "Pris"}).status
    return status, Api(api.app, OTHER_USER, OTHER_PASSWORD).get(9, group=OTHER_GROUP).body["name"]


@fault("isolation.other-group-calendar-404", layer="auth", probe=_probe_cross_group_update)
def other_group_calendar_updatable(app: Flask) -> None:
    """PUT or DELETE /groups/4/calendars/9 changes group 5's calendar 9 (show still 404s)."""
    store, state = store_of(app), data_of(app)
    update = store.update_calendar

    def update_calendar(group_id: int, calendar_id: int, values: dict[str, Any]) -> dict[str, Any]:
        try:
            return update(group_id, calendar_id, values)
        except NotFound:
            record = state.calendars.get(calendar_id)
            if record is None:
                raise
            return update(record["group_id"], calendar_id, values)

    store.update_calendar = update_calendar


def _probe_cross_group_delete(api: Api) -> Any:
    status = api.delete(9).status
    return status, Api(api.app, OTHER_USER, OTHER_PASSWORD).get(9, group=OTHER_GROUP).body["deleted"]


@fault("isolation.other-group-calendar-404", layer="auth", probe=_probe_cross_group_delete)
def other_group_calendar_deleted_behind_404(app: Flask) -> None:
    """DELETE /groups/4/calendars/9 answers 404, yet soft-deletes group 5's calendar 9 first (a
    fault written apart from the kit found it: a re-run of the check could not see it again)."""
    store, state = store_of(app), data_of(app)
    delete = store.delete_calendar

    def delete_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        record = state.calendars.get(calendar_id)
        if record is not None and record["group_id"] != group_id:
            delete(record["group_id"], calendar_id)
        return delete(group_id, calendar_id)

    store.delete_calendar = delete_calendar


@fault("auth.apikey-query", layer="auth",
       probe=lambda api: (api.list().status, api.post({"name": "x"}).status))
def apikey_query_ignored_on_writes(app: Flask) -> None:
    """POST, PUT and DELETE ignore the apikey in the query: 401 unless the JSON body carries it."""

    @before_request(app)
    def body_apikey_only(request: Request):
        if request.method not in ("POST", "PUT", "DELETE") or path_ids(request)[0] is None:
            return None
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("apikey"), str):
            return None
        return refusal(401, "apikey is missing from the body")


@fault("auth.basic", layer="auth",
       probe=lambda api: Api(api.app, OTHER_USER, OTHER_PASSWORD).list(group=OTHER_GROUP).status)
def basic_serves_the_first_user(app: Flask) -> None:
    """HTTP Basic checks the password, then serves every user as the first one (the group-4 user)."""
    store, state = store_of(app), data_of(app)
    check, first = store.user_with_password, state.users[USER]
    store.user_with_password = lambda email, password: None if check(email, password) is None else first


@fault("auth.unknown-apikey-401", layer="auth", probe=lambda api: api.list(apikey="not-a-key").status)
def unknown_apikey_403(app: Flask) -> None:
    """An unknown apikey answers 403 (still without data) instead of 401."""
    store = store_of(app)

    @after_request(app)
    def forbidden(request: Request, response: Response) -> Response:
        key = request.args.get("apikey")
        if response.status_code == 401 and key and not store.apikey_known(key):
            response.status_code = 403
        return response


def _probe_unknown_cookie(api: Api) -> Any:
    api.client.set_cookie("_session_id", "0123456789abcdef0123456789abcdef")
    return api.list(auth=None).status


@fault("auth.no-data-without-credentials", layer="auth", probe=_probe_unknown_cookie)
def unknown_session_cookie_served(app: Flask) -> None:
    """A _session_id cookie the server never issued is served as the first user (no lookup)."""
    store, state = store_of(app), data_of(app)
    lookup = store.session_user
    store.session_user = lambda token: lookup(token) or state.users[USER]


def _probe_login_json(api: Api) -> Any:
    digest = hashlib.sha1(PASSWORD.encode()).hexdigest()
    login = api.call("POST", "/api/v1/sessions/login.json", [("pro[email]", USER), ("pro[password]", digest)],
                     auth=None)
    return login.status, api.list(auth=None).status  # the test client sends the cookie it got


@fault("clients.login-json-cookie", layer="semantic", probe=_probe_login_json)
def login_json_cookie_unusable(app: Flask) -> None:
    """POST /sessions/login.json answers 200 and a _session_id cookie that is never accepted afterwards."""

    @after_request(app)
    def stale_cookie(request: Request, response: Response) -> Response:
        if request.path.endswith("/sessions/login.json"):
            cookies = response.headers.getlist("Set-Cookie")
            response.headers.remove("Set-Cookie")
            for cookie in cookies:
                response.headers.add("Set-Cookie", cookie.replace("_session_id=", "_session_id=stale", 1))
        return response



def _probe_json_twin(api: Api) -> Any:
    return api.call("GET", f"/api/v1/groups/{GROUP}/calendars/9.json").status, api.get(9).status


@fault("isolation.other-group-calendar-404", layer="auth", probe=_probe_json_twin)
def json_twin_shows_other_groups(app: Flask) -> None:
    """GET /groups/4/calendars/9.json answers group 5's calendar 9 to the group-4 user (the bare
    path still answers 404): a `.json` route that forgets the group scope."""
    store, state = store_of(app), data_of(app)
    original, suffixed = store.get_calendar, threading.local()

    def note_suffix(environ, start_response):
        suffixed.on = environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").endswith(
            ".json")
        return None

    def get_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        record = state.calendars.get(calendar_id)
        if getattr(suffixed, "on", False) and record is not None:
            return original(record["group_id"], calendar_id)
        return original(group_id, calendar_id)

    store.get_calendar = get_calendar
    wrap_wsgi(app, note_suffix)


def _probe_json_twin_without_credentials(api: Api) -> Any:
    suffixed = api.call("GET", f"/api/v1/groups/{GROUP}/calendars.json", auth=None)
    return suffixed.status, api.list(auth=None).status


@fault("auth.no-data-without-credentials", layer="auth", probe=_probe_json_twin_without_credentials)
def json_twin_skips_credentials(app: Flask) -> None:
    """A GET of a `.json` path is served without user credentials, as the first user (the bare
    path still answers 401): a `.json` route that forgets authentication."""
    demo = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def default_user(environ, start_response):
        cookie, path = environ.get("HTTP_COOKIE", ""), environ.get("PATH_INFO", "")
        anonymous = "HTTP_AUTHORIZATION" not in environ and "_session_id=" not in cookie
        if anonymous and environ.get("REQUEST_METHOD") == "GET" and path.endswith(".json"):
            environ["HTTP_AUTHORIZATION"] = f"Basic {demo}"
        return None

    wrap_wsgi(app, default_user)
