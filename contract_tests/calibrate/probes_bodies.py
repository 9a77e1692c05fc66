"""Probes of how writes are read: what a POST or PUT body may hold, and what a write that
changes nothing does. Each one writes, to calendars calibrate created for it, and only to those."""

from __future__ import annotations

import time
from typing import Any

from ..http import Exchange
from ..model import deleted_flag
from .registry import Reading, Unsettled, probe
from .session import UNKNOWN_ID, Session


def _body(exchange: Exchange) -> dict[str, Any]:
    body = exchange.json()
    return body if isinstance(body, dict) else {}


def _refused_or(exchange: Exchange, what: str, refusals: dict[int, str], accepted: str | None,
                accepted_if: Any = True, seen: str = "") -> Reading:
    """A reading from a write: a status of `refusals` answers its answer; a 2xx answers
    `accepted` when `accepted_if` holds (what the calendar now shows); anything else, none."""
    status = exchange.status
    if status in refusals:
        return Reading(refusals[status], f"{what}: {status}", [exchange])
    if 200 <= status < 300 and accepted is not None and accepted_if:
        return Reading(accepted, f"{what}: {status}{seen}", [exchange])
    return Reading(None, f"{what}: {exchange.summary()[:160]}", [exchange])


@probe("group_id_mismatch", writes=True)
def group_id_mismatch(session: Session) -> list[Reading]:
    """A body group_id other than the path's (a group that does not exist, so that a deployment
    that takes it writes nowhere): in a POST, and in a PUT of a calendar of ours."""
    refusals = {403: "403", 400: "400"}
    created = session.probe_create({"name": session.name("group-mismatch"), "group_id": UNKNOWN_ID})
    own = session.create("group-mismatch")
    updated = session.api.update(own["id"], {"group_id": UNKNOWN_ID})
    return [_refused_or(created, f"POST with calendar.group_id {UNKNOWN_ID}", refusals, None),
            _refused_or(updated, f"PUT with calendar.group_id {UNKNOWN_ID}", refusals, None)]


@probe("unknown_calendarset", writes=True)
def unknown_calendarset(session: Session) -> list[Reading]:
    """calendarset_id of a calendarset that does not exist, in a POST and in a PUT: refused
    (404, or another 4xx), or stored as sent."""
    refusals = {404: "refused", 400: "refused", 403: "refused"}
    readings = []
    created = session.probe_create({"name": session.name("calendarset"), "calendarset_id": UNKNOWN_ID})
    own = session.create("calendarset")
    updated = session.api.update(own["id"], {"calendarset_id": UNKNOWN_ID})
    for exchange, what in ((created, "POST"), (updated, "PUT")):
        stored = _body(exchange).get("calendarset_id")
        readings.append(_refused_or(exchange, f"{what} with calendarset_id {UNKNOWN_ID}", refusals,
                                    "accepted", stored == UNKNOWN_ID, f", calendarset_id {stored!r} stored"))
    return readings


@probe("blank_name", writes=True)
def blank_name(session: Session) -> list[Reading]:
    """PUT a name of only spaces on two calendars of ours (renamed back when it is taken)."""
    readings = []
    for blank in ("   ", " "):
        own = session.create("blank-name")
        exchange = session.api.update(own["id"], {"name": blank})
        readings.append(_refused_or(exchange, f"PUT name {blank!r}", {400: "refused"}, "accepted"))
        if 200 <= exchange.status < 300:
            session.api.update(own["id"], {"name": own["name"]})
    return readings


@probe("top_level_keys", writes=True)
def top_level_keys(session: Session) -> list[Reading]:
    """An unknown key next to `calendar`, in a POST and in a PUT of a calendar of ours."""
    name = session.name("top-level")
    created = session.probe_create({"calendar": {"name": name}, "calibrate_note": "x"}, wrap=False)
    own = session.create("top-level")
    updated = session.api.update(own["id"], {"calendar": {"publicname": "calibrate"}, "calibrate_note": "x"},
                                 wrap=False)
    return [
        _refused_or(created, "POST with a key calibrate_note next to calendar", {400: "refused"}, "ignored",
                    _body(created).get("name") == name),
        _refused_or(updated, "PUT with a key calibrate_note next to calendar", {400: "refused"}, "ignored",
                    _body(updated).get("publicname") == "calibrate"),
    ]


@probe("deleted_input", writes=True)
def deleted_input(session: Session) -> list[Reading]:
    """`deleted: 0` on a soft-deleted calendar of ours (restores it) and on a live one (changes
    nothing). Not `deleted: 1`: a deployment that takes 0/1 may still refuse any PUT of deleted
    true (`put_deleted_true`), which would say nothing about 0/1."""
    gone = session.create("deleted-input")
    live = session.create("deleted-input")
    removed = session.api.delete(gone["id"])
    if not 200 <= removed.status < 300:
        raise Unsettled(f"soft-deleting a calendar of ours failed: {removed.summary()}", [removed])
    readings = []
    for calendar, what in ((gone, "a soft-deleted"), (live, "a live")):
        exchange = session.api.update(calendar["id"], {"deleted": 0})
        body = _body(exchange)
        readings.append(_refused_or(exchange, f"PUT deleted 0 on {what} calendar", {400: "booleans"},
                                    "also_0_1", deleted_flag(body, booleans_only=False) is False,
                                    f", deleted now {body.get('deleted')!r}"))
    return readings


