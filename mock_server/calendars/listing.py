"""List semantics: filters, conditions, search, ordering and paging over calendar records.

Pure functions over plain dicts: the store hands them a snapshot of the group and the
answers to the open questions that concern lists (`ListAnswers`); tests can run them alone.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from calendar_spec.like import LikePattern, keep_case

from ..errors import BadRequest

Record = dict[str, Any]
SEARCHED = ("name", "publicname")
LIKE_OPS = ("like", "not like")
NEGATIONS = ("!=", "not like", "not in")


@dataclass(frozen=True)
class ListAnswers:
    """The mock's answers to the open questions about lists (see x-open-questions)."""

    match_all_interventions: bool = True
    hide_deleted: bool = False
    page_cap: int | None = None
    start_index_pages: bool = False
    nulls_last: bool = False
    equals_ignore_case: bool = False
    negations_keep_nulls: bool = False
    ties_by_id_desc: bool = False
    dir_reverses_default: bool = False
    default_by_sort: bool = False
    search_name_only: bool = False
    like_case_sensitive: bool = False

    @classmethod
    def of(cls, settings: Any) -> ListAnswers:
        return cls(
            match_all_interventions=settings.intervention_match == "all",
            hide_deleted=settings.deleted_calendars == "hidden",
            page_cap=None if settings.page_cap == "none" else int(settings.page_cap),
            start_index_pages=settings.start_index == "pages",
            nulls_last=settings.nulls_order == "last",
            equals_ignore_case=settings.equals_case == "insensitive",
            negations_keep_nulls=settings.negation_nulls == "included",
            ties_by_id_desc=settings.sort_ties == "id_desc",
            dir_reverses_default=settings.dir_without_sort == "reverses",
            default_by_sort=settings.default_order == "sort",
            search_name_only=settings.search_fields == "name",
            like_case_sensitive=settings.like_case == "sensitive",
        )

    @property
    def searched(self) -> tuple[str, ...]:
        return SEARCHED[:1] if self.search_name_only else SEARCHED


@dataclass(frozen=True)
class Condition:
    """One `conditions[i]` triple, its value already converted to the field's type."""

    field: str
    op: str
    value: Any  # a scalar; a frozenset for in / not in; a LikePattern for like / not like
    text: str = ""  # the value as sent: two conditions with the same triple are one

    def keeps(self, answers: ListAnswers) -> Callable[[Any], bool]:
        """Whether a field value satisfies the condition. SQL-like, a null satisfies none
        (unless the answers say a negation keeps nulls)."""
        test = self._test(answers)
        null = self.op in NEGATIONS and answers.negations_keep_nulls
        return lambda actual: null if actual is None else test(actual)

    def apply(self, records: list[Record], answers: ListAnswers) -> list[Record]:
        """The records that satisfy the condition: `keeps`, with the test written inline for
        the common cases (no call per record, a filter's main cost)."""
        field, op, value = self.field, self.op, self.value
        null = op in NEGATIONS and answers.negations_keep_nulls
        folded = answers.equals_ignore_case and op in ("=", "!=", "in", "not in")
        if not folded:
            try:
                if op in LIKE_OPS:
                    match, wanted = self._like(answers).matches, op == "like"
                    return [r for r in records if ((v := r.get(field)) is None and null) or (
                        v is not None and match(v if isinstance(v, str) else str(v)) is wanted)]
                if op in ("in", "not in"):
                    wanted = op == "in"
                    return [r for r in records if ((v := r.get(field)) is None and null) or (
                        v is not None and (v in value) is wanted)]
                compare = _COMPARISONS[op]
                return [r for r in records if ((v := r.get(field)) is None and null) or (
                    v is not None and compare(v, value))]
            except TypeError:  # a value of another type than its field's: test one by one
                pass
        keep = self.keeps(answers)
        return [record for record in records if keep(record.get(field))]

    def _like(self, answers: ListAnswers) -> LikePattern:
        """The `like` pattern as the answers compare it: case ignored (parsed so), or case by case
        (compiled again from the text, in time linear in it)."""
        return LikePattern(self.text, fold=keep_case) if answers.like_case_sensitive else self.value

    def _test(self, answers: ListAnswers) -> Callable[[Any], bool]:
        op, value = self.op, self.value
        if op in LIKE_OPS:
            wanted = op == "like"
            match = self._like(answers).matches
            return lambda actual: match(actual if isinstance(actual, str) else str(actual)) is wanted
        fold = answers.equals_ignore_case and op in ("=", "!=", "in", "not in")
        if fold:
            value = (frozenset(_casefold(item) for item in value) if isinstance(value, frozenset)
                     else _casefold(value))
        if op in ("in", "not in"):
            wanted = op == "in"
            if fold:
                return lambda actual: (_casefold(actual) in value) is wanted
            return lambda actual: (actual in value) is wanted
        compare = _COMPARISONS[op]

        def test(actual: Any) -> bool:
            try:
                return compare(_casefold(actual) if fold else actual, value)
            except TypeError:  # a string against a number: no match, as in SQL with strict types
                return False

        return test

    def steps(self, records: list[Record]) -> int:
        """What testing `records` costs, in steps (see FilterBudget): one a record, and for a
        text the characters two equal prefixes make `=` compare; `like` by its pattern."""
        if self.op not in LIKE_OPS:
            return len(records) + _text_size(records, self.field, other=0) // COMPARED_CHARACTERS_PER_STEP
        return like_steps(self.value, [record.get(self.field) for record in records])


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
    "<": operator.lt, "<=": operator.le,
}


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


