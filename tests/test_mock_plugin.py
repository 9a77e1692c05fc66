"""The kit's pytest plugin, used as an integrator would: `calendar_mock` and `calendar_mock_app`.

Each `calendar_mock` test below changes the mock and first checks it starts from the demo
data, so whichever runs second proves the reset between tests.
"""

from __future__ import annotations

import pytest
import requests
from spec_validation import DEFAULT_SETTINGS, check_http_response

pytestmark = pytest.mark.http


def _starts_fresh(mock) -> list[dict]:
    response = requests.get(mock.url(f"/api/v1/groups/{mock.group_id}/calendars"),
                            params={"apikey": mock.apikey, "results": "all"}, auth=mock.auth, timeout=10)
    body = check_http_response(response)
    assert [record["id"] for record in body["records"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert mock.state()["settings"] == DEFAULT_SETTINGS
    return body["records"]


def _create(mock, name: str) -> dict:
    response = requests.post(mock.url(f"/api/v1/groups/{mock.group_id}/calendars"),
                             params={"apikey": mock.apikey}, auth=mock.auth, timeout=10,
                             json={"calendar": {"name": name}})
    assert response.status_code == 201
    return check_http_response(response)


def test_plugin_journals_a_write_with_secrets_masked(calendar_mock):
    _starts_fresh(calendar_mock)
    assert _create(calendar_mock, "first")["id"] == 13
    journal = calendar_mock.requests(method="POST")
    assert [(entry["path"], entry["status"]) for entry in journal] == [
        ("/api/v1/groups/4/calendars", 201)]
    assert journal[0]["query"] == [["apikey", "***"]]
    assert journal[0]["body"] == {"calendar": {"name": "first"}}


def test_each_test_starts_from_the_seed_whatever_the_test_before_did(pytester):
    """Tests in one session, in this order: each undoes nothing, and each next one starts from
    the demo data, default settings, an empty journal, no faults - also after another seed."""
    pytester.makepyfile(test_order="""
        import requests

        def _ids(mock):
            response = requests.get(mock.url(f"/api/v1/groups/{mock.group_id}/calendars"), timeout=10,
                                    params={"apikey": mock.apikey, "results": "all"}, auth=mock.auth)
            return [record["id"] for record in response.json()["records"]]

        def _fresh(mock):
            assert _ids(mock) == [1, 2, 3, 4, 5, 6, 7, 8]
            assert mock.requests(method="POST") == [] and mock.faults() == []
            assert mock.state()["settings"]["deleted_calendars"] == "listed"
            assert mock.state()["settings"]["page_cap"] == "none"

        def test_1_writes_and_switches(calendar_mock):
            _fresh(calendar_mock)
            requests.post(calendar_mock.url("/api/v1/groups/4/calendars"), timeout=10,
                          params={"apikey": calendar_mock.apikey}, auth=calendar_mock.auth,
                          json={"calendar": {"name": "left behind"}})
            calendar_mock.configure(deleted_calendars="hidden", page_cap="5")
            calendar_mock.inject("delay", path="/nothing$", times=1, delay_ms=1)

        def test_2_loads_another_seed(calendar_mock):
            _fresh(calendar_mock)
            state = calendar_mock.state()
            calendar_mock.reset({"apikeys": [{"key": "k"}], "groups": state["groups"], "users": [
                {"id": 1, "email": "solo@x.test", "password": "pw", "group_id": 4}]})
            response = requests.get(calendar_mock.url("/api/v1/groups/4/calendars"), timeout=10,
                                    params={"apikey": "k"}, auth=("solo@x.test", "pw"))
            assert response.json()["totalRecords"] == 0

        def test_3_has_the_demo_data_back(calendar_mock):
            _fresh(calendar_mock)
            assert calendar_mock.auth == ("pro@demo.test", "demo-password")
    """)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_plugin_in_process_flavour(calendar_mock_app):
    client = calendar_mock_app.app.test_client()
    response = client.get(f"/api/v1/groups/{calendar_mock_app.group_id}/calendars/1",
                          query_string={"apikey": calendar_mock_app.apikey},
                          auth=calendar_mock_app.auth)
    assert response.status_code == 200
    assert response.get_json()["name"] == "Dr Martin"
    assert [entry["status"] for entry in calendar_mock_app.requests()] == [200]


def test_plugin_in_process_mocks_are_separate(calendar_mock_app, calendar_mock):
    assert calendar_mock_app.app is not calendar_mock.app
    assert calendar_mock_app.requests() == []
