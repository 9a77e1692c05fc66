"""Which open question (`x-open-questions` of the spec) may explain a difference.

`EXPLAINS` is the whole mapping: one row per question, a predicate over what was seen (the
step, the difference, both answers). A difference no row matches is one the docs do not leave
open, or one this table cannot tell: the report lists it as unexplained. `EITHER_WAY` is the
same for the rules of the spec whose own text allows two answers (the envelope's sort and dir
"echo the request or are null"), named by their rule id. Every id is checked against
`calendar_spec.profiles.questions()` and the spec's rules when this module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calendar_spec.profiles import questions

from .. import textmatch
from ..http import Exchange
from ..model import deleted_flag
from ..registry import SPEC_RULES
from ..spec_facts import CALENDAR_FIELDS
from .compare import same
from .seen import NULLABLE, OMITTED_TEXTS, Seen, field_of, int_or_0

__all__ = ["EITHER_WAY", "EXPLAINS", "Seen", "check_table", "explain"]

# -- the predicates the table is written with ------------------------------------------------------
def status_of(*kinds: str, answered: int | None = None, answers: set[int] | None = None
              ) -> Callable[[Seen], bool]:
    """The two sides answered a probe of one of `kinds` with different statuses (one of them
    `answered`, when given; the two of them `answers`, when given)."""
    return lambda seen: (seen.diff.kind == "status" and seen.step.kind in kinds
                         and (answered is None or answered in (seen.a.status, seen.b.status))
                         and (answers is None or {seen.a.status, seen.b.status} == answers))


def statuses_of(question: str) -> set[int]:
    """The statuses an open question's answers are (group_id_mismatch: 403 or 400)."""
    return {int(answer) for answer in questions()[question]["answers"]}


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


def _like_case_only(seen: Seen, record: dict[str, Any]) -> bool:
    """A `like` / `not like` on a string whose pattern this calendar meets ignoring case only."""
    for c in seen.step.conditions():
        value = record.get(c.get("field", ""))
        if c.get("op") in ("like", "not like") and isinstance(value, str):
            pattern = c.get("value", "")
            if textmatch.like_matches(value, pattern, ignore_case=True) != \
                    textmatch.like_matches(value, pattern, ignore_case=False):
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
        total = int_or_0(page.get("totalRecords"))
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
    first = [repr(field_of(page["records"][0], "id")) if page["records"] else None for page in pages]
    return seen.same_total() and first[0] != first[1]


def _blank(value: Any) -> bool:
    """A null, or the "" a side may hold instead (`omitted_texts`): both say "no value"."""
    return value is None or value == ""


def _nulls_moved(seen: Seen) -> bool:
    """Sorted by a nullable field, the calendars without a value sit elsewhere on the page, or
    the pages hold different numbers of them. Not which of them comes first (`sort_ties`), nor
    a "" in place of a null (`omitted_texts`)."""
    sort, pages = seen.step.param("sort"), seen.pages()
    if sort not in NULLABLE or pages is None:
        return False
    a, b = ([_blank(field_of(record, sort)) for record in page["records"]] for page in pages)
    if seen.diff.kind == "order":
        return a != b
    if not seen.same_total() or len(a) != len(b):
        return False
    return sum(a) != sum(b)


def _ties_reordered(seen: Seen) -> bool:
    """Sorted by a field, both pages hold the same values in the same places, but calendars
    with an equal value come in another order (or, where a page cuts through them, others)."""
    sort, pages = seen.step.param("sort"), seen.pages()
    if sort is None or pages is None or not seen.same_total():
        return False
    a, b = ([field_of(record, sort) for record in page["records"]] for page in pages)
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))


def _texts_blank(seen: Seen) -> bool:
    """A value null on one side and "" on the other, in a text a create may leave out."""
    values = (seen.diff.a, seen.diff.b)
    return (seen.diff.kind == "value" and seen.diff.path.rsplit(".", 1)[-1] in OMITTED_TEXTS
            and None in values and "" in values)


def _blank_texts_listed(seen: Seen) -> bool:
    """A list sorted or filtered by a text a create may leave out, where a page shows "" in
    one of those texts (sorted and filtered, "" is a value; null is none)."""
    pages = seen.pages()
    fields = {seen.step.param("sort")} | {c.get("field") for c in seen.step.conditions()}
    if pages is None or not fields & set(OMITTED_TEXTS):
        return False
    return any(field_of(record, name) == "" for page in pages for record in page["records"]
               for name in OMITTED_TEXTS)


def _delete_body(seen: Seen) -> bool:
    """A DELETE both sides took, one answering the calendar and the other `{}`."""
    return (seen.step.method == "DELETE" and seen.a.status < 400 and seen.diff.kind == "keys"
            and seen.diff.path == "$" and {} in (seen.a_body, seen.b_body))


def _unsorted(with_dir: bool) -> Callable[[Seen], bool]:
    """A list that names no `sort` (with `dir` or without) whose pages hold as many matches, in
    another order or, where a page cuts them, others. (diff's scenario never shows it: its sort
    values rise as its ids do; a recording does.)"""
    return listed({"$.records"}, {"order", "records"}, lambda seen: (
        not seen.step.param("sort") and bool(seen.step.param("dir")) == with_dir and seen.same_total()
        and _as_many_on_the_page(seen)))


def _as_many_on_the_page(seen: Seen) -> bool:
    """Both pages hold as many records (a page cut shorter is page_cap's)."""
    pages = seen.pages()
    return pages is not None and len(pages[0]["records"]) == len(pages[1]["records"])


