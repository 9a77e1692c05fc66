"""The run's context is written and read by engines and rules side by side: the calendars a run
made are recorded by whichever thread saw the create, and read by others (an engine's steering
targets, a rule's probes). Once, iterating them while another engine's generated create was
recorded failed a run at --concurrency 4: "dictionary changed size during iteration"."""

from __future__ import annotations

import threading
import time

from suite_runs import GROUP, OTHER_GROUP, options

from contract_tests.context import SuiteContext
from contract_tests.http import WsgiTransport
from contract_tests.runner import resolve_options
from mock_server import create_app


def _context() -> SuiteContext:
    app = create_app()
    return SuiteContext(resolve_options(options(app, layers=("semantic",))), WsgiTransport(app))


def test_the_calendars_made_can_be_read_while_another_thread_records_more():
    ctx = _context()
    deadline = time.monotonic() + 3.0

    def record() -> None:
        for calendar_id in range(1, 30_001):
            ctx.remember_created(calendar_id, group=GROUP if calendar_id % 2 else OTHER_GROUP)
            if time.monotonic() > deadline:
                break

    writer = threading.Thread(target=record)
    writer.start()
    reads = 0
    try:
        while writer.is_alive() and reads < 2_000:
            ours, all_made = ctx.created_ids(GROUP), ctx.created_ids()
            assert all(calendar_id % 2 for calendar_id in ours) and ours == sorted(ours)
            assert len(all_made) >= len(ours)
            reads += 1
    finally:
        writer.join()
    assert reads > 0
    made = ctx.created_ids()
    assert made == list(range(1, len(made) + 1)) and ctx.created_ids(GROUP) == made[::2]
