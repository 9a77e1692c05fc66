"""What calendars refer to - interventions and calendarsets - served read-only from the seed,
through the same pipeline as calendars: envelope, paging, sort, filters, auth, isolation,
validation, journal, faults; and the two sides kept consistent."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mock_server import create_app

DEMO = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "demo.json").read_text("utf-8"))
KEY = "demo-apikey-4f1c2b"
PRO = ("pro@demo.test", "demo-password")
PRO5 = ("pro5@demo.test", "other-password")


@pytest.fixture
def client():
    return create_app().test_client()


def get(client, path: str, auth=PRO, **params):
    return client.get(path, query_string={"apikey": KEY, **params}, auth=auth)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [record["id"] for record in response.get_json()["records"]]


def test_interventions_list_has_the_envelope_and_the_groups_interventions(client):
    body = get(client, "/api/v1/groups/4/interventions").get_json()
    assert [r["id"] for r in body["records"]] == [21, 23, 25]
    assert {r["group_id"] for r in body["records"]} == {4}
    assert (body["totalRecords"], body["startIndex"], body["recordsReturned"], body["pageSize"],
            body["sort"], body["dir"]) == (3, 0, 3, 25, None, None)
    assert body["records"][0] == {"id": 21, "group_id": 4, "name": "Consultation",
                                  "interventionset_id": 9, "deleted": False}


def test_interventions_page_sort_and_suffix_like_calendars(client):
    assert ids(get(client, "/api/v1/groups/4/interventions.json", results=2, startIndex=1)) == [23, 25]
    body = get(client, "/api/v1/groups/4/interventions", sort="name", dir="desc", format="json").get_json()
    assert [r["name"] for r in body["records"]] == sorted((r["name"] for r in body["records"]), reverse=True)
    assert (body["sort"], body["dir"]) == ("name", "desc")


def test_interventions_filters(client):
    assert ids(get(client, "/api/v1/groups/4/interventions", **{"calendar_ids[]": 3})) == [23]
    assert ids(get(client, "/api/v1/groups/4/interventions", **{"calendar_ids[]": [1, 5]})) == [21, 23]
    assert ids(get(client, "/api/v1/groups/4/interventions", interventionset_id=9)) == [21, 23]
    assert ids(get(client, "/api/v1/groups/4/interventions",
                   interventionset_id=9, **{"calendar_ids[]": 2})) == [21]
    assert ids(get(client, "/api/v1/groups/4/interventions", **{"calendar_ids[]": 9})) == []  # group 5's


def test_several_calendar_ids_read_as_intervention_ids_do():
    app = create_app(intervention_match="any")
    assert ids(get(app.test_client(), "/api/v1/groups/4/interventions",
                   **{"calendar_ids[]": [3, 4]})) == [23, 25]


@pytest.mark.parametrize(("params", "field"), [
    ({"calendar_ids[]": "x"}, "calendar_ids[]"), ({"interventionset_id": "x"}, "interventionset_id"),
    ({"sort": "publicname"}, "sort"), ({"results": "0"}, "results"), ({"dir": "up"}, "dir"),
])
def test_bad_query_is_refused_naming_the_field(client, params, field):
    response = get(client, "/api/v1/groups/4/interventions", **params)
    assert response.status_code == 400 and field in json.dumps(response.get_json()["errors"])


def test_show_intervention_and_calendarset(client):
    assert get(client, "/api/v1/groups/4/interventions/25.json").get_json()["name"] == \
        "Séance de kinésithérapie"
    assert get(client, "/api/v1/groups/4/calendarsets/12").get_json() == \
        {"id": 12, "group_id": 4, "name": "Paramédical"}
    for path in ("/api/v1/groups/4/interventions/31", "/api/v1/groups/4/interventions/99",
                 "/api/v1/groups/4/calendarsets/14", "/api/v1/groups/4/interventions/abc"):
        assert get(client, path).status_code == 404, path


def test_calendarsets_list_pages_and_sorts(client):
    assert ids(get(client, "/api/v1/groups/4/calendarsets")) == [8, 12]
    assert ids(get(client, "/api/v1/groups/4/calendarsets", sort="name", dir="desc")) == [12, 8]
    assert ids(get(client, "/api/v1/groups/5/calendarsets", auth=PRO5)) == [14]


@pytest.mark.parametrize("path", ["/api/v1/groups/4/interventions", "/api/v1/groups/4/interventions/21",
                                  "/api/v1/groups/4/calendarsets", "/api/v1/groups/4/calendarsets/8"])
def test_same_auth_and_isolation_as_calendars(client, path):
    assert get(client, path, auth=None).status_code == 401
    assert client.get(path, auth=PRO).status_code == 401  # no apikey
    assert get(client, path, auth=("pro@demo.test", "wrong")).status_code == 401
    assert get(client, path, auth=PRO5).status_code == 404
    assert client.post(path, query_string={"apikey": KEY}, auth=PRO, json={}).status_code == 405


def test_soft_deleted_interventions_hidden_from_lists_shown_by_id():
    seed = copy.deepcopy(DEMO)
    seed["interventions"][1]["deleted"] = True  # 23; 27 is soft-deleted in the demo data
    app = create_app(seed)
    client = app.test_client()
    assert ids(get(client, "/api/v1/groups/4/interventions")) == [21, 25]
    assert ids(get(client, "/api/v1/groups/4/interventions", **{"calendar_ids[]": 2})) == [21]
    assert get(client, "/api/v1/groups/4/interventions/23").get_json()["deleted"] is True
    assert get(client, "/api/v1/groups/4/interventions/27").get_json()["deleted"] is True
    app.extensions["calendar_mock"].settings.update({"deleted_interventions": "listed"})
    assert ids(get(client, "/api/v1/groups/4/interventions")) == [21, 23, 25, 27]
    assert ids(get(client, "/api/v1/groups/4/interventions", **{"calendar_ids[]": 2})) == [21, 27]


@pytest.mark.parametrize("answer", ["hidden", "listed"])
def test_both_filters_agree_whether_deleted_interventions_are_listed_or_not(answer):
    client = create_app(settings={"deleted_interventions": answer}).test_client()
    assert _relation_from_calendars(client, 4, PRO) == _relation_from_interventions(client, 4, PRO)
    assert ((2, 27) in _relation_from_calendars(client, 4, PRO)) is (answer == "listed")


def _relation_from_calendars(client, group: int, auth) -> set[tuple[int, int]]:
    interventions = ids(get(client, f"/api/v1/groups/{group}/interventions", auth=auth, results="all"))
    return {(cid, iid) for iid in interventions
            for cid in ids(get(client, f"/api/v1/groups/{group}/calendars", auth=auth, results="all",
                               **{"intervention_ids[]": iid}))}


def _relation_from_interventions(client, group: int, auth) -> set[tuple[int, int]]:
    calendars = ids(get(client, f"/api/v1/groups/{group}/calendars", auth=auth, results="all"))
    return {(cid, iid) for cid in calendars
            for iid in ids(get(client, f"/api/v1/groups/{group}/interventions", auth=auth,
                               results="all", **{"calendar_ids[]": cid}))}


@pytest.mark.parametrize(("group", "auth"), [(4, PRO), (5, PRO5)])
def test_both_filters_read_one_association(client, group, auth):
    relation = _relation_from_calendars(client, group, auth)
    assert relation and relation == _relation_from_interventions(client, group, auth)
    offered = {(cid, item["id"]) for item in DEMO["interventions"]
               if item["group_id"] == group and not item.get("deleted") for cid in item["calendar_ids"]}
    assert relation == offered


def test_every_calendarset_id_names_a_calendarset_of_its_group(client):
    for group, auth in ((4, PRO), (5, PRO5)):
        sets = set(ids(get(client, f"/api/v1/groups/{group}/calendarsets", auth=auth)))
        calendars = get(client, f"/api/v1/groups/{group}/calendars", auth=auth, results="all").get_json()
        used = {c["calendarset_id"] for c in calendars["records"]} - {None}
        assert used and used <= sets
        for calendarset_id in used:
            assert get(client, f"/api/v1/groups/{group}/calendarsets/{calendarset_id}",
                       auth=auth).status_code == 200


def test_journaled_and_faulted_like_calendars():
    app = create_app()
    client = app.test_client()
    mock = app.extensions["calendar_mock"]
    mock.faults.add({"action": "error", "path": "/interventions$", "times": 1, "status": 503})
    assert get(client, "/api/v1/groups/4/interventions").status_code == 503
    assert get(client, "/api/v1/groups/4/interventions").status_code == 200
    assert get(client, "/api/v1/groups/4/interventions", sort="nope").status_code == 400
    entries = [(e["path"], e["status"]) for e in client.get("/_mock/requests").get_json()["requests"]]
    assert entries[-3:] == [("/api/v1/groups/4/interventions", 503), ("/api/v1/groups/4/interventions", 200),
                            ("/api/v1/groups/4/interventions", 400)]
    refused = client.get("/_mock/requests/refused").get_json()
    assert "sort" in json.dumps(refused)
