"""`--baseline FILE`: known, accepted findings are reported as known and do not fail the run; a
finding the baseline does not list still does. `--update-baseline` writes the file. Findings
are named stably: not by the run's names, ids or schemathesis' examples."""

from __future__ import annotations

import json

import pytest
from planted_faults import CATALOGUE
from suite_runs import describe, options

from contract_tests import cli
from contract_tests.baseline import finding_key, normalised
from contract_tests.model import Failure
from contract_tests.runner import run_suite


def _run(fault: str, **overrides):
    return run_suite(options(CATALOGUE[fault].build(), layers=("semantic",), **overrides))


def test_a_baselined_fault_passes_and_another_fault_still_fails(tmp_path):
    known, report = tmp_path / "known.json", tmp_path / "run.json"
    first = _run("search_refused")
    assert not first.passed and first.known is None, describe(first)

    updated = _run("search_refused", baseline=str(known), update_baseline=True)
    assert updated.passed, describe(updated)
    written = json.loads(known.read_text(encoding="utf-8"))
    assert {item["rule_id"] for item in written["findings"]} == {f.rule_id for f in first.failures}

    again = _run("search_refused", baseline=str(known), json_report=str(report))
    assert again.passed and again.failures and not again.new_failures, describe(again)
    text = again.summary()
    assert "== calendar contract: PASSED" in text and "[known] [semantic] list.search (DOC)" in text
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["passed"] is True and all(failure["known"] for failure in data["failures"])
    assert data["baseline"] == {"known": len(again.failures), "new": 0}

    other = _run("sort_dir_ignored", baseline=str(known), json_report=str(report))
    assert not other.passed, describe(other)
    assert {f.rule_id for f in other.new_failures} == {f.rule_id for f in other.failures}
    assert {f.rule_id for f in other.failures} == {"list.sort-order"}
    assert "known finding(s) not seen this run" in " ".join(other.notes)  # search's, fixed here
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["passed"] is False and not any(failure["known"] for failure in data["failures"])


def test_the_same_fault_is_named_alike_across_runs_and_seeds():
    keys = [{finding_key(f) for f in _run("search_refused", seed=seed).failures} for seed in (1, 2)]
    assert keys[0] == keys[1] and keys[0]


@pytest.mark.slow
def test_schemathesis_findings_are_named_by_check_not_by_example():
    runs = [run_suite(options(CATALOGUE["search_refused"].build(), layers=("conformance",), seed=seed,
                              max_examples=3)) for seed in (3, 4)]
    keys = [{finding_key(f) for f in run.failures} for run in runs]
    assert keys[0] and keys[0] == keys[1], [describe(run) for run in runs]
    assert all("schemathesis:" in key for key in keys[0])


def _failure(message: str, operation: str = "GET /api/v1/groups/{group_id}/calendars") -> Failure:
    return Failure("list.search", "DOC", "semantic", operation, message)


def test_what_changes_every_run_is_left_out_of_a_findings_name():
    assert finding_key(_failure("calendar 1234 (contract-kit-20261130182921-06f9-list-3) is missing at "
                                "2026-11-30 18:29:21")) == finding_key(
        _failure("calendar 77 (contract-kit-20261201090000-a1b2-list-9) is missing at 2026-12-01 09:00:00"))
    assert normalised("named 'Dr Martin' then \"x\"") == "named <value> then <value>"
    # what names the finding stays in: the rule, the operation, the status announced
    assert finding_key(_failure("GET answers 400")) != finding_key(_failure("GET answers 500"))
    assert finding_key(_failure("x", operation="GET /a")) != finding_key(_failure("x", operation="PUT /a"))
    example = "Server error (schemathesis check not_a_server_error, negative case): {}"
    assert finding_key(_failure(example.format("name=ab"))) == finding_key(_failure(example.format("id=-9")))
    assert finding_key(_failure(example.format(""))) != finding_key(
        _failure("Server error (schemathesis check not_a_server_error, positive case): "))


def test_cli_writes_and_holds_a_baseline(tmp_path, capsys):
    known = tmp_path / "known.json"
    argv = ["run", "--layers", "auth", "--read-only", "--quiet", "--baseline", str(known)]
    assert cli.main(argv) == 2 and "no such file" in capsys.readouterr().err
    assert cli.main(["run", "--update-baseline", "--quiet"]) == 2
    assert "--update-baseline needs --baseline" in capsys.readouterr().err
    assert cli.main([*argv, "--update-baseline"]) == 0, capsys.readouterr().out
    assert json.loads(known.read_text(encoding="utf-8"))["findings"] == []  # the healthy mock
    assert cli.main(argv) == 0
    known.write_text("{}", encoding="utf-8")
    assert cli.main(argv) == 2 and "not a baseline file" in capsys.readouterr().err
