"""No input yields a 5xx: random paths, queries, headers and bodies, answered as the spec allows.

Every answer goes through the spec-checking client, so beyond "not a 5xx" each one must be
a status its operation declares (404 for unknown paths, 405 for unserved methods) with a
body valid under that status's schema.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_validation import ApiClient

from mock_server import create_app

FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

KEYS = ["results", "startIndex", "sort", "dir", "search", "format", "intervention_ids[]",
        "calendarset_ids[]", "conditions[0][field]", "conditions[0][op]", "conditions[0][value]",
        "conditions[1][field]", "conditions", "pro[email]", "pro[password]", "apikey", "x"]
VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "-1", "25", "all", "name", "desc", "json", "like", "not in",
                     "=", "2147483648", "1e3", "1.0", "%", "?", "?format=json", "null", "true"]),
    st.text(max_size=20),
)
SEGMENTS = st.one_of(st.sampled_from(["4", "5", "1", "0", "-1", "abc", "4.json", "1.json", "99999",
                                      "", "%00", "%ff", ".."]), st.text(min_size=1, max_size=8))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
CALENDAR_KEYS = ["name", "publicname", "group_id", "calendarset_id", "sort", "city", "zipcode",
                 "address", "generate_interval", "mintime_rdv", "deleted", "id", "created_at"]
BODIES = st.one_of(
    JSON,
    st.fixed_dictionaries({"calendar": st.dictionaries(st.sampled_from(CALENDAR_KEYS), JSON,
                                                       max_size=5)}),
)


@pytest.fixture(scope="module")
def fuzz_client() -> ApiClient:
    return ApiClient(create_app())


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(key, safe='[]')}={quote(value, safe='?%')}" for key, value in pairs)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"]),
    segments=st.lists(SEGMENTS, min_size=1, max_size=3),
    pairs=st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6),
)
def test_random_paths_and_queries(fuzz_client, method, segments, pairs):
    path = "/api/v1/groups/" + "/calendars/".join(quote(part, safe="%.") for part in segments)
    response = fuzz_client.open(method, path, query=_query(pairs))
    assert response.status_code < 500


@FUZZ
@given(
    target=st.sampled_from(["POST /api/v1/groups/4/calendars", "PUT /api/v1/groups/4/calendars/1",
                            "PUT /api/v1/groups/4/calendars/6.json", "POST /api/v1/sessions/login"]),
    body=BODIES,
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8",
                                  "text/plain", "application/x-www-form-urlencoded", None]),
)
def test_random_bodies(fuzz_client, target, body, content_type):
    method, path = target.split(" ")
    response = fuzz_client.open(method, path, data=json.dumps(body),
                                **({"content_type": content_type} if content_type else {}))
    assert response.status_code < 500


@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_as_a_body(fuzz_client, raw):
    response = fuzz_client.post("/api/v1/groups/4/calendars", data=raw, content_type="application/json")
    assert response.status_code in (201, 400)


@FUZZ
@given(authorization=st.text(max_size=40), cookie=st.text(max_size=30))
def test_random_credentials(fuzz_client, authorization, cookie):
    headers = {"Authorization": authorization} if authorization.isprintable() else {}
    fuzz_client.raw.set_cookie("_session_id", cookie)
    response = fuzz_client.get("/api/v1/groups/4/calendars", auth=None, headers=headers)
    assert response.status_code in (200, 401)
    fuzz_client.raw.delete_cookie("_session_id")