@probe("read_only_keys", writes=True)
def read_only_keys(session: Session) -> list[Reading]:
    """A PUT of a calendar of ours with its own `id` and a new publicname, and one with an old
    `created_at` and a new publicname: 400, or the publicname taken and the read-only key left
    as it was. (Its own id: a deployment that wrote ids would change nothing.)"""
    readings = []
    for key, value in (("id", None), ("created_at", "2001-02-03 04:05:06")):
        own = session.create("read-only-keys")
        sent = own["id"] if value is None else value
        publicname = f"calibrate {key}"
        exchange = session.api.update(own["id"], {key: sent, "publicname": publicname})
        body = _body(exchange)
        readings.append(_refused_or(exchange, f"PUT {key} {sent!r} with a publicname", {400: "refused"},
                                    "ignored", body.get("publicname") == publicname
                                    and body.get(key) == own.get(key), f", {key} now {body.get(key)!r}"))
    return readings


@probe("unknown_calendar_keys", writes=True)
def unknown_calendar_keys(session: Session) -> list[Reading]:
    """A key no calendar has (`calibrate_colour`) inside `calendar`, in a POST and in a PUT of a
    calendar of ours: 400, or ignored (not answered back; a POST taken is a calendar of ours)."""
    key = "calibrate_colour"
    name = session.name("unknown-key")
    created = session.probe_create({"name": name, key: "blue"})
    own = session.create("unknown-key")
    updated = session.api.update(own["id"], {"publicname": "calibrate", key: "blue"})
    return [
        _refused_or(created, f"POST with calendar.{key}", {400: "refused"}, "ignored",
                    _body(created).get("name") == name and key not in _body(created)),
        _refused_or(updated, f"PUT with calendar.{key}", {400: "refused"}, "ignored",
                    _body(updated).get("publicname") == "calibrate" and key not in _body(updated)),
    ]


@probe("string_integers", writes=True)
def string_integers(session: Session) -> list[Reading]:
    """A digit string for an integer field: PUT generate_interval "30", POST mintime_rdv "7"."""
    own = session.create("string-integers")
    updated = session.api.update(own["id"], {"generate_interval": "30"})
    created = session.probe_create({"name": session.name("string-integers"), "mintime_rdv": "7"})
    return [
        _refused_or(updated, 'PUT generate_interval "30"', {400: "refused"}, "coerced",
                    _body(updated).get("generate_interval") == 30,
                    f", generate_interval {_body(updated).get('generate_interval')!r}"),
        _refused_or(created, 'POST mintime_rdv "7"', {400: "refused"}, "coerced",
                    _body(created).get("mintime_rdv") == 7,
                    f", mintime_rdv {_body(created).get('mintime_rdv')!r}"),
    ]


@probe("error_precedence", writes=True)
def error_precedence(session: Session) -> list[Reading]:
    """Bad credentials and a bad body at once (`name` 12): a POST with a wrong password, a PUT
    of a calendar of ours with a wrong apikey."""
    identity = session.api.identity
    bad_body = {"name": 12}
    own = session.create("precedence")
    created = session.probe_create(bad_body, auth=(identity.user, identity.password + "-not-it"))
    updated = session.api.update(own["id"], bad_body, apikey="calibrate-not-an-apikey")
    # A wrong apikey is refused with 401 or 403 (`credentials_refusal`): either is auth first.
    refusals = {401: "auth_first", 403: "auth_first", 400: "body_first"}
    return [_refused_or(created, "POST, wrong password, name 12", refusals, None),
            _refused_or(updated, "PUT, wrong apikey, name 12", refusals, None)]


@probe("noop_updated_at", writes=True)
def noop_updated_at(session: Session) -> list[Reading]:
    """A PUT that changes nothing (the same name) and restoring a live calendar, once the
    deployment's clock has moved past their creation (a real change to a third calendar of
    ours shows it has): updated_at kept or moved."""
    same, live, ticker = (session.create("noop") for _ in range(3))
    _wait_for_the_clock(session, ticker, after=max(str(same.get("updated_at")), str(live.get("updated_at"))))
    readings = []
    for calendar, change, what in ((same, {"name": same["name"]}, "PUT of the same name"),
                                   (live, {"deleted": False}, "PUT deleted false on a live calendar")):
        exchange = session.api.update(calendar["id"], change)
        before, after = calendar.get("updated_at"), _body(exchange).get("updated_at")
        answer = (None if not 200 <= exchange.status < 300 or not after
                  else "kept" if after == before else "moved")
        readings.append(Reading(answer, f"{what}: {exchange.status}, updated_at {before} -> {after}",
                                [exchange]))
    return readings


def _wait_for_the_clock(session: Session, ticker: dict[str, Any], after: str, limit: float = 5.0) -> None:
    """Change `ticker` every 0.2 s until the updated_at it gets is later than `after`."""
    deadline, turn = time.monotonic() + limit, 0
    while True:
        turn += 1
        exchange = session.api.update(ticker["id"], {"publicname": f"tick {turn}"})
        stamp = _body(exchange).get("updated_at")
        if not 200 <= exchange.status < 300 or not isinstance(stamp, str):
            raise Unsettled(f"changing a calendar of ours failed: {exchange.summary()}", [exchange])
        if stamp > after:
            return
        if time.monotonic() > deadline:
            raise Unsettled(f"updated_at did not move past {after} within {limit:.0f} s of real changes",
                            [exchange])
        time.sleep(0.2)
