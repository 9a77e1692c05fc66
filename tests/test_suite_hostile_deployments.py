"""Deployments the suite must judge without falling over: answers that lie, never end, or come
from ids spread wide. Each test is one way a deployment (correct or not) once crashed, hung or
exhausted the suite; the suite must give a verdict, or stop saying why, in bounded time and
memory."""

from __future__ import annotations

import random

from calendar_fixtures import load_fixtures
from suite_runs import describe, options

from contract_tests.runner import run_suite
from mock_server import create_app


def _spread_ids_seed(rng: random.Random) -> dict:
    seed = load_fixtures()
    new_ids = {calendar["id"]: rng.randrange(10**7, 2**31) for calendar in seed["calendars"]}
    for calendar in seed["calendars"]:
        calendar["id"] = new_ids[calendar["id"]]
    for intervention in seed["interventions"]:
        intervention["calendar_ids"] = [new_ids[i] for i in intervention["calendar_ids"]]
    return seed


def test_calendar_ids_spread_up_to_2_31_are_probed_by_sampling():
    """Ids a deployment hands out at random (CONTRACT.md: `id` int, nothing more) put billions
    of ids between a group's lowest and highest: the isolation probes listed them all (18 GB)."""
    app = create_app(_spread_ids_seed(random.Random(6)))
    result = run_suite(options(app, level="strict", layers=("auth",)))
    assert result.passed, describe(result)
