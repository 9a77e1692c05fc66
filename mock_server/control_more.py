"""The control plane's clock, namespaces and coverage (a blueprint inside control.py's, under
/_mock). Each acts on the request's namespace, as every control-plane route does.

    GET/PUT/DELETE /_mock/clock          the clock: read, freeze and/or advance, unfreeze
    GET /_mock/namespaces                every namespace, with its size and clock
    DELETE /_mock/namespaces/<name>      forget one (its next use starts it afresh)
    GET/DELETE /_mock/coverage           what the API was asked, against the spec (?format=html)
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from .control_io import current_mock, json_object, namespaces, reply
from .errors import BadRequest, NotFound
from .traffic.coverage import Tally
from .traffic.coverage_html import html
from .traffic.coverage_report import report

more_routes = Blueprint("more", __name__)
CLOCK_KEYS = frozenset({"frozen_at", "advance_seconds"})


@more_routes.get("/clock")
def get_clock() -> Response:
    return reply(current_mock().clock.describe())


@more_routes.put("/clock")
def put_clock() -> Response:
    """`{"frozen_at": "2024-01-15 09:00:00"}` (or "now") freezes the clock there,
    `{"advance_seconds": 90}` moves it forward, frozen or not; both: freeze, then advance.
    Both are checked before either applies."""
    body = json_object() or {}
    unknown = sorted(set(body) - CLOCK_KEYS)
    if unknown:
        raise BadRequest(f"unknown clock keys: {', '.join(unknown)}; use frozen_at, advance_seconds",
                         {key: ["is not a clock key"] for key in unknown})
    if not body:
        raise BadRequest.field("clock", "give frozen_at and/or advance_seconds")
    clock = current_mock().clock
    clock.set(frozen_at=body.get("frozen_at"), advance_seconds=body.get("advance_seconds"))
    return reply(clock.describe())


@more_routes.delete("/clock")
def unfreeze_clock() -> Response:
    clock = current_mock().clock
    clock.unfreeze()
    return reply(clock.describe())


@more_routes.get("/namespaces")
def listnamespaces() -> Response:
    return reply(namespaces().describe())


@more_routes.delete("/namespaces/<name>")
def drop_namespace(name: str) -> Response:
    if not namespaces().drop(name):
        raise NotFound(f"there is no namespace {name!r}", {"name": ["is not a namespace"]})
    return reply({"dropped": name})


@more_routes.get("/coverage")
def get_coverage() -> Response:
    """The coverage of the request's namespace (`?namespace=all`: of every namespace together),
    as JSON or, with `?format=html`, as a page."""
    wanted = request.args.get("format", "json")
    if wanted not in ("json", "html"):
        raise BadRequest.field("format", "must be json or html")
    counter = current_mock().coverage
    if request.args.get("namespace") == "all":
        tally = Tally()
        for _, state in namespaces().items():
            tally.add(state.coverage.tally())
    elif "namespace" in request.args:
        raise BadRequest.field("namespace", "must be all (or leave it out: the request's namespace)")
    else:
        tally = counter.tally()
    data = report(counter.universe, tally)
    if wanted == "html":
        return Response(html(data), content_type="text/html; charset=utf-8")
    return reply(data)


@more_routes.delete("/coverage")
def clear_coverage() -> Response:
    current_mock().coverage.take()
    return reply({"cleared": True})

