"""A rejected request changes nothing: the store's dump is identical before and after.

Each case also pins the status and, for a 400 on a body, the field its `errors` names.
"""

from __future__ import annotations

import pytest
from spec_validation import PRO5, calendar_path, calendars_path

LIMIT = 65536


def raw(text: str | bytes, content_type: str | None = "application/json") -> dict:
    return {"data": text, **({"content_type": content_type} if content_type else {})}


# Calendar bodies that are wrong for both create and update: (label, calendar, field named).
BAD_CALENDARS = [
    ("name-int", {"name": 5}, "calendar.name"),
    ("name-empty", {"name": ""}, "calendar.name"),
    ("name-256", {"name": "n" * 256}, "calendar.name"),
    ("name-null", {"name": None}, "calendar.name"),
    ("publicname-256", {"name": "x", "publicname": "p" * 256}, "calendar.publicname"),
    ("publicname-null", {"name": "x", "publicname": None}, "calendar.publicname"),
    ("address-256", {"name": "x", "address": "a" * 256}, "calendar.address"),
    ("zipcode-17", {"name": "x", "zipcode": "1" * 17}, "calendar.zipcode"),
    ("city-65", {"name": "x", "city": "c" * 65}, "calendar.city"),
    ("city-int", {"name": "x", "city": 75}, "calendar.city"),
    ("sort-string", {"name": "x", "sort": "12"}, "calendar.sort"),
    ("sort-fraction", {"name": "x", "sort": 1.5}, "calendar.sort"),
    ("sort-bool", {"name": "x", "sort": True}, "calendar.sort"),
    ("sort-too-big", {"name": "x", "sort": 2**63}, "calendar.sort"),
    ("generate_interval-negative", {"name": "x", "generate_interval": -5}, "calendar.generate_interval"),
    ("mintime_rdv-negative", {"name": "x", "mintime_rdv": -1}, "calendar.mintime_rdv"),
    ("maxrdv_period-negative", {"name": "x", "maxrdv_period": -1}, "calendar.maxrdv_period"),
    ("mintime_annulation-negative", {"name": "x", "mintime_annulation": -5},
     "calendar.mintime_annulation"),
    ("timing-string", {"name": "x", "mintime_rdv": "10"}, "calendar.mintime_rdv"),
    ("deleted-1", {"name": "x", "deleted": 1}, "calendar.deleted"),
    ("deleted-string", {"name": "x", "deleted": "true"}, "calendar.deleted"),
    ("calendarset-string", {"name": "x", "calendarset_id": "8"}, "calendar.calendarset_id"),
    ("calendarset-0", {"name": "x", "calendarset_id": 0}, "calendar.calendarset_id"),
    ("group_id-string", {"name": "x", "group_id": "4"}, "calendar.group_id"),
    ("group_id-0", {"name": "x", "group_id": 0}, "calendar.group_id"),
    ("unknown-key", {"name": "x", "colour": "red"}, "calendar.colour"),
]

# Bodies wrong as a whole: (label, request kwargs, field named).
BAD_BODIES = [
    ("truncated-json", raw('{"calendar": {"name": "x"'), "body"),
    ("not-json", raw("name=x"), "body"),
    ("empty", raw(""), "body"),
    ("array", raw("[]"), "body"),
    ("string", raw('"calendar"'), "body"),
    ("null", raw("null"), "body"),
    ("duplicate-key", raw('{"calendar": {"name": "a", "name": "b"}}'), "body"),
    ("duplicate-wrapper", raw('{"calendar": {"name": "a"}, "calendar": {"name": "b"}}'), "body"),
    ("nan", raw('{"calendar": {"name": "x", "sort": NaN}}'), "body"),
    ("infinity", raw('{"calendar": {"name": "x", "sort": 1e400}}'), "body"),
    ("huge-integer", raw('{"calendar": {"name": "x", "sort": ' + "9" * 5000 + "}}"), "body"),
    ("latin-1", raw('{"calendar": {"name": "caf\xe9"}}'.encode("latin-1")), "body"),
    ("lone-surrogate", raw('{"calendar": {"name": "\\ud800"}}'), "body"),
    ("deep-nesting", raw('{"calendar": {"name": ' + "[" * 20000 + "]" * 20000 + "}}"), "body"),
    ("missing-wrapper", {"json": {"name": "x"}}, "calendar"),
    ("wrapper-null", {"json": {"calendar": None}}, "calendar"),
    ("wrapper-string", {"json": {"calendar": "x"}}, "calendar"),
    ("top-level-unknown", {"json": {"calendar": {"name": "x"}, "extra": 1}}, "extra"),
    ("apikey-not-string", {"json": {"calendar": {"name": "x"}, "apikey": 5}}, "apikey"),
    ("text-plain", raw('{"calendar": {"name": "x"}}', "text/plain"), "Content-Type"),
    ("form-encoded", raw("calendar[name]=x", "application/x-www-form-urlencoded"), "Content-Type"),
    ("no-content-type", raw('{"calendar": {"name": "x"}}', None), "Content-Type"),
    ("json-suffix-type", raw('{"calendar": {"name": "x"}}', "application/vnd.api+json"),
     "Content-Type"),
    ("over-64KiB", {"json": {"calendar": {"name": "x", "address": "a" * LIMIT}}}, "body"),
    ("format-xml", {"json": {"calendar": {"name": "x"}}, "query": {"format": "xml"}}, "format"),
    ("format-twice", {"json": {"calendar": {"name": "x"}},
                      "query": [("format", "json"), ("format", "json")]}, "format"),
]

