"""Faults in the list: filters, paging, ordering, search, conditions, deleted."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask

from mock_server import mock_of
from mock_server.calendars.listing import ListQuery, Page, paginate
from mock_server.errors import BadRequest, NotFound

from .catalogue import fault
from .plumbing import CALENDAR_PATH, all_matches, before_request, data_of, refusal, wrap_list, wrap_wsgi
from .probe_client import GROUP, OTHER_GROUP


@fault("list.deleted-listed", layer="semantic", probe=lambda api: api.ids())
def deleted_hidden_from_list(app: Flask) -> None:
    """Soft-deleted calendars are left out of the list (the mock's `hidden` switch)."""
    mock_of(app).configure(deleted_calendars="hidden")


@fault("list.calendarset-any", layer="semantic",
       probe=lambda api: api.ids(("calendarset_ids[]", 12)))
def calendarset_filter_ignored(app: Flask) -> None:
    """calendarset_ids[] is ignored: every calendar is listed whatever the calendarsets asked."""
    wrap_list(app, lambda original, group_id, query: original(
        group_id, dataclasses.replace(query, calendarset_ids=())))


def _probe_moved(api) -> Any:
    api.put(1, {"calendarset_id": 12})
    return api.ids(("calendarset_ids[]", 12)), api.ids(("calendarset_ids[]", 8))


@fault("list.calendarset-any", layer="semantic", probe=_probe_moved)
def calendarset_filter_misses_moves(app: Flask) -> None:
    """calendarset_ids[] reads an index a PUT never updates: a calendar moved to another
    calendarset is still listed under the old one, and not under the new one."""
    state = data_of(app)
    change = state.change

    def change_keeping_the_index(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        index = {key: set(ids) for key, ids in state.calendarset_calendars.items()}
        changed = change(record, changes)
        state.calendarset_calendars = index
        return changed

    state.change = change_keeping_the_index


@fault("list.intervention-filter", layer="semantic",
       probe=lambda api: api.list(("intervention_ids[]", 21)).status)
def intervention_filter_crashes(app: Flask) -> None:
    """Any `intervention_ids[]` crashes the list with a 500 (so no intervention looks in use)."""

    @before_request(app)
    def crash(request) -> Any:
        if "intervention_ids[]" in request.args:
            return refusal(500, "planted: TypeError in the intervention filter")
        return None


@fault("list.intervention-all", layer="semantic",
       probe=lambda api: api.ids(("intervention_ids[]", 21), ("intervention_ids[]", 23)))
def intervention_filter_any(app: Flask) -> None:
    """intervention_ids[]=a&intervention_ids[]=b keeps calendars with either, not with both."""
    mock_of(app).configure(intervention_match="any")


@fault("list.intervention-filter", layer="semantic",
       probe=lambda api: api.ids(("intervention_ids[]", 23)))
def intervention_filter_ignored(app: Flask) -> None:
    """intervention_ids[] is ignored: every calendar is listed whatever the interventions asked."""
    wrap_list(app, lambda original, group_id, query: original(
        group_id, dataclasses.replace(query, intervention_ids=())))


@fault("list.intervention-filter", layer="semantic",
       probe=lambda api: api.ids(("intervention_ids[]", 31)))
def intervention_filter_crosses_groups(app: Flask) -> None:
    """intervention_ids[] reads the intervention's calendars without the group: the other group's
    intervention 31 lists its calendars 9 and 12 in group 4 (whose own interventions behave)."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if not query.intervention_ids:
            return original(group_id, query)
        other = OTHER_GROUP if group_id == GROUP else GROUP
        merged = all_matches(original, group_id, query) + all_matches(original, other, query)
        return paginate(sorted(merged, key=lambda record: record["id"]), query)

    wrap_list(app, change)


@fault("list.paging", layer="semantic",
       probe=lambda api: [r["id"] for r in api.list(("results", 3)).body["records"]])
def paging_off_by_one(app: Flask) -> None:
    """Pages start one record late (startIndex + 1), while the envelope echoes the startIndex asked."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        page = original(group_id, dataclasses.replace(query, start_index=query.start_index + 1))
        return dataclasses.replace(page, start_index=query.start_index)

    wrap_list(app, change)


@fault("list.paging", layer="semantic",
       probe=lambda api: api.list(("results", 3)).body["totalRecords"])
def total_counts_only_the_page(app: Flask) -> None:
    """totalRecords counts the records of the page instead of every match."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        page = original(group_id, query)
        return dataclasses.replace(page, total=len(page.records))

    wrap_list(app, change)


@fault("list.paging", layer="semantic",
       probe=lambda api: api.list(("results", 3)).body["pageSize"])
def page_size_always_default(app: Flask) -> None:
    """pageSize always reports the default 25, whatever `results` asked."""
    wrap_list(app, lambda original, group_id, query: dataclasses.replace(
        original(group_id, query), page_size=25))


@fault("list.paging-past-end", layer="semantic",
       probe=lambda api: api.list(("startIndex", len(api.ids()))).status)
def paging_past_end_404(app: Flask) -> None:
    """startIndex == totalRecords (one step past the end) answers 404 instead of an empty page."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        page = original(group_id, query)
        if query.start_index > 0 and query.start_index >= page.total:
            raise NotFound(f"startIndex {query.start_index} is past the end ({page.total} records)")
        return page

    wrap_list(app, change)


@fault("list.sort-order", layer="semantic",
       probe=lambda api: api.ids(("sort", "name"), ("dir", "desc")))
def sort_dir_ignored(app: Flask) -> None:
    """dir=desc is ignored: records always come in ascending order of `sort`."""
    wrap_list(app, lambda original, group_id, query: dataclasses.replace(
        original(group_id, dataclasses.replace(query, dir=None)), dir=query.dir))


@fault("list.default-order", layer="semantic", probe=lambda api: api.ids())
def default_order_by_name(app: Flask) -> None:
    """Without `sort`, records come ordered by name instead of by ascending id."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.sort is not None:
            return original(group_id, query)
        return dataclasses.replace(original(group_id, dataclasses.replace(query, sort="name")), sort=None)

    wrap_list(app, change)


@fault("list.sort-dir-echo", layer="semantic",
       probe=lambda api: (lambda b: (b["sort"], b["dir"]))(api.list(("sort", "name"), ("dir", "desc")).body))
def sort_dir_echo_wrong(app: Flask) -> None:
    """The envelope's sort and dir say "id" and "asc" whatever the request sorted by (null
    would be allowed: CONTRACT.md says they echo the request or are null)."""
    wrap_list(app, lambda original, group_id, query: dataclasses.replace(
        original(group_id, query), sort="id", dir="asc"))


@fault("list.search-meaning", layer="semantic", probe=lambda api: api.ids(("search", "docteur")))
def search_case_sensitive(app: Flask) -> None:
    """`search` matches case-sensitively ("docteur" no longer finds "Docteur Martin")."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.search is None:
            return original(group_id, query)
        matches = [
            record for record in all_matches(original, group_id, dataclasses.replace(query, search=None))
            if any(query.search in (record.get(key) or "") for key in ("name", "publicname"))
        ]
        return paginate(matches, query)

    wrap_list(app, change)


@fault("list.search-meaning", layer="semantic", probe=lambda api: api.ids(("search", "Docteur")))
def search_ignored(app: Flask) -> None:
    """`search` is accepted but ignored: every calendar is listed."""
    wrap_list(app, lambda original, group_id, query: original(
        group_id, dataclasses.replace(query, search=None)))


@fault("list.search", layer="semantic", probe=lambda api: api.list(("search", "Docteur")).status)
def search_refused(app: Flask) -> None:
    """A list request with `search` answers 400 ("search is not supported")."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.search is not None:
            raise BadRequest.field("search", "is not supported")
        return original(group_id, query)

    wrap_list(app, change)


def _conditions(field: str, op: str, value: Any) -> tuple[tuple[str, Any], ...]:
    return (("conditions[0][field]", field), ("conditions[0][op]", op), ("conditions[0][value]", value))


@fault("list.conditions", layer="semantic",
       probe=lambda api: api.ids(*_conditions("generate_interval", ">=", 20)))
def condition_gte_is_gt(app: Flask) -> None:
    """The conditions operator `>=` behaves like `>` (equal values are left out)."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        conditions = tuple(
            dataclasses.replace(c, op=">") if c.op == ">=" else c for c in query.conditions)
        return original(group_id, dataclasses.replace(query, conditions=conditions))

    wrap_list(app, change)


