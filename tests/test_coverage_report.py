"""The coverage report: which operations, statuses, parameters, filters, paging positions,
soft-deleted cases, credentials and faults the requests exercised, and which never - from
the spec's universe, in-process, from `/_mock/coverage`, and from the pytest plugin at the end
of an inner session."""

from __future__ import annotations

import copy
import hashlib
import json
from html.parser import HTMLParser

import pytest
import requests
from spec_validation import DEMO_APIKEY, SPEC, calendar_path, calendars_path

from mock_server import create_app, mock_of
from mock_server.contract import Contract
from mock_server.traffic import coverage
from mock_server.traffic.coverage_report import BAR_WIDTH, bar, report, text
from mock_server.traffic.coverage_universe import Universe
from mock_server.traffic.faults import KINDS

NEVER_CALLED = ("never called createCalendar, updateCalendar, deleteCalendar, listInterventions, "
                "getIntervention, listCalendarsets, getCalendarset or login")


def _report(client) -> dict:
    counter = client.mock.coverage
    return report(counter.universe, counter.tally())


def _covered(data: dict, area: str) -> set[tuple]:
    rows = next(a for a in data["areas"] if a["area"] == area)["items"]
    return {(row["subject"], row["key"]) for row in rows if row["count"]}


def test_the_universe_is_the_spec():
    universe = Universe.of(SPEC)
    contract = Contract(SPEC)
    assert [subject for _, subject, _ in universe.area("operations")] == list(contract.operations)
    statuses = {(op, key) for _, op, key in universe.area("statuses")}
    assert ("getCalendar", "404") in statuses and ("login", "404") not in statuses
    assert set(universe.condition_ops) == {"=", "!=", ">", ">=", "<", "<=", "like", "not like", "in",
                                           "not in"}
    assert universe.enums["sort"] == contract.readable_fields and universe.enums["dir"] == ("asc", "desc")
    assert set(universe.arrays) == {"intervention_ids[]", "calendarset_ids[]"}
    assert [key for _, _, key in universe.area("faults")] == list(KINDS)
    assert {scheme.id for scheme in universe.schemes} == {"apikey", "basicAuth", "sessionCookie"}


def test_the_universe_follows_a_changed_spec():
    spec = copy.deepcopy(SPEC)
    listing = spec["paths"]["/api/v1/groups/{group_id}/calendars"]["get"]
    listing["responses"]["418"] = {"description": "a teapot"}
    listing["parameters"].append({"name": "colour", "in": "query", "schema": {"type": "string",
                                                                              "enum": ["red", "blue"]}})
    universe = Universe.of(spec)
    assert ("statuses", "listCalendars", "418") in universe.items
    assert ("parameters", "listCalendars", "colour") in universe.items
    assert ("filters", "colour", "blue") in universe.items


def test_paging_positions_filters_and_parameters(client):
    client.get(calendars_path(), query={"results": "3"})
    client.get(calendars_path(), query={"results": "3", "startIndex": "3", "sort": "name", "dir": "desc"})
    client.get(calendars_path(), query={"startIndex": "100"})
    client.get(calendars_path(), query={"results": "all", "intervention_ids[]": ["21", "23"],
                                        "calendarset_ids[]": "8", "conditions[0][field]": "name",
                                        "conditions[0][op]": "like", "conditions[0][value]": "%a%"})
    data = _report(client)
    assert _covered(data, "paging") == {(None, "first"), (None, "past_first"), (None, "past_end"),
                                        (None, "all")}
    assert _covered(data, "filters") >= {("sort", "name"), ("dir", "desc"), ("conditions", "like"),
                                         ("intervention_ids[]", "several"), ("calendarset_ids[]", "one")}
    assert ("conditions", "=") not in _covered(data, "filters")
    assert {key for _, key in _covered(data, "parameters")} == {
        "results", "startIndex", "sort", "dir", "intervention_ids[]", "calendarset_ids[]", "conditions"}
    assert "never used the conditions ops =, !=, >, >=, <, <=, not like, in and not in" in data["never"]
    assert "never sent search" in data["never"]
    assert not any("past the first page" in sentence for sentence in data["never"])


def test_a_refused_list_exercises_no_filter(client):
    client.get(calendars_path(), query={"sort": "name", "dir": "sideways"})
    data = _report(client)
    assert _covered(data, "filters") == set() and _covered(data, "statuses") == {("listCalendars", "400")}


