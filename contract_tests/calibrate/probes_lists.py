"""Probes of how lists answer: paging, ordering, conditions, filters, soft-deleted calendars.

They look at a population whose records they know (`Session.population`: calendars made for
them, or under --read-only the group's own) and compare what a query lists with what each
answer would list; nothing is assumed about the data but what they read first.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from calendar_spec.profiles import questions

from .. import textmatch
from ..model import deleted_flag
from .registry import Reading, Unsettled, probe
from .session import Pairs, Session, telling_pairs

NULLABLE = ("city", "address", "zipcode", "calendarset_id")
TEXTS = ("city", "name", "publicname", "address", "zipcode")


def condition(field: str, op: str, value: Any, index: int = 0) -> Pairs:
    return [(f"conditions[{index}][field]", field), (f"conditions[{index}][op]", op),
            (f"conditions[{index}][value]", value)]


def _ids(records: list[dict[str, Any]]) -> set[int]:
    return {record["id"] for record in records}


def _which(got: set[int], expected: dict[str, set[int]]) -> str | None:
    return next((answer for answer, ids in expected.items() if got == ids), None)


@probe("page_cap", writes=False)
def page_cap(session: Session) -> list[Reading]:
    """`results=all`, then `results=N`, over N > cap calendars: all N, or a page of the cap."""
    caps = {int(answer): answer for answer in questions()["page_cap"]["answers"] if answer.isdigit()}
    population = session.population()
    count = len(population.records)
    if count <= max(caps):
        raise Unsettled(f"needs more than {max(caps)} calendars to list; {population.what}")
    readings = []
    for results in ("all", count):
        body, exchange = session.list([*population.params, ("sort", "id"), ("results", results)])
        got, total = len(body["records"]), body.get("totalRecords")
        answer = "none" if got == count else caps.get(got)
        readings.append(Reading(answer if total == count else None,
                                f"results={results}: {got} records, totalRecords {total}, of {count}",
                                [exchange]))
    return readings


@probe("start_index", writes=False)
def start_index(session: Session) -> list[Reading]:
    """`results=2` from startIndex 1, then 2, in id order: the items from there, or that page."""
    population = session.population()
    ids = population.ids()
    if len(ids) < 6:
        raise Unsettled(f"needs 6 calendars to page through; {population.what}")
    readings = []
    for start in (1, 2):
        body, exchange = session.list([*population.params, ("sort", "id"), ("dir", "asc"), ("results", 2),
                                       ("startIndex", start)])
        got = [record["id"] for record in body["records"]]
        expected = {"items": ids[start:start + 2], "pages": ids[start * 2:start * 2 + 2]}
        answer = next((reading for reading, wanted in expected.items() if got == wanted), None)
        readings.append(Reading(answer, f"startIndex={start}&results=2 listed ids {got} (items: "
                                f"{expected['items']}, pages: {expected['pages']})", [exchange]))
    return readings


@probe("nulls_order", writes=False)
def nulls_order(session: Session) -> list[Reading]:
    """The first record sorted ascending by two fields that hold nulls and values: a null, or not."""
    population = session.population()
    records = population.records
    fields = [field for field in NULLABLE if any(r.get(field) is None for r in records)
              and any(r.get(field) is not None for r in records)]
    if not fields:
        raise Unsettled(f"needs a field with nulls and values ({', '.join(NULLABLE)}); {population.what}")
    readings = []
    for field in (fields * 2)[:2]:
        body, exchange = session.list([*population.params, ("sort", field), ("dir", "asc"), ("results", 1)])
        if not body["records"]:
            readings.append(Reading(None, f"sort={field}&dir=asc listed nothing", [exchange]))
            continue
        value = body["records"][0].get(field)
        readings.append(Reading("first" if value is None else "last",
                                f"sort={field}&dir=asc lists first {field} {value!r}", [exchange]))
    return readings


@probe("equals_case", writes=False)
def equals_case(session: Session) -> list[Reading]:
    """`=`, then `in`, with a text value in the other case: the records with exactly that text,
    or those equal ignoring case (after a control: the value as stored finds its record)."""
    population = session.population()
    records = population.records
    picks = []
    for field in TEXTS:
        for record in records:
            value = record.get(field)
            if not isinstance(value, str) or "," in value or value.swapcase() == value:
                continue
            sent = value.swapcase()
            expected = {"exact": {r["id"] for r in records if r.get(field) == sent},
                        "insensitive": {r["id"] for r in records if isinstance(r.get(field), str)
                                        and r[field].casefold() == sent.casefold()}}
            if expected["exact"] != expected["insensitive"]:
                picks.append((field, record["id"], value, sent, expected))
                break
        if len(picks) == 2:
            break
    if not picks:
        raise Unsettled(f"needs a text field with letters in a case; {population.what}")
    readings = []
    for (field, record_id, value, sent, expected), op in zip(picks * 2, ("=", "in"), strict=False):
        found, controls = session.read_all([*population.params, *condition(field, op, value)])
        if record_id not in _ids(found):
            readings.append(Reading(None, f"{field} {op} {value!r} did not list calendar {record_id}, "
                                    "which has it", controls[:1]))
            continue
        got, exchanges = session.read_all([*population.params, *condition(field, op, sent)])
        readings.append(Reading(_which(_ids(got), expected),
                                f"{field} {op} {sent!r} listed {len(got)} (exactly equal: "
                                f"{len(expected['exact'])}, ignoring case: {len(expected['insensitive'])})",
                                [controls[0], exchanges[0]]))
    return readings


@probe("like_case", writes=False)
def like_case(session: Session) -> list[Reading]:
    """`like`, then `not like`, with three letters of a name in the other case: the records
    holding them in any case, or in that case only (after a control: the letters as stored
    find their record)."""
    population = session.population()
    records = population.records
    named = _named(records)
    picks = []
    for part, sent in textmatch.case_telling_parts([r["name"] for r in named], 2):
        holder = next(r["id"] for r in named if part in r["name"])
        expected = {"ignored": {r["id"] for r in named if sent.casefold() in r["name"].casefold()},
                    "sensitive": {r["id"] for r in named if sent in r["name"]}}
        picks.append((holder, part, sent, expected))
    if not picks:
        raise Unsettled(f"needs a calendar named with an ASCII word of 4 letters; {population.what}")
    readings = []
    for (record_id, part, sent, expected), op in zip(picks * 2, ("like", "not like"), strict=False):
        found, controls = session.read_all([*population.params, *condition("name", "like", f"%{part}%")])
        if record_id not in _ids(found):
            readings.append(Reading(None, f"name like '%{part}%' did not list calendar {record_id}, whose "
                                    "name holds it", controls[:1]))
            continue
        got, exchanges = session.read_all([*population.params, *condition("name", op, f"%{sent}%")])
        kept = _ids(got) if op == "like" else _ids(named) - _ids(got)
        readings.append(Reading(_which(kept, expected),
                                f"name {op} '%{sent}%' listed {len(got)} (holding {sent!r} in any case: "
                                f"{len(expected['ignored'])}, as sent: {len(expected['sensitive'])})",
                                [controls[0], exchanges[0]]))
    return readings


def _named(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for record in records if isinstance(record.get("name"), str)]


@probe("negation_nulls", writes=False)
def negation_nulls(session: Session) -> list[Reading]:
    """`!=`, then `not in`, a value of a field that also holds nulls: the nulls kept or not."""
    population = session.population()
    records = population.records
    picks = []
    for field in NULLABLE:
        nulls = {r["id"] for r in records if r.get(field) is None}
        values = Counter(r[field] for r in records if r.get(field) is not None and "," not in str(r[field]))
        if not nulls or not values:
            continue
        value = values.most_common(1)[0][0]
        folded = str(value).casefold()
        if any(str(other).casefold() == folded and other != value for other in values):
            continue  # equals_case would decide which records `!=` keeps
        kept = {r["id"] for r in records if r.get(field) is not None and r[field] != value}
        picks.append((field, value, {"excluded": kept, "included": kept | nulls}))
        if len(picks) == 2:
            break
    if not picks:
        raise Unsettled(f"needs a field with nulls and values ({', '.join(NULLABLE)}); {population.what}")
    readings = []
    for (field, value, expected), op in zip(picks * 2, ("!=", "not in"), strict=False):
        got, exchanges = session.read_all([*population.params, *condition(field, op, value)])
        readings.append(Reading(_which(_ids(got), expected),
                                f"{field} {op} {value!r} listed {len(got)} (without nulls: "
                                f"{len(expected['excluded'])}, with: {len(expected['included'])})",
                                exchanges[:1]))
    return readings


@probe("intervention_match", writes=False)
def intervention_match(session: Session) -> list[Reading]:
    """Two interventions at once, for two pairs whose calendars differ: their common
    calendars, or all of theirs."""
    found = session.interventions()
    pairs = sorted(telling_pairs(found), key=lambda pair: not found[pair[0]] & found[pair[1]])
    if not pairs:
        raise Unsettled(f"needs two interventions in use whose calendars differ; found {len(found)} in use "
                        "(give them with --intervention-id)")
    readings = []
    for a, b in pairs[:2] if len(pairs) > 1 else [pairs[0], pairs[0][::-1]]:
        got, exchanges = session.read_all([("intervention_ids[]", a), ("intervention_ids[]", b)])
        expected = {"all": found[a] & found[b], "any": found[a] | found[b]}
        readings.append(Reading(_which(_ids(got), expected),
                                f"intervention_ids[]={a}&intervention_ids[]={b} listed {sorted(_ids(got))} "
                                f"(all: {sorted(expected['all'])}, any: {sorted(expected['any'])})",
                                exchanges[:1]))
    return readings


@probe("deleted_calendars", writes=False)
def deleted_calendars(session: Session) -> list[Reading]:
    """Soft-deleted calendars of ours (one by DELETE, one by PUT deleted true - by DELETE too
    where that PUT is refused, `put_deleted_true`), looked for through `search` next to a live
    one; under --read-only, those of the group."""
    if session.read_only:
        return _deleted_of_the_group(session)
    marker = f"{session.prefix}-deleted-"
    live, by_delete, by_put = (session.create("deleted") for _ in range(3))
    readings = []
    for calendar, how in ((by_delete, "DELETE"), (by_put, "PUT deleted true")):
        gone = (session.api.delete(calendar["id"]) if how == "DELETE"
                else session.api.update(calendar["id"], {"deleted": True}))
        if how != "DELETE" and gone.status == 400:
            how, gone = "DELETE (PUT deleted true refused)", session.api.delete(calendar["id"])
        if not 200 <= gone.status < 300:
            raise Unsettled(f"soft-deleting a calendar of ours ({how}) failed: {gone.summary()}", [gone])
        listed, exchanges = session.read_all([("search", marker)])
        ids = _ids(listed)
        if live["id"] not in ids:
            raise Unsettled(f"search={marker} did not list the live calendar {live['id']}", exchanges)
        answer = "listed" if calendar["id"] in ids else "hidden"
        readings.append(Reading(answer, f"soft-deleted by {how}, calendar {calendar['id']} is "
                                f"{'in' if answer == 'listed' else 'not in'} search={marker}", exchanges[:1]))
    return readings


def _deleted_of_the_group(session: Session) -> list[Reading]:
    """A soft-deleted calendar of the group: one the list shows, else one GET finds at an id
    the list skips (up to 30 tried); then the list searched for its name."""
    records, exchanges = session.group_records()
    shown = [r for r in records if deleted_flag(r, booleans_only=False)]
    if shown:
        target, first = shown[0], Reading("listed", f"the group's list shows soft-deleted calendar "
                                          f"{shown[0]['id']}", exchanges[:1])
    else:
        ids = _ids(records)
        gaps = [i for i in range(min(ids, default=1), max(ids, default=0) + 31) if i not in ids][:30]
        target = first = None
        for calendar_id in gaps:
            exchange = session.api.show(calendar_id)
            body = exchange.json()
            if exchange.status == 200 and isinstance(body, dict) and deleted_flag(body, booleans_only=False):
                target = body
                first = Reading("hidden", f"calendar {calendar_id} is soft-deleted (GET) and not in the "
                                "group's list", [exchange, *exchanges[:1]])
                break
        if target is None or first is None:
            raise Unsettled(f"no soft-deleted calendar of the group to look for: the list shows none, and "
                            f"none of the {len(gaps)} ids it skips is one", exchanges[:1])
    listed, searched = session.read_all([("search", target["name"])])
    answer = "listed" if target["id"] in _ids(listed) else "hidden"
    return [first, Reading(answer, f"search={target['name']!r} {'lists' if answer == 'listed' else 'omits'} "
                           f"calendar {target['id']}", searched[:1])]
