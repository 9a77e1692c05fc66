"""What a test asserts about the requests its code sent: `assert_requested` (with WireMock's near
misses when it fails), `refused()`, strict mode, and the same over HTTP under /_mock/requests.
"""

from __future__ import annotations

import re

import pytest
import requests

from mock_server import mock_clicrdv

LIST = "/api/v1/groups/{group_id}/calendars"
ONE = "/api/v1/groups/{group_id}/calendars/{calendar_id}"


def send(mock, method: str, path: str, *, apikey: str | None = None, **kwargs) -> requests.Response:
    params = {"apikey": apikey or mock.apikey, **kwargs.pop("params", {})}
    return requests.request(method, mock.url(path), params=params, auth=mock.auth, timeout=5, **kwargs)


@pytest.fixture
def traffic(calendar_mock_intercept):
    """A mock whose journal holds: #1 a list, #2 a create, #3 an update, #4 a delete."""
    mock = calendar_mock_intercept
    send(mock, "GET", "/api/v1/groups/4/calendars", params={"results": 5, "sort": "name"})
    send(mock, "POST", "/api/v1/groups/4/calendars", json={"calendar": {"name": "Dr A", "mintime_rdv": 30}})
    send(mock, "PUT", "/api/v1/groups/4/calendars/2.json", json={"calendar": {"name": "Dr B"}})
    send(mock, "DELETE", "/api/v1/groups/4/calendars/2")
    return mock


def test_assert_requested_matches_templates_regexes_params_and_bodies(traffic):
    assert [entry["seq"] for entry in traffic.assert_requested("GET", LIST, params={"results": 5})] == [1]
    traffic.assert_requested("POST", LIST, times=1, body={"calendar": {"name": "Dr A"}})
    traffic.assert_requested("PUT", ONE, body={"calendar": {"name": "Dr B"}})  # the .json alias too
    traffic.assert_requested("PUT", r"^/api/v1/groups/4/calendars/\d+")
    traffic.assert_requested(None, re.compile(r"/calendars/2(\.json)?$"), times=2)
    traffic.assert_requested("GET", LIST, params={"sort": "name", "results": "5"})
    traffic.assert_requested(None, None, times=4)
    traffic.assert_requested("POST", LIST, times=0, body={"calendar": {"name": "Dr Z"}})


def test_a_miss_shows_the_closest_requests_and_what_differs(traffic):
    with pytest.raises(AssertionError) as failure:
        traffic.assert_requested("PUT", ONE, body={"calendar": {"name": "Dr C"}})
    assert str(failure.value) == "\n".join([
        'expected at least 1 request(s) matching PUT /api/v1/groups/{group_id}/calendars/{calendar_id} '
        'body {"calendar": {"name": "Dr C"}}; the journal holds 0 of 4 request(s)',
        "closest requests that do not match:",
        "  #3 PUT /api/v1/groups/4/calendars/2.json?apikey=*** -> 200",
        '      body.calendar.name is "Dr B", expected "Dr C"',
        "  #4 DELETE /api/v1/groups/4/calendars/2?apikey=*** -> 200",
        "      method is DELETE, expected PUT",
        '      body: none was sent, expected {"calendar": {"name": "Dr C"}}',
        "  #2 POST /api/v1/groups/4/calendars?apikey=*** -> 201",
        "      method is POST, expected PUT",
        f"      path /api/v1/groups/4/calendars does not match {ONE}",
        '      body.calendar.name is "Dr A", expected "Dr C"',
    ])


def test_a_miss_on_params_names_each_one(traffic):
    with pytest.raises(AssertionError) as failure:
        traffic.assert_requested("GET", LIST, params={"results": 10, "dir": "desc"})
    message = str(failure.value)
    assert "  #1 GET /api/v1/groups/4/calendars?apikey=***&results=5&sort=name -> 200" in message
    assert "      params: results is '5', expected '10'\n      params: dir missing" in message


