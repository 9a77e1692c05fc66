"""A bounded footprint: however many runs, the calendars the suite ever creates in a group
stay within --max-own-calendars; later runs reuse (and restore) what earlier runs left."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

from suite_runs import GROUP, OTHER_GROUP, options

from contract_tests.footprint import FREE_PREFIX, PREFIX
from contract_tests.runner import run_suite
from mock_server import create_app, mock_of

RUNS = 4  # the first run fills the bound, the later ones can only reuse
BOUND = 20


def own_calendars(app, group: int) -> list[dict]:
    """Every calendar of the group the suite named as its own, read straight from the store."""
    with app.test_client() as client:
        dumped = client.get("/_mock/state").get_json()
    calendars = dumped["calendars"] if isinstance(dumped, dict) else dumped
    return [c for c in calendars if c.get("group_id") == group and str(c.get("name", "")).startswith(PREFIX)]


def test_repeated_runs_stay_within_the_bound():
    app = create_app()
    before = {group: len(own_calendars(app, group)) for group in (GROUP, OTHER_GROUP)}
    counts, skipped = [], set()
    for _ in range(RUNS):
        result = run_suite(options(app, level="strict", max_own_calendars=BOUND, max_examples=2,
                                   layers=("semantic", "auth", "conformance", "stateful")))
        assert not result.failures, result.summary()
        counts.append(len(own_calendars(app, GROUP)))
        skipped |= {o.name for o in result.outcomes if o.why == "footprint bound"}
    assert before == {GROUP: 0, OTHER_GROUP: 0}
    assert max(counts) <= BOUND, counts
    assert len(own_calendars(app, OTHER_GROUP)) <= BOUND
    # The first run creates; later ones reuse: they could not all have run without reuse.
    assert counts[0] < BOUND or skipped
    assert counts == sorted(counts)


def test_runs_at_the_same_time_never_share_a_calendar_and_let_theirs_go():
    """Two runs in one group at once: neither restores a calendar the other holds, the bound
    holds, and each lets its calendars go when it ends. Their verdicts are not asserted: checks
    that read the whole group also see the other run's writes (README, QA section)."""
    app = create_app(journal_size=100_000)
    first = run_suite(options(app, level="strict", max_own_calendars=BOUND, max_examples=2,
                              layers=("semantic", "auth")))
    assert not first.failures, first.summary()
    left_by_first = {c["id"] for c in own_calendars(app, GROUP)}
    mock_of(app).journal.clear()

    def one_run(level: str):
        return run_suite(options(app, level=level, max_own_calendars=BOUND, max_examples=2,
                                 layers=("semantic", "auth")))

    with ThreadPoolExecutor(max_workers=2) as runs:
        list(runs.map(one_run, ["strict", "documented"]))
    restorers: dict[int, set[str]] = {}
    for entry in mock_of(app).journal.entries({"method": "PUT"}):
        body = entry.get("body")
        holder = RUN.search(body if isinstance(body, str) else json.dumps(body))
        if holder and holder[2] != "pool" and entry["status"] == 200:
            restorers.setdefault(int(entry["path"].rsplit("/", 1)[1]), set()).add(holder[1])
    assert {run for runs in restorers.values() for run in runs}.__len__() == 2, restorers
    assert all(len(runs) == 1 for runs in restorers.values()), restorers  # no calendar used by both
    assert restorers.keys() & left_by_first  # and the pool was reused, not bypassed
    calendars = own_calendars(app, GROUP)
    assert all(c["name"].startswith(FREE_PREFIX) for c in calendars), sorted(c["name"] for c in calendars)
    assert len(calendars) <= BOUND + 1  # two creates at the same instant may pass it by one


RUN = re.compile(r'"name": ?"contract-kit-(\d{14}-[0-9a-f]{4})-([a-z0-9.]+)')
