"""Planted faults: deliberately broken variants of the mock, one deviation each.

Every fault is a small function that takes a fresh `create_app()` and plants exactly ONE
deviation from the contract into that instance only: it wraps methods on the instance's
store, rewrites requests or responses with a WSGI middleware (or a before/after hook on
one) wrapped around that app, or swaps a validator of that app's own compiled contract. Nothing
in mock_server's modules is touched, so broken and healthy apps can run side by side.

Each fault records the one `x-contract-rules` id a contract run must name for it (at
documented level, a documented rule, or none when it breaks an assumption of ours only), the
suite layer expected to catch it, and a `probe`: a few requests whose observation differs
between the healthy mock and the broken one, which proves the fault is real
(tests/test_planted_faults.py compares them).

    from planted_faults import CATALOGUE
    broken = CATALOGUE["delete_is_hard"].build()      # a fresh create_app() with the fault
    run_case("delete_is_hard", "strict", ("stateful",), max_examples=5, seed=1)  # plain dict
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import hashlib
import io
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from calendar_spec import DOCUMENTED_TAGS, rules
from flask import Flask
from werkzeug.wrappers import Request, Response

from mock_server import create_app, mock_of
from mock_server.contract import Contract
from mock_server.errors import ApiError, BadRequest, NotFound
from mock_server.listing import ListQuery, Page, paginate

APIKEY = "demo-apikey-4f1c2b"
USER, PASSWORD, GROUP = "pro@demo.test", "demo-password", 4
OTHER_USER, OTHER_PASSWORD, OTHER_GROUP = "pro5@demo.test", "other-password", 5
LAYERS = ("conformance", "stateful", "semantic", "auth")
RULE_TAGS: dict[str, str] = {rule["id"]: rule["tag"] for rule in rules("strict")}


# -- a tiny client, for probes -----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    content_type: str
    headers: dict[str, str]


class Api:
    """Calls one app in-process as the demo user of group 4 (Basic auth, apikey in the query)."""

    def __init__(self, app: Flask, user: str = USER, password: str = PASSWORD) -> None:
        self.app = app
        self.client = app.test_client()
        self.user, self.password = user, password

    def call(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, Any]] = (),
        body: Any = None,
        *,
        apikey: str | None = APIKEY,
        auth: tuple[str, str] | bool | None = True,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str | None = None,
    ) -> Answer:
        pairs = ([("apikey", apikey)] if apikey is not None else []) + list(query)
        sent = dict(headers or {})
        if auth is True:
            auth = (self.user, self.password)
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            content_type = content_type or "application/json"
        response = self.client.open(
            path, method=method, query_string=urlencode(pairs), data=data,
            headers=sent, content_type=content_type,
        )
        try:
            parsed = json.loads(response.get_data(as_text=True) or "null")
        except ValueError:
            parsed = response.get_data(as_text=True)
        return Answer(response.status_code, parsed, response.content_type or "", dict(response.headers))

    # shorthands on the user's group
    def list(self, *query: tuple[str, Any], group: int = GROUP, **kw: Any) -> Answer:
        return self.call("GET", f"/api/v1/groups/{group}/calendars", query, **kw)

    def ids(self, *query: tuple[str, Any], group: int = GROUP) -> list[int] | int:
        answer = self.list(("results", "all"), *query, group=group)
        return [r["id"] for r in answer.body["records"]] if answer.status == 200 else answer.status

    def get(self, calendar_id: int, group: int = GROUP, **kw: Any) -> Answer:
        return self.call("GET", f"/api/v1/groups/{group}/calendars/{calendar_id}", **kw)

    def post(self, calendar: dict[str, Any], group: int = GROUP, **kw: Any) -> Answer:
        return self.call("POST", f"/api/v1/groups/{group}/calendars", body={"calendar": calendar}, **kw)

    def put(self, calendar_id: int, calendar: dict[str, Any], group: int = GROUP, **kw: Any) -> Answer:
        return self.call("PUT", f"/api/v1/groups/{group}/calendars/{calendar_id}",
                         body={"calendar": calendar}, **kw)

    def delete(self, calendar_id: int, group: int = GROUP, **kw: Any) -> Answer:
        return self.call("DELETE", f"/api/v1/groups/{group}/calendars/{calendar_id}", **kw)


class SteppingClock:
    """A clock that moves one second per reading, so updated_at changes are visible at once."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


# -- the catalogue ---------------------------------------------------------------------------
Plant = Callable[[Flask], Flask | None]
Probe = Callable[[Api], Any]


@dataclasses.dataclass(frozen=True)
class Fault:
    """One deviation, and the one rule a contract run must name for it at each level: `rule`
    at strict, `documented_rule` at documented (None: the fault breaks an assumption of ours
    only, and a documented run must pass it)."""

    name: str
    rule: str
    documented_rule: str | None
    layer: str
    plant: Plant
    probe: Probe
    summary: str

    @property
    def documented(self) -> bool:
        """True when the suite must catch this fault at documented level too."""
        return self.documented_rule is not None

    def intended(self, level: str) -> str | None:
        return self.rule if level == "strict" else self.documented_rule

    def build(self, **create_app_kwargs: Any) -> Flask:
        """A fresh mock with this fault planted (keyword arguments go to `create_app`)."""
        app = create_app(**create_app_kwargs)
        return self.plant(app) or app


