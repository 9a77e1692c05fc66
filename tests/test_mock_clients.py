"""What real clients send (CONTRACT.md's table) and the transport rules, in-process."""

from __future__ import annotations

import hashlib

import pytest
from spec_validation import DEMO_APIKEY, calendar_path, calendars_path, ids


def test_apikey_at_the_top_level_of_a_post_body(client):
    response = client.post(calendars_path(), json={"apikey": DEMO_APIKEY, "calendar": {"name": "PHP"}},
                           apikey=None)
    assert response.status_code == 201
    assert response.get_json()["name"] == "PHP"


def test_apikey_at_the_top_level_of_a_put_body(client):
    response = client.put(calendar_path(1), json={"apikey": DEMO_APIKEY, "calendar": {"city": "Lille"}},
                          apikey=None)
    assert response.status_code == 200
    assert response.get_json()["city"] == "Lille"


def test_a_wrong_apikey_in_the_body_is_401_and_changes_nothing(client):
    before = client.state()
    response = client.post(calendars_path(), json={"apikey": "wrong", "calendar": {"name": "x"}},
                           apikey=None)
    assert response.status_code == 401
    assert client.state() == before


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_json_content_type_on_get_and_delete_without_body(client, content_type):
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    assert ids(client.get(calendars_path(), headers=headers))[:2] == [1, 2]
    assert client.get(calendar_path(1), headers=headers).get_json()["id"] == 1
    deleted = client.delete(calendar_path(1), headers=headers)
    assert (deleted.status_code, deleted.get_json()["deleted"]) == (200, True)


def test_post_with_charset_in_content_type(client):
    response = client.post(calendars_path(), data='{"calendar": {"name": "charset"}}',
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 201


@pytest.mark.parametrize("query", [
    "intervention_ids[]=21?format=json",
    "results=2?format=json",
    "format=json?results=2",
    "sort=name?dir=desc",
])
def test_a_second_question_mark_is_a_clear_400(client, query):
    before = client.state()
    response = client.get(calendars_path(), query=query)
    assert response.status_code == 400
    assert "second '?'" in response.get_json()["error"]
    assert client.state() == before


def test_a_second_question_mark_in_an_unknown_key_is_ignored(client):
    assert client.get(calendars_path(), query="foo=1?format=json").status_code == 200


def test_a_second_question_mark_after_the_apikey_is_401_with_a_hint(client):
    response = client.get(calendars_path(), query=f"apikey={DEMO_APIKEY}?format=json", apikey=None)
    assert response.status_code == 401
    assert "second '?'" in response.get_json()["error"]


def test_paging_one_step_past_the_end(client):
    total = client.get(calendars_path()).get_json()["totalRecords"]
    body = client.get(calendars_path(), query={"startIndex": total, "results": 5}).get_json()
    assert (body["records"], body["totalRecords"]) == ([], total)


@pytest.mark.parametrize("path", [calendars_path(), calendar_path(6), calendars_path(4)
                                  + "?results=3&sort=name&dir=desc"])
def test_json_suffix_and_format_json_give_identical_bodies(client, path):
    base, _, query = path.partition("?")
    variants = [
        (base, query),
        (base + ".json", query),
        (base, "&".join(part for part in (query, "format=json") if part)),
        (base + ".json", "&".join(part for part in (query, "format=json") if part)),
    ]
    bodies = [client.get(url, query=q).get_data() for url, q in variants]
    assert len(set(bodies)) == 1
    assert client.get(base).status_code == 200


def test_writes_through_the_json_suffix(client):
    created = client.post(calendars_path() + ".json", json={"calendar": {"name": "suffix"}},
                          query={"format": "json"})
    assert created.status_code == 201
    new_id = created.get_json()["id"]
    updated = client.put(calendar_path(new_id) + ".json", json={"calendar": {"city": "Metz"}})
    assert updated.get_json()["city"] == "Metz"
    deleted = client.delete(calendar_path(new_id) + ".json", query={"format": "json"})
    assert (deleted.status_code, deleted.get_json()["deleted"]) == (200, True)


def test_delete_answers_200_with_the_calendar(client):
    response = client.delete(calendar_path(2))
    assert response.status_code == 200
    assert response.get_json()["id"] == 2 and response.get_json()["deleted"] is True


@pytest.mark.parametrize(("method", "path"), [
    ("GET", calendars_path()), ("GET", calendar_path(1)), ("DELETE", calendar_path(1)),
    ("GET", calendar_path(999)), ("PATCH", calendar_path(1)), ("GET", "/nowhere"),
])
def test_responses_are_json_utf8(client, method, path):
    response = client.open(method, path)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_non_ascii_text_round_trips(client):
    name = "Cabinet d'ostéopathie – Zoë 日本"
    created = client.post(calendars_path(), json={"calendar": {"name": name}})
    assert created.get_json()["name"] == name
    assert name.encode() in created.get_data()  # UTF-8, not \\u escapes
    found = client.get(calendars_path(), query={"search": "ZOË"})
    assert ids(found) == [created.get_json()["id"]]


def test_format_json_on_login(client):
    digest = hashlib.sha1(b"demo-password").hexdigest()
    response = client.post("/api/v1/sessions/login", auth=None,
                           query={"format": "json", "pro[email]": "pro@demo.test", "pro[password]": digest})
    assert response.status_code == 200


def test_format_xml_is_refused_clearly(client):
    response = client.get(calendars_path(), query={"format": "xml"})
    assert response.status_code == 400
    assert "format" in response.get_json()["errors"]


def test_head_answers_like_get_without_a_body(client):
    response = client.open("HEAD", calendars_path())
    assert response.status_code == 200
    assert response.get_data() == b""