@fault("list.conditions", layer="semantic",
       probe=lambda api: api.ids(*_conditions("id", "not in", "1,2")))
def condition_not_in_ignored(app: Flask) -> None:
    """A `not in` condition is ignored (it keeps every record)."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        conditions = tuple(c for c in query.conditions if c.op != "not in")
        return original(group_id, dataclasses.replace(query, conditions=conditions))

    wrap_list(app, change)


@fault("list.conditions", layer="semantic", probe=lambda api: api.ids(*_conditions("city", "like", "%Par%")))
def condition_like_keeps_nulls(app: Flask) -> None:
    """A `like` condition also keeps the records whose field is null (a null holds no condition)."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        likes = [c.field for c in query.conditions if c.op == "like"]
        if not likes:
            return original(group_id, query)
        others = dataclasses.replace(query, conditions=tuple(c for c in query.conditions if c.op != "like"))
        nulls = [r for r in all_matches(original, group_id, others) if any(r.get(f) is None for f in likes)]
        matches = {r["id"]: r for r in all_matches(original, group_id, query) + nulls}
        return paginate(sorted(matches.values(), key=lambda r: r["id"]), query)

    wrap_list(app, change)


@fault("list.like-ignores-case", layer="semantic",
       probe=lambda api: api.ids(*_conditions("name", "like", "%ART%")))
def condition_like_case_sensitive(app: Flask) -> None:
    """`like` compares case by case ("%ART%" no longer finds "Dr Martin"): the mock's
    `like_case: sensitive` answer, which breaks an assumption, not what the docs state."""
    mock_of(app).configure(like_case="sensitive")


