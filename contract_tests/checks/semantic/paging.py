"""Paging: pages of `results` from `startIndex` concatenate to the whole list.

Two things CONTRACT.md leaves open, and the checks hold a deployment only to answering them
one way throughout the run: whether `startIndex` counts items (English docs) or pages (French
docs) - the suite learns the reading once (`SuiteContext.paging_reading`) and every page it
reads must follow it; and how large a page a deployment serves - any `results` is valid, but a
deployment may cap a page: then `pageSize` is what was asked or the cap, and the pages step by
the cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ...context import SuiteContext
from ...registry import rule

LAYER = "semantic"
MAX_PAGES = 20
DEFAULT_RESULTS = 25
READINGS = {"items": "an item offset", "pages": "a page number"}


def _page_sizes(total: int) -> list[int]:
    sizes = {1, 2, 3, 7, max(1, math.ceil(total / 8)), DEFAULT_RESULTS}
    small = sorted(size for size in sizes if size <= max(total, 1) + 1)
    return [*small, 100, 1000, 10**9]  # any integer from 1 is valid; a deployment may cap it


def _start(reading: str, page: int, step: int) -> int:
    return page * step if reading == "items" else page


@dataclass
class _Walk:
    """The pages of one size: asked once its first page says whether the deployment caps it."""

    size: int
    step: int
    capped: bool
    pages: list[int]


def _plan_walk(ctx: SuiteContext, size: int, total: int, first: dict[str, Any], exchange: Any) -> _Walk:
    served = len(first["records"])
    capped = served < min(size, total)
    step = served if capped and served else size
    ctx.expect(
        not capped or first.get("pageSize") in (size, served),
        f"results={size}: a page capped at {served} records says so in pageSize (or echoes results)",
        expected=f"pageSize {size} or {served}",
        actual=f"pageSize {first.get('pageSize')}",
        exchange=exchange,
    )
    pages = list(range(math.ceil(total / step))) or [0]
    if len(pages) > MAX_PAGES:  # a big group: the first pages and the last one
        pages = pages[: MAX_PAGES - 1] + pages[-1:]
    return _Walk(size, step, capped, pages)


def _walks(ctx: SuiteContext, base: list[tuple[str, Any]], ids: list[int], reading: str) -> None:
    """Read every page of every size (the pages are independent reads: side by side); each must
    hold the next items of `ids`, in its place."""
    total = len(ids)
    sizes = _page_sizes(total)
    firsts = ctx.list_pages([[*base, ("results", size), ("startIndex", 0)] for size in sizes])
    walks = [_plan_walk(ctx, size, total, body, exchange)
             for size, (body, exchange) in zip(sizes, firsts, strict=True)]
    # Page 0 of a walk is the first page already read (startIndex 0 under either reading).
    answers = iter(ctx.list_pages([
        [*base, ("results", walk.size), ("startIndex", _start(reading, page, walk.step))]
        for walk in walks for page in walk.pages if page]))
    for walk, first in zip(walks, firsts, strict=True):
        _judge_walk(ctx, walk, ids, reading, [first if not page else next(answers) for page in walk.pages])


def _judge_walk(ctx: SuiteContext, walk: _Walk, ids: list[int], reading: str,
                answers: list[tuple[dict[str, Any], Any]]) -> None:
    size, step, capped, total = walk.size, walk.step, walk.capped, len(ids)
    seen: list[int] = []
    for page, (body, exchange) in zip(walk.pages, answers, strict=True):
        start = _start(reading, page, step)
        got = [r["id"] for r in body["records"]]
        wanted = ids[page * step : page * step + step]
        ctx.expect(
            got == wanted,
            f"results={size}&startIndex={start} answers items {page * step}..{page * step + step - 1} of "
            f"the whole list (startIndex read as {READINGS[reading]})",
            expected=f"ids {wanted}",
            actual=f"ids {got}",
            exchange=exchange,
        )
        ctx.expect_value(body, "totalRecords", total, "totalRecords does not depend on paging", exchange)
        ctx.expect(
            body.get("pageSize") == size or (capped and body.get("pageSize") == step),
            "pageSize equals results (or the deployment's cap)",
            expected=f"pageSize {size}" + (f" or {step}" if capped else ""),
            actual=f"pageSize {body.get('pageSize')}",
            exchange=exchange,
        )
        ctx.expect_value(body, "startIndex", start, "startIndex echoes the startIndex asked for", exchange)
        seen.extend(got)
    if len(walk.pages) * step >= total:
        ctx.expect(
            seen == ids,
            f"pages of {size} concatenate to the whole list",
            expected=f"ids {ids}",
            actual=f"ids {seen}",
        )


def _expect_one_reading(ctx: SuiteContext) -> str:
    """The deployment reads startIndex as items or as pages (either is correct, CONTRACT.md)."""
    reading = ctx.paging_reading()
    probe, readings, exchange = ctx.cache["paging-probe"]
    if readings["items"] != readings["pages"]:
        ctx.expect(
            probe in readings.values(),
            "startIndex reads as an item offset or as a page number",
            expected=f"ids {readings['items']} (items) or {readings['pages']} (pages)",
            actual=f"ids {probe}",
            exchange=exchange,
        )
    return reading


def _default_order_is_by_id(ctx: SuiteContext) -> bool:
    first, _ = ctx.list_page([("results", "all")])
    shown = [r["id"] for r in first["records"]]
    return shown == [r["id"] for r in ctx.records([("sort", "id")])][: len(shown)]


@rule("list.paging", layer=LAYER, retry=True)
def paging(ctx: SuiteContext) -> None:
    reading = _expect_one_reading(ctx)
    orders: list[list[tuple[str, Any]]] = [[("sort", "id")], [("sort", "id"), ("dir", "desc")]]
    if ctx.applies("list.default-order") and _default_order_is_by_id(ctx):
        # The default order is only known to be stable where it is id ascending; where it is
        # not, list.default-order fails on its own and paging is held to the sorted orders.
        orders.append([])
    for base in orders:
        ids = [r["id"] for r in ctx.records(base)]
        body, exchange = ctx.list_page([*base, ("results", "all")])
        ctx.expect(
            body.get("totalRecords") == len(ids),
            "with results=all, totalRecords counts every record",
            expected=f"totalRecords {len(ids)}",
            actual=f"totalRecords {body.get('totalRecords')}",
            exchange=exchange,
        )
        _walks(ctx, base, ids, reading)


def _filters_keeping_some(ctx: SuiteContext) -> list[list[tuple[str, Any]]]:
    """Queries that keep part of the group: a search for a word of one name, a condition on one
    name, each calendarset."""
    names = sorted({r["name"] for r in ctx.records() if isinstance(r.get("name"), str) and r["name"].strip()})
    filters: list[list[tuple[str, Any]]] = []
    if names:
        filters.append([("search", names[0].split()[0][:12])])
        filters.append([("conditions[0][field]", "name"), ("conditions[0][op]", "="),
                        ("conditions[0][value]", names[-1])])
    filters += [[("calendarset_ids[]", calendarset)] for calendarset in ctx.calendarsets[:2]]
    return filters


@rule("list.paging", layer=LAYER, retry=True)
def total_counts_matches(ctx: SuiteContext) -> None:
    """`totalRecords` counts the records a filtered list keeps, not the group's (CONTRACT.md:
    it "counts all matches"): counted before a filter, it looks right on unfiltered lists only."""
    for filters in _filters_keeping_some(ctx):
        records, total = ctx.records_and_total([*filters, ("sort", "id")])
        ctx.expect(
            total == len(records),
            f"totalRecords counts the calendars {dict(filters)} keeps",
            expected=f"totalRecords {len(records)} (the records listed)",
            actual=f"totalRecords {total}",
            exchange=ctx.last_exchange(),
        )


@rule("list.paging-defaults", layer=LAYER, retry=True)
def paging_defaults(ctx: SuiteContext) -> None:
    body, exchange = ctx.list_page([])
    everything = ctx.records()
    served = len(body["records"])
    capped = served < min(DEFAULT_RESULTS, len(everything))
    ctx.expect(
        body.get("startIndex") == 0 and (body.get("pageSize") == DEFAULT_RESULTS
                                         or (capped and body.get("pageSize") == served)),
        "without paging parameters, startIndex is 0 and pageSize 25 (or the deployment's cap)",
        expected=f"startIndex 0, pageSize {DEFAULT_RESULTS}" + (f" or {served}" if capped else ""),
        actual=f"startIndex {body.get('startIndex')}, pageSize {body.get('pageSize')}",
        exchange=exchange,
    )
    ctx.expect(
        body.get("totalRecords") == len(everything) and body.get("recordsReturned") == served,
        "the default page counts every match and what it holds",
        expected=f"totalRecords {len(everything)}, recordsReturned {served}",
        actual=f"totalRecords {body.get('totalRecords')}, recordsReturned {body.get('recordsReturned')}",
        exchange=exchange,
    )
    explicit, exchange = ctx.list_page([("results", DEFAULT_RESULTS), ("startIndex", 0)])
    ctx.expect(
        [r["id"] for r in explicit["records"]] == [r["id"] for r in body["records"]],
        "no paging parameters answers like results=25&startIndex=0",
        expected=f"ids {[r['id'] for r in body['records']]}",
        actual=f"ids {[r['id'] for r in explicit['records']]}",
        exchange=exchange,
    )


@rule("list.paging-past-end", layer=LAYER, retry=True)
def paging_past_end(ctx: SuiteContext) -> None:
    total = len(ctx.records())
    for params in ([("startIndex", total)], [("startIndex", total), ("results", 5)]):
        body, exchange = ctx.list_page(params)
        ctx.expect(
            body["records"] == [] and body.get("totalRecords") == total,
            "startIndex = totalRecords answers 200 with no records and the same totalRecords",
            expected=f"records [], totalRecords {total}",
            actual=f"{len(body['records'])} records, totalRecords {body.get('totalRecords')}",
            exchange=exchange,
        )
