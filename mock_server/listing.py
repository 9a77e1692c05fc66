"""List semantics: filters, conditions, search, ordering and paging over calendar records.

Pure functions over plain dicts, so the store can run them under its lock and tests can
run them alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class Condition:
    """One `conditions[i]` triple, its value already converted to the field's type."""

    field: str
    op: str
    value: Any  # a scalar, a tuple for in / not in, a compiled regex for like / not like


@dataclass(frozen=True)
class ListQuery:
    intervention_ids: tuple[int, ...] = ()
    calendarset_ids: tuple[int, ...] = ()
    results: int | None = 25  # None means `all`
    start_index: int = 0
    sort: str | None = None
    dir: str | None = None
    search: str | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Page:
    records: list[Record]
    total: int
    start_index: int
    page_size: int
    sort: str | None
    dir: str | None

    def envelope(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "totalRecords": self.total,
            "startIndex": self.start_index,
            "recordsReturned": len(self.records),
            "pageSize": self.page_size,
            "sort": self.sort,
            "dir": self.dir,
        }


def like_pattern(value: str) -> re.Pattern[str]:
    """SQL LIKE (`%` any run, `_` one character), ignoring case."""
    parts = ("." if char == "_" else ".*" if char == "%" else re.escape(char) for char in value)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _compare(op: str) -> Callable[[Any, Any], bool]:
    return {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "like": lambda a, b: b.fullmatch(str(a)) is not None,
        "not like": lambda a, b: b.fullmatch(str(a)) is None,
        "in": lambda a, b: a in b,
        "not in": lambda a, b: a not in b,
    }[op]


def matches_condition(record: Record, condition: Condition) -> bool:
    """SQL-like: a null field satisfies no condition at all."""
    actual = record.get(condition.field)
    if actual is None:
        return False
    try:
        return _compare(condition.op)(actual, condition.value)
    except TypeError:
        return False


def matches_search(record: Record, needle: str) -> bool:
    needle = needle.casefold()
    return any(needle in (record.get(key) or "").casefold() for key in ("name", "publicname"))


def order(records: list[Record], sort: str | None, direction: str | None) -> list[Record]:
    """By `sort` (nulls first when ascending), ties by id; by id ascending without `sort`."""
    if sort is None:
        return sorted(records, key=lambda record: record["id"])
    by_id = sorted(records, key=lambda record: record["id"])
    return sorted(
        by_id,
        key=lambda record: (record.get(sort) is not None, record.get(sort)),
        reverse=direction == "desc",
    )


def select(
    candidates: Iterable[Record],
    query: ListQuery,
    *,
    intervention_calendars: Callable[[int], set[int]],
    match_all_interventions: bool,
    hide_deleted: bool,
) -> list[Record]:
    """The ordered records of `candidates` that every filter of `query` keeps."""
    allowed_ids = intervention_filter(query.intervention_ids, intervention_calendars,
                                       match_all_interventions)
    calendarsets = set(query.calendarset_ids)
    kept = [
        record
        for record in candidates
        if (allowed_ids is None or record["id"] in allowed_ids)
        and (not calendarsets or record.get("calendarset_id") in calendarsets)
        and not (hide_deleted and record.get("deleted"))
        and (query.search is None or matches_search(record, query.search))
        and all(matches_condition(record, condition) for condition in query.conditions)
    ]
    return order(kept, query.sort, query.dir)


def intervention_filter(
    ids: Sequence[int], calendars_of: Callable[[int], set[int]], match_all: bool
) -> set[int] | None:
    if not ids:
        return None
    sets = [calendars_of(intervention_id) for intervention_id in dict.fromkeys(ids)]
    return set.intersection(*sets) if match_all else set.union(*sets)


def is_index_only(query: ListQuery) -> bool:
    """True when the id-ordered indexes answer `query` without reading any record."""
    return query.sort is None and query.search is None and not query.conditions


def paginate(matches: list[Any], query: ListQuery) -> Page:
    total = len(matches)
    size = total if query.results is None else query.results
    start = query.start_index
    return Page(
        records=matches[start : start + size],
        total=total,
        start_index=start,
        page_size=size,
        sort=query.sort,
        dir=query.dir,
    )
