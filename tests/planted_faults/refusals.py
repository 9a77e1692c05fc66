"""Faults in invalid input: accepted when it must be refused, or refused but leaving a trace."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from werkzeug.wrappers import Request, Response

from mock_server import mock_of
from mock_server.calendars.listing import ListQuery, Page
from mock_server.errors import ApiError

from .catalogue import fault
from .plumbing import (
    after_request,
    before_request,
    contract_with,
    data_of,
    path_ids,
    refusal,
    store_of,
    wrap_list,
)
from .probe_client import Api


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
    store = store_of(app)

    @after_request(app)
    def create_anyway(request: Request, response: Response) -> Response:
        group_id, calendar_id = path_ids(request)
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
    store = store_of(app)

    @after_request(app)
    def apply_anyway(request: Request, response: Response) -> Response:
        group_id, calendar_id = path_ids(request)
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

    @after_request(app)
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
    store, state = store_of(app), data_of(app)

    def touch(request: Request) -> None:
        group_id, calendar_id = path_ids(request)
        record = store.get_calendar(group_id, calendar_id)
        later = (datetime.strptime(record["updated_at"], "%Y-%m-%d %H:%M:%S") + timedelta(seconds=1))
        state.change(state.calendars[calendar_id], {"updated_at": later.strftime("%Y-%m-%d %H:%M:%S")})

    _after_refusal(app, lambda req, res: req.method == "PUT" and res.status_code == 400
                   and path_ids(req)[1] is not None, touch)


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

    wrap_list(app, change)


def _probe_unknown_put(api: Api) -> Any:
    return api.put(987654, {"city": "Nulle part"}).status, len(api.ids())


@fault("notfound.unknown", layer="semantic", probe=_probe_unknown_put)
def unknown_put_creates(app: Flask) -> None:
    """A PUT to a calendar id that does not exist answers 404 but creates a calendar from its body."""
    store = store_of(app)

    def create(request: Request) -> None:
        group_id, _ = path_ids(request)
        values = _refused_calendar(app, request)
        store.create_calendar(group_id, {"name": "upserted", **values})

    _after_refusal(app, lambda req, res: req.method == "PUT" and res.status_code == 404
                   and path_ids(req)[1] is not None and store.group_exists(path_ids(req)[0] or 0), create)


def _probe_refused_method(api: Api) -> Any:
    answer = api.call("POST", "/api/v1/groups/4/calendars/1", body={"calendar": {"city": "Quimper"}})
    return answer.status, api.get(1).body["city"]


@fault("method.405", layer="semantic", probe=_probe_refused_method)
def refused_method_applies(app: Flask) -> None:
    """POST on a calendar answers 405 but applies the body to the calendar, as a PUT would."""
    store = store_of(app)

    def apply(request: Request) -> None:
        group_id, calendar_id = path_ids(request)
        values = _refused_calendar(app, request)
        if values:
            store.update_calendar(group_id, calendar_id, values)

    _after_refusal(app, lambda req, res: res.status_code == 405 and path_ids(req)[1] is not None, apply)


def _probe_unauthorized_delete(api: Api) -> Any:
    return api.delete(2, apikey=None).status, api.get(2).body["deleted"]


@fault("auth.no-data-without-credentials", layer="auth", probe=_probe_unauthorized_delete)
def unauthorized_delete_applies(app: Flask) -> None:
    """DELETE without an apikey answers 401, but the calendar is soft-deleted all the same."""
    store = store_of(app)

    def delete(request: Request) -> None:
        group_id, calendar_id = path_ids(request)
        store.delete_calendar(group_id, calendar_id)

    _after_refusal(app, lambda req, res: req.method == "DELETE" and res.status_code == 401
                   and "apikey" not in req.args and path_ids(req)[1] is not None, delete)


def _drop_max_length(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["Name"].pop("maxLength", None)


@fault("invalid.rejected", layer="semantic",
       probe=lambda api: (api.post({"name": "x" * 300}).status, len(api.ids())))
def overlong_name_accepted(app: Flask) -> None:
    """A name longer than 255 characters is accepted and stored (create and update)."""
    contract_with(app, _drop_max_length)


def _allow_empty_object_name(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    schemas["Name"] = {"anyOf": [schemas["Name"], {"type": "object", "maxProperties": 0}]}


@fault("invalid.rejected", layer="semantic", probe=lambda api: api.post({"name": {}}).status)
def empty_object_name_accepted(app: Flask) -> None:
    """An empty object where the name belongs reads as no problem at all: the calendar is
    created (or updated) with an empty name instead of a 400."""
    contract_with(app, _allow_empty_object_name)
    store = store_of(app)
    create, update = store.create_calendar, store.update_calendar
    store.create_calendar = lambda group_id, values: create(
        group_id, {k: "" if v == {} else v for k, v in values.items()})
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {k: "" if v == {} else v for k, v in values.items()})


def _allow_unknown_keys(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["CalendarWrite"]["additionalProperties"] = True


@fault("invalid.rules", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau", "colour": "red"}).status)
def unknown_key_accepted(app: Flask) -> None:
    """An unknown key inside `calendar` is accepted (and dropped) instead of a 400."""
    contract_with(app, _allow_unknown_keys)
    store, fields = store_of(app), set(mock_of(app).contract.writable_fields)
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
    contract_with(app, _allow_negative_timing)


def _integral_float(body: Any) -> bool:
    calendar = body.get("calendar") if isinstance(body, dict) else None
    values = calendar.values() if isinstance(calendar, dict) else ()
    return any(isinstance(value, float) and value.is_integer() for value in values)


@fault("invalid.integral-float", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau", "generate_interval": 20.0}).status)
def integral_float_refused(app: Flask) -> None:
    """An integer written as 20.0 is refused with 400 (JSON Schema reads it as the integer 20)."""

    @before_request(app)
    def refuse_float(request: Request):
        if request.method in ("POST", "PUT") and _integral_float(_refused_body(request)):
            return refusal(400, "integers must be written without a fraction")
        return None


@fault("invalid.integral-float", layer="semantic",
       probe=lambda api: api.put(1, {"generate_interval": 0}).status)
def zero_interval_refused(app: Flask) -> None:
    """generate_interval 0 is refused with 400 ("must be positive"), though timing values may be 0."""

    @before_request(app)
    def refuse_zero(request: Request):
        body = _refused_body(request) if request.method in ("POST", "PUT") else None
        calendar = body.get("calendar") if isinstance(body, dict) else None
        if isinstance(calendar, dict) and calendar.get("generate_interval") == 0:
            return refusal(400, "generate_interval must be positive")
        return None


@fault("invalid.strict-types", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau", "sort": "12"}).status)
def string_integers_coerced(app: Flask) -> None:
    """A digit string for an integer ("12") is read as 12 (Rails-style) instead of a 400."""
    mock_of(app).configure(string_integers="coerced")


def _probe_odd_condition(api) -> int:
    return api.list(("conditions[0][field]", "name"), ("conditions[0][value]", "x")).status


@fault("invalid.query", layer="semantic", probe=_probe_odd_condition)
def condition_without_op_crashes(app: Flask) -> None:
    """A `conditions` entry without its operator crashes the list with a 500 instead of a 400."""

    @before_request(app)
    def crash(request: Request) -> Response | None:
        keys = set(request.args)
        entries = {key.removesuffix("[field]") for key in keys
                   if key.startswith("conditions[") and key.endswith("[field]")}
        if any(f"{entry}[op]" not in keys for entry in entries):
            return refusal(500, "planted: KeyError 'op'")
        return None


def _malformed_conditions(count: int) -> list[tuple[str, str]]:
    return [(f"conditions[{index}]x", "name") for index in range(count)]


@fault("invalid.query", layer="semantic", probe=lambda api: api.list(*_malformed_conditions(25)).status)
def many_refused_conditions_crash(app: Flask) -> None:
    """More than twenty refused `conditions` keys crash the list with a 500 (the count of the
    problems an error body leaves unlisted was never set)."""

    @after_request(app)
    def crash(request: Request, response: Response) -> Response:
        entries = {key.split("]")[0] for key in request.args if key.startswith("conditions[")}
        if response.status_code == 400 and len(entries) > 20:
            return refusal(500, "planted: TypeError unsupported operand += for NoneType")
        return response