def test_a_wrong_count_lists_the_matches(traffic):
    with pytest.raises(AssertionError) as failure:
        traffic.assert_requested(None, "/api/v1/groups/{group_id}/calendars/2", times=1)
    assert str(failure.value).splitlines()[:4] == [
        "expected exactly 1 request(s) matching any method /api/v1/groups/{group_id}/calendars/2; "
        "the journal holds 2 of 4 request(s)",
        "matching:",
        "  #3 PUT /api/v1/groups/4/calendars/2.json?apikey=*** -> 200",
        "  #4 DELETE /api/v1/groups/4/calendars/2?apikey=*** -> 200",
    ]


@pytest.mark.parametrize("pattern, field", [
    ({"method": "G T"}, "method"), ({"path": "calendars"}, "path"), ({"path": "^("}, "path"),
    ({"params": ["results"]}, "params"), ({"params": {"ids": {"a": 1}}}, "params.ids"),
])
def test_a_bad_pattern_is_refused_naming_the_part(calendar_mock_intercept, pattern, field):
    from mock_server.errors import BadRequest

    with pytest.raises(BadRequest) as refused:
        calendar_mock_intercept.assert_requested(pattern.get("method"), pattern.get("path"),
                                                 params=pattern.get("params"))
    assert list(refused.value.errors) == [field]


# -- refused() ---------------------------------------------------------------------------------
def test_refused_lists_what_the_spec_refuses_with_the_reason(calendar_mock_intercept):
    mock = calendar_mock_intercept
    send(mock, "POST", "/api/v1/groups/4/calendars", json={"calendar": {"name": "x" * 256}})
    send(mock, "GET", "/api/v1/groups/4/calendars", apikey="not-a-key")
    send(mock, "PATCH", "/api/v1/groups/4/calendars/1")
    send(mock, "GET", "/api/v1/groups/4/calendars/abc")
    send(mock, "GET", "/api/v1/groups/4/calendars/999")  # well-formed: no such calendar, not refused
    send(mock, "GET", "/api/v1/groups/4/calendars/1")
    refused = mock.refused()
    assert [(entry["seq"], entry["method"], entry["status"]) for entry in refused] == [
        (1, "POST", 400), (2, "GET", 401), (3, "PATCH", 405), (4, "GET", 404)]
    assert refused[0]["refusal"] == {
        "status": 400, "message": "Invalid request body: calendar.name is longer than 255 characters",
        "errors": {"calendar.name": ["is longer than 255 characters"]}}
    assert refused[1]["refusal"]["errors"] == {"apikey": ["is not a known API key"]}
    assert mock.requests()[4]["status"] == 404 and "refusal" not in mock.requests()[4]


def test_the_reason_is_kept_whatever_shape_the_error_body_takes(calendar_mock_intercept):
    mock = calendar_mock_intercept
    mock.configure(error_body="other")
    answer = send(mock, "PUT", "/api/v1/groups/4/calendars/1", json={"calendar": {"sort": "first"}})
    assert "details" in answer.json()
    assert mock.refused()[0]["refusal"]["errors"] == {"calendar.sort": ["must be an integer"]}


def test_strict_interception_fails_on_exit_listing_the_refusals():
    with pytest.raises(AssertionError) as failure, mock_clicrdv(strict=True) as mock:
        send(mock, "POST", "/api/v1/groups/4/calendars", json={"calendar": {}})
    assert str(failure.value) == "\n".join([
        "the mock refused 1 request(s) the spec does not accept:",
        "  #1 POST /api/v1/groups/4/calendars?apikey=*** -> 400: "
        "Invalid request body: calendar.name is required",
        "      calendar.name: is required",
    ])
    with mock_clicrdv(strict=True) as mock:  # nothing refused: nothing raised
        send(mock, "GET", "/api/v1/groups/4/calendars/1")