def _publicname_only(seen: Seen, record: dict[str, Any]) -> bool:
    """The searched text is in this calendar's publicname, not in its name."""
    text = (seen.step.param("search") or "").casefold()
    name, publicname = (str(record.get(key) or "").casefold() for key in ("name", "publicname"))
    return bool(text) and text in publicname and text not in name


def _omitted_sort(seen: Seen) -> bool:
    """A create without `sort` got another `sort` on each side."""
    return (seen.step.operation == "createCalendar" and seen.diff.kind == "value"
            and seen.diff.path == "$.sort" and "sort" not in seen.calendar())


def _deleted(seen: Seen, record: dict[str, Any]) -> bool:
    return bool(deleted_flag(record, booleans_only=False))


def _deleted_hidden(seen: Seen) -> bool:
    """The side with fewer matches lists no soft-deleted calendar, and either every calendar
    only the other lists is soft-deleted, or - where a page does not hold all its matches, so
    that the extra ones may be off it - the totals differ by no more than the run deleted."""
    pages = seen.pages()
    if pages is None or seen.same_total() or any(_deleted(seen, r) for r in seen.smaller_page()):
        return False
    if _blank_texts_listed(seen):  # a "" that a condition keeps and a null it drops: omitted_texts
        return False
    extra = seen.extra_records()
    if extra and all(_deleted(seen, record) for record in extra):
        return True
    if all(len(page["records"]) == int_or_0(page.get("totalRecords")) for page in pages):
        return False  # every match is on its page: a live calendar only one side lists is not hidden
    totals = [int_or_0(page.get("totalRecords")) for page in pages]
    return abs(totals[0] - totals[1]) <= seen.deleted


def _echo_or_null(seen: Seen) -> bool:
    """The envelope's `sort` or `dir`: null on one side, the request's value on the other."""
    asked = seen.step.param(seen.diff.path[len("$."):])
    return asked is not None and None in (seen.diff.a, seen.diff.b) and asked in (seen.diff.a, seen.diff.b)


def _error_answer(seen: Seen) -> bool:
    """Both sides refused alike, with bodies of other shapes or media types: CONTRACT.md leaves
    an error body open but for one thing, that it is JSON when its Content-Type says so."""
    same_error = seen.a.status >= 400 and seen.a.status == seen.b.status
    if not same_error or not all(_json_when_said(answer) for answer in (seen.a, seen.b)):
        return False
    return seen.diff.kind in ("keys", "value", "body") or (
        seen.diff.kind == "header" and seen.diff.path == "content-type")


def _json_when_said(answer: Exchange) -> bool:
    return "json" not in answer.content_type or not answer.content.strip() or answer.is_json()


EXPLAINS: tuple[tuple[str, Callable[[Seen], bool]], ...] = (
    # 400 against 403 only: a 2xx writes into another group than the path's, which CONTRACT.md
    # allows no deployment (create.group-id-match).
    ("group_id_mismatch", status_of("group_mismatch", answers=statuses_of("group_id_mismatch"))),
    ("blank_name", status_of("blank_name")),
    ("unknown_calendarset", status_of("unknown_calendarset")),
    # Bad credentials and a bad body: 400 on one side is the body first; 401 against 403 is
    # how bad credentials are refused (the only step that sends them).
    ("error_precedence", status_of("bad_apikey_and_body", answered=400)),
    ("credentials_refusal", status_of("bad_apikey_and_body", answers={401, 403})),
    ("unknown_calendar_keys", status_of("unknown_key")),
    ("delete_body", _delete_body),
    ("omitted_texts", lambda seen: _texts_blank(seen) or listed(
        CONTENT, {"records", "order", "value"}, _blank_texts_listed)(seen)),
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
    ("sort_ties", listed({"$.records"}, {"records", "order"}, _ties_reordered)),
    ("deleted_calendars", matches(_deleted_hidden)),
    ("equals_case", matches(extra_record(_case_only))),
    ("negation_nulls", matches(extra_record(_negated_null))),
    ("like_case", matches(extra_record(_like_case_only))),
    # Only a replay of recorded traffic shows these (the diff scenario is blind to them):
    ("default_order", _unsorted(with_dir=False)),
    ("dir_without_sort", _unsorted(with_dir=True)),
    ("search_fields", matches(extra_record(_publicname_only))),
    ("omitted_sort", _omitted_sort),
    ("put_deleted_true", status_of("put_deleted_true")),
    ("read_only_keys", status_of("read_only_key")),
    ("intervention_match", matches(lambda seen: len(seen.step.params_named("intervention_ids[]")) > 1
                                   and not seen.same_total())),
)

# Rules of the spec whose own text allows two answers: a difference between them is no break.
EITHER_WAY: tuple[tuple[str, Callable[[Seen], bool]], ...] = (
    ("list.sort-dir-echo", listed({"$.sort", "$.dir"}, {"value"}, _echo_or_null)),
)


def explain(seen: Seen) -> list[str]:
    """The ids of the open questions, or of the rules allowing two answers, that may explain
    `seen.diff` (none: unexplained)."""
    return [question for question, holds in (*EXPLAINS, *EITHER_WAY) if holds(seen)]


def check_table(table: Any = EXPLAINS) -> None:
    unknown = sorted({question for question, _ in table} - set(questions()))
    unknown += sorted({rule for rule, _ in EITHER_WAY} - set(SPEC_RULES))
    if unknown:
        raise ValueError(f"contract_tests.diff.questions names unknown questions or rules: {unknown}")


check_table()
