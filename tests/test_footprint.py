"""A bounded footprint: however many runs, the calendars the suite ever creates in a group
stay within --max-own-calendars; later runs reuse (and restore) what earlier runs left."""

from __future__ import annotations

from suite_runs import GROUP, OTHER_GROUP, options

from contract_tests.footprint import PREFIX
from contract_tests.runner import run_suite
from mock_server import create_app

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
