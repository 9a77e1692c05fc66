"""The contract suite itself: it passes a correct server, bites, and its CLI, levels and
read-only mode do what they say. (tests/test_contract_suite_other_servers.py: it assumes no
fixture data and no answer to an open question.)

Runs use few generated examples (the rule checks do not depend on that number) so this file
stays well under three minutes; `calendar-contract run` with its defaults is the full run.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from going_away import served_until
from suite_runs import (
    ALL_RULES,
    APIKEY,
    DOCUMENTED_RULES,
    PASSWORD,
    UNOBSERVABLE,
    describe,
    failed_rules,
    options,
)
from werkzeug.utils import redirect

from contract_tests import cli
from contract_tests.checks import ALL as ALL_CHECKS
from contract_tests.http import Exchange, curl_line
from contract_tests.runner import SuiteOptions, SuiteUsageError, resolve_options, run_suite
from contract_tests.schemathesis_layers.check_names import BUILT_IN_CHECKS, CUSTOM_CHECKS
from contract_tests.schemathesis_layers.rules import rule_for
from mock_server import create_app, mock_of
from mock_server.serve.waitress_server import serve_in_thread


# -- a correct server passes, at both levels, in-process and over HTTP ------------------------
@pytest.mark.slow
def test_passes_the_mock_in_process_at_strict_level():
    app = create_app()
    seeded = {c["id"]: c for c in mock_of(app).store.dump()["calendars"]}
    result = run_suite(options(app))
    assert result.passed, describe(result)
    assert result.checks_run > 5000 and result.cases > 200
    assert result.rules_checked == ALL_RULES - UNOBSERVABLE
    layers = {outcome.layer for outcome in result.outcomes}
    assert layers == {"conformance", "stateful", "semantic", "auth"}
    conformance = {o.name: o.checks for o in result.outcomes if o.layer == "conformance"}
    assert [name for name in conformance if "calendarsets" in name] and all(conformance.values()), conformance
    # Staging safety: nothing the suite did not create was changed (generated writes included);
    # what it created carries its run's name and is soft-deleted at the end.
    after = {c["id"]: c for c in mock_of(app).store.dump()["calendars"]}
    assert {cid: after[cid] for cid in seeded} == seeded
    created = [c for cid, c in after.items() if cid not in seeded]
    assert len(created) > 20
    assert all(c["name"].startswith("contract-kit-") and c["deleted"] for c in created)
    written = {
        e["path"]
        for e in mock_of(app).journal.entries()
        if e["method"] in ("PUT", "DELETE") and e["status"] < 300
    }
    assert not {path for path in written if int(path.rsplit("/", 1)[1].split(".")[0]) in seeded}


@pytest.mark.slow
def test_passes_the_mock_in_process_at_documented_level():
    result = run_suite(options(level="documented"))
    assert result.passed, describe(result)
    assert result.rules_checked == DOCUMENTED_RULES - UNOBSERVABLE
    skipped = {o.name for o in result.outcomes if o.status == "skipped"}
    assert {"auth.missing-apikey-401", "list.intervention-all", "create.sort-assigned"} <= skipped
    # The calendarsets paths are assumed (x-assumed): no engine spends cases on them, and every
    # operation the layer reports as passed was checked.
    conformance = {o.name: o.checks for o in result.outcomes if o.layer == "conformance"}
    assert not [name for name in conformance if "calendarsets" in name]
    assert conformance and all(conformance.values()), conformance


@pytest.mark.slow
@pytest.mark.http
def test_passes_the_mock_over_http():
    app = create_app()
    with serve_in_thread(app) as server:
        result = run_suite(options(base_url=server.base_url))
    assert result.passed, describe(result)
    assert result.target == server.base_url
    assert result.rules_checked == ALL_RULES - UNOBSERVABLE
    # Everything it created is soft-deleted again, and only calendars of its own run were written.
    state = mock_of(app).store.dump()
    ours = [c for c in state["calendars"] if c["name"].startswith("contract-kit-")]
    assert ours and all(c["deleted"] for c in ours)


def test_read_only_sends_no_write():
    """Only GET requests, plus the session logins of the session-cookie rules (POST /sessions/login)."""
    app = create_app()
    before = mock_of(app).store.dump()["calendars"]
    result = run_suite(options(app=app, read_only=True))
    assert result.passed, describe(result)
    sent = mock_of(app).journal.entries()
    assert sent
    writes = [(e["method"], e["path"]) for e in sent if e["method"] != "GET"]
    assert all(method == "POST" and path.startswith("/api/v1/sessions/login") for method, path in writes), (
        writes
    )
    assert mock_of(app).store.dump()["calendars"] == before
    assert any("--read-only" in note for note in result.notes)
    write_rules = {o.name for o in result.outcomes if o.status == "skipped" and "read-only" in o.reason}
    assert {"delete.soft", "create.created", "update.partial", "invalid.rejected"} <= write_rules
    assert {"list.paging", "list.conditions", "show.calendar"} <= result.rules_checked


# -- the CLI ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_passes_the_mock_and_writes_junit(tmp_path, capsys):
    report = tmp_path / "junit.xml"
    code = cli.main(["run", "--max-examples", "3", "--seed", "7", "--junit-xml", str(report),
                     "--progress", "units"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "semantic::list.paging" in out and "== calendar contract: PASSED" in out
    root = ET.parse(report).getroot()
    names = {case.get("name") for case in root.iter("testcase")}
    assert {
        "semantic::list.paging",
        "auth::isolation.other-group-calendar-404",
        "conformance::GET /api/v1/groups/{group_id}/calendars",
        "conformance::DELETE /api/v1/groups/{group_id}/calendars/{calendar_id}",
    } <= names
    rules_named = {p.get("value").split()[0] for p in root.iter("property") if p.get("name") == "rule"}
    assert rules_named == ALL_RULES - UNOBSERVABLE
    assert not list(root.iter("failure"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_exits_2_when_the_server_is_unreachable(capsys):
    code = cli.main(
        [
            "run",
            "--base-url",
            f"http://127.0.0.1:{_free_port()}",
            "--apikey",
            "k",
            "--user",
            "u@example.com",
            "--password",
            "p",
            "--group-id",
            "4",
            "--quiet",
        ]
    )
    assert code == 2
    assert "unreachable" in capsys.readouterr().err


@pytest.mark.http
def test_cli_exits_2_and_names_the_target_when_the_server_redirects(capsys, tmp_path):
    """http:// for an https:// staging, or a host that moved: a base URL to correct, not a finding;
    CI still gets its reports, which say so."""
    def moved(environ, start_response):
        return redirect(f"https://staging.example.test{environ['PATH_INFO']}", 301)(environ, start_response)

    def loop(environ, start_response):
        return redirect(environ["PATH_INFO"] + "?" + environ["QUERY_STRING"], 302)(environ, start_response)

    for app, said in ((moved, "redirects (301) to https://staging.example.test/api/v1/groups/4/calendars"),
                      (loop, "redirects (302) to the same URL: a redirect loop")):
        junit = tmp_path / "run.xml"
        with serve_in_thread(app) as server:
            code = cli.main(["run", "--base-url", server.base_url, "--apikey", "k", "--user", "u@example.com",
                             "--password", "p", "--group-id", "4", "--quiet", "--junit-xml", str(junit)])
        assert code == 2
        assert said in capsys.readouterr().err and said in junit.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--base-url", "http://127.0.0.1:9"],  # credentials missing
        ["run", "--level", "everything"],
        ["run", "--layers", "conformance,bogus"],
        ["run", "--other-user", "x@example.com"],  # the second identity comes whole or not at all
        ["frobnicate"],
    ],
)
def test_cli_exits_2_on_usage_errors(argv, capsys):
    assert cli.main(argv) == 2


def test_a_base_url_with_the_api_path_is_refused_with_the_root_to_give():
    with pytest.raises(SuiteUsageError, match="give the server's root"):
        resolve_options(SuiteOptions(base_url="http://127.0.0.1:9/api/v1/", apikey="k", user="u",
                                     password="p", group_id=4))


def test_a_discovery_that_fails_still_writes_the_reports_and_the_summary(tmp_path, capsys):
    """CI reads the JUnit file: a run stopped at its first read (credentials refused, a wrong
    group) says why there too, and in the summary."""
    junit, report = tmp_path / "contract.xml", tmp_path / "contract.json"
    code = cli.main(["run", "--apikey", "wrong-key", "--user", "pro@demo.test", "--password",
                     "demo-password", "--group-id", "4", "--junit-xml", str(junit), "--json", str(report),
                     "--progress", "none"])
    assert code == 1
    assert "discovery failed (auth.apikey-query)" in capsys.readouterr().out
    assert '<failure type="auth.apikey-query"' in junit.read_text(encoding="utf-8")
    assert json.loads(report.read_text(encoding="utf-8"))["passed"] is False


def _first_delete(environ) -> bool:
    """The rules' first DELETE comes once the readers' phase has ended."""
    return environ["REQUEST_METHOD"] == "DELETE"


def _generated(environ) -> bool:
    return "schemathesis" in environ.get("HTTP_USER_AGENT", "")


@pytest.mark.parametrize(("layers", "stop_at", "nth"), [("semantic,auth", _first_delete, 1),
                                                        ("conformance", _generated, 50)],
                         ids=["rules", "engines"])
def test_a_server_that_stops_answering_mid_run_still_gets_its_reports(tmp_path, capsys, layers, stop_at, nth):
    """A staging redeployed (or gone) in the middle of a run: no verdict (exit 2), but the JUnit,
    JSON and HTML reports say what was checked before and why the rest was not, CI sees an
    error, and no report or log line holds the apikey."""
    junit, report, html = tmp_path / "contract.xml", tmp_path / "contract.json", tmp_path / "contract.html"
    with served_until(create_app(), nth, stop_at) as server:
        code = cli.main(["run", "--base-url", server.base_url, "--apikey", APIKEY, "--user", "pro@demo.test",
                         "--password", PASSWORD, "--group-id", "4", "--level", "documented",
                         "--layers", layers, "--max-examples", "2", "--junit-xml", str(junit),
                         "--json", str(report), "--html", str(html), "--progress", "none"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "the server stopped answering" in err and "STOPPED, NO VERDICT" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["passed"] is False and data["stopped"]["why"] == "run stopped"
    statuses = [rule["status"] for rule in data["rules"]]
    assert statuses.count("checked") + statuses.count("failed") > 5, statuses  # what ended before
    assert any(rule["why"] == "run stopped" for rule in data["rules"])
    tree = ET.parse(junit).getroot()
    assert tree.get("errors") == "1"
    assert tree.find(".//testcase[@name='run stopped']/error") is not None
    assert "STOPPED" in html.read_text(encoding="utf-8")
    for text in (out, err, junit.read_text(encoding="utf-8"), report.read_text(encoding="utf-8"),
                 html.read_text(encoding="utf-8")):
        assert APIKEY not in text and PASSWORD not in text


def test_a_run_that_stops_early_writes_no_baseline(tmp_path, capsys):
    """--update-baseline from a run that could not look would accept whatever it saw as known."""
    baseline = tmp_path / "baseline.json"
    code = cli.main(["run", "--apikey", "wrong-key", "--user", "pro@demo.test", "--password",
                     "demo-password", "--group-id", "4", "--baseline", str(baseline), "--update-baseline",
                     "--progress", "none"])
    assert code == 1 and not baseline.exists()
    assert "not written: the run stopped early" in capsys.readouterr().out


def test_credentials_for_a_deployment_may_come_from_the_environment(monkeypatch, tmp_path):
    """Kept off the command line (`ps` shows it to every process of a shared CI runner)."""
    monkeypatch.setenv("CLICRDV_APIKEY", APIKEY)
    monkeypatch.setenv("CLICRDV_USER", "pro@demo.test")
    monkeypatch.setenv("CLICRDV_PASSWORD", PASSWORD)
    report = tmp_path / "contract.json"
    with serve_in_thread(create_app()) as up:
        code = cli.main(["run", "--base-url", up.base_url, "--group-id", "4", "--level", "documented",
                         "--layers", "auth", "--read-only", "--json", str(report), "--progress", "none"])
        assert code == 0
        # An option given wins over the environment: a wrong apikey is refused at discovery.
        assert cli.main(["run", "--base-url", up.base_url, "--group-id", "4", "--apikey", "wrong-key",
                         "--layers", "auth", "--read-only", "--progress", "none"]) == 1
    assert json.loads(report.read_text(encoding="utf-8"))["passed"] is True


def test_the_environment_is_ignored_for_the_kits_own_mock(monkeypatch, capsys):
    """A shell exporting staging's credentials still runs the in-process mock with the demo ones."""
    monkeypatch.setenv("CLICRDV_APIKEY", "staging-key")
    monkeypatch.setenv("CLICRDV_PASSWORD", "staging-password")
    assert cli.main(["run", "--level", "documented", "--layers", "auth", "--read-only",
                     "--progress", "none"]) == 0


