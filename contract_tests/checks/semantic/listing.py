"""The list envelope, ordering, search, and soft-deleted calendars in the list."""

from __future__ import annotations

from typing import Any

import calendar_spec

from ... import textmatch
from ...context import SuiteContext, short
from ...registry import rule

LAYER = "semantic"
ENVELOPE = ("records", "totalRecords", "startIndex", "recordsReturned", "pageSize", "sort", "dir")


def readable_fields() -> list[str]:
    return list(calendar_spec.load_spec("strict")["components"]["schemas"]["ReadableField"]["enum"])


@rule("list.envelope", layer=LAYER, retry=True)
def envelope(ctx: SuiteContext) -> None:
    for params in ([], [("results", 3)], [("results", "all")], [("results", 2), ("startIndex", 1)]):
        body, exchange = ctx.list_page(params)
        missing = [key for key in ENVELOPE if key not in body]
        ctx.expect(
            not missing,
            "the list envelope has every documented key",
            expected=", ".join(ENVELOPE),
            actual=f"missing {missing}",
            exchange=exchange,
        )
        counts = {key: body[key] for key in ("totalRecords", "startIndex", "recordsReturned")}
        ctx.expect(
            all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()),
            "the envelope's counts are integers",
            expected="integers",
            actual=short(counts),
            exchange=exchange,
        )
        # pageSize = results (CONTRACT.md): an integer, or for `results=all` whatever stands for
        # it (the echo "all", the count, null, or 0: Rails reads "all" as the integer 0), and no
        # bound on the page then; a deployment may also cap it.
        page_size = body["pageSize"]
        every = ("results", "all") in params
        bounded = isinstance(page_size, int) and not isinstance(page_size, bool) and not every
        ctx.expect(
            bounded or (every and (page_size in ("all", None) or isinstance(page_size, int))),
            "pageSize is an integer (for results=all it may say `all` or be null)",
            expected="an integer pageSize",
            actual=f"pageSize {page_size!r}",
            exchange=exchange,
        )
        ctx.expect(
            body["recordsReturned"] == len(body["records"])
            and (not bounded or len(body["records"]) <= page_size),
            "recordsReturned = len(records) <= pageSize",
            expected=f"recordsReturned {len(body['records'])} <= pageSize",
            actual=f"recordsReturned {body['recordsReturned']}, {len(body['records'])} records, "
            f"pageSize {page_size}",
            exchange=exchange,
        )


@rule("list.sort-dir-echo", layer=LAYER)
def sort_dir_echo(ctx: SuiteContext) -> None:
    """`sort` and `dir` echo the request or are null (CONTRACT.md): null when absent."""
    cases = [
        ([], None, None),
        ([("sort", "name"), ("dir", "desc")], "name", "desc"),
        ([("sort", "id")], "id", None),
        ([("sort", "sort"), ("dir", "asc")], "sort", "asc"),
    ]
    for params, sort, direction in cases:
        body, exchange = ctx.list_page(params)
        ctx.expect(
            body.get("sort") in (sort, None) and body.get("dir") in (direction, None),
            "the envelope's sort and dir echo the request, or are null",
            expected=f"sort {sort!r} or null, dir {direction!r} or null",
            actual=f"sort {body.get('sort')!r}, dir {body.get('dir')!r}",
            exchange=exchange,
        )


@rule("list.records-in-group", layer=LAYER, retry=True)
def records_in_group(ctx: SuiteContext) -> None:
    checks = [(ctx.api, ctx.group_id)]
    if ctx.other_api is not None:
        checks.append((ctx.other_api, ctx.other_api.group_id))
    for api, group in checks:
        body, exchange = ctx.list_page([("results", "all")], api=api)
        strangers = [(r["id"], r.get("group_id")) for r in body["records"] if r.get("group_id") != group]
        ctx.expect(
            not strangers,
            f"every record listed for group {group} belongs to it",
            expected=f"group_id {group} on every record",
            actual=f"(id, group_id): {strangers[:10]}",
            exchange=exchange,
        )


@rule("list.default-order", layer=LAYER, retry=True)
def default_order(ctx: SuiteContext) -> None:
    # The order of `dir` without `sort` is left open. A condition every calendar meets (id >= 1)
    # takes a deployment off any fast path for the plain list: the order must not change.
    every = [("conditions[0][field]", "id"), ("conditions[0][op]", ">="), ("conditions[0][value]", "1")]
    for params in ([("results", "all")], [], [("results", "all"), *every]):
        body, exchange = ctx.list_page(params)
        ids = [r["id"] for r in body["records"]]
        ctx.expect(
            ids == sorted(ids),
            "without sort, records come in ascending id order",
            expected="ids ascending",
            actual=f"ids {ids[:30]}",
            exchange=exchange,
        )


@rule("list.default-order", layer=LAYER, writes=True)
def default_order_is_not_sort(ctx: SuiteContext) -> None:
    """A calendar of ours with the smallest `sort` of the group, created last: the order by id
    and the order by `sort` disagree on it, so a deployment ordering by `sort` shows."""
    sorts = [r["sort"] for r in ctx.records() if isinstance(r.get("sort"), int)]
    ctx.new_calendar("order-by-id", {"sort": min([1, *sorts]) - 1})
    body, exchange = ctx.list_page([("results", "all")])
    ids = [r["id"] for r in body["records"]]
    ctx.expect(ids == sorted(ids), "without sort, records come in ascending id order (not by sort)",
               expected="ids ascending", actual=f"ids {ids[:30]}", exchange=exchange)


