"""Generated writes side by side: each engine that writes one calendar gets calendars of its own
(partitions.py), its writes there take their turns shared and are judged on its calendars alone.
A refused write that leaves a trace on its own calendar is still caught, with the same finding
at --concurrency 1 and 8; writes elsewhere still go alone; a waiting one is not held off."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime, timedelta

from planted_faults import CATALOGUE
from planted_faults.plumbing import after_request, data_of, path_ids, store_of
from planted_faults.probe_client import APIKEY, GROUP, PASSWORD, USER

from contract_tests.context import UNKNOWN_ID, SuiteContext
from contract_tests.gate import Gate
from contract_tests.http import WsgiTransport, basic_header
from contract_tests.report import SuiteResult
from contract_tests.runner import SuiteOptions, resolve_options, run_suite
from contract_tests.schemathesis_layers.partitions import PARTITIONED, partitions
from contract_tests.schemathesis_layers.steer import Policy
from contract_tests.unchanged import _within
from mock_server import create_app
from mock_server.errors import ApiError


def test_each_writing_engine_gets_calendars_no_other_engine_writes():
    operations = ["listCalendars", "updateCalendar", "deleteCalendar", None, "updateCalendar",
                  "deleteCalendar"]
    parts = partitions(operations, [11, 12, 13, 14, 15])
    writers = [parts[number] for number, operation in enumerate(operations) if operation in PARTITIONED]
    assert all(part.own for part in writers)
    assert set().union(*(part.own for part in writers)) == {11, 12, 13, 14, 15}
    for number, part in enumerate(writers):
        others = [other for index, other in enumerate(writers) if index != number]
        assert not part.own & set().union(*(other.own for other in others))
        assert part.seen == part.own | {part.unknown_id}
        assert not part.seen & set().union(*(other.seen for other in others))
        assert set(part.targets) == part.own and part.unknown_id not in part.own
    unknown = {part.unknown_id for part in writers}
    assert len(unknown) == 4 and UNKNOWN_ID not in unknown
    # An engine that writes no one calendar keeps the shared targets and sees the whole group.
    assert parts[0].targets == (11, 12, 13, 14, 15) and not parts[0].own


def test_engines_get_the_calendars_by_the_names_they_were_made_with_not_by_id():
    """Side by side, the rules make their calendars in an order that depends on timing, and the
    deployment numbers them so; the names they give depend on the schedule only. Each engine's
    targets follow the names, so it writes the same calendars (in role) at any concurrency."""
    app = create_app()
    ctx = SuiteContext(resolve_options(SuiteOptions(app=app, apikey=APIKEY, user=USER, password=PASSWORD,
                                                    group_id=GROUP)), WsgiTransport(app))
    made_in_this_order = [(31, "-b-1"), (30, "-c-1"), (32, "-a-1"), (29, None)]
    for calendar_id, label in made_in_this_order:
        ctx.remember_created(calendar_id, name=f"{ctx.prefix}{label}" if label else None)
    ctx.remember_created(32, name=f"{ctx.prefix}-z-9")  # a later rename: the name it was made with stays
    assert ctx.created_ids(GROUP) == [32, 31, 30, 29]
    parts = partitions(["updateCalendar", "deleteCalendar"], ctx.created_ids(GROUP))
    assert [part.targets for part in parts] == [(32, 30), (31, 29)]


def test_too_few_calendars_means_no_partition_at_all():
    parts = partitions(["updateCalendar", "deleteCalendar", "updateCalendar"], [21, 22])
    assert all(not part.own and part.targets == (21, 22) for part in parts)


def test_an_engines_view_holds_its_own_calendars_only():
    taken = {"ids": [1, 2, 3, 4], "total": 4, "own": {3: {"id": 3}, 4: {"id": 4}, 98: None},
             "kits": frozenset({2, 4})}
    view = _within(taken, frozenset({3, 98}))
    assert view["ids"] == [3] and view["total"] == 1 and list(view["own"]) == [3, 98]
    assert view["kits"] == frozenset()


def test_a_side_effect_outside_an_engines_calendars_shows_in_no_other_engines_verdict():
    """A refused PUT to an unknown id that creates a calendar elsewhere (a planted fault): side by
    side, a refused DELETE of another engine was judged on a group with that new calendar, and
    failed too - a finding that a run at --concurrency 1 never made. Each engine's view now holds
    its own calendars only: the same findings, as often, at 1 and 8."""
    seen = []
    for concurrency in (1, 8):
        result = _conformance_run(CATALOGUE["unknown_put_creates"].build(), concurrency, seed=1,
                                  max_examples=3)
        seen.append(sorted((failure.rule_id, failure.operation, failure.occurrences)
                           for failure in result.failures))
    assert seen[0] == seen[1]


def test_a_waiting_writer_keeps_new_readers_out():
    gate, order, lock = Gate(writers_first=True), [], threading.Lock()
    first_reader_in = threading.Event()

    def reader(name: str, hold_s: float) -> None:
        with gate.shared():
            with lock:
                order.append(name)
            first_reader_in.set()
            time.sleep(hold_s)

    def writer() -> None:
        with gate.alone(), lock:
            order.append("writer")

    threads = [threading.Thread(target=reader, args=("reader-1", 0.2))]
    threads[0].start()
    first_reader_in.wait(5)
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    # reader-2 comes once the writer waits for reader-1 (polled: a sleep was a guess that a
    # loaded machine could miss, letting reader-2 in first)
    deadline = time.monotonic() + 5
    while not gate._waiting_writers and "writer" not in order and time.monotonic() < deadline:
        time.sleep(0.001)
    threads.append(threading.Thread(target=reader, args=("reader-2", 0)))
    threads[2].start()
    for thread in threads:
        thread.join(5)
    assert order == ["reader-1", "writer", "reader-2"]


STAMP = "%Y-%m-%d %H:%M:%S"


def refusals_touch_their_calendar(app):
    """Any PUT or DELETE refused (4xx) on an existing calendar still moves its updated_at."""
    store, state = store_of(app), data_of(app)

    @after_request(app)
    def touch(request, response):
        group_id, calendar_id = path_ids(request)
        refused = 400 <= response.status_code < 500
        if request.method in ("PUT", "DELETE") and calendar_id is not None and refused:
            with contextlib.suppress(ApiError, KeyError):
                record = store.get_calendar(group_id, calendar_id)
                later = datetime.strptime(record["updated_at"], STAMP) + timedelta(seconds=1)
                state.change(state.calendars[calendar_id], {"updated_at": later.strftime(STAMP)})
        return response

    return app


def _conformance_run(app, concurrency: int, seed: int = 7, max_examples: int = 5) -> SuiteResult:
    return run_suite(SuiteOptions(
        base_url=None, app=app, apikey=APIKEY, user=USER, password=PASSWORD, group_id=GROUP,
        level="strict", max_examples=max_examples, seed=seed, read_only=False,
        layers=("conformance",), junit_xml=None, quiet=True, concurrency=concurrency))


def test_a_refused_generated_write_that_leaves_a_trace_is_caught_at_any_concurrency():
    """The trace is on the calendar the write aimed at, one of its engine's own: the engine's view
    holds it whatever the other engines write meanwhile; the same findings at 1 and 8."""
    findings, messages = [], []
    for concurrency in (1, 8):
        result = _conformance_run(refusals_touch_their_calendar(create_app()), concurrency)
        assert not result.passed
        refusals = [failure for failure in result.failures
                    if "contract_refusal_changes_nothing" in failure.message]
        assert refusals and all("updated_at" in failure.message for failure in refusals), result.failures
        findings.append(sorted({(failure.rule_id, failure.operation) for failure in result.failures}))
        messages.append([f"{failure.rule_id} {failure.operation}: {failure.message[:2000]}"
                         for failure in result.failures])
    assert findings[0] == findings[1], "\n".join(["at 1:", *messages[0], "at 8:", *messages[1]])
    assert {operation for _, operation in findings[0]} >= {
        "PUT /api/v1/groups/{group_id}/calendars/{calendar_id}",
        "DELETE /api/v1/groups/{group_id}/calendars/{calendar_id}"}


# A deployment that caps its pages at 5 and leaves deleted calendars out of its lists: a list
# read in pages and a DELETE landing between two of its pages skip a calendar.
CAPPED_AND_HIDING = {"answers": {"page_cap": "5", "deleted_calendars": "hidden"}}


def _paged_read_with_a_delete_between_pages(listing: Gate | None) -> tuple[list[int], int, list[int]]:
    """A context reads the group in pages while a generated DELETE (its turn taken as steer.Policy
    takes it) comes just after the first page was served: (ids read, total read, ids after both)."""
    app = create_app(profile=CAPPED_AND_HIDING)
    ctx = SuiteContext(resolve_options(SuiteOptions(
        base_url=None, app=app, apikey=APIKEY, user=USER, password=PASSWORD, group_id=GROUP,
        level="documented", max_examples=1, seed=7, read_only=False, layers=("conformance",),
        junit_xml=None, quiet=True)), WsgiTransport(app))
    for number in range(12 - len(ctx.record_ids())):
        ctx.new_calendar(f"paged-{number}")
    first_id = min(ctx.record_ids())
    ctx.listing = listing
    first_page_served, deleted = threading.Event(), threading.Event()

    @after_request(app)
    def pause_after_the_first_page(request, response):
        first_page = request.args.get("startIndex") == "0" and request.args.get("results") == "5"
        if request.method == "GET" and first_page:
            first_page_served.set()
            deleted.wait(0.5)  # a write beside the read lands now, unless it must wait for the pages
        return response

    writer = Policy(ctx, set(), None)

    def delete_beside() -> None:
        first_page_served.wait(10)
        writer.sending(True)
        try:
            WsgiTransport(app).send("DELETE", f"/api/v1/groups/{GROUP}/calendars/{first_id}",
                                    f"apikey={APIKEY}", {"Authorization": basic_header(USER, PASSWORD)}, None)
        finally:
            writer.answered()
            deleted.set()

    thread = threading.Thread(target=delete_beside)
    thread.start()
    records, total = ctx.records_and_total()
    thread.join(10)
    return [record["id"] for record in records], total, ctx.record_ids()


def test_a_list_read_in_pages_is_one_state_whatever_is_written_beside_it():
    """While engines write side by side (ctx.listing set), a write in flight keeps paged list
    reads out and a paged read keeps new writes out: the pages are of one state."""
    ids, total, after = _paged_read_with_a_delete_between_pages(Gate(writers_first=True))
    assert len(ids) == len(set(ids)) == total == 12, (ids, total)
    assert len(after) == 11 and set(after) < set(ids)  # the DELETE landed, after the pages


def test_without_the_listing_turns_a_delete_between_pages_skips_a_calendar():
    """What the turns prevent (the test above could not fail without them)."""
    ids, total, after = _paged_read_with_a_delete_between_pages(None)
    assert total == 12 and len(ids) == 11 and len(after) == 11 and set(ids) != set(after)
