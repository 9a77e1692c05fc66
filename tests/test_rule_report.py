"""The per-rule table of a run: every rule of the level appears once, checked, failed, or not
checked with the reason why not - in the text summary, the JSON report and the JUnit file."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from typing import Any

import pytest
from calendar_spec import rule_ids
from flask import Response
from planted_faults import CATALOGUE
from planted_faults.plumbing import before_request
from suite_runs import describe, options

from contract_tests import cli
from contract_tests.model import (
    DISCOVERY_FAILED,
    LAYER_NOT_RUN,
    NO_INTERVENTION,
    NO_SECOND_IDENTITY,
    READ_ONLY,
    UNOBSERVABLE,
)
from contract_tests.report_rules import CHECKED, FAILED, NOT_CHECKED
from contract_tests.runner import run_suite
from contract_tests.schemathesis_layers import checks as schemathesis_checks
from contract_tests.schemathesis_layers.rules import NO_CREDIT, credited_rule
from mock_server import create_app

WRITE_ONLY = {"create.created", "create.defaults", "update.partial", "delete.soft", "invalid.rejected",
              "transport.json-body", "method.405", "restore.put-deleted-false"}


def _rows(result) -> dict[str, Any]:
    rows = {row.rule_id: row for row in result.rule_table()}
    assert len(rows) == len(result.rule_table()), "a rule appears once"
    assert set(rows) == rule_ids(result.level), "every rule of the level appears"
    return rows


def test_read_only_run_lists_write_rules_as_not_checked_with_the_reason(tmp_path):
    report, junit = tmp_path / "run.json", tmp_path / "run.xml"
    result = run_suite(options(level="documented", read_only=True, layers=("semantic", "auth"),
                               json_report=str(report), junit_xml=str(junit)))
    assert result.passed, describe(result)
    rows = _rows(result)
    for rule_id in WRITE_ONLY:
        assert (rows[rule_id].status, rows[rule_id].why) == (NOT_CHECKED, READ_ONLY), rows[rule_id]
    assert (rows["transport.servers"].status, rows["transport.servers"].why) == (NOT_CHECKED, UNOBSERVABLE)
    assert rows["list.paging"].status == CHECKED and rows["list.paging"].layers == ("semantic",)
    # checked in part: the reads ran, the writes were skipped - and the row says so
    assert rows["auth.no-data-without-credentials"].status == CHECKED
    assert "read-only" in rows["auth.no-data-without-credentials"].reason
    assert {r for r, row in rows.items() if row.status == CHECKED} == result.rules_checked
    text = result.summary()
    assert "rules of --level documented:" in text and "read-only: needs writes" in text
    assert "create.created (DOC)" in text and "transport.servers (DOC) - unobservable" in text

    written = json.loads(report.read_text(encoding="utf-8"))
    assert [row["id"] for row in written["rules"]] == [row.rule_id for row in result.rule_table()]
    by_id = {row["id"]: row for row in written["rules"]}
    assert by_id["delete.soft"]["status"] == NOT_CHECKED and by_id["delete.soft"]["why"] == READ_ONLY
    assert written["read_only"] is True and written["passed"] is True and written["failures"] == []
    assert "list.intervention-all" in written["rules_not_at_level"]

    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    skipped = cases["rules::delete.soft"].find("skipped")
    assert skipped is not None and skipped.get("type") == READ_ONLY
    assert "needs writes" in skipped.get("message")
    assert cases["rules::list.paging"].find("skipped") is None
    assert {name for name in cases if name.startswith("rules::")} == {
        f"rules::{rule_id}" for rule_id in rule_ids("documented")}


def test_no_second_identity_no_intervention_and_layers_left_out_say_so():
    result = run_suite(options(layers=("semantic",), other_user=None, other_password=None,
                               other_group_id=None, intervention_probes=2))
    assert result.passed, describe(result)
    rows = _rows(result)
    assert rows["list.intervention-filter"].why == NO_INTERVENTION
    assert "--intervention-id" in rows["list.intervention-filter"].reason
    assert rows["isolation.other-group-404"].why == LAYER_NOT_RUN  # the auth layer was left out
    assert "auth layer" in rows["isolation.other-group-404"].reason
    result = run_suite(options(layers=("auth",), other_user=None, other_password=None, other_group_id=None))
    assert result.passed, describe(result)
    row = _rows(result)["isolation.other-group-404"]
    assert (row.status, row.why) == (NOT_CHECKED, NO_SECOND_IDENTITY) and "--other-user" in row.reason


def test_a_failed_rule_is_a_failed_row_and_a_junit_failure(tmp_path):
    junit = tmp_path / "run.xml"
    result = run_suite(options(CATALOGUE["search_refused"].build(), layers=("semantic",),
                               junit_xml=str(junit)))
    row = _rows(result)["list.search"]
    assert (row.status, row.layers) == (FAILED, ("semantic",)) and row.failures >= 1
    assert "FAILED       list.search (DOC)" in result.summary()
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert cases["rules::list.search"].find("failure") is not None


def test_a_run_that_cannot_discover_says_nothing_was_checked():
    result = run_suite(options(apikey="not-the-key", layers=("semantic", "auth")))
    rows = _rows(result)
    assert rows["auth.apikey-query"].status == FAILED
    reasons = {row.why for row in rows.values() if row.status == NOT_CHECKED}
    assert reasons == {DISCOVERY_FAILED, UNOBSERVABLE}


def test_cli_writes_the_json_report(tmp_path, capsys):
    report = tmp_path / "out" / "run.json"
    code = cli.main(["run", "--layers", "semantic", "--read-only", "--level", "documented",
                     "--json", str(report), "--quiet"])
    assert code == 0, capsys.readouterr().out
    written = json.loads(report.read_text(encoding="utf-8"))
    assert {row["id"] for row in written["rules"]} == rule_ids("documented")
    reasons = {row["why"] for row in written["rules"] if row["status"] == NOT_CHECKED}
    assert reasons >= {READ_ONLY, LAYER_NOT_RUN}


# -- schemathesis' successes count only where the check could have failed ---------------------------
def _case(operation_id: str, method: str = "GET", negative: bool = False) -> Any:
    mode = SimpleNamespace(value="negative" if negative else "positive")
    return SimpleNamespace(
        operation=SimpleNamespace(definition=SimpleNamespace(raw={"operationId": operation_id})),
        method=method, meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)))


@pytest.mark.parametrize("check", sorted(NO_CREDIT))
def test_checks_that_pass_by_not_applying_credit_no_rule(check: str):
    """missing_required_header (no required header in the spec), object_level_authorization (one
    identity) and ignored_auth (removes every credential at once) once made
    auth.no-data-without-credentials and isolation.other-group-calendar-404 look checked."""
    assert credited_rule(check, _case("getCalendar"), 200) is None


def test_credit_follows_what_the_check_judged():
    assert credited_rule("not_a_server_error", _case("listCalendars"), 200) == "list.envelope"
    assert credited_rule("negative_data_rejection", _case("createCalendar", "POST"), 400) is None
    assert credited_rule("negative_data_rejection", _case("createCalendar", "POST", True), 400) \
        == "invalid.rejected"
    assert credited_rule("response_headers_conformance", _case("getCalendar"), 200) is None
    assert credited_rule("response_headers_conformance", _case("login", "POST"), 200) == "auth.session-cookie"
    assert credited_rule("contract_refusal_changes_nothing", _case("updateCalendar", "PUT"), 404) is None


def test_the_suites_own_checks_skip_what_is_not_their_business():
    """schemathesis records a falsy return as a success and a truthy one as skipped."""
    response = SimpleNamespace(status_code=200, headers={}, content=b"")
    foreign = SimpleNamespace(operation=SimpleNamespace(schema=object()))  # not the suite's schema
    for name in ("contract_soft_delete", "contract_created_readable", "contract_write_persisted",
                 "contract_success_media_type", "contract_unserved_method",
                 "contract_refusal_changes_nothing", "contract_documented_response_schema"):
        assert getattr(schemathesis_checks, name)(None, response, foreign) is schemathesis_checks.SKIP


def test_a_deployment_answering_control_characters_leaves_the_junit_file_readable(tmp_path):
    """A deployment's answer quoted in a failure (here a terminal-coloured error with a NUL, as a
    framework's debug page may send) holds characters XML 1.0 cannot: CI must still read the file."""
    app = create_app()

    @before_request(app)
    def coloured_refusal(request):
        if "search" in request.args:
            return Response('{"error": "\x1b[31msearch\x00 not supported\x1b[0m"}', status=400,
                            mimetype="application/json")
        return None

    junit = tmp_path / "run.xml"
    result = run_suite(options(app, layers=("semantic",), junit_xml=str(junit)))
    assert _rows(result)["list.search"].status == FAILED
    written = ET.parse(junit).getroot()  # raised "not well-formed" before
    failures = [element for element in written.iter("failure") if element.get("type") == "list.search"]
    quoted = "".join((element.text or "") + element.get("message", "") for element in failures)
    assert "\\x1b[31msearch\\x00 not supported" in quoted, quoted
