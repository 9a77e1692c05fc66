"""Probes of the order a list answers in, and of what `search` reads: ties under `sort`, `dir`
without `sort`, the order without `sort`, the fields searched.

Like the other list probes they look at `Session.population` (calendars made for them, or
under --read-only the group's own) and compare what a query lists with what each answer would
list. The order probes list a few of those calendars at a time (`id in` them, at most
`LOOK`), so that every answer fits on one page whatever the deployment's page cap.
"""

from __future__ import annotations

import re
from typing import Any

from calendar_spec.profiles import questions

from ..http import Exchange
from ..spec_facts import CALENDAR_FIELDS
from .probes_lists import condition
from .registry import Reading, Unsettled, probe
from .session import Pairs, Session

# The most calendars one look lists: no more than the smallest page cap an answer allows.
LOOK = min(int(answer) for answer in questions()["page_cap"]["answers"] if answer.isdigit())
# Fields not sorted by for ties: ids and timestamps (equal ones are an accident), and group_id
# (the same in every calendar listed: a sort by it is no sort at all).
UNTIED = ("id", "created_at", "updated_at", "group_id")
WORD = re.compile(r"[A-Za-z0-9]{3,}")  # a word of a publicname searched for (ASCII: no collation doubts)
Record = dict[str, Any]


def _id_in(records: list[Record]) -> Pairs:
    return condition("id", "in", ",".join(str(record["id"]) for record in records))


def _listed(session: Session, params: Pairs) -> tuple[list[int], Exchange]:
    body, exchange = session.list(params)
    return [record["id"] for record in body["records"]], exchange


def _in_whole_list(session: Session, ids: list[int], params: Pairs) -> tuple[list[int] | None, Exchange]:
    """`ids` in the order the whole list gives them, with no condition at all (a deployment may
    read that list straight from an index, another path than a filtered one's); None when a
    capped page does not hold them all."""
    whole, exchange = session.list([("results", "all"), *params])
    wanted = set(ids)
    seen = [record["id"] for record in whole["records"] if record["id"] in wanted]
    return (seen if len(seen) == len(wanted) else None), exchange


