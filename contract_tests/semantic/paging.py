"""Paging: `results` pages from item offset `startIndex` concatenate to the `results=all` list."""

from __future__ import annotations

import math
from typing import Any

from ..context import SuiteContext
from ..registry import rule

LAYER = "semantic"
MAX_PAGES = 20


def _page_sizes(total: int) -> list[int]:
    sizes = {1, 2, 3, 7, max(1, math.ceil(total / 8)), 25}
    small = sorted(size for size in sizes if size <= max(total, 1) + 1)
    return [*small, 100, 1000]  # big pages too (1000 is the largest the strict spec allows)


def _walk(ctx: SuiteContext, base: list[tuple[str, Any]], size: int, ids: list[int]) -> None:
    total = len(ids)
    starts = list(range(0, total, size)) or [0]
    if len(starts) > MAX_PAGES:  # a big group: the first pages and the last one
        starts = starts[: MAX_PAGES - 1] + starts[-1:]
    seen: list[int] = []
    for start in starts:
        body, exchange = ctx.list_page([*base, ("results", size), ("startIndex", start)])
        page = [r["id"] for r in body["records"]]
        ctx.expect(
            page == ids[start : start + size],
            f"results={size}&startIndex={start} answers items {start}..{start + size - 1} "
            "of the results=all list",
            expected=f"ids {ids[start : start + size]}",
            actual=f"ids {page}",
            exchange=exchange,
        )
        ctx.expect_value(body, "totalRecords", total, "totalRecords does not depend on paging", exchange)
        ctx.expect_value(body, "pageSize", size, "pageSize equals results", exchange)
        ctx.expect_value(body, "startIndex", start, "startIndex echoes the item offset asked for", exchange)
        seen.extend(page)
    if len(starts) * size >= total:
        ctx.expect(
            seen == ids,
            f"pages of {size} concatenate to the results=all list",
            expected=f"ids {ids}",
            actual=f"ids {seen}",
        )


@rule("list.paging", layer=LAYER, retry=True)
def paging(ctx: SuiteContext) -> None:
    orders: list[list[tuple[str, Any]]] = [[("sort", "id")], [("sort", "id"), ("dir", "desc")]]
    if ctx.applies("list.default-order"):
        orders.append([])  # the default order is only known to be stable where it is id ascending
    for base in orders:
        body, exchange = ctx.list_page([*base, ("results", "all")])
        ids = [r["id"] for r in body["records"]]
        ctx.expect(
            body.get("totalRecords") == len(ids),
            "with results=all, totalRecords counts the records",
            expected=f"totalRecords {len(ids)}",
            actual=f"totalRecords {body.get('totalRecords')}",
            exchange=exchange,
        )
        for size in _page_sizes(len(ids)):
            _walk(ctx, base, size, ids)
    # An offset that is not a multiple of the page size: item offset, not a page number.
    ids = [r["id"] for r in ctx.records([("sort", "id")])]
    if len(ids) >= 3:
        body, exchange = ctx.list_page([("sort", "id"), ("results", 2), ("startIndex", 1)])
        page = [r["id"] for r in body["records"]]
        ctx.expect(
            page == ids[1:3],
            "startIndex is an item offset, not a page number",
            expected=f"ids {ids[1:3]}",
            actual=f"ids {page}",
            exchange=exchange,
        )


@rule("list.paging-defaults", layer=LAYER, retry=True)
def paging_defaults(ctx: SuiteContext) -> None:
    body, exchange = ctx.list_page([])
    total = body.get("totalRecords")
    ctx.expect(
        body.get("startIndex") == 0 and body.get("pageSize") == 25,
        "without paging parameters, startIndex is 0 and pageSize 25",
        expected="startIndex 0, pageSize 25",
        actual=f"startIndex {body.get('startIndex')}, pageSize {body.get('pageSize')}",
        exchange=exchange,
    )
    everything = ctx.records()
    ctx.expect(
        total == len(everything) and body.get("recordsReturned") == min(25, len(everything)),
        "the default page holds the first 25 of all matches",
        expected=f"totalRecords {len(everything)}, recordsReturned {min(25, len(everything))}",
        actual=f"totalRecords {total}, recordsReturned {body.get('recordsReturned')}",
        exchange=exchange,
    )
    explicit, exchange = ctx.list_page([("results", 25), ("startIndex", 0)])
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
