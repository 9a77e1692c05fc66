"""The list filters, by metamorphic relations that need no knowledge of the data.

- calendarset_ids[]=[a,b] is the union of [a] and [b]; [a] is every calendar with calendarset a;
- intervention_ids[]=[a] is within the unfiltered list; [a,b] within [a] union [b] (INF) and,
  with `all` semantics, within both [a] and [b] (ASM); an intervention that does not exist
  offers no calendar;
- different filters together give the intersection of each alone (ASM).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from ...context import UNKNOWN_ID, SuiteContext
from ...model import NO_INTERVENTION, CheckFailed, Skip
from ...registry import rule

LAYER = "semantic"
MAX_VALUES = 4


def _ids(ctx: SuiteContext, params: list[tuple[str, Any]]) -> tuple[set[int], Any]:
    """The ids the list answers for `params` (every page), and the last request, as evidence."""
    return {record["id"] for record in ctx.records(params)}, ctx.last_exchange()


def _interventions(ctx: SuiteContext, needed: int = 1) -> list[int]:
    found = sorted(ctx.interventions)[:MAX_VALUES]
    if len(found) < needed:
        crashed = ctx.cache.get("intervention-probe-error")
        if crashed is not None:  # a filter that crashed is no reason to look away
            status = crashed.exchange.status
            raise CheckFailed(f"intervention_ids[] answered {status} while the run looked for interventions "
                              "in use", expected="200 with the calendars offering it, or a 4xx",
                              actual=f"status {status}", exchange=crashed.exchange)
        raise Skip(ctx.cache.get("no-interventions")
                   or f"needs {needed} interventions in use; pass --intervention-id", why=NO_INTERVENTION)
    return found


def _unknown_answers_nothing(ctx: SuiteContext, key: str, what: str) -> None:
    """A filter on an id that does not exist lists nothing: 200 with no records, or a 4xx
    (CONTRACT.md does not say whether such an id is refused)."""
    exchange = ctx.api.list([(key, UNKNOWN_ID), ("results", "all")])
    if exchange.status != 200:
        ctx.expect(400 <= exchange.status < 500, f"{key}={UNKNOWN_ID} ({what} that does not exist) "
                   "answers no records or a 4xx", expected="200 with no records, or a 4xx",
                   exchange=exchange)
        return
    records = ctx.list_envelope(exchange)["records"]
    ctx.expect(
        not records,
        f"{what} {UNKNOWN_ID} does not exist, so no calendar is listed for it",
        expected="no records",
        actual=f"ids {sorted(r['id'] for r in records)[:20]}",
        exchange=exchange,
    )


@rule("list.intervention-filter", layer=LAYER, retry=True)
def intervention_filter(ctx: SuiteContext) -> None:
    interventions = _interventions(ctx)
    everything, _ = _ids(ctx, [])
    _unknown_answers_nothing(ctx, "intervention_ids[]", "an intervention")
    single: dict[int, set[int]] = {}
    # Beyond the first few, an intervention is read again only when discovery saw its filter
    # list a calendar the group's list did not: a filter that forgets the group shows there,
    # often with another group's interventions only.
    known = everything | {record["id"] for record in ctx.baseline}
    suspects = [i for i in sorted(ctx.interventions) if i not in interventions
                and not set(ctx.interventions[i]) <= known][:MAX_VALUES]
    for intervention in [*interventions, *suspects]:
        single[intervention], exchange = _ids(ctx, [("intervention_ids[]", intervention)])
        ctx.expect(
            single[intervention] <= everything,
            f"intervention_ids[]={intervention} answers a subset of the unfiltered list",
            expected="a subset",
            actual=f"extra ids {sorted(single[intervention] - everything)}",
            exchange=exchange,
        )
    for a, b in combinations(interventions, 2):
        both, exchange = _ids(ctx, [("intervention_ids[]", a), ("intervention_ids[]", b)])
        ctx.expect(
            both <= single[a] | single[b],
            f"intervention_ids[]={a}&intervention_ids[]={b} is within the union of each alone",
            expected=f"ids within {sorted(single[a] | single[b])}",
            actual=f"ids {sorted(both)}",
            exchange=exchange,
        )


@rule("list.intervention-all", layer=LAYER, retry=True)
def intervention_all(ctx: SuiteContext) -> None:
    interventions = _interventions(ctx, needed=2)
    single = {i: _ids(ctx, [("intervention_ids[]", i)])[0] for i in interventions}
    # Pairs whose answers differ first: there `all` and `any` give different results.
    pairs = sorted(combinations(interventions, 2), key=lambda p: single[p[0]] == single[p[1]])
    for a, b in pairs:
        both, exchange = _ids(ctx, [("intervention_ids[]", a), ("intervention_ids[]", b)])
        ctx.expect(
            both == single[a] & single[b],
            f"intervention_ids[]={a}&intervention_ids[]={b} keeps only calendars offering both",
            expected=f"ids {sorted(single[a] & single[b])} (within [{a}] and within [{b}])",
            actual=f"ids {sorted(both)}",
            exchange=exchange,
        )


@rule("list.calendarset-any", layer=LAYER, retry=True)
def calendarset_any(ctx: SuiteContext) -> None:
    # The rule writes too (calendarset_follows_update), so it runs beside the rules that write,
    # some of which move calendars between calendarsets: the reads it compares hold the group still.
    with ctx.alone():
        _calendarset_any(ctx)


def _calendarset_any(ctx: SuiteContext) -> None:
    # Calendar by calendar, only those no other check moves meanwhile are judged (the rule's own
    # move is calendarset_follows_update's); the unions compare reads of one still moment.
    settled = ctx.settled_ids()
    records = [record for record in ctx.records() if record["id"] in settled]
    sets = ctx.calendarsets[:MAX_VALUES]
    _unknown_answers_nothing(ctx, "calendarset_ids[]", "a calendarset")
    single: dict[int, set[int]] = {}
    for calendarset in sets:
        listed = ctx.records([("calendarset_ids[]", calendarset)])
        exchange = ctx.last_exchange()
        strays = [
            (r["id"], r.get("calendarset_id"))
            for r in listed
            if r.get("calendarset_id") != calendarset and r["id"] in settled
        ]
        ctx.expect(
            not strays,
            f"calendarset_ids[]={calendarset} lists only calendars of calendarset {calendarset}",
            expected=f"calendarset_id {calendarset} everywhere",
            actual=f"(id, calendarset_id): {strays[:10]}",
            exchange=exchange,
        )
        single[calendarset] = {r["id"] for r in listed}
        members = {r["id"] for r in records if r.get("calendarset_id") == calendarset}
        ctx.expect(
            single[calendarset] & settled == members,
            f"calendarset_ids[]={calendarset} lists every calendar of calendarset {calendarset}",
            expected=f"ids {sorted(members)}",
            actual=f"ids {sorted(single[calendarset] & settled)}",
            exchange=exchange,
        )
    for a, b in combinations(single, 2):
        both, exchange = _ids(ctx, [("calendarset_ids[]", a), ("calendarset_ids[]", b)])
        ctx.expect(
            both == single[a] | single[b],
            f"calendarset_ids[]={a}&calendarset_ids[]={b} is exactly the union of each alone",
            expected=f"ids {sorted(single[a] | single[b])}",
            actual=f"ids {sorted(both)}",
            exchange=exchange,
        )


@rule("list.calendarset-any", layer=LAYER, writes=True, retry=True)
def calendarset_follows_update(ctx: SuiteContext) -> None:
    """A calendar of ours moved by PUT into a calendarset is listed under it, and no longer
    under the one it left (a filter that kept the old membership shows only after a move)."""
    sets = ctx.calendarsets[:2]
    if not sets:
        raise Skip("the group has no calendarset to move a calendar into")
    calendar_id = ctx.own_calendar("calendarset-move")["id"]
    left = None
    for calendarset in sets:
        ctx.expect_2xx(ctx.api.update(calendar_id, {"calendarset_id": calendarset}),
                       f"moving a calendar of ours into calendarset {calendarset} succeeds")
        under, exchange = _ids(ctx, [("calendarset_ids[]", calendarset)])
        ctx.expect(calendar_id in under,
                   f"after a PUT moved calendar {calendar_id} into calendarset {calendarset}, "
                   f"calendarset_ids[]={calendarset} lists it",
                   expected=f"id {calendar_id} listed", actual=f"ids {sorted(under)}", exchange=exchange)
        if left is not None:
            before, exchange = _ids(ctx, [("calendarset_ids[]", left)])
            ctx.expect(calendar_id not in before,
                       f"after a PUT moved calendar {calendar_id} out of calendarset {left}, "
                       f"calendarset_ids[]={left} no longer lists it",
                       expected=f"id {calendar_id} not listed", actual=f"ids {sorted(before)}",
                       exchange=exchange)
        left = calendarset


@rule("list.filters-and", layer=LAYER, retry=True)
def filters_and(ctx: SuiteContext) -> None:
    everything = ctx.records()
    if not everything:
        raise Skip("the group has no calendar to filter")
    ids = sorted(r["id"] for r in everything)
    filters: list[list[tuple[str, Any]]] = [
        [
            ("conditions[0][field]", "id"),
            ("conditions[0][op]", ">="),
            ("conditions[0][value]", ids[len(ids) // 2]),
        ],
        [("sort", "id")],  # not a filter: a control
    ]
    if ctx.calendarsets:
        filters.append([("calendarset_ids[]", ctx.calendarsets[0])])
    for intervention in sorted(ctx.interventions)[:2]:
        filters.append([("intervention_ids[]", intervention)])
    words = [w for r in everything for w in (r.get("name") or "").split() if w.isascii() and len(w) >= 3]
    if words:
        filters.append([("search", words[0][:3])])
    alone = [(params, _ids(ctx, params)[0]) for params in filters]
    for (first, a), (second, b) in combinations(alone, 2):
        if {key for key, _ in first} & {key for key, _ in second}:
            continue  # the same filter twice is one filter with two values, not two filters
        both, exchange = _ids(ctx, [*first, *second])
        ctx.expect(
            both == a & b,
            "different filters together answer the intersection of each alone",
            expected=f"ids {sorted(a & b)}",
            actual=f"ids {sorted(both)}",
            exchange=exchange,
        )