CATALOGUE: dict[str, Fault] = {}
_SAME: Any = object()


def fault(rule: str, *, layer: str, probe: Probe, documented: Any = _SAME) -> Callable[[Plant], Plant]:
    """Register the decorated plant function as a fault whose intended rule is `rule` (at
    documented level: `documented`, by default `rule` itself when it is a DOC or INF rule)."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}")
    if documented is _SAME:
        documented = rule if RULE_TAGS.get(rule) in DOCUMENTED_TAGS else None

    def register(plant: Plant) -> Plant:
        unknown = [r for r in (rule, documented) if r is not None and r not in RULE_TAGS]
        if unknown:
            raise ValueError(f"{plant.__name__}: unknown rule ids {unknown}")
        if documented is not None and RULE_TAGS[documented] not in DOCUMENTED_TAGS:
            raise ValueError(f"{plant.__name__}: {documented} is not a documented rule")
        if plant.__name__ in CATALOGUE:
            raise ValueError(f"fault {plant.__name__} is registered twice")
        summary = (plant.__doc__ or "").strip().splitlines()[0]
        CATALOGUE[plant.__name__] = Fault(plant.__name__, rule, documented, layer, plant, probe, summary)
        return plant

    return register


# -- helpers that confine a change to one app instance -----------------------------------------
def _store(app: Flask):
    return mock_of(app).store


def _state(app: Flask):
    return _store(app)._state  # the instance's own data; read by faults that bypass the store API


Lister = Callable[[int, ListQuery], Page]


def _wrap_list(app: Flask, change: Callable[[Lister, int, ListQuery], Page]) -> None:
    store = _store(app)
    original = store.list_calendars
    store.list_calendars = lambda group_id, query: change(original, group_id, query)


def _all_matches(original: Lister, group_id: int, query: ListQuery) -> list[dict]:
    return original(group_id, dataclasses.replace(query, results=None, start_index=0)).records



def _buffered(environ: dict[str, Any]) -> Request:
    """The request, its body read once and put back so the app still reads it."""
    request = Request(environ)
    environ["wsgi.input"] = io.BytesIO(request.get_data(cache=True))
    return request


def _after_request(app: Flask) -> Callable[[Callable[[Request, Response], Response]], Any]:
    """Register `hook(request, response) -> response`, run on every answer of this app."""

    def register(hook: Callable[[Request, Response], Response]) -> Any:
        inner = app.wsgi_app

        def wrapped(environ, start_response):
            request = _buffered(environ)
            return hook(request, Response.from_app(inner, environ))(environ, start_response)

        app.wsgi_app = wrapped
        return hook

    return register


def _before_request(app: Flask) -> Callable[[Callable[[Request], Response | None]], Any]:
    """Register `hook(request)`, which answers itself (a Response) or lets the app answer."""

    def register(hook: Callable[[Request], Response | None]) -> Any:
        def answer_first(environ, start_response):
            answer = hook(_buffered(environ))
            return None if answer is None else answer(environ, start_response)

        _wsgi(app, answer_first)
        return hook

    return register


def _rewrite_json(app: Flask, change: Callable[[Any], Any]) -> None:
    """An after-request hook that rewrites the JSON body of API responses."""

    @_after_request(app)
    def rewrite(request: Request, response: Response) -> Response:
        if request.path.startswith("/_mock") or not response.is_json:
            return response
        body = response.get_json(silent=True)
        if body is None:
            return response
        response.set_data(json.dumps(change(body), ensure_ascii=False, separators=(",", ":")))
        return response


def _calendars_in(body: Any) -> Iterator[dict[str, Any]]:
    """The calendar representations inside an API answer (bare or in a list envelope)."""
    if isinstance(body, dict) and isinstance(body.get("records"), list):
        yield from (r for r in body["records"] if isinstance(r, dict))
    elif isinstance(body, dict) and "id" in body and "group_id" in body:
        yield body


def _wsgi(app: Flask, middleware: Callable[[dict, Callable], Iterable[bytes] | None]) -> None:
    """Run `middleware(environ, start_response)` first; it answers itself or returns None."""
    inner = app.wsgi_app

    def wrapped(environ, start_response):
        answer = middleware(environ, start_response)
        return inner(environ, start_response) if answer is None else answer

    app.wsgi_app = wrapped


def _json_answer(start_response, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(data)))])
    return [data]


def _contract_with(app: Flask, edit: Callable[[dict[str, Any]], None]) -> None:
    """Swap this app's create/update body validators for ones compiled from an edited spec."""
    spec = copy.deepcopy(mock_of(app).contract.spec)
    edit(spec)
    relaxed = Contract(spec)
    for operation_id in ("createCalendar", "updateCalendar"):
        mine = mock_of(app).contract.operations[operation_id].body_validators
        mine["application/json"] = relaxed.operations[operation_id].body_validators["application/json"]