@rule("list.sort-order", layer=LAYER, retry=True)
def sort_order(ctx: SuiteContext) -> None:
    """Each page is in order; every calendar is listed (over every page, when a deployment caps
    its pages). Ties and where nulls go are left open."""
    everything = {r["id"] for r in ctx.records()}
    for field in readable_fields():
        for direction in (None, "asc", "desc"):
            params: list[tuple[str, Any]] = [("sort", field)]
            if direction:
                params.append(("dir", direction))
            body, exchange = ctx.list_page([*params, ("results", "all")])
            records = body["records"]
            listed = {r["id"] for r in records}
            if len(records) < len(everything):  # a capped page: the rest come on the next pages
                listed |= {r["id"] for r in ctx.records(params)}
            ctx.expect(
                listed == everything,
                f"sort={field} lists the same calendars as the unsorted list",
                expected=f"{len(everything)} calendars",
                actual=f"{len(listed)} calendars",
                exchange=exchange,
            )
            values = [r.get(field) for r in records]
            ctx.expect(
                textmatch.is_ordered(values, descending=direction == "desc"),
                f"sort={field}{'&dir=' + direction if direction else ''} orders the records by {field}"
                f" ({'descending' if direction == 'desc' else 'ascending'}; any collation, nulls anywhere)",
                expected=f"{field} {'non-increasing' if direction == 'desc' else 'non-decreasing'}",
                actual=f"{field} values in answer order: {short(values, 300)}",
                exchange=exchange,
            )


def _search_needles(ctx: SuiteContext) -> list[str]:
    """The first words of the group's first names and publicnames, and a word of a publicname
    that its calendar's name lacks: only such a word shows whether search looks in publicname
    too (the first ones may all be in names as well - calendars an earlier run left, say)."""
    needles: list[str] = []
    for record in ctx.baseline:
        for key in ("name", "publicname"):
            words = textmatch.ascii_words(record.get(key))
            if words:
                needles.append(words[0][:5])
        if len(needles) >= 3:
            break
    publicname_only = next((word[:5] for record in ctx.baseline
                            for word in textmatch.ascii_words(record.get("publicname"))
                            if not textmatch.contains(record.get("name"), word[:5])), None)
    if publicname_only is not None and publicname_only not in needles:
        needles.append(publicname_only)
    if not ctx.read_only:
        ctx.own_calendar()
        needles.append(f"Kit-{ctx.run_id}".upper())  # in every name of ours, in another case
    return [needles[0].upper(), *needles[1:]] if needles else []


@rule("list.search", layer=LAYER, retry=True)
def search_subset(ctx: SuiteContext) -> None:
    # `search` is text: words a query parser could take for booleans are searched for too
    needles = [*(_search_needles(ctx) or ["a"]), "true", "false"]
    everything = {r["id"] for r in ctx.records()}
    for needle in needles:
        found = {r["id"] for r in ctx.records([("search", needle)])}
        ctx.expect(
            found <= everything,
            "search answers a subset of the unfiltered list",
            expected="only calendars of the unfiltered list",
            actual=f"extra ids {sorted(found - everything)}",
            exchange=ctx.last_exchange(),
        )


@rule("list.search-meaning", layer=LAYER, retry=True)
def search_meaning(ctx: SuiteContext) -> None:
    needles = _search_needles(ctx)
    records = ctx.records()
    if not needles:
        ctx.expect(True, "no text to search for")
        return
    for needle in needles:
        found = {r["id"] for r in ctx.records([("search", needle)])}
        must = {
            r["id"]
            for r in records
            if textmatch.contains(r.get("name"), needle) or textmatch.contains(r.get("publicname"), needle)
        }
        may = {
            r["id"]
            for r in records
            if textmatch.contains(r.get("name"), needle, loose=True)
            or textmatch.contains(r.get("publicname"), needle, loose=True)
        }
        ctx.expect(
            must <= found <= may,
            f"search={needle!r} keeps exactly the calendars whose name or publicname contains it, "
            "ignoring case",
            expected=f"ids {sorted(must)}",
            actual=f"ids {sorted(found)}",
            exchange=ctx.last_exchange(),
        )


@rule("list.deleted-listed", layer=LAYER, writes=True)
def deleted_listed(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("deleted-listed")
    ctx.expect_2xx(ctx.api.delete(calendar["id"]), "DELETE of our calendar succeeds")
    listed = {r["id"]: r for r in ctx.records()}
    ctx.expect(
        calendar["id"] in listed and ctx.deleted(listed[calendar["id"]]) is True,
        "a soft-deleted calendar stays in the list, with deleted true",
        expected=f"calendar {calendar['id']} listed with deleted true",
        actual=f"listed: {short(listed.get(calendar['id']))}",
        exchange=ctx.last_exchange(),
    )
