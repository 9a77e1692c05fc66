"""Probes of what a write answers and leaves: the values a create fills in for what it was not
sent, the body of a DELETE, a PUT of `deleted: true`. Each one writes, to calendars calibrate
created for it, and only to those."""

from __future__ import annotations

from typing import Any

from ..model import deleted_flag
from .probes_bodies import _body
from .registry import Reading, Unsettled, probe
from .session import Session

OMITTED_TEXTS = ("address", "zipcode", "city")  # the texts `omitted_texts` asks about


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@probe("omitted_sort", writes=True)
def omitted_sort(session: Session) -> list[Reading]:
    """Creates without `sort`, each right after a calendar of ours that is the group's largest
    sort under `largest_plus_one`: after one created without sort, and after one created with
    an explicit sort 5 above it (a count or an id would not follow it). The new sort: that
    calendar's + 1, or 0."""
    readings = []
    before = session.create("omitted-sort", fresh=True)
    after = session.create("omitted-sort", fresh=True)
    readings.append(_next_sort(before, after, "a create without sort, after another"))
    if not _int(after.get("sort")):
        raise Unsettled(f"a calendar created without sort answered sort {after.get('sort')!r}")
    explicit = session.create("omitted-sort", {"sort": after["sort"] + 5}, fresh=True)
    readings.append(_next_sort(explicit, session.create("omitted-sort", fresh=True),
                               "a create without sort, after one created with a sort"))
    return readings


def _next_sort(previous: dict[str, Any], created: dict[str, Any], what: str) -> Reading:
    was, got = previous.get("sort"), created.get("sort")
    answer = (None if not _int(was) or not _int(got) else "largest_plus_one" if got == was + 1
              else "zero" if got == 0 else None)
    return Reading(answer, f"{what} (calendar {previous['id']}, sort {was!r}): calendar {created['id']} "
                   f"got sort {got!r}")


@probe("omitted_texts", writes=True)
def omitted_texts(session: Session) -> list[Reading]:
    """A create with a name only, then one with a city too: the address, zipcode and city it
    was not sent, all null or all empty strings."""
    readings = []
    for given in ({}, {"city": "Calib-Ville"}):
        created = session.create("omitted-texts", given, fresh=True)
        values = {name: created.get(name, "<missing>") for name in OMITTED_TEXTS if name not in given}
        answer = ("null" if all(v is None for v in values.values())
                  else "empty_string" if all(v == "" for v in values.values()) else None)
        sent = f"name and {', '.join(given)}" if given else "a name only"
        readings.append(Reading(answer, f"created with {sent}: {values}"))
    return readings


@probe("delete_body", writes=True)
def delete_body(session: Session) -> list[Reading]:
    """DELETE two calendars of ours: the answer is the calendar (its id, deleted true), or `{}`."""
    readings = []
    for _ in range(2):
        own = session.create("delete-body")
        exchange = session.api.delete(own["id"])
        body = exchange.json()
        answer = (None if not 200 <= exchange.status < 300
                  else "empty_object" if body == {}
                  else "calendar" if isinstance(body, dict) and body.get("id") == own["id"]
                  and deleted_flag(body, booleans_only=False) is True else None)
        shown = f"keys {sorted(body)}" if isinstance(body, dict) else f"body {exchange.body_text(80)!r}"
        readings.append(Reading(answer, f"DELETE of calendar {own['id']}: {exchange.status} with {shown}",
                                [exchange]))
    return readings


@probe("put_deleted_true", writes=True)
def put_deleted_true(session: Session) -> list[Reading]:
    """PUT `deleted: true` on two live calendars of ours (alone, then with a publicname), then
    GET each: 2xx and soft-deleted, or 400 and still live (restored with `deleted: false` after)."""
    readings = []
    for change in ({"deleted": True}, {"deleted": True, "publicname": "calibrate"}):
        own = session.create("put-deleted")
        exchange = session.api.update(own["id"], change)
        shown = session.api.show(own["id"])
        flag = deleted_flag(_body(shown), booleans_only=False) if shown.status == 200 else None
        answer = ("soft_deletes" if 200 <= exchange.status < 300 and flag is True
                  else "refused" if exchange.status == 400 and flag is False else None)
        readings.append(Reading(answer, f"PUT {change}: {exchange.status}; GET then shows deleted "
                                f"{_body(shown).get('deleted', '<none>')!r}", [exchange, shown]))
        if flag:
            session.api.update(own["id"], {"deleted": False})
    return readings