_CALENDAR_PATH = re.compile(r"^/api/v1/groups/(\d+)/calendars(?:/(\d+))?(?:\.json)?$")


def _path_ids(request: Request) -> tuple[int | None, int | None]:
    found = _CALENDAR_PATH.match(request.path)
    if not found:
        return None, None
    return int(found[1]), (int(found[2]) if found[2] else None)


# =========================================================================================
# Create, update, delete, restore, show
# =========================================================================================
def _probe_delete_then_show(api: Api) -> Any:
    api.delete(3)
    return api.get(3).status, api.ids()


@fault("delete.soft", layer="stateful", probe=_probe_delete_then_show)
def delete_is_hard(app: Flask) -> None:
    """DELETE removes the calendar for good (a hard delete) instead of setting deleted true."""
    store, state = _store(app), _state(app)
    original = store.delete_calendar

    def delete_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        record = original(group_id, calendar_id)
        state.calendars.pop(calendar_id, None)
        state.group_calendars[group_id].remove(calendar_id)
        return record

    store.delete_calendar = delete_calendar


@fault("delete.status-200", layer="semantic",
       probe=lambda api: (api.delete(3).status, api.get(3).body["deleted"]))
def delete_answers_204(app: Flask) -> None:
    """A successful DELETE answers 204 No Content (the soft delete itself still happens)."""

    @_after_request(app)
    def no_content(request: Request, response: Response) -> Response:
        if request.method == "DELETE" and response.status_code == 200:
            response.status_code = 204
            response.set_data(b"")
        return response


@fault("delete.idempotent", layer="semantic",
       probe=lambda api: (api.delete(3).status, api.delete(3).status, api.delete(6).status))
def delete_twice_404(app: Flask) -> None:
    """DELETE of a calendar that is already soft-deleted answers 404 instead of 200."""
    store = _store(app)
    original = store.delete_calendar

    def delete_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        if store.get_calendar(group_id, calendar_id).get("deleted"):
            raise NotFound(f"calendar {calendar_id} is already deleted")
        return original(group_id, calendar_id)

    store.delete_calendar = delete_calendar


@fault("create.defaults", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau"}).body["mintime_annulation"])
def create_ignores_a_default(app: Flask) -> None:
    """An omitted mintime_annulation is stored as 0 instead of its default 2880."""
    store = _store(app)
    original = store.create_calendar
    store.create_calendar = lambda group_id, values: original(
        group_id, {"mintime_annulation": 0, **values})


@fault("create.sort-assigned", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau"}).body["sort"])
def create_sort_not_max_plus_one(app: Flask) -> None:
    """An omitted sort becomes 0 instead of the group's largest sort + 1."""
    store = _store(app)
    original = store.create_calendar
    store.create_calendar = lambda group_id, values: original(group_id, {"sort": 0, **values})


def _probe_create_then_show(api: Api) -> Any:
    created = api.post({"name": "Nouveau"})
    return created.status, api.get(created.body["id"]).status, len(api.ids())


@fault("create.created", layer="stateful", probe=_probe_create_then_show)
def create_not_persisted(app: Flask) -> None:
    """POST answers 201 with a new calendar but does not keep it: show(id) is then 404."""
    store, state = _store(app), _state(app)
    original = store.create_calendar

    def create_calendar(group_id: int, values: dict[str, Any]) -> dict[str, Any]:
        record = original(group_id, values)
        state.calendars.pop(record["id"], None)
        state.group_calendars[group_id].remove(record["id"])
        return record

    store.create_calendar = create_calendar


@fault("create.created", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau"}).status)
def create_answers_200(app: Flask) -> None:
    """A successful POST answers 200 instead of 201 Created."""

    @_after_request(app)
    def ok_not_created(request: Request, response: Response) -> Response:
        if request.method == "POST" and response.status_code == 201:
            response.status_code = 200
        return response


@fault("create.group-id-match", layer="semantic",
       probe=lambda api: (api.post({"name": "Ailleurs", "group_id": OTHER_GROUP}).status, len(api.ids())))
def create_ignores_body_group_id(app: Flask) -> None:
    """POST with a body group_id other than the path's creates the calendar instead of a 4xx."""
    store = _store(app)
    original = store.create_calendar
    store.create_calendar = lambda group_id, values: original(
        group_id, {k: v for k, v in values.items() if k != "group_id"})


@fault("update.partial", layer="semantic",
       probe=lambda api: {k: v for k, v in api.put(1, {"name": "Renommé"}).body.items()
                          if k != "updated_at"})
def put_replaces_whole_record(app: Flask) -> None:
    """PUT replaces the whole record: every writable key not sent goes back to its default."""
    store, contract = _store(app), mock_of(app).contract
    update = store.update_calendar
    kept = {"name", "group_id", "sort", "deleted"}
    reset = {name: contract.defaults.get(name) for name in contract.writable_fields if name not in kept}
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {**reset, **values})
    # DELETE goes through update_calendar in the mock; keep it on the healthy path.
    store.delete_calendar = lambda group_id, calendar_id: update(group_id, calendar_id, {"deleted": True})


def _probe_updated_at(api: Api) -> Any:
    before = api.get(1).body["updated_at"]
    after = api.put(1, {"name": "Renommé"}).body["updated_at"]
    return after != before, api.get(1).body["updated_at"] != before


@fault("update.updated-at", layer="semantic", probe=_probe_updated_at)
def put_keeps_updated_at(app: Flask) -> None:
    """A PUT that changes a value leaves updated_at where it was."""
    store, state = _store(app), _state(app)
    update = store.update_calendar

    def update_calendar(group_id: int, calendar_id: int, values: dict[str, Any]) -> dict[str, Any]:
        before = store.get_calendar(group_id, calendar_id)["updated_at"]
        update(group_id, calendar_id, values)
        state.calendars[calendar_id]["updated_at"] = before
        return store.get_calendar(group_id, calendar_id)

    store.update_calendar = update_calendar
    store.delete_calendar = lambda group_id, calendar_id: update(group_id, calendar_id, {"deleted": True})


def _probe_restore(api: Api) -> Any:
    api.delete(3)
    return api.put(3, {"deleted": False}).body["deleted"], api.get(3).body["deleted"]


@fault("restore.put-deleted-false", layer="semantic", probe=_probe_restore)
def restore_ignored(app: Flask) -> None:
    """PUT {calendar: {deleted: false}} answers 200 but the calendar stays deleted."""
    store = _store(app)
    update = store.update_calendar
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {k: v for k, v in values.items() if not (k == "deleted" and v is False)})


@fault("restore.put-deleted-true", layer="semantic",
       probe=lambda api: (api.put(3, {"deleted": True}).body["deleted"], api.get(3).body["deleted"]))
def put_deleted_true_ignored(app: Flask) -> None:
    """PUT {calendar: {deleted: true}} answers 200 but does not soft-delete."""
    store = _store(app)
    update = store.update_calendar
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {k: v for k, v in values.items() if not (k == "deleted" and v is True)})
    store.delete_calendar = lambda group_id, calendar_id: update(group_id, calendar_id, {"deleted": True})


