"""Faults in transport (paths, formats, media types) and in the OpenAPI conformance itself."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from werkzeug.wrappers import Request, Response

from mock_server.calendars.listing import ListQuery, Page

from .catalogue import fault
from .plumbing import (
    after_request,
    before_request,
    calendars_in,
    json_answer,
    path_ids,
    refusal,
    rewrite_json,
    wrap_list,
    wrap_wsgi,
)
from .probe_client import APIKEY, Api


@fault("transport.json-suffix", layer="semantic",
       probe=lambda api: api.call("GET", "/api/v1/groups/4/calendars.json").status)
def json_suffix_404(app: Flask) -> None:
    """Paths with the `.json` suffix answer 404."""

    def refuse_suffix(environ, start_response):
        if environ.get("PATH_INFO", "").endswith(".json"):
            return json_answer(start_response, "404 NOT FOUND", {"error": "no such resource"})
        return None

    wrap_wsgi(app, refuse_suffix)


@fault("transport.format-param", layer="semantic",
       probe=lambda api: api.list(("format", "json")).status)
def format_param_refused(app: Flask) -> None:
    """`?format=json` answers 400 instead of being accepted and ignored."""

    @before_request(app)
    def refuse_format(request: Request):
        if "format" in request.args and not request.path.startswith("/_mock"):
            return Response(json.dumps({"error": "format is not a known parameter"}), status=400,
                            content_type="application/json; charset=utf-8")
        return None


def _iso(body: Any) -> Any:
    for record in calendars_in(body):
        for key in ("created_at", "updated_at"):
            if isinstance(record.get(key), str):
                record[key] = record[key].replace(" ", "T", 1)
    return body


@fault("transport.date-format", layer="conformance", probe=lambda api: api.get(1).body["created_at"])
def dates_in_iso_format(app: Flask) -> None:
    """created_at and updated_at come as RFC 3339-like "YYYY-MM-DDTHH:MM:SS"."""
    rewrite_json(app, _iso)


@fault("transport.json-responses", layer="semantic", probe=lambda api: api.get(1).content_type)
def html_content_type(app: Flask) -> None:
    """Responses carry Content-Type text/html (the body is still JSON)."""

    @after_request(app)
    def as_html(request: Request, response: Response) -> Response:
        if not request.path.startswith("/_mock"):
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        return response


@fault("method.405", layer="semantic",
       probe=lambda api: api.call("PATCH", "/api/v1/groups/4/calendars/1", body={"calendar": {}}).status)
def unserved_method_404(app: Flask) -> None:
    """A method a path does not serve (PATCH, PUT on the collection...) answers 404, not 405."""

    @after_request(app)
    def not_found(request: Request, response: Response) -> Response:
        if response.status_code == 405:
            response.status_code = 404
        return response


@fault("clients.apikey-in-body", layer="semantic",
       probe=lambda api: api.call("POST", "/api/v1/groups/4/calendars", apikey=None,
                                  body={"apikey": APIKEY, "calendar": {"name": "x"}}).status)
def apikey_in_body_refused(app: Flask) -> None:
    """An apikey at the top level of the JSON body is not taken: 401 unless it is in the query."""

    @before_request(app)
    def query_only(request: Request):
        if request.path.startswith("/api/") and request.method in ("POST", "PUT") \
                and "apikey" not in request.args and "/sessions/" not in request.path:
            return Response(json.dumps({"error": "apikey is missing"}), status=401,
                            content_type="application/json; charset=utf-8")
        return None


@fault("transport.json-body", layer="semantic", probe=lambda api: api.post({"name": "Nouveau"}).status)
def json_body_needs_charset(app: Flask) -> None:
    """A POST or PUT body sent as plain `application/json` (no `; charset=utf-8`) is refused with 400."""

    @before_request(app)
    def charset_required(request: Request):
        if request.method in ("POST", "PUT") and path_ids(request)[0] is not None \
                and "charset" not in (request.content_type or ""):
            return refusal(400, "the body must be application/json; charset=utf-8")
        return None


@fault("transport.status-set", layer="semantic", probe=lambda api: api.post({"name": ""}).status)
def invalid_input_answers_422(app: Flask) -> None:
    """Invalid input is answered 422 Unprocessable Entity (a Rails habit) instead of 400."""

    @after_request(app)
    def unprocessable(request: Request, response: Response) -> Response:
        if response.status_code == 400 and not request.path.startswith("/_mock"):
            response.status_code = 422
        return response


def _probe_second_question_mark(api: Api) -> Any:
    return api.call("GET", "/api/v1/groups/4/calendars", raw_query="results=5?format=json").status


@fault("clients.second-question-mark", layer="semantic", probe=_probe_second_question_mark)
def second_question_mark_crashes(app: Flask) -> None:
    """A second `?` glued into the query crashes the server (500) instead of 200 or a clear 400."""

    def crash(environ, start_response):
        if "?" in environ.get("QUERY_STRING", "") and environ.get("PATH_INFO", "").startswith("/api/"):
            return json_answer(start_response, "500 INTERNAL SERVER ERROR", {"error": "internal error"})
        return None

    wrap_wsgi(app, crash)


@fault("clients.json-content-type-without-body", layer="semantic",
       probe=lambda api: api.list(headers={"Content-Type": "application/json"}).status)
def json_content_type_without_body_refused(app: Flask) -> None:
    """A GET or DELETE with Content-Type application/json and no body answers 400 (invalid JSON)."""

    @before_request(app)
    def empty_json(request: Request):
        if request.method in ("GET", "DELETE") and request.path.startswith("/api/") \
                and "json" in (request.content_type or "") and not request.get_data(cache=True):
            return refusal(400, "the body is not valid JSON")
        return None


# -- conformance: the OpenAPI document itself ------------------------------------------------
@fault("list.envelope", layer="conformance",
       probe=lambda api: (api.list(("startIndex", 2147483647)).status, api.list(("startIndex", 2)).status))
def server_error_on_huge_start_index(app: Flask) -> None:
    """A list request with a startIndex over 100000 (valid up to 2^31-1) crashes with a 500."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.start_index > 100_000:
            raise OverflowError("planted: startIndex does not fit the page cursor")
        return original(group_id, query)

    wrap_list(app, change)


def _drop_publicname(body: Any) -> Any:
    for record in calendars_in(body):
        record.pop("publicname", None)
    return body


@fault("show.calendar", layer="conformance",
       probe=lambda api: "publicname" in api.get(1).body)
def response_missing_publicname(app: Flask) -> None:
    """Calendar representations lack the required `publicname` field."""
    rewrite_json(app, _drop_publicname)
