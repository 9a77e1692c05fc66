"""A deployment that caps its pages: the suite reads a whole group (every snapshot that judges
a write) in pages, side by side up to --concurrency, and gets what one-by-one reading gets."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from urllib.parse import parse_qs

import pytest
from planted_faults.probe_client import APIKEY, GROUP, PASSWORD, USER
from suite_runs import options

from contract_tests.context import SuiteContext
from contract_tests.http import WsgiTransport
from contract_tests.runner import SuiteOptions, resolve_options, run_suite
from mock_server import create_app

CAPPED = {"answers": {"page_cap": "5"}}
PAGE_WAIT_S = 0.03  # each page read waits this long at the app, as over a network


class PagesInFlight:
    """WSGI middleware: each read of one page (startIndex given) waits PAGE_WAIT_S; the most
    such reads in the app at once."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.now = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if "startIndex" not in parse_qs(environ.get("QUERY_STRING", "")):
            return self.inner(environ, start_response)
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(PAGE_WAIT_S)
            return self.inner(environ, start_response)
        finally:
            with self._lock:
                self.now -= 1


def _read_whole_group(concurrency: int, calendars: int) -> tuple[list[int], int, str, int]:
    """(ids read, totalRecords, the query of the reading thread's last exchange, most pages in
    flight at once) for a group of `calendars` behind pages of 5."""
    app = create_app(profile=CAPPED)
    ctx = SuiteContext(resolve_options(SuiteOptions(
        base_url=None, app=app, apikey=APIKEY, user=USER, password=PASSWORD, group_id=GROUP,
        level="documented", max_examples=1, seed=7, read_only=False, layers=("semantic",),
        junit_xml=None, quiet=True, concurrency=concurrency)), WsgiTransport(app))
    ctx.paging_reading()  # learnt once per run, before: only the group's pages are counted below
    for number in range(calendars - ctx.records_and_total()[1]):
        ctx.new_calendar(f"paged-{number}")
    pages = PagesInFlight(app.wsgi_app)
    app.wsgi_app = pages
    records, total = ctx.records_and_total()
    last = ctx.last_exchange()
    return [record["id"] for record in records], total, last.query if last else "", pages.most


def test_the_pages_of_a_capped_group_are_read_side_by_side():
    ids, total, last_query, most = _read_whole_group(8, 23)
    assert total == 23 and len(ids) == len(set(ids)) == 23, (total, ids)
    assert ids == sorted(ids)
    assert most >= 4, f"at most {most} page(s) in flight at once: read one after the other"
    assert "startIndex=20" in last_query  # the thread's last exchange is the last page, as at 1


def test_read_side_by_side_or_one_by_one_the_group_is_the_same():
    side_by_side, total, last_side_by_side, _ = _read_whole_group(concurrency=8, calendars=23)
    one_by_one, total_one, last_one, most = _read_whole_group(concurrency=1, calendars=23)
    assert most == 1
    assert (side_by_side, total, last_side_by_side) == (one_by_one, total_one, last_one)


class TotalThatLies:
    """WSGI middleware: every list answer says totalRecords `total`, whatever it holds."""

    def __init__(self, inner, total: int) -> None:
        self.inner, self.total = inner, total

    def __call__(self, environ, start_response):
        captured = {}

        def keep(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)

        body = b"".join(self.inner(environ, keep))
        with contextlib.suppress(ValueError):
            answer = json.loads(body)
            if isinstance(answer, dict) and "totalRecords" in answer:
                answer["totalRecords"] = self.total
                body = json.dumps(answer).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


@pytest.mark.parametrize("total", [100_000, 10**9])
def test_a_total_no_page_bears_out_costs_a_batch_not_the_totals_pages(total):
    """totalRecords 100,000 over 12 calendars in pages of 5 once sent 86,889 page reads in five
    minutes (and 10^9 planned 200 million reads up front, 6 GB): the pages stop at the first
    empty one, and list.paging names the total."""
    app = create_app(profile=CAPPED)
    app.wsgi_app = TotalThatLies(app.wsgi_app, total)
    started = time.monotonic()
    result = run_suite(options(app, level="documented", layers=("semantic",), concurrency=4))
    assert "list.paging" in {failure.rule_id for failure in result.failures}, result.summary()
    assert result.requests < 3000 and time.monotonic() - started < 120, (result.requests,
                                                                          time.monotonic() - started)
