"""The rules one list answer can show: the envelope's counts, the echo of sort and dir, paging
read either way (items or pages), records of the path's group and of the calendarsets asked
for, the default order, search, and the profile's page cap and reading of startIndex."""

from __future__ import annotations

from typing import Any

from .answer import deleted_output, is_int, single_arg
from .findings import Findings
from .request_check import RequestVerdict

DEFAULT_RESULTS = 25


def check_list(findings: Findings, verdict: RequestVerdict, body: dict[str, Any]) -> None:
    records = body.get("records")
    if not isinstance(records, list):
        return  # the schema names it
    served, total, page_size = len(records), body.get("totalRecords"), body.get("pageSize")
    # For results=all, pageSize is whatever stands for it ("all", a count, null, 0): no bound.
    bounded = is_int(page_size) and single_arg(verdict, "results") != "all"
    if is_int(body.get("recordsReturned")) and is_int(total):
        findings.expect("list.envelope", body["recordsReturned"] == served and total >= served
                        and (not bounded or served <= page_size),
                        f"recordsReturned {body['recordsReturned']}, {served} records, totalRecords "
                        f"{total}, pageSize {page_size}: recordsReturned = len(records) <= pageSize, "
                        "totalRecords >= recordsReturned", "body.recordsReturned")
    sort, direction = single_arg(verdict, "sort"), single_arg(verdict, "dir")
    echoed = body.get("sort") in (sort, None) and body.get("dir") in (direction, None)
    findings.expect("list.sort-dir-echo", echoed,
                    f"sort {body.get('sort')!r}, dir {body.get('dir')!r} echo neither the request "
                    f"(sort {sort!r}, dir {direction!r}) nor null", "body.sort")
    if not verdict.problems:  # a query the spec refuses, answered anyway, means nothing here
        _paging(findings, verdict, body, served)
    group = verdict.path_values.get("group_id")
    strangers = [r.get("id") for r in records if isinstance(r, dict) and r.get("group_id") != group]
    findings.expect("list.records-in-group", not strangers, f"records of another group than {group}: "
                    f"ids {strangers[:10]}", "body.records")
    sets = verdict.args.get("calendarset_ids[]")
    if sets and all(s.isdigit() for s in sets):
        wanted = {int(s) for s in sets}
        outside = [r.get("id") for r in records
                   if isinstance(r, dict) and r.get("calendarset_id") not in wanted]
        findings.expect("list.calendarset-any", not outside,
                        f"records outside calendarsets {sorted(wanted)}: ids {outside[:10]}", "body.records")
    ids = [r.get("id") for r in records if isinstance(r, dict)]
    if "sort" not in verdict.args and "dir" not in verdict.args and all(is_int(i) for i in ids):
        findings.expect("list.default-order", ids == sorted(ids), f"without sort, ids come as {ids[:20]}",
                        "body.records")
    needle = single_arg(verdict, "search")
    if needle and needle.isascii():
        misses = [r.get("id") for r in records if isinstance(r, dict) and not any(
            needle.casefold() in str(r.get(key) or "").casefold() for key in ("name", "publicname"))]
        findings.expect("list.search-meaning", not misses, f"search={needle!r} answered calendars whose "
                        f"name and publicname do not contain it: ids {misses[:10]}", "body.records")
    if findings.level.answer("deleted_output"):
        for record in records[:50]:
            if isinstance(record, dict):
                deleted_output(findings, record)


def _paging(findings: Findings, verdict: RequestVerdict, body: dict[str, Any], served: int) -> None:
    """startIndex echoed; pageSize = results or a cap; the page holds what one reading of
    startIndex (items or pages) gives; without paging parameters, startIndex 0 and pageSize 25."""
    results, start = single_arg(verdict, "results"), single_arg(verdict, "startIndex")
    total, page_size = body.get("totalRecords"), body.get("pageSize")
    if not (is_int(total) and (results is None or results == "all" or results.isdigit())
            and (start is None or start.isdigit())):
        return
    asked = DEFAULT_RESULTS if results is None else (None if results == "all" else int(results))
    offset = int(start or 0)
    findings.expect("list.paging", body.get("startIndex") == offset,
                    f"startIndex {body.get('startIndex')!r} does not echo the request's {offset}",
                    "body.startIndex")
    if results is None and start is None:
        findings.expect("list.paging-defaults", body.get("startIndex") == 0 and is_int(page_size)
                        and page_size <= DEFAULT_RESULTS,
            f"without paging parameters: startIndex {body.get('startIndex')!r}, pageSize {page_size!r} "
            f"(25, or the deployment's cap)", "body.pageSize")
    if not is_int(page_size) or results == "all":
        return  # for results=all it may say `all`, a count, 0 or null
    step = asked if asked is not None else total
    findings.expect("list.paging", page_size <= step,
                    f"pageSize {page_size} for results={results or DEFAULT_RESULTS}: "
                    "neither results nor a cap",
                    "body.pageSize")
    # The page holds at most `size`; fewer when the deployment caps its pages, which CONTRACT.md
    # allows while pageSize still echoes results: so any cap of 1..size is a possible one.
    size = min(step, page_size)
    fits = {reading for reading in ("items", "pages") if _possible(reading, served, total, offset, size)}
    findings.expect("list.paging", fits, f"{served} records from startIndex {offset} of {total} "
                    f"(pages of at most {size}) under neither reading of startIndex", "body.records")
    cap = findings.level.answer("page_cap")
    if cap:  # the profile knows the cap: the page holds exactly what it makes of the request
        wanted = step if cap == "none" else min(step, int(cap))
        findings.expect("profile.page_cap", any(served == _page(reading, total, offset, wanted)
                                                for reading in fits),
                        f"{served} records from startIndex {offset} of {total}: the profile's pages of "
                        f"{wanted} (page_cap {cap}) hold otherwise", "body.records")
    reading = findings.level.answer("start_index")
    if reading and offset and len(fits) == 1:
        findings.expect("profile.start_index", reading in fits, f"startIndex read as {next(iter(fits))}, "
                        f"the profile says {reading}", "body.records")


def _page(reading: str, total: int, offset: int, cap: int) -> int:
    """Records on the page of pages of `cap` that startIndex `offset` names, read as `reading`."""
    first = offset if reading == "items" else offset * cap
    return max(0, min(cap, total - first))


def _possible(reading: str, served: int, total: int, offset: int, size: int) -> bool:
    """Whether some cap of 1..`size` puts `served` records on that page (without looping over
    the caps: `size` may be 10,000)."""
    if reading == "items" or offset == 0:
        left = total - offset
        return served == 0 if left <= 0 else 1 <= served <= min(size, left)
    if served == 0:
        return offset * size >= total  # past the end, for pages of `size`
    if served <= size and served * (offset + 1) <= total:
        return True  # a full page, of a cap of `served`
    # the last page, part full: a cap of (total - served) / offset, larger than `served`
    cap, rest = divmod(total - served, offset)
    return not rest and served < cap <= size