def test_soft_deleted_calendars_shown_listed_and_restored(client):
    assert "never met a soft-deleted calendar" in _report(client)["never"]
    client.get(calendar_path(6))  # soft-deleted in the demo data
    assert _covered(_report(client), "soft_deleted") == {(None, "shown")}
    client.get(calendars_path())
    client.put(calendar_path(5), json={"calendar": {"deleted": False}})  # not deleted: no restore
    assert (None, "restored") not in _covered(_report(client), "soft_deleted")
    client.put(calendar_path(6), json={"calendar": {"deleted": False}})
    assert _covered(_report(client), "soft_deleted") == {(None, "shown"), (None, "listed"),
                                                         (None, "restored")}


def test_statuses_and_sentences(client):
    client.get(calendars_path())
    client.get(calendar_path(1))
    client.get(calendar_path(999))
    never = _report(client)["never"]
    assert NEVER_CALLED in never
    assert "never saw a 400" in never and "never saw a 404 from listCalendars" in never
    assert not any(sentence.startswith("never saw a 200") for sentence in never)


def test_credentials_accepted_and_refused(client):
    digest = hashlib.sha1(b"demo-password").hexdigest()
    login = client.post("/api/v1/sessions/login", auth=None,
                        query={"pro[email]": "pro@demo.test", "pro[password]": digest})
    client.raw.set_cookie("_session_id", login.headers["Set-Cookie"].split(";")[0].split("=", 1)[1])
    client.get(calendar_path(1), auth=None)
    client.get(calendar_path(1))
    client.get(calendar_path(1), apikey=None)
    client.get(calendar_path(1), apikey="wrong")
    client.get(calendar_path(1), auth=("pro@demo.test", "wrong"))
    client.raw.set_cookie("_session_id", "expired")
    client.get(calendar_path(1), auth=None)
    client.raw.delete_cookie("_session_id")
    client.get(calendar_path(1), auth=None)
    assert _covered(_report(client), "auth") == {
        ("apikey", "accepted"), ("apikey", "missing"), ("apikey", "wrong"), ("basicAuth", "accepted"),
        ("basicAuth", "wrong"), ("sessionCookie", "accepted"), ("sessionCookie", "wrong"),
        ("user credentials", "missing")}


def test_unknown_paths_count_as_requests_but_exercise_nothing(client):
    client.get("/api/v1/nothing/here")
    data = _report(client)
    assert data["requests"] == 1 and data["covered"] == 0


def test_faults_that_hit_are_counted_and_coverage_outlives_a_reset(client):
    client.control("POST", "/faults", json={"action": "error", "path": ".", "times": 1, "status": 503})
    client.control("POST", "/faults", json={"action": "delay", "path": ".", "times": 1, "delay_ms": 1})
    faulted = {"query_string": {"apikey": DEMO_APIKEY}, "auth": ("pro@demo.test", "demo-password")}
    assert client.raw.get(calendar_path(1), **faulted).status_code == 503
    assert client.raw.get(calendar_path(1), **faulted).status_code == 200
    client.control("POST", "/reset")
    data = _report(client)
    assert _covered(data, "faults") == {(None, "error"), (None, "delay")}
    assert "never had a drop, truncate, reset, garbage or dribble fault hit a request" in data["never"]
    assert data["requests"] == 1  # the errored one never reached the API


def test_shapes_waiting_to_be_folded_are_bounded(client, monkeypatch):
    monkeypatch.setattr(coverage, "MAX_SHAPES", 5)
    for calendar_id in range(1, 40):
        client.get(calendar_path(calendar_id), query={"n": str(calendar_id)})
        assert len(client.mock.coverage._shapes) <= 5
    assert client.mock.coverage.tally().requests == 39


def test_coverage_over_http_as_json_and_html(make_client):
    client = make_client()
    client.get(calendars_path(), query={"startIndex": "2"})
    client.get(calendar_path(1), headers={"X-Mock-Namespace": "other"})
    data = client.control("GET", "/coverage").get_json()
    assert data["requests"] == 1 and "never listed a first page" in data["never"]
    assert client.control("GET", "/coverage?namespace=all").get_json()["requests"] == 2
    page = client.raw.get("/_mock/coverage?format=html")
    assert page.headers["Content-Type"].startswith("text/html")
    _check_html(page.get_data(as_text=True))
    assert client.control("GET", "/coverage?format=xml").status_code == 400
    assert client.control("DELETE", "/coverage").get_json() == {"cleared": True}
    assert client.control("GET", "/coverage").get_json()["requests"] == 0


