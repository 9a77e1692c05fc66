"""The mock answers each open question of the spec (`x-open-questions`) as its settings say,
every answer validated against the spec like any other response."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from spec_validation import DEFAULT_SETTINGS, SPEC, ApiClient, calendar_path, calendars_path, ids

from mock_server import create_app

QUESTIONS = {question["id"]: question for question in SPEC["x-open-questions"]["questions"]}


def client_with(**settings: str) -> ApiClient:
    """A mock answering as `settings` say, its answers judged against the view that leaves
    them open: strict for open questions, documented for the assumptions."""
    assumed = any(QUESTIONS[qid]["kind"] == "assumed" for qid in settings)
    return ApiClient(create_app(settings=settings), view="documented" if assumed else "strict")


def conditions(field: str, op: str, value: str) -> dict[str, str]:
    return {"conditions[0][field]": field, "conditions[0][op]": op, "conditions[0][value]": value}


def test_every_question_has_a_default_among_its_answers_and_a_kind():
    assert len(QUESTIONS) >= 20
    for question in QUESTIONS.values():
        assert question["kind"] in ("open", "assumed") and question["question"].endswith("?")
        assert str(question["default"]) in [str(answer) for answer in question["answers"]]
        assert len(question["answers"]) >= 2 and question["source"]


def test_settings_are_checked_against_the_spec():
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        create_app(settings={"colour": "red"})
    with pytest.raises(ValueError, match="page_cap must be one of none, 5"):
        create_app(settings={"page_cap": "7"})
    assert create_app().extensions["calendar_mock"].settings.as_dict() == DEFAULT_SETTINGS


@pytest.mark.parametrize(("answer", "status"), [("403", 403), ("400", 400)])
def test_group_id_mismatch(answer, status):
    client = client_with(group_id_mismatch=answer)
    before = ids(client.get(calendars_path(), query={"results": "all"}))
    refused = client.post(calendars_path(), json={"calendar": {"name": "x", "group_id": 5}})
    assert refused.status_code == status
    assert ids(client.get(calendars_path(), query={"results": "all"})) == before


@pytest.mark.parametrize(("answer", "status"), [("refused", 404), ("accepted", 201)])
def test_unknown_calendarset(answer, status):
    response = client_with(unknown_calendarset=answer).post(
        calendars_path(), json={"calendar": {"name": "x", "calendarset_id": 999}})
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["calendarset_id"] == 999


@pytest.mark.parametrize(("answer", "status"), [("accepted", 201), ("refused", 400)])
def test_blank_name(answer, status):
    assert client_with(blank_name=answer).post(
        calendars_path(), json={"calendar": {"name": "   "}}).status_code == status


def test_page_cap_holds_numbers_and_all_and_says_so_in_page_size():
    client = client_with(page_cap="5")
    for results in ("3", "25", "all"):
        body = client.get(calendars_path(), query={"results": results}).get_json()
        assert body["totalRecords"] == 8
        assert body["recordsReturned"] == min(5, int(results) if results != "all" else 8)
        assert body["pageSize"] == (3 if results == "3" else 5)
    rest = client.get(calendars_path(), query={"results": "all", "startIndex": 5}).get_json()
    assert [r["id"] for r in rest["records"]] == [6, 7, 8]


@pytest.mark.parametrize(("answer", "second_page"), [("items", [3, 4]), ("pages", [5, 6])])
def test_start_index_counts_items_or_pages(answer, second_page):
    body = client_with(start_index=answer).get(
        calendars_path(), query={"results": 2, "startIndex": 2}).get_json()
    assert [r["id"] for r in body["records"]] == second_page and body["startIndex"] == 2


@pytest.mark.parametrize(("answer", "status"), [("auth_first", 401), ("body_first", 400)])
def test_error_precedence(answer, status):
    client = client_with(error_precedence=answer)
    response = client.post(calendars_path(), data=b"{bad", content_type="application/json", auth=None)
    assert response.status_code == status


def test_error_body_of_another_shape_still_names_the_field():
    body = client_with(error_body="other").post(calendars_path(), json={"calendar": {"name": ""}}).get_json()
    assert body["code"] == 400 and "error" not in body
    assert body["details"][0]["field"] == "calendar.name" and "calendar.name" in body["message"]


@pytest.mark.parametrize(("answer", "allow"), [("sent", "GET, POST"), ("omitted", None)])
def test_allow_header(answer, allow):
    response = client_with(allow_header=answer).open("PATCH", calendars_path())
    assert response.status_code == 405 and response.headers.get("Allow") == allow


@pytest.mark.parametrize(("answer", "cookies"), [("first", 1), ("after_another", 2)])
def test_session_cookie_place(answer, cookies):
    client = client_with(session_cookie=answer)
    digest = hashlib.sha1(b"demo-password").hexdigest()
    login = client.post("/api/v1/sessions/login", auth=None,
                        query={"pro[email]": "pro@demo.test", "pro[password]": digest})
    set_cookies = login.headers.getlist("Set-Cookie")
    assert len(set_cookies) == cookies and set_cookies[-1].startswith("_session_id=")
    token = set_cookies[-1].split(";")[0]
    assert client.get(calendars_path(), auth=None, headers={"Cookie": token}).status_code == 200


@pytest.mark.parametrize(("answer", "status"), [("401", 401), ("400", 400)])
def test_login_without_credentials(answer, status):
    assert client_with(login_without_credentials=answer).post(
        "/api/v1/sessions/login", auth=None).status_code == status


@pytest.mark.parametrize(("answer", "status"), [("refused", 400), ("ignored", 201)])
def test_top_level_keys(answer, status):
    assert client_with(top_level_keys=answer).post(
        calendars_path(), json={"calendar": {"name": "x"}, "extra": 1}).status_code == status


@pytest.mark.parametrize(("answer", "status"), [("booleans", 400), ("also_0_1", 200)])
def test_deleted_input(answer, status):
    client = client_with(deleted_input=answer)
    response = client.put(calendar_path(1), json={"calendar": {"deleted": 1}})
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["deleted"] is True


def test_extra_fields_appear_everywhere_a_calendar_does():
    client = client_with(extra_fields="label")
    assert client.get(calendar_path(1)).get_json()["label"] == "calendar-1"
    assert all("label" in r for r in client.get(calendars_path()).get_json()["records"])
    assert "label" in client.post(calendars_path(), json={"calendar": {"name": "x"}}).get_json()


@pytest.mark.parametrize(("answer", "moves"), [("kept", False), ("moved", True)])
def test_noop_put_and_updated_at(answer, moves):
    ticks = iter(range(1000))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    client = ApiClient(create_app(settings={"noop_updated_at": answer},
                                  clock=lambda: start + timedelta(seconds=next(ticks))), view="strict")
    before = client.get(calendar_path(1)).get_json()["updated_at"]
    after = client.put(calendar_path(1), json={"calendar": {}}).get_json()["updated_at"]
    assert (after != before) is moves


@pytest.mark.parametrize(("answer", "first"), [("first", None), ("last", "Nantes")])
def test_nulls_order(answer, first):
    records = client_with(nulls_order=answer).get(
        calendars_path(), query={"sort": "city", "results": "all"}).get_json()["records"]
    assert records[0]["city"] == first or (first and records[0]["city"] is not None)
    assert (records[-1]["city"] is None) is (answer == "last")


@pytest.mark.parametrize(("answer", "found"), [("exact", False), ("insensitive", True)])
def test_equals_case(answer, found):
    client = client_with(equals_case=answer)
    name = client.get(calendar_path(1)).get_json()["name"]
    listed = ids(client.get(calendars_path(), query=conditions("name", "=", name.swapcase())))
    assert (1 in listed) is found


@pytest.mark.parametrize(("answer", "found"), [("ignored", True), ("sensitive", False)])
def test_like_case(answer, found):
    client = client_with(like_case=answer)
    name = client.get(calendar_path(1)).get_json()["name"]
    pattern = f"%{name[1:4].swapcase()}%"
    for op, keeps in (("like", found), ("not like", not found)):
        assert (1 in ids(client.get(calendars_path(), query=conditions("name", op, pattern)))) is keeps
    # The pattern in the stored case matches either way, `_` and `%` too.
    assert 1 in ids(client.get(calendars_path(), query=conditions("name", "like", f"_{name[1:4]}%")))


@pytest.mark.parametrize(("answer", "keeps_null"), [("excluded", False), ("included", True)])
def test_negations_and_nulls(answer, keeps_null):
    client = client_with(negation_nulls=answer)
    everything = client.get(calendars_path(), query={"results": "all"}).get_json()["records"]
    null_city = {r["id"] for r in everything if r["city"] is None}
    assert null_city
    listed = set(ids(client.get(calendars_path(), query={**conditions("city", "!=", "Atlantis"),
                                                          "results": "all"})))
    assert (null_city <= listed) is keeps_null


@pytest.mark.parametrize(("answer", "status"), [("refused", 400), ("coerced", 201)])
def test_string_integers(answer, status):
    response = client_with(string_integers=answer).post(
        calendars_path(), json={"calendar": {"name": "x", "sort": "12"}})
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["sort"] == 12


def test_deleted_output_as_integers():
    client = client_with(deleted_output="integer")
    assert client.get(calendar_path(6)).get_json()["deleted"] == 1
    records = client.get(calendars_path(), query={"results": "all"}).get_json()["records"]
    assert {record["deleted"] for record in records} == {0, 1}


@pytest.mark.parametrize(("answer", "tied"), [("id", [1, 13]), ("id_desc", [13, 1])])
def test_sort_ties(answer, tied):
    client = client_with(sort_ties=answer)
    client.post(calendars_path(), json={"calendar": {"name": "twin", "sort": 1}})
    for direction in ("asc", "desc"):
        listed = ids(client.get(calendars_path(), query={"sort": "sort", "dir": direction, "results": "all"}))
        assert [i for i in listed if i in (1, 13)] == tied


@pytest.mark.parametrize(("answer", "first"), [("ignored", 1), ("reverses", 8)])
def test_dir_without_sort(answer, first):
    listed = ids(client_with(dir_without_sort=answer).get(calendars_path(), query={"dir": "desc"}))
    assert listed[0] == first and sorted(listed) == sorted(set(listed))


@pytest.mark.parametrize(("answer", "first"), [("id", 1), ("sort", 13)])
def test_default_order(answer, first):
    client = client_with(default_order=answer)
    client.post(calendars_path(), json={"calendar": {"name": "early", "sort": 0}})
    assert ids(client.get(calendars_path(), query={"results": "all"}))[0] == first
    assert ids(client.get(calendars_path(), query={"results": "all", "calendarset_ids[]": "8"}))[0] \
        == ids(client.get(calendars_path(), query={"results": "all", "calendarset_ids[]": "8",
                                                   "sort": "sort" if answer == "sort" else "id"}))[0]


@pytest.mark.parametrize(("answer", "found"), [("name_or_publicname", True), ("name", False)])
def test_search_fields(answer, found):
    listed = ids(client_with(search_fields=answer).get(calendars_path(), query={"search": "DOCTEUR"}))
    assert (1 in listed) is found
    assert 4 in ids(client_with(search_fields=answer).get(calendars_path(), query={"search": "kinés"}))


@pytest.mark.parametrize(("answer", "sort"), [("largest_plus_one", 9), ("zero", 0)])
def test_omitted_sort(answer, sort):
    created = client_with(omitted_sort=answer).post(calendars_path(), json={"calendar": {"name": "x"}})
    assert created.get_json()["sort"] == sort


@pytest.mark.parametrize(("answer", "empty"), [("null", None), ("empty_string", "")])
def test_omitted_texts(answer, empty):
    created = client_with(omitted_texts=answer).post(
        calendars_path(), json={"calendar": {"name": "x", "city": "Nantes"}}).get_json()
    assert (created["address"], created["zipcode"], created["city"]) == (empty, empty, "Nantes")
    assert created["publicname"] == "" and created["calendarset_id"] is None


@pytest.mark.parametrize(("answer", "body"), [("calendar", True), ("empty_object", False)])
def test_delete_body(answer, body):
    client = client_with(delete_body=answer)
    response = client.delete(calendar_path(2))
    assert response.status_code == 200
    assert (response.get_json().get("deleted") is True) is body and (response.get_json() == {}) is not body
    assert client.get(calendar_path(2)).get_json()["deleted"] is True


@pytest.mark.parametrize(("answer", "status"), [("soft_deletes", 200), ("refused", 400)])
def test_put_deleted_true(answer, status):
    client = client_with(put_deleted_true=answer)
    response = client.put(calendar_path(2), json={"calendar": {"deleted": True, "name": "gone"}})
    assert response.status_code == status
    shown = client.get(calendar_path(2)).get_json()
    assert shown["deleted"] is (status == 200) and (shown["name"] == "gone") is (status == 200)
    if status == 400:
        assert "calendar.deleted" in response.get_json()["errors"]


@pytest.mark.parametrize(("answer", "status"), [("ignored", 200), ("refused", 400)])
def test_read_only_keys(answer, status):
    client = client_with(read_only_keys=answer)
    response = client.put(calendar_path(2), json={"calendar": {"id": 99, "name": "renamed"}})
    assert response.status_code == status
    assert (client.get(calendar_path(2)).get_json()["name"] == "renamed") is (status == 200)
    if status == 400:
        assert "calendar.id" in response.get_json()["errors"]


@pytest.mark.parametrize(("answer", "status"), [("refused", 400), ("ignored", 201)])
def test_unknown_calendar_keys(answer, status):
    client = client_with(unknown_calendar_keys=answer)
    response = client.post(calendars_path(), json={"calendar": {"name": "x", "colour": "red"}})
    assert response.status_code == status
    if status == 201:
        assert "colour" not in response.get_json()


@pytest.mark.parametrize(("answer", "status"), [("401", 401), ("403", 403)])
def test_credentials_refusal(answer, status):
    client = client_with(credentials_refusal=answer)
    assert client.get(calendars_path(), apikey=None).status_code == status
    assert client.get(calendars_path(), apikey="nope").status_code == status
    assert client.get(calendars_path(), auth=None).status_code == status
    # A wrong password is 401 whatever the answer: that one is documented.
    assert client.get(calendars_path(), auth=("pro@demo.test", "wrong")).status_code == 401


def test_every_question_is_tested_here():
    """Each question of the spec has a test of both its answers in this module."""
    tested = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    untested = [qid for qid in QUESTIONS
                if not any(name.startswith(qid) for name in tested)
                and qid not in TESTED_ELSEWHERE]
    assert not untested


# Questions whose two answers are tested in other modules.
TESTED_ELSEWHERE = {
    "intervention_match": "test_mock_list.py",
    "deleted_calendars": "test_mock_list.py",
    "deleted_interventions": "test_mock_references.py",
    "noop_updated_at": "test_noop_put_and_updated_at",
    "negation_nulls": "test_negations_and_nulls",
}