# -- it bites, and reports the rule ---------------------------------------------------------------
def hard_delete(app):
    """DELETE removes the calendar instead of flagging it."""
    store = mock_of(app).store
    original = store.delete_calendar

    def delete_calendar(group_id: int, calendar_id: int) -> dict[str, Any]:
        record = original(group_id, calendar_id)
        with store._lock:
            store._data.calendars.pop(calendar_id, None)
            store._data.group_calendars[group_id].remove(calendar_id)
        return record

    store.delete_calendar = delete_calendar
    return app


def ignore_query_key(key: str) -> Callable[[Any], Any]:
    """A WSGI wrapper that drops one query parameter: the filter is silently ignored."""

    def plant(app):
        inner = app.wsgi_app

        def wsgi(environ, start_response):
            pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            environ["QUERY_STRING"] = urlencode([(k, v) for k, v in pairs if k != key])
            return inner(environ, start_response)

        app.wsgi_app = wsgi
        return app

    return plant


@pytest.mark.parametrize(
    ("plant", "layers", "rule"),
    [
        (hard_delete, ("semantic",), "delete.soft"),
        (hard_delete, ("stateful",), "delete.soft"),
        (ignore_query_key("calendarset_ids[]"), ("semantic",), "list.calendarset-any"),
        (ignore_query_key("intervention_ids[]"), ("semantic",), "list.intervention-filter"),
        (ignore_query_key("startIndex"), ("semantic",), "list.paging"),
    ],
)
def test_a_planted_fault_fails_with_its_rule(plant, layers, rule, tmp_path):
    report = tmp_path / "junit.xml"
    result = run_suite(options(plant(create_app()), layers=layers, junit_xml=str(report)))
    assert not result.passed
    assert rule in failed_rules(result), describe(result)
    failure = next(f for f in result.failures if f.rule_id == rule)
    assert failure.tag in ("DOC", "INF") and failure.layer == layers[0]
    assert failure.operation.startswith(("GET /api/v1/", "DELETE /api/v1/", "PUT /api/v1/", "POST /api/v1/"))
    assert failure.message and failure.curl.startswith("curl ")
    assert APIKEY not in failure.curl and PASSWORD not in failure.curl
    failed_cases = {
        case.get("name"): [f.get("type") for f in case.iter("failure")]
        for case in ET.parse(report).getroot().iter("testcase")
    }
    assert any(rule in types for types in failed_cases.values()), failed_cases


