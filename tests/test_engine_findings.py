"""Engine runs are judged as each ends and merged in the plan's order
(contract_tests.schemathesis_layers.findings): whichever engine ended first, the outcomes come in
the order first met, a failure seen in several runs is kept once (the first run's evidence) and
counted in all, and a rule is counted as checked once per judged case."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

from contract_tests.model import Failure, Outcome
from contract_tests.schemathesis_layers.findings import EngineFindings, Step, merge


def _failure(curl: str, occurrences: int = 1) -> Failure:
    failure = Failure("show.calendar", "DOC", "conformance", "GET /x", "wrong body", curl=curl)
    failure.occurrences = occurrences
    return failure


def _merged(runs: list[EngineFindings]) -> tuple[dict[str, Outcome], object]:
    outcomes: dict[str, Outcome] = {}
    seen: dict = {}
    statuses: dict[str, list[int]] = {}
    result = SimpleNamespace(cases=0)
    for found in runs:
        merge(found, outcomes, seen, statuses, result)
    return outcomes, SimpleNamespace(cases=result.cases, statuses=statuses)


def test_runs_merge_in_plan_order_with_one_failure_kept_and_counted_across_runs():
    key = ("GET /x", "show.calendar", "check", "title")
    first = EngineFindings("conformance", cases=2, statuses={"GET /x": [200]}, steps=[
        Step("GET /x"), Step("GET /x", "show.calendar", _failure("curl first", occurrences=2), key),
        Step("GET /x", "show.calendar"), Step("GET /y"), Step("GET /y", "list.envelope")])
    second = EngineFindings("conformance", cases=3, statuses={"GET /x": [404], "GET /z": [200]}, steps=[
        Step("GET /z"), Step("GET /x"), Step("GET /x", "show.calendar", _failure("curl second", 3), key)])
    outcomes, totals = _merged([first, second])
    assert list(outcomes) == ["GET /x", "GET /y", "GET /z"]  # as first met, run by run
    x = outcomes["GET /x"]
    assert [failure.curl for failure in x.failures] == ["curl first"]  # the first run's evidence
    assert x.failures[0].occurrences == 5  # 2 in the first run, 3 in the second
    assert x.checks == 3 and x.rules == {"show.calendar"}
    assert outcomes["GET /y"].checks == 1 and outcomes["GET /z"].checks == 0
    assert totals.cases == 5 and totals.statuses == {"GET /x": [200, 404], "GET /z": [200]}


def test_an_error_of_schemathesis_is_kept_each_time_and_counts_no_check():
    error = Step("GET /x", failure=Failure("suite.error", "-", "conformance", "GET /x", "could not test"))
    outcomes, _ = _merged([EngineFindings("conformance", steps=[error]),
                           EngineFindings("conformance", steps=[error])])
    assert [f.rule_id for f in outcomes["GET /x"].failures] == ["suite.error", "suite.error"]
    assert outcomes["GET /x"].checks == 0


def test_findings_are_plain_data():
    """They can be kept once the run's events are let go, or sent from another process."""
    found = EngineFindings("stateful", cases=1, statuses={"POST /x": [201]},
                           steps=[Step("links", "create.created", _failure("c"), ("links", "r", "n", "t"))])
    assert pickle.loads(pickle.dumps(found)) == found