@fault("list.like-wildcards", layer="semantic",
       probe=lambda api: api.ids(*_conditions("name", "like", "art")))
def condition_like_unanchored(app: Flask) -> None:
    """A `like` pattern matches anywhere in a value, as if wrapped in `%` ("art" finds "Dr
    Martin"): a search box wired to `like`, which breaks an assumption, not what the docs state."""

    def wrap_like_patterns(environ, start_response):
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        ops = {key.removesuffix("[op]"): value for key, value in pairs if key.endswith("[op]")}
        changed = [(key, f"%{value}%" if key.endswith("[value]")
                    and ops.get(key.removesuffix("[value]")) in ("like", "not like") else value)
                   for key, value in pairs]
        if changed != pairs and CALENDAR_PATH.match(environ.get("PATH_INFO", "")):
            environ["QUERY_STRING"] = urlencode(changed)
        return None

    wrap_wsgi(app, wrap_like_patterns)


@fault("invalid.parameters-refused", layer="semantic",
       probe=lambda api: api.list(("results", "abc")).status)
def bad_results_read_as_default(app: Flask) -> None:
    """A `results` that is not a positive integer or `all` is ignored (the default page of 25)
    instead of refused, as a Rails `to_i` with a fallback would."""

    def drop_bad_results(environ, start_response):
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        kept = [(key, value) for key, value in pairs
                if key != "results" or value == "all" or (value.isdigit() and int(value) >= 1)]
        if len(kept) != len(pairs) and CALENDAR_PATH.match(environ.get("PATH_INFO", "")):
            environ["QUERY_STRING"] = urlencode(kept)
        return None

    wrap_wsgi(app, drop_bad_results)


@fault("list.paging-defaults", layer="semantic", probe=lambda api: api.list().body["pageSize"])
def default_page_of_ten(app: Flask) -> None:
    """Without `results`, a page holds 10 records (pageSize 10) instead of 25."""

    def ten_by_default(environ, start_response):
        query, found = environ.get("QUERY_STRING", ""), CALENDAR_PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") == "GET" and found and not found[2] \
                and "results" not in dict(parse_qsl(query)):
            environ["QUERY_STRING"] = f"{query}&results=10" if query else "results=10"
        return None

    wrap_wsgi(app, ten_by_default)


@fault("list.records-in-group", layer="semantic", probe=lambda api: api.ids())
def list_holds_another_group(app: Flask) -> None:
    """The list of group 4 also holds group 5's calendars (each with its own group_id 5)."""
    state = data_of(app)
    calendars = state.group_calendars
    calendars[GROUP] = sorted({*calendars[GROUP], *calendars[OTHER_GROUP]})


@fault("list.filters-and", layer="semantic",
       probe=lambda api: api.ids(("calendarset_ids[]", 8), *_conditions("id", ">=", 5)))
def conditions_dropped_beside_other_filters(app: Flask) -> None:
    """`conditions` are ignored when another filter (calendarset, intervention, search) comes with them."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.conditions and (query.calendarset_ids or query.intervention_ids or query.search):
            query = dataclasses.replace(query, conditions=())
        return original(group_id, query)

    wrap_list(app, change)


def _probe_equal_and_not(api) -> Any:
    return tuple(api.ids(("conditions[0][field]", "name"), ("conditions[0][op]", op),
                         ("conditions[0][value]", "DR MARTIN")) for op in ("=", "!="))


@fault("list.conditions", layer="semantic", probe=_probe_equal_and_not)
def negation_keeps_case_when_equality_ignores_it(app: Flask) -> None:
    """`=` ignores case (an open answer) but `!=` still compares case by case, so a calendar
    named "Dr Martin" is kept by both `name = DR MARTIN` and `name != DR MARTIN`."""
    mock_of(app).configure(equals_case="insensitive")

    def change(original, group_id: int, query: ListQuery) -> Page:
        negations = [c for c in query.conditions if c.op == "!=" and isinstance(c.value, str)]
        if not negations:
            return original(group_id, query)
        kept = tuple(c for c in query.conditions if c not in negations)
        others = dataclasses.replace(query, conditions=kept)
        matches = [r for r in all_matches(original, group_id, others)
                   if all(r.get(c.field) is not None and r.get(c.field) != c.value for c in negations)]
        return paginate(matches, query)

    wrap_list(app, change)


@fault("list.default-order", layer="semantic",
       probe=lambda api: api.ids(("conditions[0][field]", "id"), ("conditions[0][op]", ">="),
                                 ("conditions[0][value]", "1")))
def filtered_list_in_descending_id_order(app: Flask) -> None:
    """Without `sort`, the plain list comes by ascending id, but a filtered one by descending
    id (another code path than the plain list's)."""

    def change(original, group_id: int, query: ListQuery) -> Page:
        if query.sort is not None or not query.conditions:
            return original(group_id, query)
        matches = sorted(all_matches(original, group_id, query), key=lambda r: r["id"], reverse=True)
        return paginate(matches, query)

    wrap_list(app, change)
