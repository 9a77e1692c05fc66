"""Time and ids a test can know in advance: the mock's clock frozen, advanced and let go (the
fixture's `calendar_mock.clock`, `PUT/GET/DELETE /_mock/clock`), and ids that follow the seed
from every reset."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import requests
from spec_validation import DEMO, DEMO_APIKEY, calendar_path, calendars_path

from mock_server import create_app, mock_of
from mock_server.calendars.clock import MockClock
from mock_server.errors import ClockError


def _create(mock, name: str = "timed") -> dict:
    response = requests.post(mock.url(calendars_path()), params={"apikey": mock.apikey}, auth=mock.auth,
                             json={"calendar": {"name": name}}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _rename(mock, calendar_id: int, name: str) -> dict:
    response = requests.put(mock.url(calendar_path(calendar_id)), params={"apikey": mock.apikey},
                            auth=mock.auth, json={"calendar": {"name": name}}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.http
def test_fixture_clock_freezes_and_advances_the_timestamps(calendar_mock):
    calendar_mock.clock.freeze("2024-01-15 09:00:00")
    created = _create(calendar_mock)
    assert created["created_at"] == created["updated_at"] == "2024-01-15 09:00:00"
    calendar_mock.clock.advance(seconds=90)
    updated = _rename(calendar_mock, created["id"], "renamed")
    assert (updated["created_at"], updated["updated_at"]) == ("2024-01-15 09:00:00", "2024-01-15 09:01:30")
    calendar_mock.clock.advance(hours=1, minutes=1)
    assert _rename(calendar_mock, created["id"], "again")["updated_at"] == "2024-01-15 10:02:30"
    calendar_mock.clock.unfreeze()
    now = datetime.now(UTC).replace(tzinfo=None)
    fresh = datetime.strptime(_create(calendar_mock)["created_at"], "%Y-%m-%d %H:%M:%S")
    assert abs((fresh - now).total_seconds()) < 60


@pytest.mark.http
def test_a_reset_unfreezes_the_clock(calendar_mock):
    calendar_mock.clock.freeze("2030-06-01 12:00:00")
    calendar_mock.reset()
    assert calendar_mock.clock.describe()["frozen"] is False
    assert not _create(calendar_mock)["created_at"].startswith("2030-06-01")


@pytest.mark.http
def test_clock_over_http(calendar_mock):
    url = calendar_mock.url("/_mock/clock")
    frozen = requests.put(url, json={"frozen_at": "2024-01-15 09:00:00", "advance_seconds": 30}, timeout=10)
    assert frozen.status_code == 200
    assert frozen.json() == {"frozen": True, "frozen_at": "2024-01-15 09:00:30", "offset_seconds": 0.0,
                             "now": "2024-01-15 09:00:30"}
    assert _create(calendar_mock)["created_at"] == "2024-01-15 09:00:30"
    requests.put(url, json={"advance_seconds": 3600}, timeout=10)
    assert requests.get(url, timeout=10).json()["now"] == "2024-01-15 10:00:30"
    unfrozen = requests.delete(url, timeout=10).json()
    assert unfrozen["frozen"] is False and unfrozen["frozen_at"] is None


@pytest.mark.http
@pytest.mark.parametrize(("body", "field"), [
    ({"frozen_at": "yesterday"}, "frozen_at"),
    ({"frozen_at": 1705309200}, "frozen_at"),
    ({"advance_seconds": -1}, "advance_seconds"),
    ({"advance_seconds": "5"}, "advance_seconds"),
    ({"advance_seconds": True}, "advance_seconds"),
    ({"frozen_at": "2024-01-15 09:00:00", "advance_seconds": -5}, "advance_seconds"),
    ({"frozen_at": "9999-12-31 23:59:59", "advance_seconds": 10}, "advance_seconds"),
    ({"colour": "red"}, "colour"),
    ({}, "clock"),
])
def test_a_bad_clock_request_is_refused_naming_the_field_and_changes_nothing(calendar_mock, body, field):
    url = calendar_mock.url("/_mock/clock")
    before = requests.get(url, timeout=10).json()
    refused = requests.put(url, json=body, timeout=10)
    assert refused.status_code == 400
    assert field in refused.json()["errors"], refused.json()
    after = requests.get(url, timeout=10).json()
    assert (after["frozen"], after["frozen_at"], after["offset_seconds"]) == (
        before["frozen"], before["frozen_at"], before["offset_seconds"])


def test_an_unfrozen_clock_advances_from_its_source():
    start = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)
    clock = MockClock(lambda: start)
    clock.advance(seconds=61)
    assert clock() == datetime(2025, 3, 1, 8, 1, 1, tzinfo=UTC)
    assert clock.describe()["frozen"] is False and clock.describe()["offset_seconds"] == 61
    clock.freeze()
    assert clock() == datetime(2025, 3, 1, 8, 1, 1, tzinfo=UTC)
    clock.freeze("2025-03-01T10:00:00+02:00")  # an offset is converted to UTC
    assert clock.describe()["now"] == "2025-03-01 08:00:00"
    clock.unfreeze()
    assert clock() == start
    with pytest.raises(ClockError):
        clock.advance(seconds=float("nan"))


def test_sessions_expire_on_the_mock_clock(client):
    clock = client.mock.clock
    clock.freeze("2024-01-15 09:00:00")
    digest = hashlib.sha1(b"demo-password").hexdigest()
    login = client.post("/api/v1/sessions/login", auth=None,
                        query={"pro[email]": "pro@demo.test", "pro[password]": digest})
    cookie = login.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    client.raw.set_cookie("_session_id", cookie)
    assert client.get(calendar_path(1), auth=None).status_code == 200
    clock.advance(seconds=3600)  # the session lasts an hour (session_ttl)
    assert client.get(calendar_path(1), auth=None).status_code == 401


def test_ids_follow_the_seed_from_every_reset():
    app = create_app()
    mock = mock_of(app)
    client = app.test_client()

    def create() -> int:
        response = client.post(calendars_path(), query_string={"apikey": DEMO_APIKEY},
                               auth=("pro@demo.test", "demo-password"), json={"calendar": {"name": "n"}})
        return response.get_json()["id"]

    assert [create(), create()] == [13, 14]
    mock.reset()
    assert create() == 13
    seed = {**DEMO, "calendars": [*DEMO["calendars"], {**DEMO["calendars"][0], "id": 50}]}
    mock.reset(seed)
    assert create() == 51
    mock.reset()
    assert create() == 13
    other = {"X-Mock-Namespace": "other"}
    created = client.post(calendars_path(), query_string={"apikey": DEMO_APIKEY}, headers=other,
                          auth=("pro@demo.test", "demo-password"), json={"calendar": {"name": "n"}})
    assert created.get_json()["id"] == 13, "a new namespace starts from the seed's sequence too"
