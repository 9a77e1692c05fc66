"""The kit's pytest plugin, used as an integrator would: `calendar_mock` and `calendar_mock_app`.

Each `calendar_mock` test below changes the mock and first checks it starts from the demo
data, so whichever runs second proves the reset between tests.
"""

from __future__ import annotations

import pytest
import requests
from spec_validation import DEFAULT_SETTINGS, DEMO_APIKEY, check_http_response

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


def test_plugin_first_writer(calendar_mock):
    _starts_fresh(calendar_mock)
    assert _create(calendar_mock, "first")["id"] == 13
    calendar_mock.configure(deleted_calendars="hidden")
    journal = calendar_mock.requests(method="POST")
    assert [(entry["path"], entry["status"]) for entry in journal] == [
        ("/api/v1/groups/4/calendars", 201)]
    assert journal[0]["query"] == [["apikey", "***"]]
    assert journal[0]["body"] == {"calendar": {"name": "first"}}


def test_plugin_second_writer(calendar_mock):
    _starts_fresh(calendar_mock)
    assert calendar_mock.requests(method="POST") == []
    assert _create(calendar_mock, "second")["id"] == 13
    calendar_mock.configure(intervention_match="any")


def test_plugin_other_seed_lasts_one_test(calendar_mock):
    _starts_fresh(calendar_mock)
    state = calendar_mock.state()
    seed = {"apikeys": [{"key": "k"}], "groups": state["groups"], "users": [
        {"id": 1, "email": "solo@x.test", "password": "pw", "group_id": 4}]}
    calendar_mock.reset(seed)
    response = requests.get(calendar_mock.url("/api/v1/groups/4/calendars"), timeout=10,
                            params={"apikey": "k"}, auth=("solo@x.test", "pw"))
    assert check_http_response(response)["totalRecords"] == 0


def test_plugin_after_other_seed(calendar_mock):
    _starts_fresh(calendar_mock)
    assert calendar_mock.apikey == DEMO_APIKEY
    assert calendar_mock.auth == ("pro@demo.test", "demo-password")


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
