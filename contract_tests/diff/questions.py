"""Which open question (`x-open-questions` of the spec) may explain a difference.

`EXPLAINS` is the whole mapping: one row per question, a predicate over what was seen (the
step, the difference, both answers). A difference no row matches is one the docs do not leave
open, or one this table cannot tell: the report lists it as unexplained. Every id is checked
against `calendar_spec.profiles.questions()` when this module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calendar_spec.profiles import questions
from calendar_spec.walk import merged

from ..http import Exchange
from ..model import deleted_flag
from ..spec_facts import CALENDAR_FIELDS, SPEC
from .compare import Difference, same
from .steps import Step

_READABLE = merged(SPEC, {"$ref": "#/components/schemas/Calendar"})["properties"]
_TYPES = {name: merged(SPEC, schema).get("type") for name, schema in _READABLE.items()}
NULLABLE = frozenset(name for name, kind in _TYPES.items() if isinstance(kind, list) and "null" in kind)


@dataclass(frozen=True)
class Seen:
    """What a predicate reads: the step, one difference, both answers and both bodies as
    compared (normalised: B's ids are A's)."""

    step: Step
    diff: Difference
    a: Exchange
    b: Exchange
    a_body: Any
    b_body: Any
    deleted: int = 0  # how many of the run's calendars were soft-deleted (on either side) before the step

    def pages(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Both list envelopes, when both are."""
        pair = (self.a_body, self.b_body)
        ok = all(isinstance(body, dict) and isinstance(body.get("records"), list) for body in pair)
        return pair if ok else None  # type: ignore[return-value]

    def same_total(self) -> bool:
        pages = self.pages()
        return pages is not None and same(pages[0].get("totalRecords"), pages[1].get("totalRecords"))

    def _ordered(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(the page of the side with more matches, the other page)."""
        pages = self.pages()
        if pages is None:
            return None
        a, b = ((_int(page.get("totalRecords")), len(page["records"])) for page in pages)
        return pages if a >= b else (pages[1], pages[0])

    def smaller_page(self) -> list[Any]:
        ordered = self._ordered()
        return ordered[1]["records"] if ordered else []

    def extra_records(self) -> list[dict[str, Any]]:
        """The calendars on the page of the side with more matches that the other page lacks."""
        ordered = self._ordered()
        if ordered is None:
            return []
        known = {repr(_field(record, "id")) for record in ordered[1]["records"]}
        return [r for r in ordered[0]["records"] if isinstance(r, dict) and repr(r.get("id")) not in known]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _field(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, dict) else None


# -- the predicates the table is written with ------------------------------------------------------
def status_of(*kinds: str) -> Callable[[Seen], bool]:
    """The two sides answered a probe of one of `kinds` with different statuses."""
    return lambda seen: seen.diff.kind == "status" and seen.step.kind in kinds


def listed(paths: set[str], kinds: set[str], test: Callable[[Seen], bool]) -> Callable[[Seen], bool]:
    """A list whose `paths` differ by one of `kinds`, and `test` holds."""
    return lambda seen: (seen.step.operation == "listCalendars" and seen.step.method == "GET"
                         and seen.diff.path in paths and seen.diff.kind in kinds and test(seen))


CONTENT = {"$.records", "$.recordsReturned", "$.totalRecords", "$.pageSize"}


def matches(test: Callable[[Seen], bool]) -> Callable[[Seen], bool]:
    """A list whose matches differ (pageSize too when `results=all`, where it counts them)."""
    return listed(CONTENT, {"records", "value"}, lambda seen: (
        (seen.diff.path != "$.pageSize" or seen.step.param("results") == "all") and test(seen)))


def extra_record(test: Callable[[Seen, dict[str, Any]], bool]) -> Callable[[Seen], bool]:
    """The sides count different matches, and a calendar one lists and the other does not
    passes `test`."""
    return lambda seen: not seen.same_total() and any(test(seen, record) for record in seen.extra_records())


def _case_only(seen: Seen, record: dict[str, Any]) -> bool:
    """A condition on a string that this calendar meets in one case and not in the other."""
    for c in seen.step.conditions():
        value = record.get(c.get("field", ""))
        if c.get("op") in ("=", "!=", "in", "not in") and isinstance(value, str):
            wanted = c.get("value", "").split(",") if "in" in c["op"] else [c.get("value", "")]
            if any(w.casefold() == value.casefold() and w != value for w in wanted):
                return True
    return False


def _negated_null(seen: Seen, record: dict[str, Any]) -> bool:
    return any(c.get("op") in ("!=", "not like", "not in") and record.get(c.get("field", "")) is None
               for c in seen.step.conditions() if c.get("field") in NULLABLE)


def _extra_keys(seen: Seen) -> bool:
    """Keys only one side's calendar has, none of them a field of the contract."""
    if seen.diff.kind != "keys" or seen.a.status >= 400:
        return False
    extra = set(seen.diff.a) | set(seen.diff.b)
    return bool(extra) and not extra & set(CALENDAR_FIELDS)


def _bool_and_number(seen: Seen) -> bool:
    values = (seen.diff.a, seen.diff.b)
    return (seen.diff.kind == "value" and seen.diff.path.endswith(".deleted")
            and any(isinstance(v, bool) for v in values)
            and any(v in (0, 1) and not isinstance(v, bool) for v in values))


def _page_cap(seen: Seen) -> bool:
    """A pageSize other than `results`, or a page shorter than its own totalRecords allows
    under either reading of startIndex."""
    asked, pages = seen.step.param("results") or "25", seen.pages()
    if pages is None:
        return False
    start = int(seen.step.param("startIndex") or 0)
    for page in pages:
        total = _int(page.get("totalRecords"))
        results = total if asked == "all" else int(asked)
        if seen.diff.path == "$.pageSize":
            if page.get("pageSize") != results:
                return True
        elif len(page["records"]) < min(results, max(0, total - start * max(results, 1))):
            return True
    return False


def _other_start(seen: Seen) -> bool:
    """A page past the first that starts elsewhere, the totals being the same."""
    pages = seen.pages()
    if (seen.step.param("startIndex") or "0") == "0" or pages is None:
        return False
    if seen.diff.path == "$.startIndex":
        return True
    first = [repr(_field(page["records"][0], "id")) if page["records"] else None for page in pages]
    return seen.same_total() and first[0] != first[1]


def _nulls_moved(seen: Seen) -> bool:
    """Sorted by a nullable field, the nulls sit elsewhere on the page (or only one page has them)."""
    sort, pages = seen.step.param("sort"), seen.pages()
    if sort not in NULLABLE or pages is None:
        return False
    if seen.diff.kind == "order":
        a, b = ([_field(record, sort) is None for record in page["records"]] for page in pages)
        return a != b
    if not seen.same_total() or len(pages[0]["records"]) != len(pages[1]["records"]):
        return False
    return any(record.get(sort) is None for record in seen.extra_records())


def _deleted(seen: Seen, record: dict[str, Any]) -> bool:
    return bool(deleted_flag(record, booleans_only=False))


def _deleted_hidden(seen: Seen) -> bool:
    """The side with fewer matches lists no soft-deleted calendar, and either every calendar
    only the other lists is soft-deleted, or the totals differ by no more than the run deleted."""
    pages = seen.pages()
    if pages is None or seen.same_total() or any(_deleted(seen, r) for r in seen.smaller_page()):
        return False
    extra = seen.extra_records()
    if extra and all(_deleted(seen, record) for record in extra):
        return True
    return abs(_int(pages[0].get("totalRecords")) - _int(pages[1].get("totalRecords"))) <= seen.deleted


def _error_answer(seen: Seen) -> bool:
    same_error = seen.a.status >= 400 and seen.a.status == seen.b.status
    return same_error and seen.diff.kind in ("keys", "value", "body")


EXPLAINS: tuple[tuple[str, Callable[[Seen], bool]], ...] = (
    ("group_id_mismatch", status_of("group_mismatch")),
    ("blank_name", status_of("blank_name")),
    ("unknown_calendarset", status_of("unknown_calendarset")),
    ("error_precedence", status_of("bad_apikey_and_body")),
    ("top_level_keys", status_of("top_level_key")),
    ("deleted_input", status_of("deleted_0_1")),
    ("string_integers", status_of("string_integer")),
    ("allow_header", lambda seen: seen.diff.kind == "header" and seen.diff.path == "allow"),
    ("error_body", _error_answer),
    ("extra_fields", _extra_keys),
    ("deleted_output", _bool_and_number),
    ("page_cap", listed({"$.records", "$.recordsReturned", "$.pageSize"}, {"records", "value"}, _page_cap)),
    ("start_index", listed({"$.records", "$.recordsReturned", "$.startIndex"}, {"records", "value"},
                           _other_start)),
    ("nulls_order", listed({"$.records"}, {"records", "order"}, _nulls_moved)),
    ("deleted_calendars", matches(_deleted_hidden)),
    ("equals_case", matches(extra_record(_case_only))),
    ("negation_nulls", matches(extra_record(_negated_null))),
    ("intervention_match", matches(lambda seen: len(seen.step.params_named("intervention_ids[]")) > 1
                                   and not seen.same_total())),
)


def explain(seen: Seen) -> list[str]:
    """The ids of the open questions that may explain `seen.diff` (none: unexplained)."""
    return [question for question, holds in EXPLAINS if holds(seen)]


def check_table(table: Any = EXPLAINS) -> None:
    unknown = sorted({question for question, _ in table} - set(questions()))
    if unknown:
        raise ValueError(f"contract_tests.diff.questions names unknown open question(s): {unknown}")


check_table()
