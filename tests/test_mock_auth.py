"""Authentication (apikey + Basic or session cookie), group isolation (404) and 405, in-process."""

from __future__ import annotations

import base64
import hashlib

import pytest
from spec_validation import (
    DEMO_APIKEY,
    MANAGER,
    PRO,
    PRO5,
    calendar_path,
    calendars_path,
    ids,
)

LOGIN = "/api/v1/sessions/login"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def credentials(user=PRO, digest=None):
    return {"pro[email]": user[0], "pro[password]": digest or sha1(user[1])}


# -- apikey + Basic -------------------------------------------------------------------------
def test_apikey_and_basic_are_served(client):
    assert client.get(calendars_path()).status_code == 200


@pytest.mark.parametrize(("user", "group", "expected"), [
    (PRO, 4, [1, 2, 3, 4, 5, 6, 7, 8]),
    (PRO5, 5, [9, 10, 11, 12]),
    (MANAGER, 4, [1, 2, 3, 4, 5, 6, 7, 8]),
    (MANAGER, 5, [9, 10, 11, 12]),
])
def test_each_user_sees_the_groups_it_may_access(client, user, group, expected):
    assert ids(client.get(calendars_path(group), auth=user)) == expected


def test_email_is_case_insensitive(client):
    assert client.get(calendars_path(), auth=("PRO@Demo.Test", PRO[1])).status_code == 200


def _raw(value: str) -> dict[str, str]:
    return {"Authorization": value}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"apikey": None}, "apikey"),
    ({"apikey": ""}, "apikey"),
    ({"apikey": "not-a-key"}, "apikey"),
    ({"apikey": DEMO_APIKEY.upper()}, "apikey"),
    ({"auth": None}, "Authorization"),
    ({"auth": (PRO[0], "wrong")}, "Authorization"),
    ({"auth": ("nobody@demo.test", PRO[1])}, "Authorization"),
    ({"auth": (PRO[0], "")}, "Authorization"),
    ({"auth": None, "headers": _raw("Basic !!!not-base64")}, "Authorization"),
    ({"auth": None, "headers": _raw("Basic " + base64.b64encode(b"no-colon").decode())},
     "Authorization"),
    ({"auth": None, "headers": _raw("Basic " + base64.b64encode(b"\xff\xfe:x").decode())},
     "Authorization"),
    ({"auth": None, "headers": _raw("Basic é")}, "Authorization"),  # was a 500
    ({"auth": None, "headers": _raw("Bearer abc")}, "Authorization"),
    ({"auth": None, "headers": _raw("Basic")}, "Authorization"),
    ({"auth": None, "session": "unknown"}, "_session_id"),
    ({"auth": None, "session": ""}, "Authorization"),
    ({"query": {"apikey": "other"}}, "apikey"),  # a second, different apikey
])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_each_auth_failure_answers_401(client, kwargs, field, method):
    path = calendars_path() if method in ("GET", "POST") else calendar_path(1)
    body = {"calendar": {"name": "x"}} if method in ("POST", "PUT") else None
    before = client.state()
    kwargs = dict(kwargs)
    if "session" in kwargs:
        client.raw.set_cookie("_session_id", kwargs.pop("session"))
    response = client.open(method, path, json=body, **kwargs) if body else client.open(
        method, path, **kwargs)
    assert response.status_code == 401
    assert field in response.get_json()["errors"]
    assert "records" not in response.get_json() and "id" not in response.get_json()
    assert client.state() == before


def test_auth_is_checked_before_the_group(client):
    assert client.get(calendars_path(999), auth=None).status_code == 401
    assert client.get(calendar_path("abc"), apikey=None).status_code == 401


# -- session login ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", [LOGIN, LOGIN + ".json"])
def test_login_by_query_then_cookie_alone(client, path):
    response = client.post(path, query=credentials(), auth=None)
    assert response.status_code == 200
    assert response.get_json() == {"pro": {"id": 9, "email": "pro@demo.test", "group_id": 4,
                                           "created_at": "2024-01-15 08:55:00",
                                           "updated_at": "2024-01-15 08:55:00"},
                                   "error": None}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("_session_id=") and "HttpOnly" in cookie
    assert ids(client.get(calendars_path(), auth=None)) == [1, 2, 3, 4, 5, 6, 7, 8]
    renamed = client.put(calendar_path(1), json={"calendar": {"name": "By cookie"}}, auth=None)
    assert renamed.get_json()["name"] == "By cookie"
    assert client.get(calendars_path(5), auth=None).status_code == 404


@pytest.mark.parametrize("path", [LOGIN, LOGIN + ".json"])
def test_login_form_encoded_then_cookie_alone(client, path):
    response = client.post(path, data=credentials(PRO5), auth=None)
    assert response.status_code == 200
    assert response.get_json()["pro"]["group_id"] == 5
    assert ids(client.get(calendars_path(5) + ".json", auth=None)) == [9, 10, 11, 12]


def test_login_form_with_the_apikey_in_the_form(client):
    response = client.post(LOGIN, data={**credentials(), "apikey": DEMO_APIKEY}, apikey=None,
                           auth=None)
    assert response.status_code == 200


def test_login_accepts_an_uppercase_digest(client):
    response = client.post(LOGIN, query=credentials(digest=sha1(PRO[1]).upper()), auth=None)
    assert response.status_code == 200


def test_a_session_expires(make_client, clock):
    client = make_client(clock=clock, session_ttl=60)
    client.post(LOGIN, query=credentials(), auth=None)
    clock.advance(59)
    assert client.get(calendars_path(), auth=None).status_code == 200
    clock.advance(1)
    expired = client.get(calendars_path(), auth=None)
    assert expired.status_code == 401
    assert "_session_id" in expired.get_json()["errors"]