def matches_search(record: Record, folded_needle: str, searched: tuple[str, ...] = SEARCHED) -> bool:
    """`search`: in `name` or `publicname` (or as answered, `name` only), ignoring case."""
    return any(folded_needle in (record.get(key) or "").casefold() for key in searched)


def order(records: list[Record], sort: str | None, direction: str | None,
          answers: ListAnswers = ListAnswers()) -> list[Record]:
    """By `sort`, ties by id, nulls first when ascending (or as answered: ties by id
    descending, nulls last); without `sort` by id ascending (or as answered: by `sort`, and
    reversed by `dir=desc`)."""
    if sort is None:
        if answers.default_by_sort:
            records = order(records, "sort", "asc", answers)
        else:
            records = sorted(records, key=lambda record: record["id"])
        return records[::-1] if direction == "desc" and answers.dir_reverses_default else records
    descending = direction == "desc"
    # sorted() is stable, also with reverse=True: ties keep the order of by_id.
    by_id = sorted(records, key=lambda record: record["id"], reverse=answers.ties_by_id_desc)
    present = not answers.nulls_last  # sorts False before True: nulls first when ascending
    return sorted(
        by_id,
        key=lambda record: ((record.get(sort) is not None) is present, record.get(sort)),
        reverse=descending,
    )


class FilterBudget:
    """How much filtering and sorting one list request may cost, counted in steps (a step is
    what testing one record with `=` costs; `like`, `search` and texts cost more, by what they
    read; a sort by n log n). Each filter is charged before it runs, on the records still in
    play, so no request spends more than the limit: one that would is refused with 400. The
    same data and request always get the same verdict. The limit is `x-clicrdv-limits:
    max-filter-steps` (a mock-only bound)."""

    def __init__(self, limit: int, group_size: int) -> None:
        self.limit = limit
        self.group_size = group_size
        self.spent = 0

    def charge(self, steps: int, what: str) -> None:
        self.spent += steps
        if self.spent > self.limit:
            raise BadRequest(
                f"{what} would cost the mock about {self.spent:,} steps over the {self.group_size:,} "
                f"calendars of this group, more than the {self.limit:,} it spends on one request; "
                "narrow the filters (fewer conditions, fewer wildcards) or the group",
                {what: [f"would cost about {self.spent:,} steps (at most {self.limit:,})"]},
            )