CREATE_ONLY = [
    ("create-name-missing", {"json": {"calendar": {"city": "Paris"}}}, "calendar.name"),
    ("create-empty-calendar", {"json": {"calendar": {}}}, "calendar.name"),
]


def _cases():
    for method, path in (("POST", calendars_path()), ("PUT", calendar_path(1))):
        for label, calendar, field in BAD_CALENDARS:
            yield pytest.param(method, path, {"json": {"calendar": calendar}}, 400, field,
                               id=f"{method}-{label}")
        for label, kwargs, field in BAD_BODIES:
            yield pytest.param(method, path, kwargs, 400, field, id=f"{method}-{label}")
    for label, kwargs, field in CREATE_ONLY:
        yield pytest.param("POST", calendars_path(), kwargs, 400, field, id=label)
    body = {"json": {"calendar": {"name": "x"}}}
    others = [
        ("create-group_id-mismatch", "POST", calendars_path(),
         {"json": {"calendar": {"name": "x", "group_id": 5}}}, 403, "calendar.group_id"),
        ("update-group_id-mismatch", "PUT", calendar_path(1), {"json": {"calendar": {"group_id": 5}}},
         403, "calendar.group_id"),
        ("create-unknown-calendarset", "POST", calendars_path(),
         {"json": {"calendar": {"name": "x", "calendarset_id": 999}}}, 404, "calendar.calendarset_id"),
        ("update-other-groups-calendarset", "PUT", calendar_path(1),
         {"json": {"calendar": {"calendarset_id": 14}}}, 404, "calendar.calendarset_id"),
        ("create-no-apikey", "POST", calendars_path(), {**body, "apikey": None}, 401, "apikey"),
        ("create-wrong-password", "POST", calendars_path(), {**body, "auth": ("pro@demo.test", "x")},
         401, "Authorization"),
        ("update-no-user", "PUT", calendar_path(1), {**body, "auth": None}, 401, "Authorization"),
        ("delete-no-apikey", "DELETE", calendar_path(1), {"apikey": None}, 401, "apikey"),
        ("delete-wrong-user", "DELETE", calendar_path(1), {"auth": ("nobody@x.test", "x")}, 401,
         "Authorization"),
        ("create-bad-body-and-no-auth", "POST", calendars_path(), {**raw("{"), "auth": None}, 401,
         "Authorization"),
        ("create-other-group", "POST", calendars_path(5), body, 404, None),
        ("create-unknown-group", "POST", calendars_path(999), body, 404, None),
        ("update-unknown-calendar", "PUT", calendar_path(999), body, 404, None),
        ("update-other-groups-calendar", "PUT", calendar_path(9), body, 404, None),
        ("update-non-numeric-id", "PUT", calendar_path("abc"), body, 404, None),
        ("delete-unknown-calendar", "DELETE", calendar_path(999), {}, 404, None),
        ("delete-other-groups-calendar", "DELETE", calendar_path(9), {}, 404, None),
        ("delete-as-other-user", "DELETE", calendar_path(1), {"auth": PRO5}, 404, None),
        ("delete-zero-id", "DELETE", calendar_path(0), {}, 404, None),
        ("patch", "PATCH", calendar_path(1), body, 405, None),
        ("post-on-member", "POST", calendar_path(1), body, 405, None),
        ("put-on-collection", "PUT", calendars_path(), body, 405, None),
        ("delete-collection", "DELETE", calendars_path(), {}, 405, None),
        ("login-wrong-password", "POST", "/api/v1/sessions/login",
         {"auth": None, "query": {"pro[email]": "pro@demo.test", "pro[password]": "0" * 40}}, 401, None),
    ]
    for label, method, path, kwargs, status, field in others:
        yield pytest.param(method, path, kwargs, status, field, id=label)


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "field"), list(_cases()))
def test_rejected_request_changes_nothing(client, method, path, kwargs, status, field):
    before = client.mock.store.dump()
    response = client.open(method, path, **kwargs)
    assert response.status_code == status, response.get_data()[:300]
    body = response.get_json()
    if field is not None:
        assert field in body.get("errors", {}), body
        assert all(isinstance(problem, str) and problem for problem in body["errors"][field])
    assert client.mock.store.dump() == before


def test_all_body_problems_are_reported_at_once(client):
    response = client.post(calendars_path(), json={"calendar": {"name": "", "city": "c" * 65,
                                                                "sort": "x", "colour": 1}})
    assert set(response.get_json()["errors"]) == {"calendar.name", "calendar.city", "calendar.sort",
                                                  "calendar.colour"}


def test_all_query_problems_are_reported_at_once(client):
    query = {"results": 0, "startIndex": -1, "sort": "colour", "dir": "up", "format": "xml",
             "conditions[0][field]": "id", "conditions[0][op]": "~", "conditions[0][value]": "1"}
    response = client.get(calendars_path(), query=query)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"results", "startIndex", "sort", "dir", "format",
                                                  "conditions[0][op]"}


def test_the_body_limit_is_the_specs(client):
    limit = client.mock.contract.spec["x-clicrdv-limits"]["max-body-bytes"]
    text = '{"calendar": {"name": "x"}}'
    fits = client.post(calendars_path(), data=text + " " * (limit - len(text)),
                       content_type="application/json")
    assert fits.status_code == 201
    before = client.mock.store.dump()
    over = client.post(calendars_path(), data=text + " " * (limit - len(text) + 1),
                       content_type="application/json")
    assert over.status_code == 400
    assert "body" in over.get_json()["errors"]
    assert client.mock.store.dump() == before
