"""Every operation × every identity × every target: answers exactly as CONTRACT.md, no leak.

Statuses: any failure of the apikey or of the user's identity is 401; a group the user may
not access, or a calendar outside the path's group, is 404 - the same as "does not exist".
A refused request changes nothing and its body carries no calendar data.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from mock_server import create_app, mock_of

KEY = "demo-apikey-4f1c2b"
OWN, OTHER, UNKNOWN = 4, 5, 987654
OTHER_CALENDAR = 9  # belongs to group 5


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _basic(email: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()}


def _session(client, email: str, password: str) -> str:
    digest = hashlib.sha1(password.encode()).hexdigest()
    response = client.post("/api/v1/sessions/login.json",
                           query_string={"apikey": KEY, "pro[email]": email, "pro[password]": digest})
    assert response.status_code == 200
    return response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]


# identity -> (apikey, headers-factory, groups it may access or None when it must be refused)
IDENTITIES = {
    "no-apikey": (None, "pro4-basic", None),
    "wrong-apikey": ("not-the-key", "pro4-basic", None),
    "no-credentials": (KEY, "none", None),
    "wrong-password": (KEY, "pro4-wrong", None),
    "unknown-user": (KEY, "stranger", None),
    "forged-session": (KEY, "forged-cookie", None),
    "expired-session": (KEY, "expired-cookie", None),
    "user-of-group-5": (KEY, "pro5-basic", {OTHER}),
    "user-of-group-4": (KEY, "pro4-basic", {OWN}),
    "user-of-group-4-by-session": (KEY, "pro4-cookie", {OWN}),
}
TARGETS = {  # target -> (group in the path, calendar id in the path for member operations)
    "own-group": (OWN, 1),
    "other-group": (OTHER, OTHER_CALENDAR),
    "unknown-group": (UNKNOWN, 1),
    "other-groups-calendar-via-own-path": (OWN, OTHER_CALENDAR),
}
OPERATIONS = ["list", "show", "create", "update", "delete"]


@pytest.fixture
def world():
    clock = Clock()
    app = create_app(clock=clock, session_ttl=600)
    client = app.test_client()
    expired = _session(client, "pro@demo.test", "demo-password")
    clock.now += timedelta(seconds=601)
    headers = {
        "none": {},
        "pro4-basic": _basic("pro@demo.test", "demo-password"),
        "pro4-wrong": _basic("pro@demo.test", "not-the-password"),
        "stranger": _basic("nobody@demo.test", "demo-password"),
        "pro5-basic": _basic("pro5@demo.test", "other-password"),
        "forged-cookie": {"Cookie": "_session_id=" + "ab" * 16},
        "expired-cookie": {"Cookie": f"_session_id={expired}"},
        "pro4-cookie": {"Cookie": f"_session_id={_session(client, 'pro@demo.test', 'demo-password')}"},
    }
    return app, headers


def _expected(groups, operation: str, group: int, calendar: int, app) -> int:
    if groups is None:
        return 401
    if group not in groups:
        return 404
    owners = {record["id"]: record["group_id"] for record in mock_of(app).store.dump()["calendars"]}
    if operation in ("show", "update", "delete") and owners.get(calendar) != group:
        return 404
    return 201 if operation == "create" else 200


def _request(client, operation, group, calendar, apikey, headers):
    headers = dict(headers)
    cookie = headers.pop("Cookie", None)
    if cookie:
        client.set_cookie(*cookie.split("=", 1))
    query = {"apikey": apikey} if apikey else {}
    base = f"/api/v1/groups/{group}/calendars"
    body = {"calendar": {"name": "isolation probe"}}
    if operation == "list":
        return client.get(base, query_string=query, headers=headers)
    if operation == "show":
        return client.get(f"{base}/{calendar}", query_string=query, headers=headers)
    if operation == "create":
        return client.post(base, query_string=query, headers=headers, json=body)
    if operation == "update":
        return client.put(f"{base}/{calendar}", query_string=query, headers=headers, json=body)
    return client.delete(f"{base}/{calendar}", query_string=query, headers=headers)


def _state(app) -> dict:
    dump = mock_of(app).store.dump()
    dump.pop("sessions")
    return dump


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_isolation(world, operation, identity, target):
    app, headers = world
    apikey, headers_name, groups = IDENTITIES[identity]
    group, calendar = TARGETS[target]
    expected = _expected(groups, operation, group, calendar, app)
    before = _state(app)
    secrets = {record["name"] for record in before["calendars"]
               if groups is None or record["group_id"] not in groups}
    response = _request(app.test_client(), operation, group, calendar, apikey, headers[headers_name])
    assert response.status_code == expected, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    if expected >= 400:
        assert _state(app) == before, "a refused request changed the state"
        assert not any(name in text for name in secrets), f"refusal leaks data: {text[:300]}"
        assert set(json.loads(text)) <= {"error", "errors"}
    elif operation == "list":
        assert {record["group_id"] for record in response.get_json()["records"]} <= groups
    else:
        assert response.get_json()["group_id"] in groups
