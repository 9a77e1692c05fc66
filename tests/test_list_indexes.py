"""The index-only list path must answer exactly what the record-scanning path answers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server import create_app, mock_of
from mock_server.calendars.listing import ListQuery

CALENDARSETS = [8, 12, None]
INTERVENTIONS = [21, 23, 25, 31, 999]

writes = st.lists(st.one_of(
    st.tuples(st.just("create"), st.sampled_from(CALENDARSETS), st.integers(-3, 40)),
    st.tuples(st.just("move"), st.integers(1, 20), st.sampled_from(CALENDARSETS)),
    st.tuples(st.just("resort"), st.integers(1, 20), st.integers(-3, 40)),
    st.tuples(st.just("delete"), st.integers(1, 20), st.none()),
), max_size=12)
queries = st.builds(
    ListQuery,
    intervention_ids=st.lists(st.sampled_from(INTERVENTIONS), max_size=3).map(tuple),
    calendarset_ids=st.lists(st.sampled_from([8, 12, 14, 77]), max_size=3).map(tuple),
    results=st.one_of(st.none(), st.integers(1, 30)),
    start_index=st.integers(0, 25),
)


def _apply(store, action) -> None:
    kind, a, b = action
    if kind == "create":
        store.create_calendar(4, {"name": "p", **({"calendarset_id": a} if a else {}), "sort": b})
        return
    if a not in {c["id"] for c in store.dump()["calendars"] if c["group_id"] == 4}:
        return
    if kind == "move":
        store.update_calendar(4, a, {"calendarset_id": b})
    elif kind == "resort":
        store.update_calendar(4, a, {"sort": b})
    else:
        store.delete_calendar(4, a)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(actions=writes, query=queries, match=st.sampled_from(["all", "any"]))
def test_indexed_lists_equal_scanned_lists(actions, query, match):
    app = create_app(intervention_match=match)
    store = mock_of(app).store
    for action in actions:
        _apply(store, action)
    indexed = store.list_calendars(4, query)
    scanned = store.list_calendars(4, ListQuery(**{**query.__dict__, "search": ""}))
    assert indexed.envelope() == scanned.envelope()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(actions=writes)
def test_assigned_sort_is_the_largest_plus_one_after_any_writes(actions):
    store = mock_of(create_app()).store
    for action in actions:
        _apply(store, action)
    largest = max(c["sort"] for c in store.dump()["calendars"] if c["group_id"] == 4)
    assert store.create_calendar(4, {"name": "next"})["sort"] == largest + 1
