"""Faults in create, update, delete, restore and show."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.wrappers import Request, Response

from mock_server import mock_of
from mock_server.errors import NotFound

from .catalogue import fault
from .plumbing import after_request, calendars_in, contract_with, data_of, rewrite_json, store_of
from .probe_client import OTHER_GROUP, OTHER_PASSWORD, OTHER_USER, Api


def _probe_delete_then_show(api: Api) -> Any:
    api.delete(3)
    return api.get(3).status, api.ids()


@fault("delete.soft", layer="stateful", probe=_probe_delete_then_show)
def delete_is_hard(app: Flask) -> None:
    """DELETE removes the calendar for good (a hard delete) instead of setting deleted true."""
    store, state = store_of(app), data_of(app)
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

    @after_request(app)
    def no_content(request: Request, response: Response) -> Response:
        if request.method == "DELETE" and response.status_code == 200:
            response.status_code = 204
            response.set_data(b"")
        return response


@fault("delete.idempotent", layer="semantic",
       probe=lambda api: (api.delete(3).status, api.delete(3).status, api.delete(6).status))
def delete_twice_404(app: Flask) -> None:
    """DELETE of a calendar that is already soft-deleted answers 404 instead of 200."""
    store = store_of(app)
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
    store = store_of(app)
    original = store.create_calendar
    store.create_calendar = lambda group_id, values: original(
        group_id, {"mintime_annulation": 0, **values})


@fault("create.sort-assigned", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau"}).body["sort"])
def create_sort_not_max_plus_one(app: Flask) -> None:
    """An omitted sort becomes 0 instead of the group's largest sort + 1."""
    store = store_of(app)
    original = store.create_calendar
    store.create_calendar = lambda group_id, values: original(group_id, {"sort": 0, **values})


def _probe_sort_after_lowering(api: Api) -> Any:
    lowered = api.post({"name": "Haut"}).body["id"]
    api.put(lowered, {"sort": 0})
    return api.post({"name": "Ensuite"}).body["sort"]


@fault("create.sort-assigned", layer="semantic", probe=_probe_sort_after_lowering)
def largest_sort_never_lowered(app: Flask) -> None:
    """The group's largest sort is remembered as the largest ever held: after a PUT lowers it,
    an omitted sort still becomes the old largest + 1."""
    data = data_of(app)
    change = type(data).change

    def remembering_change(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        before = dict(data.group_max_sort)
        changed = change(data, record, changes)
        for group_id, largest in before.items():
            if largest is not None and (data.group_max_sort.get(group_id) or largest) < largest:
                data.group_max_sort[group_id] = largest
        return changed

    data.change = remembering_change


def _probe_sort_beside_another_group(api: Api) -> Any:
    other = Api(api.app, OTHER_USER, OTHER_PASSWORD)
    other.post({"name": "Ailleurs", "sort": 5000}, group=OTHER_GROUP)
    return api.post({"name": "Ici"}).body["sort"]


@fault("create.sort-assigned", layer="semantic", probe=_probe_sort_beside_another_group)
def create_sort_global_max(app: Flask) -> None:
    """An omitted sort becomes the largest sort of every group + 1 (the group filter left out)."""
    data = data_of(app)
    data.max_sort = lambda group_id: max(
        (value for value in data.group_max_sort.values() if value is not None), default=None)


def _probe_create_then_show(api: Api) -> Any:
    created = api.post({"name": "Nouveau"})
    return created.status, api.get(created.body["id"]).status, len(api.ids())


@fault("create.created", layer="stateful", probe=_probe_create_then_show)
def create_not_persisted(app: Flask) -> None:
    """POST answers 201 with a new calendar but does not keep it: show(id) is then 404."""
    store, state = store_of(app), data_of(app)
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

    @after_request(app)
    def ok_not_created(request: Request, response: Response) -> Response:
        if request.method == "POST" and response.status_code == 201:
            response.status_code = 200
        return response


@fault("create.group-id-match", layer="semantic",
       probe=lambda api: (api.post({"name": "Ailleurs", "group_id": OTHER_GROUP}).status, len(api.ids())))
def create_ignores_body_group_id(app: Flask) -> None:
    """POST with a body group_id other than the path's creates the calendar instead of a 4xx."""
    store = store_of(app)
    original = store.create_calendar
    store.create_calendar = lambda group_id, values: original(
        group_id, {k: v for k, v in values.items() if k != "group_id"})


@fault("update.partial", layer="semantic",
       probe=lambda api: {k: v for k, v in api.put(1, {"name": "Renommé"}).body.items()
                          if k != "updated_at"})
def put_replaces_whole_record(app: Flask) -> None:
    """PUT replaces the whole record: every writable key not sent goes back to its default."""
    store, contract = store_of(app), mock_of(app).contract
    update = store.update_calendar
    kept = {"name", "group_id", "sort", "deleted"}
    reset = {name: contract.defaults.get(name) for name in contract.writable_fields if name not in kept}
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {**reset, **values})
    # DELETE goes through update_calendar in the mock; keep it on the healthy path.
    store.delete_calendar = lambda group_id, calendar_id: update(group_id, calendar_id, {"deleted": True})