def test_the_terminal_report_draws_a_bar_per_area_and_per_operation(client):
    client.get(calendars_path())
    client.get(calendar_path(1))
    client.get(calendar_path(999))
    data = _report(client)
    lines = text(data)
    for op in data["operations"]:
        codes = {**op["statuses"], **op["parameters"]}
        assert (op["covered"], op["total"]) == (sum(1 for n in codes.values() if n), len(codes))
        row = next(line for line in lines if line.split()[1:2] == [op["operation"]])
        assert row.split()[0] == bar(op["covered"], op["total"])
        assert f"{op['covered']} of {op['total']}" in row
    get = next(op for op in data["operations"] if op["operation"] == "getCalendar")
    assert get["calls"] == 2 and get["covered"] == 2  # 200 and 404
    statuses = next(area for area in data["areas"] if area["area"] == "statuses")
    drawn = bar(statuses["covered"], statuses["total"])
    assert f"  {drawn} statuses: {statuses['covered']} of" in "\n".join(lines)
    assert (bar(0, 6), bar(6, 6), bar(1, 100), bar(5, 10)) == (
        "░" * BAR_WIDTH, "█" * BAR_WIDTH, "█" + "░" * (BAR_WIDTH - 1), "█" * 6 + "░" * 6)


def _check_html(page: str) -> None:
    """Well formed enough to parse, with a bar per operation, and nothing fetched from elsewhere."""
    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.bars = 0
            self.external: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self.bars += dict(attrs).get("class") == "bar"
            self.external += [value for name, value in attrs if name in ("src", "href") and value]

    tags = Tags()
    tags.feed(page)
    assert tags.external == [] and "<script" not in page
    assert tags.bars >= len(Contract(SPEC).operations) * 2


@pytest.mark.http
def test_served_mock_answers_its_coverage(calendar_mock):
    calendar_mock.reset()
    requests.get(calendar_mock.url(calendar_path(999)), params={"apikey": calendar_mock.apikey},
                 auth=calendar_mock.auth, timeout=10)
    data = requests.get(calendar_mock.url("/_mock/coverage"), timeout=10).json()
    assert ("getCalendar", "404") in _covered(data, "statuses")


INNER_TESTS = """
import requests

def _get(mock, path, **params):
    return requests.get(mock.url(path), params={"apikey": mock.apikey, **params}, auth=mock.auth, timeout=10)

def test_lists_first_pages(calendar_mock):
    assert _get(calendar_mock, "/api/v1/groups/4/calendars").status_code == 200

def test_shows_one(calendar_mock_app):
    client = calendar_mock_app.app.test_client()
    response = client.get("/api/v1/groups/4/calendars/1", query_string={"apikey": calendar_mock_app.apikey},
                          auth=calendar_mock_app.auth)
    assert response.status_code == 200

def test_without_the_mock():
    assert True
"""


def test_plugin_prints_the_gaps_and_writes_json_and_html(pytester):
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider",
                                           "--calendar-mock-coverage=json:reports/coverage.json",
                                           "--calendar-mock-coverage=html:reports/coverage.html")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*calendar mock coverage*", "2 API requests;*",
                                 "*operations: 2 of 10 - listCalendars, getCalendar*",
                                 "*never saw a 404*", "*never listed past the first page*",
                                 "*never paged past the end*",
                                 "*coverage written to *coverage.json*"])
    data = json.loads((pytester.path / "reports" / "coverage.json").read_text())
    assert data["requests"] == 2
    assert NEVER_CALLED in data["never"]
    _check_html((pytester.path / "reports" / "coverage.html").read_text())


def test_under_xdist_the_workers_tallies_add_up_to_one_report(pytester):
    """Two workers, each running one file: the controller prints one report with both requests."""
    pytest.importorskip("xdist")
    first, second = INNER_TESTS.split("def test_shows_one")
    pytester.makepyfile(test_listing=first, test_showing="import requests\n\ndef test_shows_one" + second)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile",
                                           "--calendar-mock-coverage=json:reports/coverage.json")
    result.assert_outcomes(passed=3)
    assert result.stdout.str().count("calendar mock coverage ===") == 1
    result.stdout.fnmatch_lines(["2 API requests;*", "*operations: 2 of 10 - listCalendars, getCalendar*"])
    assert json.loads((pytester.path / "reports" / "coverage.json").read_text())["requests"] == 2


def test_plugin_stays_quiet_without_the_mock_or_when_told(pytester):
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n", test_inner=INNER_TESTS)
    quiet = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "test_plain.py")
    assert "calendar mock coverage" not in quiet.stdout.str()
    told = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--calendar-mock-coverage=no")
    told.assert_outcomes(passed=4)
    assert "calendar mock coverage" not in told.stdout.str()
    wrong = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--calendar-mock-coverage=pdf:x")
    assert wrong.ret != 0 and "json:PATH, html:PATH or no" in wrong.stderr.str()


def test_app_fixture_in_process_counts_too():
    app = create_app()
    app.test_client().get(calendar_path(1), query_string={"apikey": DEMO_APIKEY},
                          auth=("pro@demo.test", "demo-password"))
    assert mock_of(app).coverage.take().requests == 1
    assert mock_of(app).coverage.tally().requests == 0