def select(
    candidates: Iterable[Record],
    query: ListQuery,
    *,
    intervention_calendars: Callable[[int], set[int]],
    answers: ListAnswers,
    max_filter_steps: int,
) -> list[Record]:
    """The ordered records of `candidates` that every filter of `query` keeps.

    The index filters and the cheapest conditions run first, so the costly ones (`like`,
    `search`) read only what the others kept; a request that would cost more than the budget
    is refused."""
    allowed_ids = intervention_filter(query.intervention_ids, intervention_calendars,
                                       answers.match_all_interventions)
    calendarsets = set(query.calendarset_ids)
    kept = [
        record
        for record in candidates
        if (allowed_ids is None or record["id"] in allowed_ids)
        and (not calendarsets or record.get("calendarset_id") in calendarsets)
        and not (answers.hide_deleted and record.get("deleted"))
    ]
    budget = FilterBudget(max_filter_steps, len(kept))
    distinct = {(c.field, c.op, c.text): c for c in query.conditions}.values()
    for condition in sorted(distinct, key=lambda c: c.op in LIKE_OPS):
        budget.charge(condition.steps(kept), "conditions")
        kept = condition.apply(kept, answers)
    if query.search is not None:
        searched = answers.searched
        budget.charge(len(kept) * SEARCH_STEPS + sum(
            _text_size(kept, key) for key in searched) // CHARACTERS_PER_STEP, "search")
        needle = query.search.casefold()
        kept = [record for record in kept if matches_search(record, needle, searched)]
    if (query.sort is not None or answers.default_by_sort) and len(kept) > 1:
        budget.charge(int(len(kept) * math.log2(len(kept))) // SORT_COMPARISONS_PER_STEP, "sort")
    return order(kept, query.sort, query.dir, answers)


# A step is what testing one record with `=` on an integer costs (about 0.25 µs on the
# benchmark machine); the rest is weighed against it (benchmarks, section `worst`).
SEARCH_STEPS = 5  # two case folds and two substring tests
CHARACTERS_PER_STEP = 200  # case-folding and scanning a text
COMPARED_CHARACTERS_PER_STEP = 128  # `=` on texts that share a long prefix
SORT_COMPARISONS_PER_STEP = 4  # n log n comparisons of a sort key
LIKE_STEPS = 7  # one string operation on the folded text (exact, prefix, suffix, contains)
LIKE_LOOP_STEPS = 8  # the general loop ...
LIKE_PIECE_STEPS = 2  # ... and each piece it searches for
WILD_COMPARISONS_PER_STEP = 60  # a piece with `_`: each of its characters at each place


def like_steps(pattern: LikePattern, values: list[Any]) -> int:
    """What testing `values` with a `like` pattern costs: a null or a text shorter than the
    pattern's fixed characters is refused at once; a text that is long enough costs a fold, the
    pattern's string operations, and for its pieces with `_` a comparison per character per place."""
    base = (LIKE_LOOP_STEPS + LIKE_PIECE_STEPS * pattern.loop_pieces if pattern.loop_pieces
            else LIKE_STEPS)
    steps = 0
    for value in values:
        size = len(value) if isinstance(value, str) else 8
        if value is None or size < pattern.fixed_length:
            steps += 2
        else:
            steps += (base + size // CHARACTERS_PER_STEP
                      + size * pattern.wild_length // WILD_COMPARISONS_PER_STEP)
    return steps


def _text_size(records: list[Record], field: str, other: int = 8) -> int:
    """The characters of `field` in `records` (what a text filter reads); a value that is not
    text counts `other` (the digits a `like` reads of a number)."""
    return sum(len(value) if isinstance(value, str) else other
               for record in records if (value := record.get(field)) is not None)


def intervention_filter(
    ids: Sequence[int], calendars_of: Callable[[int], set[int]], match_all: bool
) -> set[int] | None:
    if not ids:
        return None
    sets = [calendars_of(intervention_id) for intervention_id in dict.fromkeys(ids)]
    return set.intersection(*sets) if match_all else set.union(*sets)


def is_index_only(query: ListQuery, answers: ListAnswers) -> bool:
    """True when the id-ordered indexes answer `query` without reading any record."""
    return (query.sort is None and query.search is None and not query.conditions
            and not answers.hide_deleted and not answers.default_by_sort
            and not (query.dir == "desc" and answers.dir_reverses_default))


def paginate(matches: list[Any], query: ListQuery, answers: ListAnswers = ListAnswers()) -> Page:
    """The page `query` asks for: `results` items (every match for `all`, and no more than the
    cap, if the answers set one) from `startIndex`, read as an item offset or a page number."""
    total = len(matches)
    asked = total if query.results is None else query.results
    size = asked if answers.page_cap is None else min(asked, answers.page_cap)
    start = query.start_index * size if answers.start_index_pages else query.start_index
    return Page(
        records=matches[start : start + size],
        total=total,
        start_index=query.start_index,
        page_size=size if answers.page_cap is not None else asked,
        sort=query.sort,
        dir=query.dir,
    )


def page_of(records: Iterable[Record], query: ListQuery, answers: ListAnswers, max_filter_steps: int) -> Page:
    """A page of `records` (already narrowed by their resource's own filters) as a calendar
    list pages: deleted ones kept or hidden as `answers` says, ordered, paged."""
    kept = select(records, query, intervention_calendars=lambda _: set(), answers=answers,
                  max_filter_steps=max_filter_steps)
    return paginate(kept, query, answers)