def _scalar(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


def _tied(records: list[Record]) -> list[tuple[str, Any, list[Record]]]:
    """(field, value, calendars holding it) for every value (not null nor empty) that two
    calendars or more share in a field to sort by: `sort` first, then the contract's other
    fields; at most LOOK calendars each."""
    fields = ["sort", *(name for name in CALENDAR_FIELDS if name not in ("sort", *UNTIED))]
    groups = []
    for field in fields:
        holders: dict[tuple[str, Any], list[Record]] = {}
        for record in sorted(records, key=lambda r: r["id"]):
            value = record.get(field)
            if _scalar(value) and value != "":  # an empty text may be stored as a null
                holders.setdefault((type(value).__name__, value), []).append(record)
        groups += [(field, value, same[:LOOK]) for (_, value), same in holders.items() if len(same) > 1]
    return groups


def _distinct_sorts(records: list[Record], from_the_end: bool = False) -> list[Record]:
    """Up to LOOK calendars with different integer `sort` values, taken in id order (or from
    the last id): any order by `sort` among them is one, whatever the answer about ties."""
    picked: list[Record] = []
    for record in sorted(records, key=lambda r: r["id"], reverse=from_the_end):
        value = record.get("sort")
        if isinstance(value, int) and not isinstance(value, bool) \
                and all(value != other["sort"] for other in picked):
            picked.append(record)
        if len(picked) == LOOK:
            break
    return sorted(picked, key=lambda r: r["id"])


@probe("sort_ties", writes=False)
def sort_ties(session: Session) -> list[Reading]:
    """`sort=F` over calendars that all hold the same F (`id in` them): listed by ascending or
    descending id. Two fields, or two values of one field, else one asc and once desc."""
    population = session.population()
    groups = _tied(population.records)
    if not groups:
        raise Unsettled(f"needs two calendars with an equal value in a field to sort by; {population.what}")
    first = groups[0]
    second = next((g for g in groups if g[0] != first[0]), groups[1] if len(groups) > 1 else None)
    looks = [(first, "asc"), (second, "asc") if second else (first, "desc")]
    readings = []
    for (field, value, records), direction in looks:
        ids = [record["id"] for record in records]
        got, exchange = _listed(session, [*_id_in(records), ("sort", field), ("dir", direction)])
        answer = "id" if got == ids else "id_desc" if got == ids[::-1] else None
        readings.append(Reading(answer, f"sort={field}&dir={direction} over calendars {ids} (all {field} "
                                f"{value!r}) listed {got}", [exchange]))
    return readings


@probe("dir_without_sort", writes=False)
def dir_without_sort(session: Session) -> list[Reading]:
    """A few calendars (`id in` them, different `sort` values) listed without `sort`, then with
    `dir=desc` alone: the same order (ignored), or that order reversed; twice, over the first
    and over the last ids."""
    population = session.population()
    subsets = [_distinct_sorts(population.records), _distinct_sorts(population.records, from_the_end=True)]
    if len(subsets[0]) < 2:
        raise Unsettled(f"needs two calendars with different sort values; {population.what}")
    readings = []
    for records in subsets:
        ids = [record["id"] for record in records]
        plain, first = _listed(session, _id_in(records))
        got, second = _listed(session, [*_id_in(records), ("dir", "desc")])
        answer = (None if sorted(plain) != ids else "ignored" if got == plain
                  else "reverses" if got == plain[::-1] else None)
        readings.append(Reading(answer, f"calendars {ids} listed without sort: {plain}; with dir=desc "
                                f"alone: {got}", [first, second]))
        seen, third = _in_whole_list(session, ids, [("dir", "desc")])
        if seen is not None and answer is not None:
            again = "ignored" if seen == plain else "reverses" if seen == plain[::-1] else None
            readings.append(Reading(again, f"calendars {ids} in the whole list with dir=desc alone: {seen}",
                                    [third]))
    return readings


@probe("default_order", writes=True)
def default_order(session: Session) -> list[Reading]:
    """Calendars of ours whose `sort` order is not their id order (different `sort` values),
    listed without `sort` (through the run's search, then `id in` them only): by id, or by
    `sort`. (Under --read-only the group's calendars may all have their sort in id order.)"""
    population = session.population()
    looks = [(_distinct_sorts(population.records), population.params),
             (_distinct_sorts(population.records, from_the_end=True), [])]
    readings = []
    for records, params in looks:
        expected = {"id": [r["id"] for r in records],
                    "sort": [r["id"] for r in sorted(records, key=lambda r: r["sort"])]}
        if expected["id"] == expected["sort"]:
            raise Unsettled(f"needs calendars whose sort order is not their id order; {population.what}")
        got, exchange = _listed(session, [*params, *_id_in(records)])
        answer = next((name for name, ids in expected.items() if got == ids), None)
        readings.append(Reading(answer, f"calendars {expected['id']} (sort {[r['sort'] for r in records]}) "
                                f"listed without sort: {got}", [exchange]))
        got, exchange = _in_whole_list(session, expected["id"], [])
        if got is None:
            continue
        answer = next((name for name, ids in expected.items() if got == ids), None)
        readings.append(Reading(answer, f"calendars {expected['id']} in the whole list without sort: {got}",
                                [exchange]))
    return readings


@probe("search_fields", writes=False)
def search_fields(session: Session) -> list[Reading]:
    """`search` for a word of a calendar's publicname that its name lacks (after a control: a
    search for its name finds it), for two words: the calendars with it in their name only,
    or in their name or publicname."""
    population = session.population()
    records = population.records
    # The population as a list without `search` (it may be how the population is listed).
    params = _id_in(records) if any(key == "search" for key, _ in population.params) else population.params
    picks: list[tuple[Record, str, dict[str, set[int]]]] = []
    for record in records:
        publicname, name = record.get("publicname"), record.get("name")
        if not isinstance(publicname, str) or not isinstance(name, str) or not name.strip():
            continue
        for word in WORD.findall(publicname):
            token = word.casefold()
            expected = {"name": _holding(records, token, ("name",)),
                        "name_or_publicname": _holding(records, token, ("name", "publicname"))}
            if token not in name.casefold() and expected["name"] != expected["name_or_publicname"] \
                    and all(token != other for _, other, _ in picks):
                picks.append((record, token, expected))
                break
        if len(picks) == 2:
            break
    if not picks:
        raise Unsettled(f"needs a calendar whose publicname holds a word its name lacks; {population.what}")
    readings = []
    for record, token, expected in (picks * 2)[:2]:
        found, controls = session.read_all([*params, ("search", record["name"])])
        if record["id"] not in {r["id"] for r in found}:
            readings.append(Reading(None, f"search={record['name']!r} did not list calendar {record['id']}, "
                                    "whose name it is", controls[:1]))
            continue
        got, exchanges = session.read_all([*params, ("search", token)])
        ids = {r["id"] for r in got}
        answer = next((name for name, wanted in expected.items() if ids == wanted), None)
        readings.append(Reading(answer, f"search={token!r} listed {sorted(ids)} (in a name: "
                                f"{sorted(expected['name'])}, in a name or publicname: "
                                f"{sorted(expected['name_or_publicname'])})", [controls[0], exchanges[0]]))
    return readings


def _holding(records: list[Record], token: str, fields: tuple[str, ...]) -> set[int]:
    return {r["id"] for r in records
            if any(isinstance(r.get(f), str) and token in r[f].casefold() for f in fields)}
