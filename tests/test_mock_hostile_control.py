"""What a hostile or careless client found, black-box (no source read), each now refused with a
JSON error that names what is wrong, changing nothing and holding no unbounded memory: a profile
`builtin` that named a file, a body with thousands of unknown keys, a journal that kept a 250 KB
query whole and showed a long body's secrets, a clock set out of the API's four-digit years,
`conditions[00]` silently replacing `conditions[0]`, and seeds whose records were not checked."""

from __future__ import annotations

import copy
import json
import socket

import pytest
import requests
from spec_validation import DEMO, DEMO_APIKEY, PRO, basic, calendars_path

from mock_server import create_app

AUTH = {"Authorization": basic(PRO)}


@pytest.fixture
def client():
    return create_app().test_client()


def state(client) -> bytes:
    return client.get("/_mock/state").data


@pytest.mark.parametrize("name", ["/dev/zero", "/etc/passwd", "../fixtures/demo.json", "Default"])
def test_a_builtin_profile_is_a_name_never_a_path(client, name):
    before = client.get("/_mock/profile").get_json()
    refused = client.put("/_mock/profile", query_string={"builtin": name})
    assert refused.status_code == 400 and "builtin" in refused.get_json()["errors"]
    assert "default, contrarian" in refused.get_json()["error"]
    assert client.get("/_mock/profile").get_json() == before


def test_a_body_of_thousands_of_unknown_keys_lists_twenty_and_counts_the_rest(client):
    body = json.dumps({"calendar": {"name": "x", **{str(i): 0 for i in range(6000)}}})
    before = state(client)
    refused = client.post(calendars_path(), query_string={"apikey": DEMO_APIKEY}, data=body,
                          headers={**AUTH, "Content-Type": "application/json"})
    errors = refused.get_json()["errors"]
    assert refused.status_code == 400 and len(refused.data) < 5000
    assert len(errors) == 21 and errors["more"] == ["and 5,980 more problems"]
    assert all(problems == ["is not a known field"] for field, problems in errors.items() if field != "more")
    assert state(client) == before
    journaled = client.get("/_mock/requests").get_json()["requests"][-1]
    assert len(json.dumps(journaled["refusal"])) < 5000


def test_the_journal_keeps_a_long_query_in_part_and_says_how_much_is_left_out(client):
    search = "a" * 50_000
    client.get(calendars_path(), query_string={"apikey": DEMO_APIKEY, "search": search}, headers=AUTH)
    query = client.get("/_mock/requests").get_json()["requests"][-1]["query"]
    assert query[0] == ["apikey", "***"]
    assert query[-1][0] == "…" and query[-1][1].endswith("more characters")
    assert sum(len(key) + len(value) for key, value in query) < 8300


@pytest.mark.parametrize("body, content_type", [
    ("apikey=K-SECRET&pro%5Bemail%5D=pro%40demo.test&pro%5Bpassword%5D=P-SECRET&pad=" + "x" * 5000,
     "application/x-www-form-urlencoded"),
    (json.dumps({"apikey": "K-SECRET", "pro": {"email": "a@b.c", "password": "P-SECRET"}, "pad": "x" * 5000}),
     "application/json"),
])
def test_a_long_body_shown_cut_in_the_journal_still_has_its_secrets_masked(client, body, content_type):
    client.post("/api/v1/sessions/login", data=body, headers={"Content-Type": content_type})
    shown = client.get("/_mock/requests").get_json()["requests"][-1]["body"]
    assert isinstance(shown, str) and shown.endswith("…") and len(shown) < 4200
    assert "SECRET" not in shown and "***" in shown