def test_documented_level_does_not_hold_a_deployment_to_our_assumptions():
    """A deployment answering 403 (not 401) without an apikey breaks an ASM rule only."""
    app = create_app()
    inner = app.wsgi_app

    def wsgi(environ, start_response):
        if "apikey=" not in environ.get("QUERY_STRING", "") and environ["PATH_INFO"].startswith("/api/"):
            start_response("403 FORBIDDEN", [("Content-Type", "application/json")])
            return [b'{"message": "forbidden"}']
        return inner(environ, start_response)

    app.wsgi_app = wsgi
    strict = run_suite(options(app, layers=("auth",)))
    assert "auth.missing-apikey-401" in failed_rules(strict)
    assert run_suite(options(app, layers=("auth",), level="documented")).passed


# -- what the suite is made of ---------------------------------------------------------------------
def test_every_observable_rule_has_a_check():
    registered = {check.rule_id for check in ALL_CHECKS}
    assert registered <= ALL_RULES
    assert ALL_RULES - registered <= UNOBSERVABLE


# The rule each schemathesis check stands for on a positive GET of one calendar answered 200.
CHECK_RULES = {
    "not_a_server_error": "show.calendar",
    "status_code_conformance": "transport.status-set",
    "content_type_conformance": "transport.json-responses",
    "response_headers_conformance": "auth.session-cookie",
    "response_schema_conformance": "show.calendar",
    "negative_data_rejection": "invalid.rejected",
    "positive_data_acceptance": "show.calendar",
    "missing_required_header": "auth.no-data-without-credentials",
    "unsupported_method": "method.405",
    "allow_header_conformance": "method.405",
    "use_after_free": "transport.status-set",
    "ensure_resource_availability": "create.created",
    "ignored_auth": "auth.no-data-without-credentials",
    "object_level_authorization": "isolation.other-group-calendar-404",
    "contract_documented_response_schema": "show.calendar",
    "contract_success_media_type": "transport.json-responses",
    "contract_unserved_method": "method.405",
    "contract_refusal_changes_nothing": "invalid.rejected",
    "contract_soft_delete": "delete.soft",
    "contract_write_persisted": "update.partial",
    "contract_created_readable": "create.created",
}


