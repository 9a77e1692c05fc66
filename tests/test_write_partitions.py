"""Generated writes side by side: each engine that writes one calendar gets calendars of its own
(partitions.py), its writes there take their turns shared and are judged without the others'.
A refused write that leaves a trace on its own calendar is still caught, with the same finding
at --concurrency 1 and 8; writes elsewhere still go alone; a waiting one is not held off."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime, timedelta

from planted_faults.plumbing import after_request, data_of, path_ids, store_of
from planted_faults.probe_client import APIKEY, GROUP, PASSWORD, USER

from contract_tests.context import UNKNOWN_ID
from contract_tests.pacing import Gate
from contract_tests.report import SuiteResult
from contract_tests.runner import SuiteOptions, run_suite
from contract_tests.schemathesis_layers.partitions import PARTITIONED, partitions
from contract_tests.unchanged import _without
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
        assert part.hidden == set().union(*(other.own | {other.unknown_id} for other in others))
        assert set(part.targets) == part.own and part.unknown_id not in part.own
    unknown = {part.unknown_id for part in writers}
    assert len(unknown) == 4 and UNKNOWN_ID not in unknown
    # An engine that writes no one calendar keeps the shared targets and sees the whole group.
    assert parts[0].targets == (11, 12, 13, 14, 15) and not parts[0].own and not parts[0].hidden


def test_too_few_calendars_means_no_partition_at_all():
    parts = partitions(["updateCalendar", "deleteCalendar", "updateCalendar"], [21, 22])
    assert all(not part.own and not part.hidden and part.targets == (21, 22) for part in parts)


def test_a_view_without_hidden_calendars_counts_them_out():
    taken = {"ids": [1, 2, 3, 4], "total": 4, "own": {3: {"id": 3}, 4: {"id": 4}}}
    view = _without(taken, frozenset({4, 99}))
    assert view["ids"] == [1, 2, 3] and view["total"] == 3 and list(view["own"]) == [3]


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
    time.sleep(0.05)  # the writer waits for reader-1; reader-2 comes while it waits
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


def _conformance_run(concurrency: int) -> SuiteResult:
    return run_suite(SuiteOptions(
        base_url=None, app=refusals_touch_their_calendar(create_app()), apikey=APIKEY, user=USER,
        password=PASSWORD, group_id=GROUP, level="strict", max_examples=5, seed=7, read_only=False,
        layers=("conformance",), junit_xml=None, quiet=True, concurrency=concurrency))


def test_a_refused_generated_write_that_leaves_a_trace_is_caught_at_any_concurrency():
    """The trace is on the calendar the write aimed at, one of its engine's own: the engine's view
    holds it whatever the other engines write meanwhile; the same findings at 1 and 8."""
    findings, messages = [], []
    for concurrency in (1, 8):
        result = _conformance_run(concurrency)
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