STRICT_TESTS = """
    import pytest
    import requests

    def bad_create(mock):
        return requests.post(mock.url("/api/v1/groups/4/calendars"), params={"apikey": mock.apikey},
                             auth=mock.auth, json={"calendar": {"name": "x" * 300}}, timeout=5)

    def test_intercepted_bad_request(calendar_mock_intercept):
        assert bad_create(calendar_mock_intercept).status_code == 400   # the app "handles" it

    def test_served_bad_request(calendar_mock):
        bad_create(calendar_mock)

    def test_in_process_bad_request(calendar_mock_app):
        calendar_mock_app.app.test_client().get("/api/v1/groups/4/calendars")   # no apikey

    def test_unknown_calendar_is_not_a_refusal(calendar_mock_intercept):
        mock = calendar_mock_intercept
        requests.get(mock.url("/api/v1/groups/4/calendars/999"), params={"apikey": mock.apikey},
                     auth=mock.auth, timeout=5)

    @pytest.mark.calendar_mock(strict=False)
    def test_marker_turns_strict_off(calendar_mock_intercept):
        bad_create(calendar_mock_intercept)

    def test_a_failing_test_keeps_its_own_failure(calendar_mock_intercept):
        bad_create(calendar_mock_intercept)
        assert False, "the test's own failure"
"""


@pytest.mark.http
def test_strict_mode_fails_tests_whose_code_sent_refused_requests(pytester):
    pytester.makepyfile(test_strict=STRICT_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--calendar-mock-strict")
    result.assert_outcomes(passed=2, failed=4)
    result.stdout.fnmatch_lines([
        "*test_intercepted_bad_request*",
        "calendar mock, strict: the mock refused 1 request(s) the spec does not accept:",
        "  #1 POST /api/v1/groups/4/calendars?apikey=*** -> 400: Invalid request body: "
        "calendar.name is longer than 255 characters",
        "      calendar.name: is longer than 255 characters",
    ])
    result.stdout.fnmatch_lines(["*test_in_process_bad_request*", "*-> 401: apikey is missing*"])
    result.stdout.fnmatch_lines(["*the test's own failure*"])


def test_strict_mode_from_the_ini_or_the_marker(pytester):
    pytester.makeini("[pytest]\ncalendar_mock_strict = true\n")
    pytester.makepyfile(test_strict=STRICT_TESTS.replace("def test_served_bad_request(calendar_mock):",
                                                         "def _unused(calendar_mock):"))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=3)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_marker="""
        import pytest

        @pytest.mark.calendar_mock(strict=True)
        def test_strict_by_marker(calendar_mock_app):
            calendar_mock_app.app.test_client().get("/api/v1/groups/4/calendars")

        def test_lenient_by_default(calendar_mock_app):
            calendar_mock_app.app.test_client().get("/api/v1/groups/4/calendars")
    """)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "test_marker.py")
    result.assert_outcomes(passed=1, failed=1)


# -- over HTTP ---------------------------------------------------------------------------------
def test_count_find_and_refused_over_http(traffic):
    control = traffic.app.test_client()
    pattern = {"method": "PUT", "path": ONE, "body": {"calendar": {"name": "Dr B"}}}
    assert control.post("/_mock/requests/count", json=pattern).get_json() == {"count": 1}
    assert control.post("/_mock/requests/count", json={}).get_json() == {"count": 4}
    found = control.post("/_mock/requests/find", json={**pattern, "body": {"calendar": {"name": "Dr C"}}})
    body = found.get_json()
    assert body["requests"] == []
    assert [miss["request"]["seq"] for miss in body["near_misses"]] == [3, 4, 2]
    assert body["near_misses"][0]["differences"] == ['body.calendar.name is "Dr B", expected "Dr C"']
    send(traffic, "GET", "/api/v1/groups/4/calendars", apikey="nope")
    refused = control.get("/_mock/requests/refused").get_json()
    assert refused["count"] == 1 and refused["requests"][0]["refusal"]["status"] == 401


@pytest.mark.parametrize("pattern, field", [
    ([], "body"), ({"path": 5}, "path"), ({"path": "^(unclosed"}, "path"), ({"verb": "GET"}, "verb"),
    ({"params": "results=5"}, "params"), ({"method": "GET /"}, "method"),
])
def test_a_bad_pattern_over_http_is_a_400_naming_the_field(calendar_mock_app, pattern, field):
    answer = calendar_mock_app.app.test_client().post("/_mock/requests/find", json=pattern)
    assert answer.status_code == 400
    assert list(answer.get_json()["errors"]) == [field]