@fault("show.deleted", layer="stateful", probe=lambda api: api.get(6).status)
def show_deleted_404(app: Flask) -> None:
    """GET of a soft-deleted calendar answers 404 instead of 200 with deleted true."""
    store = _store(app)
    original = store.get_calendar

    def get_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        record = original(group_id, calendar_id)
        if record.get("deleted"):
            raise NotFound(f"calendar {calendar_id} does not exist in group {group_id}")
        return record

    store.get_calendar = get_calendar


# =========================================================================================
# List: filters, paging, ordering, search, conditions, deleted
# =========================================================================================
@fault("list.deleted-listed", layer="semantic", probe=lambda api: api.ids())
def deleted_hidden_from_list(app: Flask) -> None:
    """Soft-deleted calendars are left out of the list (the mock's `hidden` switch)."""
    mock_of(app).configure(deleted_calendars="hidden")


@fault("list.calendarset-any", layer="semantic",
       probe=lambda api: api.ids(("calendarset_ids[]", 12)))
def calendarset_filter_ignored(app: Flask) -> None:
    """calendarset_ids[] is ignored: every calendar is listed whatever the calendarsets asked."""
    _wrap_list(app, lambda original, group_id, query: original(
        group_id, dataclasses.replace(query, calendarset_ids=())))


@fault("list.intervention-all", layer="semantic",
       probe=lambda api: api.ids(("intervention_ids[]", 21), ("intervention_ids[]", 23)))
def intervention_filter_any(app: Flask) -> None:
    """intervention_ids[]=a&intervention_ids[]=b keeps calendars with either, not with both."""
    mock_of(app).configure(intervention_match="any")


@fault("list.intervention-filter", layer="semantic",
       probe=lambda api: api.ids(("intervention_ids[]", 23)))
def intervention_filter_ignored(app: Flask) -> None:
    """intervention_ids[] is ignored: every calendar is listed whatever the interventions asked."""
    _wrap_list(app, lambda original, group_id, query: original(
        group_id, dataclasses.replace(query, intervention_ids=())))


@fault("list.paging", layer="semantic",
       probe=lambda api: [r["id"] for r in api.list(("results", 3)).body["records"]])
def paging_off_by_one(app: Flask) -> None:
    """Pages start one record late (startIndex + 1), while the envelope echoes the startIndex asked."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        page = original(group_id, dataclasses.replace(query, start_index=query.start_index + 1))
        return dataclasses.replace(page, start_index=query.start_index)

    _wrap_list(app, change)


@fault("list.paging", layer="semantic",
       probe=lambda api: api.list(("results", 3)).body["totalRecords"])
def total_counts_only_the_page(app: Flask) -> None:
    """totalRecords counts the records of the page instead of every match."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        page = original(group_id, query)
        return dataclasses.replace(page, total=len(page.records))

    _wrap_list(app, change)


@fault("list.paging", layer="semantic",
       probe=lambda api: api.list(("results", 3)).body["pageSize"])