@pytest.mark.parametrize("frozen_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                       "0999-12-31 23:59:59"])
def test_a_clock_outside_four_digit_years_is_refused_naming_frozen_at(client, frozen_at):
    before = client.get("/_mock/clock").get_json()
    refused = client.put("/_mock/clock", json={"frozen_at": frozen_at})
    assert refused.status_code == 400 and "frozen_at" in refused.get_json()["errors"]
    assert client.get("/_mock/clock").get_json()["frozen"] == before["frozen"]


def test_the_earliest_clock_still_writes_four_digit_years(client):
    assert client.put("/_mock/clock", json={"frozen_at": "1000-01-01 00:00:00"}).status_code == 200
    created = client.post(calendars_path(), query_string={"apikey": DEMO_APIKEY},
                          json={"calendar": {"name": "old"}}, headers=AUTH)
    assert created.get_json()["created_at"] == "1000-01-01 00:00:00"


def test_a_condition_index_with_a_leading_zero_is_refused_not_merged_into_another(client):
    query = {"apikey": DEMO_APIKEY, "conditions[0][field]": "name", "conditions[0][op]": "=",
             "conditions[0][value]": "Dr Martin", "conditions[00][op]": "!="}
    refused = client.get(calendars_path(), query_string=query, headers=AUTH)
    assert refused.status_code == 400 and "conditions[00][op]" in refused.get_json()["errors"]


def _users(seed, **changes):
    seed["users"][0].update(changes)


BAD_SEEDS = {
    "a user that is null": (lambda s: s.update(users=[None]), "users[0]"),
    "an intervention id as a string": (lambda s: s["interventions"][0].update(id="21"),
                                       "interventions[0].id"),
    "a calendarset id as a string": (lambda s: s["calendarsets"][0].update(id="8"), "calendarsets[0].id"),
    "a calendarset name that is an object": (lambda s: s["calendarsets"][0].update(name={"a": 1}),
                                             "calendarsets[0].name"),
    "an interventionset id that is text": (lambda s: s["interventions"][0].update(interventionset_id="x"),
                                           "interventions[0].interventionset_id"),
    "group_ids as a string": (lambda s: _users(s, group_ids="45"), "users[0].group_ids"),
    "an apikey of null": (lambda s: s["apikeys"][0].update(key=None), "apikeys[0].key"),
    "a password that is a number": (lambda s: _users(s, password=5), "users[0].password"),
    "a user without a password": (lambda s: s["users"][0].pop("password"), "users[0].password"),
    "a created_at not in the API's format": (lambda s: _users(s, created_at="bad"), "users[0].created_at"),
    "a group id of 0": (lambda s: s["groups"].append({"id": 0}), "groups[2].id"),
    "two groups of one id": (lambda s: s["groups"].append({"id": 4, "name": "again"}), "group 4"),
    "two users of one email": (lambda s: s["users"].append({**s["users"][0], "id": 99,
                                                            "email": "PRO@demo.test"}), "pro@demo.test"),
    "a calendar id no create could follow": (lambda s: s["calendars"][7].update(id=2**63 - 1),
                                             "calendars[7].id"),
}


@pytest.mark.parametrize("case", sorted(BAD_SEEDS))
def test_a_seed_with_a_bad_record_is_refused_naming_it_and_changes_nothing(client, case):
    change, named = BAD_SEEDS[case]
    seed = copy.deepcopy(DEMO)
    change(seed)
    before = state(client)
    refused = client.post("/_mock/reset", json=seed)
    assert refused.status_code == 400, refused.data
    assert named in refused.get_json()["error"]
    assert state(client) == before


def test_waitress_refuses_a_body_over_the_largest_seed_before_reading_it(calendar_mock):
    """waitress' own limit was 1 GiB, spooled to disk before the app could refuse it."""
    host, port = calendar_mock.url("").removeprefix("http://").rstrip("/").split(":")
    head = (f"POST /_mock/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {300 * 1024 * 1024}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b"{")
        answer = sock.recv(65536)  # before 300 MB were sent: the timeout says it never came
    assert answer.split(b" ", 2)[1] in (b"400", b"413"), answer[:200]


def test_waitress_serves_a_new_client_beside_hundreds_of_idle_kept_alive_ones(calendar_mock):
    host, port = calendar_mock.url("").removeprefix("http://").rstrip("/").split(":")
    idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(150)]
    try:
        answer = requests.get(calendar_mock.url("/_mock/health"), timeout=5)
        assert answer.status_code == 200
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize("sent, stored", [("9223372036854775000.0", 9223372036854775000),
                                          ("9007199254740993.0", 9007199254740993), ("1e2", 100)])
def test_an_integer_written_with_a_fraction_or_exponent_is_stored_as_it_is(client, sent, stored):
    created = client.post(calendars_path(), query_string={"apikey": DEMO_APIKEY},
                          data='{"calendar": {"name": "n", "sort": ' + sent + '}}',
                          headers={**AUTH, "Content-Type": "application/json"})
    assert created.status_code == 201 and created.get_json()["sort"] == stored


@pytest.mark.parametrize("sent", ["12345678901234567.5", "1e-400", "4.0000000000000001", "1" * 5000])
def test_a_number_a_float_would_round_to_an_integer_is_refused(client, sent):
    before = state(client)
    refused = client.post(calendars_path(), query_string={"apikey": DEMO_APIKEY},
                          data='{"calendar": {"name": "n", "sort": ' + sent + '}}',
                          headers={**AUTH, "Content-Type": "application/json"})
    assert refused.status_code == 400 and "body" in refused.get_json()["errors"]
    assert "sys." not in refused.get_json()["error"]  # no word of Python's own limits
    assert state(client) == before
