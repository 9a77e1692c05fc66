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

from ..context import UNKNOWN_ID, SuiteContext
from ..model import Skip
from ..registry import rule

LAYER = "semantic"
MAX_VALUES = 4


def _ids(ctx: SuiteContext, params: list[tuple[str, Any]]) -> tuple[set[int], Any]:
    body, exchange = ctx.list_page([*params, ("results", "all")])
    return {r["id"] for r in body["records"]}, exchange


def _interventions(ctx: SuiteContext) -> list[int]:
    return sorted(ctx.interventions)[:MAX_VALUES]


@rule("list.intervention-filter", layer=LAYER, retry=True)
def intervention_filter(ctx: SuiteContext) -> None:
    everything, _ = _ids(ctx, [])
    found, exchange = _ids(ctx, [("intervention_ids[]", UNKNOWN_ID)])
    ctx.expect(
        not found,
        f"intervention {UNKNOWN_ID} does not exist, so no calendar offers it",
        expected="no records",
        actual=f"ids {sorted(found)[:20]}",
        exchange=exchange,
    )
    single: dict[int, set[int]] = {}
    for intervention in _interventions(ctx):
        single[intervention], exchange = _ids(ctx, [("intervention_ids[]", intervention)])
        ctx.expect(
            single[intervention] <= everything,
            f"intervention_ids[]={intervention} answers a subset of the unfiltered list",
            expected="a subset",
            actual=f"extra ids {sorted(single[intervention] - everything)}",
            exchange=exchange,
        )
    for a, b in combinations(single, 2):
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
    interventions = _interventions(ctx)
    if len(interventions) < 2:
        raise Skip("needs two interventions in use (none found by probing; pass --intervention-id)")
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
    body, _ = ctx.list_page([("results", "all")])
    records = body["records"]
    sets = ctx.calendarsets[:MAX_VALUES]
    found, exchange = _ids(ctx, [("calendarset_ids[]", UNKNOWN_ID)])
    ctx.expect(
        not found,
        f"calendarset {UNKNOWN_ID} does not exist, so no calendar is in it",
        expected="no records",
        actual=f"ids {sorted(found)[:20]}",
        exchange=exchange,
    )
    single: dict[int, set[int]] = {}
    for calendarset in sets:
        page, exchange = ctx.list_page([("calendarset_ids[]", calendarset), ("results", "all")])
        strays = [
            (r["id"], r.get("calendarset_id"))
            for r in page["records"]
            if r.get("calendarset_id") != calendarset
        ]
        ctx.expect(
            not strays,
            f"calendarset_ids[]={calendarset} lists only calendars of calendarset {calendarset}",
            expected=f"calendarset_id {calendarset} everywhere",
            actual=f"(id, calendarset_id): {strays[:10]}",
            exchange=exchange,
        )
        single[calendarset] = {r["id"] for r in page["records"]}
        members = {r["id"] for r in records if r.get("calendarset_id") == calendarset}
        ctx.expect(
            single[calendarset] == members,
            f"calendarset_ids[]={calendarset} lists every calendar of calendarset {calendarset}",
            expected=f"ids {sorted(members)}",
            actual=f"ids {sorted(single[calendarset])}",
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
    for intervention in _interventions(ctx)[:2]:
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