def page_size_always_default(app: Flask) -> None:
    """pageSize always reports the default 25, whatever `results` asked."""
    _wrap_list(app, lambda original, group_id, query: dataclasses.replace(
        original(group_id, query), page_size=25))


@fault("list.paging-past-end", layer="semantic",
       probe=lambda api: api.list(("startIndex", len(api.ids()))).status)
def paging_past_end_404(app: Flask) -> None:
    """startIndex == totalRecords (one step past the end) answers 404 instead of an empty page."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        page = original(group_id, query)
        if query.start_index > 0 and query.start_index >= page.total:
            raise NotFound(f"startIndex {query.start_index} is past the end ({page.total} records)")
        return page

    _wrap_list(app, change)


@fault("list.sort-order", layer="semantic",
       probe=lambda api: api.ids(("sort", "name"), ("dir", "desc")))
def sort_dir_ignored(app: Flask) -> None:
    """dir=desc is ignored: records always come in ascending order of `sort`."""
    _wrap_list(app, lambda original, group_id, query: dataclasses.replace(
        original(group_id, dataclasses.replace(query, dir=None)), dir=query.dir))


@fault("list.default-order", layer="semantic", probe=lambda api: api.ids())
def default_order_by_name(app: Flask) -> None:
    """Without `sort`, records come ordered by name instead of by ascending id."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.sort is not None:
            return original(group_id, query)
        return dataclasses.replace(original(group_id, dataclasses.replace(query, sort="name")), sort=None)

    _wrap_list(app, change)


@fault("list.sort-dir-echo", layer="semantic",
       probe=lambda api: (lambda b: (b["sort"], b["dir"]))(api.list(("sort", "name"), ("dir", "desc")).body))
def sort_dir_echo_wrong(app: Flask) -> None:
    """The envelope's sort and dir say "id" and "asc" whatever the request sorted by (null
    would be allowed: CONTRACT.md says they echo the request or are null)."""
    _wrap_list(app, lambda original, group_id, query: dataclasses.replace(
        original(group_id, query), sort="id", dir="asc"))


@fault("list.search-meaning", layer="semantic", probe=lambda api: api.ids(("search", "docteur")))
def search_case_sensitive(app: Flask) -> None:
    """`search` matches case-sensitively ("docteur" no longer finds "Docteur Martin")."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.search is None:
            return original(group_id, query)
        matches = [
            record for record in _all_matches(original, group_id, dataclasses.replace(query, search=None))
            if any(query.search in (record.get(key) or "") for key in ("name", "publicname"))
        ]
        return paginate(matches, query)

    _wrap_list(app, change)


@fault("list.search-meaning", layer="semantic", probe=lambda api: api.ids(("search", "Docteur")))
def search_ignored(app: Flask) -> None:
    """`search` is accepted but ignored: every calendar is listed."""
    _wrap_list(app, lambda original, group_id, query: original(
        group_id, dataclasses.replace(query, search=None)))


@fault("list.search", layer="semantic", probe=lambda api: api.list(("search", "Docteur")).status)
def search_refused(app: Flask) -> None:
    """A list request with `search` answers 400 ("search is not supported")."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.search is not None:
            raise BadRequest.field("search", "is not supported")
        return original(group_id, query)

    _wrap_list(app, change)


def _conditions(field: str, op: str, value: Any) -> tuple[tuple[str, Any], ...]:
    return (("conditions[0][field]", field), ("conditions[0][op]", op), ("conditions[0][value]", value))


@fault("list.conditions", layer="semantic",
       probe=lambda api: api.ids(*_conditions("generate_interval", ">=", 20)))
def condition_gte_is_gt(app: Flask) -> None:
    """The conditions operator `>=` behaves like `>` (equal values are left out)."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        conditions = tuple(
            dataclasses.replace(c, op=">") if c.op == ">=" else c for c in query.conditions)
        return original(group_id, dataclasses.replace(query, conditions=conditions))

    _wrap_list(app, change)


@fault("list.conditions", layer="semantic",
       probe=lambda api: api.ids(*_conditions("id", "not in", "1,2")))
def condition_not_in_ignored(app: Flask) -> None:
    """A `not in` condition is ignored (it keeps every record)."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        conditions = tuple(c for c in query.conditions if c.op != "not in")
        return original(group_id, dataclasses.replace(query, conditions=conditions))

    _wrap_list(app, change)


# =========================================================================================
# Authentication and isolation
# =========================================================================================
@fault("auth.missing-apikey-401", documented="auth.no-data-without-credentials", layer="auth",
       probe=lambda api: (api.list(apikey=None).status, api.list(apikey="not-a-key").status))
def apikey_not_checked(app: Flask) -> None:
    """The apikey is not checked: a request without one, or with an unknown one, is served."""
    _store(app).apikey_known = lambda key: True

    def add_missing_apikey(environ, start_response):
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if not any(key == "apikey" for key, _ in pairs):
            environ["QUERY_STRING"] = urlencode([*pairs, ("apikey", "unchecked")])
        return None

    _wsgi(app, add_missing_apikey)


@fault("auth.wrong-credentials-401", layer="auth",
       probe=lambda api: api.list(auth=(USER, "wrong-password")).status)
