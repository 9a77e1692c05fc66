"""The control plane under /_mock: reset, seed data, state dump, journal and switches."""

from __future__ import annotations

import copy
import hashlib

import pytest
from spec_validation import DEFAULT_SETTINGS, DEMO, DEMO_APIKEY, calendar_path, calendars_path, ids

from mock_server import create_app


def seed_with(calendars: int) -> dict:
    """The demo data with `calendars` extra calendars in group 4 (ids 100, 101, ...)."""
    seed = copy.deepcopy(DEMO)
    template = seed["calendars"][0]
    seed["calendars"] += [{**template, "id": 100 + n, "name": f"Extra {n}", "sort": 100 + n}
                          for n in range(calendars)]
    return seed


def test_reset_goes_back_to_the_fixtures(client):
    client.post(calendars_path(), json={"calendar": {"name": "gone after reset"}})
    client.delete(calendar_path(1))
    response = client.control("POST", "/reset")
    assert response.get_json() == {"reset": True, "calendars": 12}
    assert ids(client.get(calendars_path())) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert client.get(calendar_path(1)).get_json()["deleted"] is False
    assert client.post(calendars_path(), json={"calendar": {"name": "again"}}).get_json()["id"] == 13


def test_reset_with_seed_data_loads_it_and_a_plain_reset_returns_to_the_fixtures(client):
    seed = {"apikeys": [{"key": "k2"}], "groups": [{"id": 7}],
            "users": [{"id": 1, "email": "a@b.test", "password": "pw", "group_id": 7}],
            "calendars": [{**DEMO["calendars"][0], "id": 50, "group_id": 7, "calendarset_id": None}]}
    assert client.control("POST", "/reset", json=seed).get_json() == {"reset": True, "calendars": 1}
    response = client.get(calendars_path(7), apikey="k2", auth=("a@b.test", "pw"))
    assert ids(response) == [50]
    assert client.get(calendars_path()).status_code == 401  # the demo apikey is gone
    client.control("POST", "/reset")
    assert ids(client.get(calendars_path())) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_seed_data_larger_than_an_api_body_loads(client):
    seed = seed_with(400)
    assert client.control("POST", "/reset", json=seed).get_json()["calendars"] == 412
    body = client.get(calendars_path(), query={"results": "all"}).get_json()
    assert body["totalRecords"] == 408


@pytest.mark.parametrize("seed", [
    "[]",
    '{"calendars": [{"id": 1}]}',
    '{"groups": [{"id": 4}], "calendars": [{"id": "x"}]}',
    '{"users": [{"email": "x"}]}',
    '{"groups": [1]}',
    '{"groups": [{"id": 4}], "users": [{"id": 1, "email": "a", "password": "p", "group_id": 9}]}',
    '{"groups": [{"id": 4}], "interventions": [{"id": 1, "group_id": 4, "calendar_ids": [99]}]}',
    '{"apikeys": "abc"}',
    "{",
])
def test_bad_seed_data_is_refused_and_changes_nothing(client, seed):
    client.put(calendar_path(1), json={"calendar": {"name": "kept"}})
    before = client.mock.store.dump()
    response = client.control("POST", "/reset", data=seed, content_type="application/json")
    assert response.status_code == 400
    assert client.mock.store.dump() == before


def test_reset_restores_start_up_switches_and_forgets_sessions(make_client):
    client = make_client(intervention_match="any")
    client.control("PUT", "/settings", json={"intervention_match": "all", "deleted_calendars": "hidden"})
    digest = hashlib.sha1(b"demo-password").hexdigest()
    client.post("/api/v1/sessions/login", auth=None,
                query={"pro[email]": "pro@demo.test", "pro[password]": digest})
    client.control("POST", "/reset")
    assert client.control("GET", "/settings").get_json() == {**DEFAULT_SETTINGS, "intervention_match": "any"}
    assert client.get(calendars_path(), auth=None).status_code == 401
    assert client.mock.store.dump()["sessions"] == 0


def test_state_dumps_the_data(client):
    client.delete(calendar_path(2))
    state = client.control("GET", "/state").get_json()
    assert state["apikeys"] == [DEMO_APIKEY]
    assert [group["id"] for group in state["groups"]] == [4, 5]
    assert next(c for c in state["calendars"] if c["id"] == 2)["deleted"] is True
    assert {"password", "password_sha1"}.isdisjoint(state["users"][0])
    assert state["settings"] == DEFAULT_SETTINGS
    assert state["interventions"][0]["calendar_ids"] == [1, 2, 5, 6, 7]