def test_reset_forgets_sessions(client):
    client.post(LOGIN, query=credentials(), auth=None)
    client.mock.reset()
    assert client.get(calendars_path(), auth=None).status_code == 401


def test_basic_wins_over_a_session_cookie(client):
    client.post(LOGIN, query=credentials(PRO5), auth=None)
    assert client.get(calendars_path(4)).status_code == 200  # Basic pro@ (group 4)
    assert client.get(calendars_path(4), auth=None).status_code == 404  # cookie pro5@


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"query": credentials(), "apikey": None}, 401),
    ({"query": credentials(), "apikey": "wrong"}, 401),
    ({"query": credentials(digest=sha1("wrong"))}, 401),
    ({"query": credentials(("nobody@demo.test", "x"))}, 401),
    ({"query": {"pro[email]": PRO[0]}}, 401),
    ({}, 401),
    ({"query": credentials(digest="demo-password")}, 400),  # not a SHA1 hex digest
    ({"data": credentials(digest="zz")}, 400),
    ({"query": [*credentials().items(), ("pro[email]", PRO5[0])]}, 400),
    ({"data": f"pro%5Bemail%5D={PRO[0]}&pro%5Bemail%5D={PRO5[0]}&pro%5Bpassword%5D={sha1(PRO[1])}",
      "content_type": "application/x-www-form-urlencoded"}, 400),
])
def test_login_failures(client, kwargs, status):
    before = client.mock.store.dump()
    response = client.post(LOGIN, auth=None, **kwargs)
    assert response.status_code == status
    assert set(response.get_json()["errors"]) <= {"apikey", "pro[email]", "pro[password]"}
    assert "Set-Cookie" not in response.headers
    assert client.mock.store.dump() == before  # no session opened
    assert client.get(calendars_path(), auth=None).status_code == 401


# -- isolation: 404 -------------------------------------------------------------------------
def test_other_group_is_indistinguishable_from_a_missing_one(client):
    other = client.get(calendars_path(5))
    missing = client.get(calendars_path(6))
    assert other.status_code == missing.status_code == 404
    assert other.get_json()["error"].replace("5", "N") == missing.get_json()["error"].replace("6", "N")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_groups_calendar_through_own_path_is_404_and_untouched(client, method):
    before = client.state()
    body = {"calendar": {"name": "stolen"}} if method == "PUT" else None
    response = client.open(method, calendar_path(9), **({"json": body} if body else {}))
    assert response.status_code == 404
    assert client.state() == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_groups_calendar_through_its_path_is_404(client, method):
    body = {"calendar": {"name": "stolen"}} if method == "PUT" else None
    response = client.open(method, calendar_path(9, 5), **({"json": body} if body else {}))
    assert response.status_code == 404


@pytest.mark.parametrize("path", [
    calendar_path(999), calendar_path(13), calendar_path("abc"), calendar_path(0),
    calendar_path(-1), calendar_path("1.5"), calendar_path("1e3"), calendar_path("9" * 60),
    calendar_path("%20"), calendar_path(1) + ".xml", calendar_path(1) + ".json.json",
    calendars_path(999), calendars_path("abc"), calendars_path(0), calendars_path("4.json"),
    "/api/v1/groups/4/calendars/", "/api/v1/groups/4", "/api/v1/groups", "/api/v2/groups/4/calendars",
    "/", "/api/v1/groups/4/calendars/1/extra", "/api/v1/sessions/logout",
])
def test_unknown_or_malformed_ids_and_paths_are_404(client, path):
    assert client.get(path).status_code == 404


def test_create_in_another_group_is_404_and_creates_nothing(client):
    before = client.state()
    response = client.post(calendars_path(5), json={"calendar": {"name": "x"}})
    assert response.status_code == 404
    assert client.state() == before


# -- 405 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PATCH", calendars_path(), "GET, POST"),
    ("PUT", calendars_path(), "GET, POST"),
    ("DELETE", calendars_path(), "GET, POST"),
    ("PATCH", calendar_path(1), "DELETE, GET, PUT"),
    ("POST", calendar_path(1), "DELETE, GET, PUT"),
    ("PATCH", calendar_path(1) + ".json", "DELETE, GET, PUT"),
    ("PUT", calendars_path() + ".json", "GET, POST"),
    ("GET", LOGIN, "POST"),
    ("DELETE", LOGIN + ".json", "POST"),
    ("OPTIONS", calendars_path(), "GET, POST"),
    ("FOO", calendars_path(), "GET, POST"),  # methods the router does not know: Allow was wrong
    ("PROPFIND", calendar_path(1), "DELETE, GET, PUT"),
    ("PURGE", LOGIN + ".json", "POST"),
])
def test_methods_a_path_does_not_serve_answer_405_with_allow(client, method, path, allow):
    before = client.state()
    response = client.open(method, path, json={"calendar": {"name": "x"}})
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert method in response.get_json()["error"]
    assert client.state() == before


@pytest.mark.parametrize(("method", "path", "status"), [
    ("FOO", "/nowhere", 404),  # was a 405
    ("GET", calendar_path("%0A"), 404),
    ("POST", calendar_path("%0A"), 405),  # was a 404 from Flask's router, not the API's answer
    ("GET", calendars_path() + "%0A", 404),  # not the collection
    ("GET", calendars_path("4%0A"), 404),
    ("GET", "/_mock%0A", 404),
])
def test_odd_paths_and_methods(client, method, path, status):
    response = client.open(method, path)
    assert response.status_code == status
    assert "error" in response.get_json()