def wrong_password_accepted(app: Flask) -> None:
    """HTTP Basic with a known email and a wrong password is served as that user."""
    store, state = _store(app), _state(app)
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

    _wsgi(app, default_user)


def _probe_session(api: Api) -> Any:
    digest = hashlib.sha1(PASSWORD.encode()).hexdigest()
    login = api.call("POST", "/api/v1/sessions/login", [("pro[email]", USER), ("pro[password]", digest)],
                     auth=None)
    return login.status, api.list(auth=None).status


@fault("auth.session-cookie", layer="auth", probe=_probe_session)
def session_cookie_ignored(app: Flask) -> None:
    """Login answers 200 and sets _session_id, but the cookie is never accepted afterwards."""
    _store(app).session_user = lambda token: None


@fault("isolation.other-group-404", layer="auth",
       probe=lambda api: (api.list(group=OTHER_GROUP).status, api.get(9, group=OTHER_GROUP).status))
def other_group_readable(app: Flask) -> None:
    """Every user may access every group: group 5 is served to the group-4 user."""
    store, state = _store(app), _state(app)

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
    store, state = _store(app), _state(app)
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
    store, state = _store(app), _state(app)
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


# =========================================================================================
# Invalid input
# =========================================================================================
def _valid_subset(app: Flask, calendar: Any, operation_id: str) -> dict[str, Any]:
    """The keys of a refused `calendar` that are valid alone (over-long strings cut to size)."""
    contract = mock_of(app).contract
    validator = contract.operations[operation_id].body_validators["application/json"]
    kept: dict[str, Any] = {}
    if not isinstance(calendar, dict):
        return kept
    for key, value in calendar.items():
        if key not in contract.writable_fields:
            continue
        if isinstance(value, str) and not validator.is_valid({"calendar": {key: value}}):
            value = value[:16]
        if validator.is_valid({"calendar": {key: value}}):
            kept[key] = value
    return kept


def _refused_body(request: Request) -> Any:
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        return None


def _refused_calendar(app: Flask, request: Request) -> dict[str, Any]:
    """The valid keys of a refused request's `calendar`, except group_id."""
    body = _refused_body(request)
    values = _valid_subset(app, body.get("calendar") if isinstance(body, dict) else None, "updateCalendar")
    values.pop("group_id", None)
    return values


def _probe_rejected_create(api: Api) -> Any:
    answer = api.post({"name": "x" * 256, "city": "Lyon"})
    return answer.status, len(api.ids())


@fault("invalid.rejected", layer="semantic", probe=_probe_rejected_create)
def rejected_create_persists(app: Flask) -> None:
    """A POST answered 400 still creates a calendar from the body's valid keys."""
    store = _store(app)

    @_after_request(app)
    def create_anyway(request: Request, response: Response) -> Response:
        group_id, calendar_id = _path_ids(request)
        if request.method == "POST" and group_id is not None and calendar_id is None \
                and response.status_code == 400 and store.group_exists(group_id):
            body = _refused_body(request)
            calendar = body.get("calendar") if isinstance(body, dict) else None
            values = _valid_subset(app, calendar, "createCalendar")
            values.pop("group_id", None)
            values.setdefault("name", "refused but created")
            with contextlib.suppress(ApiError):  # a reference the store refuses: nothing planted
                store.create_calendar(group_id, values)
        return response


def _probe_rejected_update(api: Api) -> Any:
    answer = api.put(1, {"name": "x" * 256, "city": "Lyon"})
    return answer.status, api.get(1).body["name"], api.get(1).body["city"]


@fault("invalid.rejected", layer="semantic", probe=_probe_rejected_update)
def rejected_update_applies(app: Flask) -> None:
    """A PUT answered 400 still applies the body's valid keys (over-long strings cut to size)."""
    store = _store(app)

    @_after_request(app)
    def apply_anyway(request: Request, response: Response) -> Response:
        group_id, calendar_id = _path_ids(request)
        if request.method == "PUT" and calendar_id is not None and response.status_code == 400:
            body = _refused_body(request)
            calendar = body.get("calendar") if isinstance(body, dict) else None
            values = _valid_subset(app, calendar, "updateCalendar")
            values.pop("group_id", None)
            with contextlib.suppress(ApiError):  # unknown calendar or refused reference: nothing planted
                if values:
                    store.update_calendar(group_id, calendar_id, values)
        return response


# -- refusals that leave something behind (every kind must be caught) --------------------------
def _after_refusal(app: Flask, refused: Callable[[Request, Response], bool],
                   effect: Callable[[Request], None]) -> None:
    """Leave `effect` behind after every answer `refused` picks (the answer itself unchanged)."""

    @_after_request(app)
    def leave_behind(request: Request, response: Response) -> Response:
        if refused(request, response):
            with contextlib.suppress(ApiError, KeyError):
                effect(request)
        return response


def _probe_refused_put_timestamp(api: Api) -> Any:
    before = api.get(1).body["updated_at"]
    return api.put(1, {"name": ""}).status, api.get(1).body["updated_at"] != before


