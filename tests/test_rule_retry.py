"""A rule marked `retry` (shared data may have moved under it on a staging in use) is run once more
when it fails: the second attempt decides, unless it could not run at all - then the first
failure stands. Once, a faulty deployment passed create.sort-assigned: the fault's own effect
left the group at a larger sort, and the re-run stopped at the footprint bound, which wiped the
failure."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from planted_faults.probe_client import APIKEY, GROUP, PASSWORD, USER

from contract_tests.context import SuiteContext
from contract_tests.http import WsgiTransport
from contract_tests.model import FOOTPRINT, Skip
from contract_tests.registry import RuleCheck
from contract_tests.runner import SuiteOptions, _run_rule, resolve_options
from mock_server import create_app

RULE = "create.sort-assigned"


def _context() -> SuiteContext:
    app = create_app()
    return SuiteContext(resolve_options(SuiteOptions(
        base_url=None, app=app, apikey=APIKEY, user=USER, password=PASSWORD, group_id=GROUP,
        level="strict", max_examples=1, seed=7, read_only=False, layers=("semantic",),
        junit_xml=None, quiet=True)), WsgiTransport(app))


def _attempts(*steps: Callable[[SuiteContext], None]) -> RuleCheck:
    calls = iter(steps)

    def check(ctx: SuiteContext) -> None:
        next(calls)(ctx)

    return RuleCheck(RULE, "semantic", check, writes=True, retry=True)


def _fails(ctx: SuiteContext) -> None:
    ctx.expect(False, "an omitted sort becomes the group's largest sort + 1", expected="sort 12",
               actual="sort 5001")


def _passes(ctx: SuiteContext) -> None:
    ctx.expect(True, "an omitted sort becomes the group's largest sort + 1")


def _bound_reached(ctx: SuiteContext) -> None:
    raise Skip("--max-own-calendars 30: the suite has created that many calendars", why=FOOTPRINT)


@pytest.mark.parametrize(("second", "status", "failures"), [
    (_bound_reached, "failed", 1),  # the re-run confirms nothing: the failure stands
    (_fails, "failed", 1),
    (_passes, "passed", 0),
], ids=["re-run skipped", "re-run fails", "re-run passes"])
def test_a_failed_rule_is_run_once_more_and_only_a_run_can_clear_it(second, status, failures):
    outcome = _run_rule(_context(), "semantic", RULE, [_attempts(_fails, second)])
    assert (outcome.status, len(outcome.failures)) == (status, failures)
    if status == "failed":
        assert outcome.failures[0].rule_id == RULE and "sort 5001" in outcome.failures[0].actual
        assert ("not confirmed" in outcome.reason) == (second is _bound_reached), outcome.reason
    else:
        assert "passed when re-run" in outcome.reason


def test_a_rule_that_passes_at_once_is_not_run_again():
    outcome = _run_rule(_context(), "semantic", RULE, [_attempts(_passes)])  # a second call would raise
    assert (outcome.status, outcome.failures, outcome.reason) == ("passed", [], "")
