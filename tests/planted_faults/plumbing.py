"""Helpers that confine a change to one app instance: store wrappers, WSGI hooks, relaxed validators."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask
from werkzeug.wrappers import Request, Response

from mock_server import mock_of
from mock_server.calendars.listing import ListQuery, Page
from mock_server.contract import Contract


def store_of(app: Flask):
    return mock_of(app).store


def data_of(app: Flask):
    return store_of(app)._data  # the instance's own data; read by faults that bypass the store API


Lister = Callable[[int, ListQuery], Page]


def wrap_list(app: Flask, change: Callable[[Lister, int, ListQuery], Page]) -> None:
    store = store_of(app)
    original = store.list_calendars
    store.list_calendars = lambda group_id, query: change(original, group_id, query)


def all_matches(original: Lister, group_id: int, query: ListQuery) -> list[dict]:
    return original(group_id, dataclasses.replace(query, results=None, start_index=0)).records



def buffered(environ: dict[str, Any]) -> Request:
    """The request, its body read once and put back so the app still reads it."""
    request = Request(environ)
    environ["wsgi.input"] = io.BytesIO(request.get_data(cache=True))
    return request


def after_request(app: Flask) -> Callable[[Callable[[Request, Response], Response]], Any]:
    """Register `hook(request, response) -> response`, run on every answer of this app."""

    def register(hook: Callable[[Request, Response], Response]) -> Any:
        inner = app.wsgi_app

        def wrapped(environ, start_response):
            request = buffered(environ)
            return hook(request, Response.from_app(inner, environ))(environ, start_response)

        app.wsgi_app = wrapped
        return hook

    return register


def before_request(app: Flask) -> Callable[[Callable[[Request], Response | None]], Any]:
    """Register `hook(request)`, which answers itself (a Response) or lets the app answer."""

    def register(hook: Callable[[Request], Response | None]) -> Any:
        def answer_first(environ, start_response):
            answer = hook(buffered(environ))
            return None if answer is None else answer(environ, start_response)

        wrap_wsgi(app, answer_first)
        return hook

    return register


def rewrite_json(app: Flask, change: Callable[[Any], Any]) -> None:
    """An after-request hook that rewrites the JSON body of API responses."""

    @after_request(app)
    def rewrite(request: Request, response: Response) -> Response:
        if request.path.startswith("/_mock") or not response.is_json:
            return response
        body = response.get_json(silent=True)
        if body is None:
            return response
        response.set_data(json.dumps(change(body), ensure_ascii=False, separators=(",", ":")))
        return response


def calendars_in(body: Any) -> Iterator[dict[str, Any]]:
    """The calendar representations inside an API answer (bare or in a list envelope)."""
    if isinstance(body, dict) and isinstance(body.get("records"), list):
        yield from (r for r in body["records"] if isinstance(r, dict))
    elif isinstance(body, dict) and "id" in body and "group_id" in body:
        yield body


def wrap_wsgi(app: Flask, middleware: Callable[[dict, Callable], Iterable[bytes] | None]) -> None:
    """Run `middleware(environ, start_response)` first; it answers itself or returns None."""
    inner = app.wsgi_app

    def wrapped(environ, start_response):
        answer = middleware(environ, start_response)
        return inner(environ, start_response) if answer is None else answer

    app.wsgi_app = wrapped


def json_answer(start_response, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(data)))])
    return [data]


def refusal(status: int, message: str) -> Response:
    """A JSON error answer, for a before-request hook that refuses a request."""
    return Response(json.dumps({"error": message}), status=status,
                    content_type="application/json; charset=utf-8")


def contract_with(app: Flask, edit: Callable[[dict[str, Any]], None]) -> None:
    """Judge this app's request bodies by a contract compiled from an edited spec (the one it
    had is shared by every mock, and never changed)."""
    spec = copy.deepcopy(mock_of(app).contract.spec)
    edit(spec)
    mock_of(app).contract = Contract(spec)


CALENDAR_PATH = re.compile(r"^/api/v1/groups/(\d+)/calendars(?:/(\d+))?(?:\.json)?$")


def path_ids(request: Request) -> tuple[int | None, int | None]:
    found = CALENDAR_PATH.match(request.path)
    if not found:
        return None, None
    return int(found[1]), (int(found[2]) if found[2] else None)