@fault("invalid.rejected", layer="semantic", probe=_probe_refused_put_timestamp)
def refused_put_moves_updated_at(app: Flask) -> None:
    """A PUT answered 400 changes no value but still moves updated_at (a touch on refusal)."""
    store, state = _store(app), _state(app)

    def touch(request: Request) -> None:
        group_id, calendar_id = _path_ids(request)
        record = store.get_calendar(group_id, calendar_id)
        later = (datetime.strptime(record["updated_at"], "%Y-%m-%d %H:%M:%S") + timedelta(seconds=1))
        state.change(state.calendars[calendar_id], {"updated_at": later.strftime("%Y-%m-%d %H:%M:%S")})

    _after_refusal(app, lambda req, res: req.method == "PUT" and res.status_code == 400
                   and _path_ids(req)[1] is not None, touch)


def _probe_refused_post_total(api: Api) -> Any:
    api.post({"name": ""})
    body = api.list(("results", "all")).body
    return body["totalRecords"] - len(body["records"])


@fault("invalid.rejected", layer="semantic", probe=_probe_refused_post_total)
def refused_post_counts_a_phantom(app: Flask) -> None:
    """A POST answered 400 creates nothing, but totalRecords counts one more calendar ever after."""
    phantoms = {"count": 0}
    _after_refusal(app, lambda req, res: req.method == "POST" and res.status_code == 400
                   and "/calendars" in req.path, lambda req: phantoms.update(count=phantoms["count"] + 1))

    def change(original, group_id: int, query: ListQuery) -> Page:
        page = original(group_id, query)
        return dataclasses.replace(page, total=page.total + phantoms["count"])

    _wrap_list(app, change)


def _probe_unknown_put(api: Api) -> Any:
    return api.put(987654, {"city": "Nulle part"}).status, len(api.ids())


@fault("notfound.unknown", layer="semantic", probe=_probe_unknown_put)
def unknown_put_creates(app: Flask) -> None:
    """A PUT to a calendar id that does not exist answers 404 but creates a calendar from its body."""
    store = _store(app)

    def create(request: Request) -> None:
        group_id, _ = _path_ids(request)
        values = _refused_calendar(app, request)
        store.create_calendar(group_id, {"name": "upserted", **values})

    _after_refusal(app, lambda req, res: req.method == "PUT" and res.status_code == 404
                   and _path_ids(req)[1] is not None and store.group_exists(_path_ids(req)[0] or 0), create)


def _probe_refused_method(api: Api) -> Any:
    answer = api.call("POST", "/api/v1/groups/4/calendars/1", body={"calendar": {"city": "Quimper"}})
    return answer.status, api.get(1).body["city"]


@fault("method.405", layer="semantic", probe=_probe_refused_method)
def refused_method_applies(app: Flask) -> None:
    """POST on a calendar answers 405 but applies the body to the calendar, as a PUT would."""
    store = _store(app)

    def apply(request: Request) -> None:
        group_id, calendar_id = _path_ids(request)
        values = _refused_calendar(app, request)
        if values:
            store.update_calendar(group_id, calendar_id, values)

    _after_refusal(app, lambda req, res: res.status_code == 405 and _path_ids(req)[1] is not None, apply)


def _probe_unauthorized_delete(api: Api) -> Any:
    return api.delete(2, apikey=None).status, api.get(2).body["deleted"]


@fault("auth.no-data-without-credentials", layer="auth", probe=_probe_unauthorized_delete)
def unauthorized_delete_applies(app: Flask) -> None:
    """DELETE without an apikey answers 401, but the calendar is soft-deleted all the same."""
    store = _store(app)

    def delete(request: Request) -> None:
        group_id, calendar_id = _path_ids(request)
        store.delete_calendar(group_id, calendar_id)

    _after_refusal(app, lambda req, res: req.method == "DELETE" and res.status_code == 401
                   and "apikey" not in req.args and _path_ids(req)[1] is not None, delete)