def _probe_created_at(api: Api) -> Any:
    before = api.get(1).body["created_at"]
    return api.put(1, {"name": "Renommé"}).body["created_at"] == before


@fault("update.partial", layer="semantic", probe=_probe_created_at)
def put_refreshes_created_at(app: Flask) -> None:
    """A PUT moves created_at to now, with updated_at (a chained assignment)."""
    store, state = store_of(app), data_of(app)
    update = store.update_calendar

    def update_calendar(group_id: int, calendar_id: int, values: dict[str, Any]) -> dict[str, Any]:
        update(group_id, calendar_id, values)
        state.calendars[calendar_id]["created_at"] = state.calendars[calendar_id]["updated_at"]
        return store.get_calendar(group_id, calendar_id)

    store.update_calendar = update_calendar
    store.delete_calendar = lambda group_id, calendar_id: update(group_id, calendar_id, {"deleted": True})


def _probe_updated_at(api: Api) -> Any:
    before = api.get(1).body["updated_at"]
    after = api.put(1, {"name": "Renommé"}).body["updated_at"]
    return after != before, api.get(1).body["updated_at"] != before


@fault("update.updated-at", layer="semantic", probe=_probe_updated_at)
def put_keeps_updated_at(app: Flask) -> None:
    """A PUT that changes a value leaves updated_at where it was."""
    store, state = store_of(app), data_of(app)
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
    store = store_of(app)
    update = store.update_calendar
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {k: v for k, v in values.items() if not (k == "deleted" and v is False)})


@fault("restore.put-deleted-true", layer="semantic",
       probe=lambda api: (api.put(3, {"deleted": True}).body["deleted"], api.get(3).body["deleted"]))
def put_deleted_true_ignored(app: Flask) -> None:
    """PUT {calendar: {deleted: true}} answers 200 but does not soft-delete."""
    store = store_of(app)
    update = store.update_calendar
    store.update_calendar = lambda group_id, calendar_id, values: update(
        group_id, calendar_id, {k: v for k, v in values.items() if not (k == "deleted" and v is True)})
    store.delete_calendar = lambda group_id, calendar_id: update(group_id, calendar_id, {"deleted": True})


@fault("show.deleted", layer="stateful", probe=lambda api: api.get(6).status)
def show_deleted_404(app: Flask) -> None:
    """GET of a soft-deleted calendar answers 404 instead of 200 with deleted true."""
    store = store_of(app)
    original = store.get_calendar

    def get_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        record = original(group_id, calendar_id)
        if record.get("deleted"):
            raise NotFound(f"calendar {calendar_id} does not exist in group {group_id}")
        return record

    store.get_calendar = get_calendar


def _name_optional(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["CalendarCreate"].pop("required", None)


@fault("create.name-required", layer="semantic",
       probe=lambda api: (api.post({"publicname": "Sans"}).status, len(api.ids())))
def create_without_name(app: Flask) -> None:
    """A POST without `name` creates a calendar named "Sans nom" instead of a 400."""
    contract_with(app, _name_optional)
    store = store_of(app)
    create = store.create_calendar
    store.create_calendar = lambda group_id, values: create(group_id, {"name": "Sans nom", **values})


@fault("create.defaults-assumed", layer="semantic",
       probe=lambda api: api.post({"name": "Nouveau"}).body["publicname"])
def publicname_defaults_to_name(app: Flask) -> None:
    """An omitted publicname takes the calendar's name instead of ""."""
    store = store_of(app)
    create = store.create_calendar
    store.create_calendar = lambda group_id, values: create(
        group_id, {"publicname": values.get("name", ""), **values})


@fault("delete.body", layer="semantic", probe=lambda api: api.delete(3).body.get("deleted"))
def delete_answers_the_calendar_before(app: Flask) -> None:
    """DELETE answers 200 with the calendar as it was before the delete (deleted false)."""
    store = store_of(app)
    delete = store.delete_calendar

    def delete_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        before = store.get_calendar(group_id, calendar_id)
        delete(group_id, calendar_id)
        return before

    store.delete_calendar = delete_calendar


def _drop_null_text(body: Any) -> Any:
    for record in calendars_in(body):
        for key in ("address", "zipcode", "city"):
            if record.get(key, "") is None:
                del record[key]
    return body


@fault("show.assumed-representation", layer="semantic", probe=lambda api: sorted(api.get(5).body))
def null_text_fields_left_out(app: Flask) -> None:
    """address, zipcode and city are left out of a calendar's representation while they are null."""
    rewrite_json(app, _drop_null_text)