def test_journal_records_method_path_query_body_status_with_secrets_masked(client):
    client.post(calendars_path(), json={"apikey": DEMO_APIKEY, "calendar": {"name": "J"}},
                query={"format": "json"})
    client.get(calendar_path(999))
    digest = hashlib.sha1(b"demo-password").hexdigest()
    client.post("/api/v1/sessions/login", data={"pro[email]": "pro@demo.test", "pro[password]": digest},
                auth=None)
    entries = client.control("GET", "/requests").get_json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", calendars_path(), 201),
        ("GET", calendar_path(999), 404),
        ("POST", "/api/v1/sessions/login", 200),
    ]
    assert entries[0]["query"] == [["apikey", "***"], ["format", "json"]]
    assert entries[0]["body"] == {"apikey": "***", "calendar": {"name": "J"}}
    assert entries[2]["body"] == {"pro[email]": "pro@demo.test", "pro[password]": "***"}
    text = client.control("GET", "/requests").get_data(as_text=True)
    assert DEMO_APIKEY not in text and digest not in text and "demo-password" not in text
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)


def test_journal_filters(client):
    client.get(calendars_path())
    client.get(calendar_path(1))
    client.put(calendar_path(1), json={"calendar": {"name": "x"}})
    client.get(calendar_path(999))
    client.open("PATCH", calendar_path(1))

    def journal(**filters):
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        found = client.control("GET", "/requests?" + query).get_json()
        assert found["count"] == len(found["requests"])
        return [(e["method"], e["status"]) for e in found["requests"]]

    assert journal(method="put") == [("PUT", 200)]
    assert journal(status="404") == [("GET", 404)]
    assert journal(status="4xx") == [("GET", 404), ("PATCH", 405)]
    assert journal(path="/calendars/1") == [("GET", 200), ("PUT", 200), ("PATCH", 405)]
    assert journal(method="GET", status="2xx") == [("GET", 200), ("GET", 200)]


def test_journal_clears_and_skips_the_control_plane(client):
    client.get(calendars_path())
    client.control("GET", "/state")
    assert client.control("GET", "/requests").get_json()["count"] == 1
    assert client.control("DELETE", "/requests").get_json() == {"cleared": True}
    assert client.control("GET", "/requests").get_json()["count"] == 0


def test_journal_is_bounded(make_client):
    client = make_client(journal_size=3)
    for calendar_id in (1, 2, 3, 4, 5):
        client.get(calendar_path(calendar_id))
    found = client.control("GET", "/requests").get_json()
    assert found["capacity"] == 3
    assert [e["path"] for e in found["requests"]] == [calendar_path(n) for n in (3, 4, 5)]


def test_journal_keeps_big_bodies_short(client):
    client.post(calendars_path(), json={"calendar": {"name": "x", "address": "a" * 20000}})
    entry = client.control("GET", "/requests").get_json()["requests"][0]
    assert entry["status"] == 400
    assert len(str(entry["body"])) < 5000


def test_journal_of_a_deeply_nested_body_stays_readable(client):
    body = '{"calendar": {"id": ' + "[" * 900 + "]" * 900 + ', "name": "deep"}}'
    response = client.post(calendars_path(), data=body, content_type="application/json")
    assert response.status_code in (201, 400)
    assert client.control("GET", "/requests").status_code == 200


def test_settings_switch_and_refuse_bad_values(client):
    assert client.control("GET", "/settings").get_json() == DEFAULT_SETTINGS
    changed = client.control("PUT", "/settings", json={"deleted_calendars": "hidden"})
    assert changed.get_json()["deleted_calendars"] == "hidden"
    assert 6 not in ids(client.get(calendars_path()))
    for bad in ({"deleted_calendars": "gone"}, {"colour": "red"},
                {"intervention_match": "any", "deleted_calendars": "nope"}):
        assert client.control("PUT", "/settings", json=bad).status_code == 400
    hidden = {**DEFAULT_SETTINGS, "deleted_calendars": "hidden"}
    assert client.control("GET", "/settings").get_json() == hidden


def test_openapi_and_health(client):
    assert client.control("GET", "/health").get_json() == {"ok": True}
    assert client.control("GET", "/openapi.json").get_json()["openapi"].startswith("3.1")


def test_control_plane_errors_are_json(client):
    assert client.control("GET", "/nope").status_code == 404
    for method in ("GET", "FOO"):
        wrong = client.control(method, "/reset")
        assert (wrong.status_code, wrong.headers["Allow"]) == (405, "OPTIONS, POST")


def test_create_app_with_a_seed_file(tmp_path):
    import json

    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed_with(2)), encoding="utf-8")
    app = create_app(str(path))
    assert len(app.extensions["calendar_mock"].store.dump()["calendars"]) == 14