def _drop_max_length(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["Name"].pop("maxLength", None)


@fault("invalid.rejected", layer="semantic",
       probe=lambda api: (api.post({"name": "x" * 300}).status, len(api.ids())))
def overlong_name_accepted(app: Flask) -> None:
    """A name longer than 255 characters is accepted and stored (create and update)."""
    _contract_with(app, _drop_max_length)


def _allow_unknown_keys(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["CalendarWrite"]["additionalProperties"] = True


@fault("invalid.rules", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau", "colour": "red"}).status)
def unknown_key_accepted(app: Flask) -> None:
    """An unknown key inside `calendar` is accepted (and dropped) instead of a 400."""
    _contract_with(app, _allow_unknown_keys)
    store, fields = _store(app), set(mock_of(app).contract.writable_fields)
    create, update = store.create_calendar, store.update_calendar
    store.create_calendar = lambda group_id, values: create(
        group_id, {k: v for k, v in values.items() if k in fields})
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {k: v for k, v in values.items() if k in fields})


def _allow_negative_timing(spec: dict[str, Any]) -> None:
    for name in ("MintimeRdv", "MaxrdvPeriod", "MintimeAnnulation"):
        spec["components"]["schemas"][name]["minimum"] = -2147483648


@fault("invalid.rules", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau", "mintime_rdv": -5}).status)
def negative_timing_accepted(app: Flask) -> None:
    """A negative mintime_rdv, maxrdv_period or mintime_annulation is accepted and stored."""
    _contract_with(app, _allow_negative_timing)


# =========================================================================================
# Transport
# =========================================================================================
@fault("transport.json-suffix", layer="semantic",
       probe=lambda api: api.call("GET", "/api/v1/groups/4/calendars.json").status)
def json_suffix_404(app: Flask) -> None:
    """Paths with the `.json` suffix answer 404."""

    def refuse_suffix(environ, start_response):
        if environ.get("PATH_INFO", "").endswith(".json"):
            return _json_answer(start_response, "404 NOT FOUND", {"error": "no such resource"})
        return None

    _wsgi(app, refuse_suffix)


@fault("transport.format-param", layer="semantic",
       probe=lambda api: api.list(("format", "json")).status)
def format_param_refused(app: Flask) -> None:
    """`?format=json` answers 400 instead of being accepted and ignored."""

    @_before_request(app)
    def refuse_format(request: Request):
        if "format" in request.args and not request.path.startswith("/_mock"):
            return Response(json.dumps({"error": "format is not a known parameter"}), status=400,
                            content_type="application/json; charset=utf-8")
        return None


def _iso(body: Any) -> Any:
    for record in _calendars_in(body):
        for key in ("created_at", "updated_at"):
            if isinstance(record.get(key), str):
                record[key] = record[key].replace(" ", "T", 1)
    return body


@fault("transport.date-format", layer="conformance", probe=lambda api: api.get(1).body["created_at"])
def dates_in_iso_format(app: Flask) -> None:
    """created_at and updated_at come as RFC 3339-like "YYYY-MM-DDTHH:MM:SS"."""
    _rewrite_json(app, _iso)


@fault("transport.json-responses", layer="semantic", probe=lambda api: api.get(1).content_type)
def html_content_type(app: Flask) -> None:
    """Responses carry Content-Type text/html (the body is still JSON)."""

    @_after_request(app)
    def as_html(request: Request, response: Response) -> Response:
        if not request.path.startswith("/_mock"):
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        return response


@fault("method.405", layer="semantic",
       probe=lambda api: api.call("PATCH", "/api/v1/groups/4/calendars/1", body={"calendar": {}}).status)
def unserved_method_404(app: Flask) -> None:
    """A method a path does not serve (PATCH, PUT on the collection...) answers 404, not 405."""

    @_after_request(app)
    def not_found(request: Request, response: Response) -> Response:
        if response.status_code == 405:
            response.status_code = 404
        return response


@fault("clients.apikey-in-body", layer="semantic",
       probe=lambda api: api.call("POST", "/api/v1/groups/4/calendars", apikey=None,
                                  body={"apikey": APIKEY, "calendar": {"name": "x"}}).status)
def apikey_in_body_refused(app: Flask) -> None:
    """An apikey at the top level of the JSON body is not taken: 401 unless it is in the query."""

    @_before_request(app)
    def query_only(request: Request):
        if request.path.startswith("/api/") and request.method in ("POST", "PUT") \
                and "apikey" not in request.args and "/sessions/" not in request.path:
            return Response(json.dumps({"error": "apikey is missing"}), status=401,
                            content_type="application/json; charset=utf-8")
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

    _wrap_list(app, change)


def _drop_publicname(body: Any) -> Any:
    for record in _calendars_in(body):
        record.pop("publicname", None)
    return body


@fault("show.calendar", layer="conformance",
       probe=lambda api: "publicname" in api.get(1).body)
def response_missing_publicname(app: Flask) -> None:
    """Calendar representations lack the required `publicname` field."""
    _rewrite_json(app, _drop_publicname)


# -- one contract run, in any process -----------------------------------------------------------
def run_case(fault_name: str | None, level: str, layers: tuple[str, ...], max_examples: int,
             seed: int) -> dict[str, Any]:
    """Run the contract suite in-process against a fresh mock with `fault_name` planted (None:
    the healthy mock) and return plain data, so the run can happen in a worker process."""
    from contract_tests.runner import SuiteOptions, run_suite

    app = create_app() if fault_name is None else CATALOGUE[fault_name].build()
    started = time.perf_counter()
    result = run_suite(SuiteOptions(
        base_url=None, app=app, apikey=APIKEY, user=USER, password=PASSWORD, group_id=GROUP,
        level=level, max_examples=max_examples, seed=seed, read_only=False, layers=layers,
        other_user=OTHER_USER, other_password=OTHER_PASSWORD, other_group_id=OTHER_GROUP,
        junit_xml=None, quiet=True,
    ))
    return {
        "passed": result.passed,
        "checks_run": result.checks_run,
        "seconds": round(time.perf_counter() - started, 2),
        "failures": [
            {"rule_id": f.rule_id, "tag": f.tag, "layer": f.layer, "operation": f.operation,
             "message": f.message, "curl": f.curl}
            for f in result.failures
        ],
    }