def test_schemathesis_checks_map_to_their_rule():
    class Operation:
        definition = type("D", (), {"raw": {"operationId": "getCalendar"}})()
        label = "GET /api/v1/groups/{group_id}/calendars/{calendar_id}"

    class Case:
        operation = Operation()
        method = "GET"
        meta = None

    assert set(CHECK_RULES) == {*BUILT_IN_CHECKS, *CUSTOM_CHECKS}
    assert {check: rule_for(check, Case(), 200) for check in CHECK_RULES} == CHECK_RULES
    marked = type("F", (), {"message": "[rule:list.paging] the page is wrong"})()
    assert rule_for("contract_documented_response_schema", Case(), 200, marked) == "list.paging"


def test_curl_lines_mask_secrets():
    exchange = Exchange(
        "POST",
        "http://localhost",
        "/api/v1/sessions/login",
        "apikey=s3cret&pro%5Bemail%5D=a%40b.c&pro%5Bpassword%5D=abc123",
        {
            "Authorization": "Basic YUBiLmM6aHVudGVyMg==",
            "Cookie": "_session_id=deadbeef",
            "Content-Type": "application/json",
        },
        b'{"apikey": "s3cret", "calendar": {"name": "x"}}',
        200,
        [],
        b"{}",
    )
    line = curl_line(exchange)
    for secret in ("s3cret", "abc123", "hunter2", "deadbeef"):
        assert secret not in line
    assert "-u 'a@b.c:[Filtered]'" in line and "apikey=%5BFiltered%5D" in line
